"""DistillGrasp-style teacher: RGB and depth encoders, Position Correlation Blocks, NeWCRF-like decoder.

Our design (DistillGrasp publishes no layer sizes), sized to train on two CPU cores:

- Two CNN encoders with the same widths (default 16-32-48-64 channels at 1/2, 1/4, 1/8, 1/16):
  RGB (3 channels) and depth (log-ratio depth + validity, see preprocess.py). Each stage is
  conv3x3 stride 2 + conv3x3, BatchNorm, ReLU.
- Position Correlation Block (PCB) at 1/8 and 1/16: `pcb_blocks` window-attention blocks (alternately
  shifted windows, window `window`) whose queries and keys come from the RGB features and whose values
  come from the depth features; a transparent pixel therefore collects depth from the pixels whose
  colour features correspond to it. The PCB output is fused with the RGB features by a 1x1 conv.
  At 1/2 and 1/4 the two modalities are fused by a 1x1 conv only.
- Decoder in the spirit of NeWCRFs: from 1/16 upwards, upsample, concatenate the fused skip features,
  conv, then at 1/8 and 1/4 `crf_blocks` window-attention blocks in which the skip features give the
  queries/keys (the unary image potential) and the decoder state gives the values (the pairwise
  refinement of the current depth estimate). A last conv sees the input depth and validity at full
  resolution and predicts a correction to the classical fill and its confidence (preprocess.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from kd_grasp_ros.depth.constants import OUTPUT_CHANNELS, SIZE_MULTIPLE
from kd_grasp_ros.depth.layers import (
    CrossWindowBlock,
    conv_bn_relu,
    pad_to_multiple,
    upsample_to,
    zero_last_conv,
)


@dataclass
class TeacherConfig:
    """Sizes of the teacher."""

    widths: tuple[int, int, int, int] = (16, 32, 48, 64)
    window: int = 5
    heads: int = 2
    pcb_blocks: int = 2
    crf_blocks: int = 2
    head_width: int = 16

    def __post_init__(self):
        self.widths = tuple(int(w) for w in self.widths)
        if len(self.widths) != 4:
            raise ValueError(f"TeacherConfig.widths needs 4 entries (1/2..1/16), got {self.widths}")


def encoder(c_in: int, widths: tuple[int, ...]) -> nn.ModuleList:
    """Stages of conv3x3 stride 2 + conv3x3, one per width."""
    stages, prev = [], c_in
    for w in widths:
        stages.append(nn.Sequential(conv_bn_relu(prev, w, stride=2), conv_bn_relu(w, w)))
        prev = w
    return nn.ModuleList(stages)


class PositionCorrelationBlock(nn.Module):
    """Shifted-window attention with RGB queries/keys and depth values, then fusion with the RGB features."""

    def __init__(self, width: int, heads: int, window: int, blocks: int):
        super().__init__()
        self.blocks = nn.ModuleList(
            CrossWindowBlock(width, width, heads, window, shift=bool(i % 2)) for i in range(blocks)
        )
        self.fuse = conv_bn_relu(2 * width, width, kernel=1)

    def forward(self, rgb: torch.Tensor, depth: torch.Tensor) -> torch.Tensor:
        for block in self.blocks:
            depth = block(rgb, depth)
        return self.fuse(torch.cat([rgb, depth], dim=1))


class CRFRefinement(nn.Module):
    """NeWCRF-like refinement: window attention, queries/keys from skip features, values from the decoder."""

    def __init__(self, width: int, heads: int, window: int, blocks: int):
        super().__init__()
        self.blocks = nn.ModuleList(
            CrossWindowBlock(width, width, heads, window, shift=bool(i % 2)) for i in range(blocks)
        )

    def forward(self, skip: torch.Tensor, state: torch.Tensor) -> torch.Tensor:
        for block in self.blocks:
            state = block(skip, state)
        return state


class DepthTeacher(nn.Module):
    """Teacher network: (normalised RGB, log-ratio depth, validity) -> correction and confidence logits
    (Bx2xHxW, see preprocess.compose_depth)."""

    def __init__(self, cfg: TeacherConfig):
        super().__init__()
        self.cfg = cfg
        w = cfg.widths
        self.rgb_encoder = encoder(3, w)
        self.depth_encoder = encoder(2, w)
        self.fuse_fine = nn.ModuleList(conv_bn_relu(2 * c, c, kernel=1) for c in w[:2])
        self.pcb = nn.ModuleList(
            PositionCorrelationBlock(c, cfg.heads, cfg.window, cfg.pcb_blocks) for c in w[2:]
        )
        self.up_convs = nn.ModuleList(conv_bn_relu(w[i + 1] + w[i], w[i]) for i in range(3))
        self.crf = nn.ModuleList(CRFRefinement(c, cfg.heads, cfg.window, cfg.crf_blocks) for c in w[1:3])
        self.head = nn.Sequential(
            conv_bn_relu(w[0] + 2, cfg.head_width), nn.Conv2d(cfg.head_width, OUTPUT_CHANNELS, 3, padding=1)
        )
        zero_last_conv(self.head)

    def forward(self, rgb: torch.Tensor, log_ratio: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        depth_in = torch.cat([log_ratio, valid], dim=1)
        x_rgb, size = pad_to_multiple(rgb, SIZE_MULTIPLE)
        x_depth, _ = pad_to_multiple(depth_in, SIZE_MULTIPLE)
        fused = []
        for level, (enc_r, enc_d) in enumerate(zip(self.rgb_encoder, self.depth_encoder, strict=True)):
            x_rgb, x_depth = enc_r(x_rgb), enc_d(x_depth)
            if level < 2:
                fused.append(self.fuse_fine[level](torch.cat([x_rgb, x_depth], dim=1)))
            else:
                fused.append(self.pcb[level - 2](x_rgb, x_depth))
        x = fused[3]
        for level in (2, 1, 0):
            x = self.up_convs[level](torch.cat([upsample_to(x, fused[level]), fused[level]], dim=1))
            if level in (1, 2):
                x = self.crf[level - 1](fused[level], x)
        x = upsample_to(x, pad_to_multiple(depth_in, SIZE_MULTIPLE)[0])[..., : size[0], : size[1]]
        return self.head(torch.cat([x, depth_in], dim=1))
