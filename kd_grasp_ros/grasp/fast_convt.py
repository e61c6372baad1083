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


def shuffle_weight(weight: torch.Tensor, stride: int) -> tuple[torch.Tensor, int]:
    """(conv weight (c_out*s*s, c_in, K, K), K taps) of a ConvTranspose2d weight (c_in, c_out, k, k).

    Built with differentiable tensor ops only, so training can run the fast form and still update the
    ConvTranspose2d's own parameter (checkpoints keep the reference layout)."""
    s, k = stride, weight.shape[-1]
    taps = math.ceil(k / s)
    c_in, c_out = weight.shape[:2]
    padded = F.pad(weight, (0, taps * s - k, 0, taps * s - k))
    # padded[ci, co, j*s + r] -> phase[ci, co, r_h, r_w, j_h, j_w]
    phase = padded.reshape(c_in, c_out, taps, s, taps, s).permute(0, 1, 3, 5, 2, 4)
    phase = phase.flip(-1, -2)  # correlation = convolution with flipped taps
    return phase.permute(1, 2, 3, 0, 4, 5).reshape(c_out * s * s, c_in, taps, taps), taps


def shuffle_conv_transpose2d(
    x: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None,
    stride: int,
    kernel: int,
    padding: tuple[int, int],
    output_padding: tuple[int, int],
    taps: int,
) -> torch.Tensor:
    """conv_transpose2d(x, W) computed as conv2d(x, shuffle_weight(W)) + pixel shuffle + crop.
    weight and bias are already in the shuffled layout (see shuffle_weight; bias repeated s*s times)."""
    s, k = stride, kernel
    h_in, w_in = x.shape[-2:]
    h_out = (h_in - 1) * s - 2 * padding[0] + k + output_padding[0]
    w_out = (w_in - 1) * s - 2 * padding[1] + k + output_padding[1]
    # Extra trailing rows/cols so output padding beyond the full output stays covered (bias only there).
    extra_h = max(0, math.ceil((padding[0] + h_out) / s) - (h_in + taps - 1))
    extra_w = max(0, math.ceil((padding[1] + w_out) / s) - (w_in + taps - 1))
    if extra_h or extra_w:
        x = F.pad(x, (0, extra_w, 0, extra_h))
    z = F.pixel_shuffle(F.conv2d(x, weight, bias, padding=taps - 1), s)
    return z[..., padding[0] : padding[0] + h_out, padding[1] : padding[1] + w_out]


def check_supported(convt: nn.ConvTranspose2d) -> None:
    if (
        convt.groups != 1
        or convt.dilation != (1, 1)
        or convt.stride[0] != convt.stride[1]
        or convt.kernel_size[0] != convt.kernel_size[1]
    ):
        raise ValueError(f"only square, ungrouped, undilated ConvTranspose2d are supported: {convt}")


def convt_forward(convt: nn.ConvTranspose2d, x: torch.Tensor) -> torch.Tensor:
    """convt(x) through the pixel-shuffle form, differentiable w.r.t. convt's weight and bias (training)."""
    s = convt.stride[0]
    weight, taps = shuffle_weight(convt.weight, s)
    bias = convt.bias.repeat_interleave(s * s) if convt.bias is not None else None
    return shuffle_conv_transpose2d(
        x, weight, bias, s, convt.kernel_size[0], convt.padding, convt.output_padding, taps
    )


class PixelShuffleConvTranspose2d(nn.Module):
    """Drop-in, numerically equal replacement of a 2-D ConvTranspose2d (groups=1, dilation=1), frozen."""

    def __init__(self, convt: nn.ConvTranspose2d):
        super().__init__()
        check_supported(convt)
        s = convt.stride[0]
        conv_w, taps = shuffle_weight(convt.weight.detach(), s)
        bias = convt.bias.detach() if convt.bias is not None else convt.weight.new_zeros(convt.out_channels)
        self.weight = nn.Parameter(conv_w.contiguous(), requires_grad=False)
        self.bias = nn.Parameter(bias.repeat_interleave(s * s).contiguous(), requires_grad=False)
        self.stride, self.taps = s, taps
        self.kernel = convt.kernel_size[0]
        self.padding = convt.padding
        self.output_padding = convt.output_padding

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return shuffle_conv_transpose2d(
            x, self.weight, self.bias, self.stride, self.kernel, self.padding, self.output_padding, self.taps
        )


def fused_heads_forward(heads: tuple[nn.Conv2d, ...], x: torch.Tensor) -> torch.Tensor:
    """The stacked outputs of same-shaped single-output heads as one convolution (differentiable)."""
    first = heads[0]
    return F.conv2d(
        x,
        torch.cat([h.weight for h in heads]),
        torch.cat([h.bias for h in heads]),
        stride=first.stride,
        padding=first.padding,
    )


def fuse_heads(heads: tuple[nn.Conv2d, ...]) -> nn.Conv2d:
    """One Conv2d computing several same-shaped single-output heads at once (their outputs stacked)."""
    first = heads[0]
    fused = nn.Conv2d(
        first.in_channels,
        sum(h.out_channels for h in heads),
        first.kernel_size,
        stride=first.stride,
        padding=first.padding,
    )
    with torch.no_grad():
        fused.weight.copy_(torch.cat([h.weight for h in heads]))
        fused.bias.copy_(torch.cat([h.bias for h in heads]))
    return fused


def to_fast(model: nn.Module) -> nn.Module:
    """A copy of model (eval mode) with every ConvTranspose2d replaced by its pixel-shuffle form and, for
    a GG-CNN or GG-CNN2, its four 1-channel heads fused into one 4-channel convolution (same outputs)."""
    fast = copy.deepcopy(model).eval()
    for child in list(fast.modules()):
        for attr, sub in list(child.named_children()):
            if isinstance(sub, nn.ConvTranspose2d):
                setattr(child, attr, PixelShuffleConvTranspose2d(sub))
    if hasattr(fast, "heads") and hasattr(fast, "fused_heads"):
        fast.fused_heads = fuse_heads(fast.heads())
    for p in fast.parameters():
        p.requires_grad_(False)
    return fast
