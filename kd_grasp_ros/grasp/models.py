"""GG-CNN networks (Morrison et al.): one config dataclass, one module, a registry of named variants.

The module keeps the key names of the released GG-CNN code (conv1..3, convt1..3, pos_output,
cos_output, sin_output, width_output) so the released Cornell state dict loads unchanged.
Paddings make a 300x300 input give a 300x300 output: 300 -> 100 -> 50 -> 25 -> 50 -> 100 -> 301 -> 300.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from kd_grasp_ros.grasp.errors import GraspModelError


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


# Kernel, stride, padding (and output padding for the transposed convolutions) of the reference.
ENCODER_LAYERS = ((9, 3, 3), (5, 2, 2), (3, 2, 1))
DECODER_LAYERS = ((3, 2, 1, 1), (5, 2, 2, 1), (9, 3, 3, 1))
HEAD_KERNEL = 2

MODEL_CONFIGS: dict[str, GGCNNConfig] = {
    "ggcnn": GGCNNConfig(name="ggcnn", filters=(32, 16, 8)),
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
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
                nn.init.xavier_uniform_(m.weight, gain=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = F.relu(self.conv3(x))
        x = F.relu(self.convt1(x))
        x = F.relu(self.convt2(x))
        x = F.relu(self.convt3(x))
        if self.fused_heads is not None:
            return self.fused_heads(x)
        return torch.cat([head(x) for head in self.heads()], 1)

    def heads(self) -> tuple[nn.Conv2d, ...]:
        """The four output heads in OUTPUT_NAMES order."""
        return self.pos_output, self.cos_output, self.sin_output, self.width_output


def model_config(name: str) -> GGCNNConfig:
    """The registered config of a variant; raises GraspModelError on an unknown name."""
    try:
        return MODEL_CONFIGS[name]
    except KeyError:
        raise GraspModelError(
            f"unknown grasp model {name!r}; expected one of {sorted(MODEL_CONFIGS)}") from None


def build_model(name: str) -> GGCNN:
    """A freshly initialised network of the named variant."""
    return GGCNN(model_config(name))


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
