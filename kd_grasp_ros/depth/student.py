"""DistillGrasp-style student: a light CNN with Consistent Feature Correlation Modules (CFCM).

Our design (no published layer sizes), kept small for real-time use at 320x240 on a CPU; its measured
latency is on its card and in docs/results/bench.md (both from `kd-grasp bench`):

- Two small encoders (default 8-16-32-48 channels at 1/2..1/16), RGB and depth (log-ratio + validity),
  one conv3x3 stride 2 + one conv3x3 per stage.
- A CFCM at every scale: from the RGB features r, the depth features d and their element-wise
  correlation r*d, a 3x3 conv estimates two gates in [0, 1], where the RGB and where the depth
  features are reliable (where the modalities agree the depth is kept; where they disagree, e.g. on
  transparent surfaces, the colour evidence takes over). The gated features and their correlation
  are fused by a 3x3 conv.
- A U-Net decoder (bilinear upsampling + conv, no transposed convolutions, which are slow on CPU) with
  the CFCM outputs as skips and a full-resolution head that sees the input depth and validity and
  predicts a correction to the classical fill and its confidence (preprocess.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from kd_grasp_ros.depth.constants import OUTPUT_CHANNELS, SIZE_MULTIPLE
from kd_grasp_ros.depth.layers import conv_bn_relu, pad_to_multiple, upsample_to, zero_last_conv
from kd_grasp_ros.depth.teacher import encoder


@dataclass
class StudentConfig:
    """Sizes of the student."""

    widths: tuple[int, int, int, int] = (8, 16, 32, 48)
    head_width: int = 8

    def __post_init__(self):
        self.widths = tuple(int(w) for w in self.widths)
        if len(self.widths) != 4:
            raise ValueError(f"StudentConfig.widths needs 4 entries (1/2..1/16), got {self.widths}")


class ConsistentFeatureCorrelation(nn.Module):
    """Gate RGB and depth features by estimated reliability and fuse them with their correlation."""

    def __init__(self, width: int):
        super().__init__()
        self.gates = nn.Conv2d(3 * width, 2, 3, padding=1)
        self.fuse = conv_bn_relu(3 * width, width)

    def forward(self, rgb: torch.Tensor, depth: torch.Tensor) -> torch.Tensor:
        corr = rgb * depth
        gate_rgb, gate_depth = torch.sigmoid(self.gates(torch.cat([rgb, depth, corr], dim=1))).chunk(2, dim=1)
        return self.fuse(torch.cat([rgb * gate_rgb, depth * gate_depth, corr], dim=1))


class DepthStudent(nn.Module):
    """Student network: (normalised RGB, log-ratio depth, validity) -> correction and confidence logits
    (Bx2xHxW, see preprocess.compose_depth)."""

    def __init__(self, cfg: StudentConfig):
        super().__init__()
        self.cfg = cfg
        w = cfg.widths
        self.rgb_encoder = encoder(3, w)
        self.depth_encoder = encoder(2, w)
        self.cfcm = nn.ModuleList(ConsistentFeatureCorrelation(c) for c in w)
        self.up_convs = nn.ModuleList(conv_bn_relu(w[i + 1] + w[i], w[i]) for i in range(3))
        self.head = nn.Sequential(
            conv_bn_relu(w[0] + 2, cfg.head_width), nn.Conv2d(cfg.head_width, OUTPUT_CHANNELS, 3, padding=1)
        )
        zero_last_conv(self.head)

    def forward(self, rgb: torch.Tensor, log_ratio: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        depth_in = torch.cat([log_ratio, valid], dim=1)
        x_rgb, size = pad_to_multiple(rgb, SIZE_MULTIPLE)
        padded_depth, _ = pad_to_multiple(depth_in, SIZE_MULTIPLE)
        x_depth, fused = padded_depth, []
        for enc_r, enc_d, cfcm in zip(self.rgb_encoder, self.depth_encoder, self.cfcm, strict=True):
            x_rgb, x_depth = enc_r(x_rgb), enc_d(x_depth)
            fused.append(cfcm(x_rgb, x_depth))
        x = fused[3]
        for level in (2, 1, 0):
            x = self.up_convs[level](torch.cat([upsample_to(x, fused[level]), fused[level]], dim=1))
        x = upsample_to(x, padded_depth)[..., : size[0], : size[1]]
        return self.head(torch.cat([x, depth_in], dim=1))
