"""GG-CNN networks (Morrison et al.): a config dataclass and a module per architecture (GG-CNN, GG-CNN2),
and a registry of named variants.

The module keeps the key names of the released GG-CNN code (conv1..3, convt1..3, pos_output,
cos_output, sin_output, width_output) so the released Cornell state dict loads unchanged.
Paddings make a 300x300 input give a 300x300 output: 300 -> 100 -> 50 -> 25 -> 50 -> 100 -> 301 -> 300.
GG-CNN2 keeps the released `features.<i>` Sequential layout (IJRR 2019 code) so its state dict loads
strictly too. `fast_train = True` makes forward use the pixel-shuffle form of every transposed
convolution and one fused head convolution, computed from the same parameters (same outputs, same
gradients, several times faster on CPU): used by training; checkpoints are unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from kd_grasp_ros.grasp.errors import GraspModelError
from kd_grasp_ros.grasp.fast_convt import check_supported, convt_forward, fused_heads_forward


@dataclass(frozen=True)
class GGCNNConfig:
    """A GG-CNN variant: encoder filters (f1, f2, f3); the decoder mirrors them (f3, f2, f1)."""

    name: str = "ggcnn"
    filters: tuple[int, int, int] = (32, 16, 8)
    input_channels: int = 1

    def __post_init__(self):
        object.__setattr__(self, "filters", tuple(int(f) for f in self.filters))
        if len(self.filters) != 3 or min(self.filters) < 1:
            raise GraspModelError(f"GGCNNConfig.filters must be 3 positive ints, got {self.filters}")


@dataclass(frozen=True)
class GGCNN2Config:
    """GG-CNN2 (IJRR 2019): filters (conv blocks 1 and 2, dilated convs, upsampling convs)."""

    name: str = "ggcnn2"
    filters: tuple[int, int, int, int] = (16, 16, 32, 16)
    dilated_kernel: int = 5
    dilations: tuple[int, int] = (2, 4)
    input_channels: int = 1

    def __post_init__(self):
        object.__setattr__(self, "filters", tuple(int(f) for f in self.filters))
        object.__setattr__(self, "dilations", tuple(int(d) for d in self.dilations))
        if len(self.filters) != 4 or min(self.filters) < 1 or len(self.dilations) != 2:
            raise GraspModelError(f"GGCNN2Config needs 4 filters and 2 dilations, got {self}")


# Kernel, stride, padding (and output padding for the transposed convolutions) of the reference.
ENCODER_LAYERS = ((9, 3, 3), (5, 2, 2), (3, 2, 1))
DECODER_LAYERS = ((3, 2, 1, 1), (5, 2, 2, 1), (9, 3, 3, 1))
HEAD_KERNEL = 2

MODEL_CONFIGS: dict[str, GGCNNConfig | GGCNN2Config] = {
    "ggcnn": GGCNNConfig(name="ggcnn", filters=(32, 16, 8)),
    "ggcnn2": GGCNN2Config(),
    "student_v1": GGCNNConfig(name="student_v1", filters=(16, 8, 4)),
    "student_v2": GGCNNConfig(name="student_v2", filters=(24, 12, 6)),
}


class GGCNN(nn.Module):
    """Generative grasping CNN: depth (B,1,H,W) -> (B,4,H,W) maps in OUTPUT_NAMES order."""

    def __init__(self, cfg: GGCNNConfig):
        super().__init__()
        self.cfg = cfg
        f1, f2, f3 = cfg.filters
        (k1, s1, p1), (k2, s2, p2), (k3, s3, p3) = ENCODER_LAYERS
        (k4, s4, p4, o4), (k5, s5, p5, o5), (k6, s6, p6, o6) = DECODER_LAYERS
        self.conv1 = nn.Conv2d(cfg.input_channels, f1, k1, stride=s1, padding=p1)
        self.conv2 = nn.Conv2d(f1, f2, k2, stride=s2, padding=p2)
        self.conv3 = nn.Conv2d(f2, f3, k3, stride=s3, padding=p3)
        self.convt1 = nn.ConvTranspose2d(f3, f3, k4, stride=s4, padding=p4, output_padding=o4)
        self.convt2 = nn.ConvTranspose2d(f3, f2, k5, stride=s5, padding=p5, output_padding=o5)
        self.convt3 = nn.ConvTranspose2d(f2, f1, k6, stride=s6, padding=p6, output_padding=o6)
        self.pos_output = nn.Conv2d(f1, 1, HEAD_KERNEL)
        self.cos_output = nn.Conv2d(f1, 1, HEAD_KERNEL)
        self.sin_output = nn.Conv2d(f1, 1, HEAD_KERNEL)
        self.width_output = nn.Conv2d(f1, 1, HEAD_KERNEL)
        self.fused_heads: nn.Conv2d | None = None  # set by fast_convt.to_fast for inference
        self.fast_train = False
        for convt in (self.convt1, self.convt2, self.convt3):
            check_supported(convt)
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
                nn.init.xavier_uniform_(m.weight, gain=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = F.relu(self.conv3(x))
        for convt in (self.convt1, self.convt2, self.convt3):
            x = F.relu(
                convt_forward(convt, x)
                if self.fast_train and isinstance(convt, nn.ConvTranspose2d)
                else convt(x)
            )
        return _heads_forward(self, x)

    def heads(self) -> tuple[nn.Conv2d, ...]:
        """The four output heads in OUTPUT_NAMES order."""
        return self.pos_output, self.cos_output, self.sin_output, self.width_output


class GGCNN2(nn.Module):
    """GG-CNN2: depth (B,1,H,W), H and W divisible by 4 -> (B,4,H,W) maps in OUTPUT_NAMES order."""

    def __init__(self, cfg: GGCNN2Config):
        super().__init__()
        self.cfg = cfg
        f1, f2, f3, f4 = cfg.filters
        k, (d1, d2) = cfg.dilated_kernel, cfg.dilations
        self.features = nn.Sequential(
            nn.Conv2d(cfg.input_channels, f1, 11, padding=5),
            nn.ReLU(inplace=True),
            nn.Conv2d(f1, f1, 5, padding=2),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2, 2),
            nn.Conv2d(f1, f2, 5, padding=2),
            nn.ReLU(inplace=True),
            nn.Conv2d(f2, f2, 5, padding=2),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2, 2),
            nn.Conv2d(f2, f3, k, dilation=d1, padding=k // 2 * d1),
            nn.ReLU(inplace=True),
            nn.Conv2d(f3, f3, k, dilation=d2, padding=k // 2 * d2),
            nn.ReLU(inplace=True),
            nn.UpsamplingBilinear2d(scale_factor=2),
            nn.Conv2d(f3, f4, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.UpsamplingBilinear2d(scale_factor=2),
            nn.Conv2d(f4, f4, 3, padding=1),
            nn.ReLU(inplace=True),
        )
        self.pos_output = nn.Conv2d(f4, 1, 1)
        self.cos_output = nn.Conv2d(f4, 1, 1)
        self.sin_output = nn.Conv2d(f4, 1, 1)
        self.width_output = nn.Conv2d(f4, 1, 1)
        self.fused_heads: nn.Conv2d | None = None
        self.fast_train = False
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.xavier_uniform_(m.weight, gain=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-1] % 4 or x.shape[-2] % 4:
            raise GraspModelError(f"GG-CNN2 needs a side divisible by 4, got {tuple(x.shape[-2:])}")
        return _heads_forward(self, self.features(x))

    def heads(self) -> tuple[nn.Conv2d, ...]:
        return self.pos_output, self.cos_output, self.sin_output, self.width_output


def _heads_forward(model, x: torch.Tensor) -> torch.Tensor:
    if model.fused_heads is not None:
        return model.fused_heads(x)
    if model.fast_train:  # a channels_last input halves the time of this wide, shallow conv's backward
        return fused_heads_forward(model.heads(), x.contiguous(memory_format=torch.channels_last))
    return torch.cat([head(x) for head in model.heads()], 1)


MODEL_CLASSES = {GGCNNConfig: GGCNN, GGCNN2Config: GGCNN2}


def model_config(name: str) -> GGCNNConfig | GGCNN2Config:
    """The registered config of a variant; raises GraspModelError on an unknown name."""
    try:
        return MODEL_CONFIGS[name]
    except KeyError:
        raise GraspModelError(
            f"unknown grasp model {name!r}; expected one of {sorted(MODEL_CONFIGS)}"
        ) from None


def config_from_dict(cfg: dict) -> GGCNNConfig | GGCNN2Config:
    """The config stored in a checkpoint ('model_cfg'); its name selects the architecture."""
    registered = model_config(str(cfg.get("name")))
    try:
        return type(registered)(**cfg)
    except TypeError as exc:
        raise GraspModelError(f"bad model_cfg {cfg!r}: {exc}") from exc


def build_from_config(cfg: GGCNNConfig | GGCNN2Config) -> nn.Module:
    return MODEL_CLASSES[type(cfg)](cfg)


def build_model(name: str) -> nn.Module:
    """A freshly initialised network of the named variant."""
    return build_from_config(model_config(name))


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
