"""Exact inference-time rewrite of strided transposed convolutions: s² convolutions + pixel shuffle.

A ConvTranspose2d with stride s, kernel k, padding p and output padding op computes
y[o] = b + sum_{i, t: o + p = i*s + t} x[i] W[t]. Writing o + p = m*s + r (phase r), the taps used are
t = j*s + r with j = m - i, so phase r is an ordinary (full, flipped-kernel) convolution of x with the
kernel W[r::s] (zero-padded to K = ceil(k/s) taps). All s² phases of a 2-D layer become the output
channels of one Conv2d (padding K - 1); pixel_shuffle interleaves them into the uncropped output
z[m*s + r], and y = z[p : p + out_size]. PyTorch runs this on its fast convolution path, where
ConvTranspose2d on CPU is several times slower for the same arithmetic.
"""
from __future__ import annotations

import copy
import math

import torch
from torch import nn
from torch.nn import functional as F

from kd_grasp_ros.grasp.models import GGCNN


class PixelShuffleConvTranspose2d(nn.Module):
    """Drop-in, numerically equal replacement of a 2-D ConvTranspose2d (groups=1, dilation=1)."""

    def __init__(self, convt: nn.ConvTranspose2d):
        super().__init__()
        if convt.groups != 1 or convt.dilation != (1, 1) or convt.stride[0] != convt.stride[1] \
                or convt.kernel_size[0] != convt.kernel_size[1]:
            raise ValueError(f"only square, ungrouped, undilated ConvTranspose2d are supported: {convt}")
        s, k = convt.stride[0], convt.kernel_size[0]
        taps = math.ceil(k / s)
        c_in, c_out = convt.in_channels, convt.out_channels
        weight = convt.weight.detach()                      # (c_in, c_out, k, k)
        padded = weight.new_zeros(c_in, c_out, taps * s, taps * s)
        padded[:, :, :k, :k] = weight
        # padded[ci, co, j*s + r] -> phase[ci, co, r_h, r_w, j_h, j_w]
        phase = padded.reshape(c_in, c_out, taps, s, taps, s).permute(0, 1, 3, 5, 2, 4)
        phase = phase.flip(-1, -2)                          # correlation = convolution with flipped taps
        conv_w = phase.permute(1, 2, 3, 0, 4, 5).reshape(c_out * s * s, c_in, taps, taps)
        bias = convt.bias.detach() if convt.bias is not None else weight.new_zeros(c_out)
        self.weight = nn.Parameter(conv_w.contiguous(), requires_grad=False)
        self.bias = nn.Parameter(bias.repeat_interleave(s * s).contiguous(), requires_grad=False)
        self.stride, self.taps = s, taps
        self.kernel = k
        self.padding = convt.padding
        self.output_padding = convt.output_padding

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s, k = self.stride, self.kernel
        h_in, w_in = x.shape[-2:]
        h_out = (h_in - 1) * s - 2 * self.padding[0] + k + self.output_padding[0]
        w_out = (w_in - 1) * s - 2 * self.padding[1] + k + self.output_padding[1]
        # Extra trailing rows/cols so output padding beyond the full output stays covered (bias only there).
        extra_h = max(0, math.ceil((self.padding[0] + h_out) / s) - (h_in + self.taps - 1))
        extra_w = max(0, math.ceil((self.padding[1] + w_out) / s) - (w_in + self.taps - 1))
        if extra_h or extra_w:
            x = F.pad(x, (0, extra_w, 0, extra_h))
        z = F.pixel_shuffle(F.conv2d(x, self.weight, self.bias, padding=self.taps - 1), s)
        return z[..., self.padding[0]:self.padding[0] + h_out, self.padding[1]:self.padding[1] + w_out]


def fuse_heads(heads: tuple[nn.Conv2d, ...]) -> nn.Conv2d:
    """One Conv2d computing several same-shaped single-output heads at once (their outputs stacked)."""
    first = heads[0]
    fused = nn.Conv2d(first.in_channels, sum(h.out_channels for h in heads), first.kernel_size,
                      stride=first.stride, padding=first.padding)
    with torch.no_grad():
        fused.weight.copy_(torch.cat([h.weight for h in heads]))
        fused.bias.copy_(torch.cat([h.bias for h in heads]))
    return fused


def to_fast(model: nn.Module) -> nn.Module:
    """A copy of model (eval mode) with every ConvTranspose2d replaced by its pixel-shuffle form and, for
    a GG-CNN, its four 1-channel heads fused into one 4-channel convolution (same outputs)."""
    fast = copy.deepcopy(model).eval()
    for child in list(fast.modules()):
        for attr, sub in list(child.named_children()):
            if isinstance(sub, nn.ConvTranspose2d):
                setattr(child, attr, PixelShuffleConvTranspose2d(sub))
    if isinstance(fast, GGCNN):
        fast.fused_heads = fuse_heads(fast.heads())
    for p in fast.parameters():
        p.requires_grad_(False)
    return fast
