"""Shared input/output transform of both networks: scale-free log-depth in, a bounded correction out.

Input: depth d (metres, 0 = missing) becomes log(d / m) on valid pixels and 0 elsewhere, with m the
median of the valid raw depth of that image, plus a validity channel. Working relative to m makes the
networks independent of the absolute scene distance (a camera 0.5 m or 1.5 m above the table looks
the same to them), which helps the synthetic-to-real transfer.

Output (compose_depth): the network never predicts depth from scratch. Its two channels are a
log-depth correction c = MAX_CORRECTION_LOG * tanh(o0) to the classical fill F (fallback.py: valid
raw depth kept, holes inpainted) and a confidence k = sigmoid(o1) * exp(-(std(c) /
CONSISTENCY_STD_LOG)^2), std over each pixel's CONSISTENCY_WINDOW^2 neighbours. The completed depth
is F * exp(k * c), clipped to DEPTH_RANGE_M. Where the network is unsure (k -> 0), or its correction
is not locally consistent (pixel noise), the output is the classical fill itself; and no output is
further than a factor exp(MAX_CORRECTION_LOG) from it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from kd_grasp_ros.depth.constants import (
    CONSISTENCY_STD_LOG,
    CONSISTENCY_WINDOW,
    DEPTH_RANGE_M,
    MAX_CORRECTION_LOG,
    RGB_MEAN,
    RGB_STD,
)
from kd_grasp_ros.depth.fallback import classical_fill


def valid_depth(depth: torch.Tensor, depth_range: tuple[float, float] = DEPTH_RANGE_M) -> torch.Tensor:
    """Boolean mask of finite depth inside depth_range (0 and NaN are missing)."""
    return torch.isfinite(depth) & (depth >= depth_range[0]) & (depth <= depth_range[1])


def normalise_rgb(rgb_uint8: torch.Tensor) -> torch.Tensor:
    """Bx3xHxW uint8 (or float 0..255) colour -> normalised float."""
    return (rgb_uint8.float() / 255.0 - RGB_MEAN) / RGB_STD


def normalise_depth(
    depth: torch.Tensor, depth_range: tuple[float, float] = DEPTH_RANGE_M
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Bx1xHxW metres -> (log-ratio input, validity 0/1, per-image median Bx1x1x1).

    An image with no valid pixel gets median 1 m and an all-zero input (callers that must refuse such
    input check before, see DepthCompleter).
    """
    valid = valid_depth(depth, depth_range)
    flat = torch.where(valid, depth, torch.full_like(depth, float("nan"))).flatten(1)
    median = torch.nanmedian(flat, dim=1).values
    median = torch.where(torch.isfinite(median), median, torch.ones_like(median)).view(-1, 1, 1, 1)
    log_ratio = torch.where(
        valid, torch.log(torch.where(valid, depth, median) / median), torch.zeros_like(depth)
    )
    return log_ratio, valid.float(), median


def local_variance(x: torch.Tensor) -> torch.Tensor:
    """Variance of Bx1xHxW x over each pixel's CONSISTENCY_WINDOW^2 neighbourhood (edges replicated); no
    square root, whose gradient is infinite where the variance is 0."""
    r = CONSISTENCY_WINDOW // 2
    padded = F.pad(x, (r, r, r, r), mode="replicate")
    mean = F.avg_pool2d(padded, CONSISTENCY_WINDOW, 1)
    return (F.avg_pool2d(padded * padded, CONSISTENCY_WINDOW, 1) - mean * mean).clamp_min(0.0)


def applied_correction(output: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(k * c, k) from a network's Bx2xHxW output: the log-depth correction applied to the fill and the
    confidence k in [0, 1] (see the module docstring)."""
    correction = MAX_CORRECTION_LOG * torch.tanh(output[:, :1])
    consistency = torch.exp(-local_variance(correction) / CONSISTENCY_STD_LOG**2)
    confidence = torch.sigmoid(output[:, 1:2]) * consistency
    return confidence * correction, confidence


class AppliedCorrection(nn.Module):
    """A depth network followed by applied_correction: (rgb, log_ratio, valid) -> Bx2xHxW (k * c, k).
    The completer runs this whole module on its backend (one ONNX graph), so the gate costs no extra
    Python-level tensor operations per frame."""

    def __init__(self, network: nn.Module):
        super().__init__()
        self.network = network

    def forward(self, rgb: torch.Tensor, log_ratio: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        return torch.cat(applied_correction(self.network(rgb, log_ratio, valid)), dim=1)


def compose_depth(
    output: torch.Tensor, fill: torch.Tensor, depth_range: tuple[float, float] = DEPTH_RANGE_M
) -> tuple[torch.Tensor, torch.Tensor]:
    """(completed depth, confidence), Bx1xHxW each, from the network output and the classical fill."""
    correction, confidence = applied_correction(output)
    return (fill * torch.exp(correction)).clamp(*depth_range), confidence


def classical_fill_tensor(
    depth: torch.Tensor, depth_range: tuple[float, float] = DEPTH_RANGE_M
) -> torch.Tensor:
    """fallback.classical_fill of each image of a Bx1xHxW depth tensor (invalid pixels count as holes)."""
    valid = valid_depth(depth, depth_range)
    raw = torch.where(valid, depth, torch.zeros_like(depth)).cpu().numpy()
    fills = np.stack([classical_fill(image[0])[None] for image in raw])
    return torch.from_numpy(fills).to(depth.device)


def predict_depth(
    model: nn.Module | Callable[..., torch.Tensor],
    rgb_uint8: torch.Tensor,
    depth: torch.Tensor,
    fill: torch.Tensor | None = None,
    depth_range: tuple[float, float] = DEPTH_RANGE_M,
) -> tuple[torch.Tensor, torch.Tensor]:
    """(completed depth in metres, confidence), Bx1xHxW each, from Bx3xHxW colour and Bx1xHxW raw depth;
    `model` is the network or anything called like it (an InferenceNetwork); `fill` is the classical
    fill of `depth` (computed here when not given)."""
    log_ratio, valid, _ = normalise_depth(depth, depth_range)
    if fill is None:
        fill = classical_fill_tensor(depth, depth_range)
    return compose_depth(model(normalise_rgb(rgb_uint8), log_ratio, valid), fill, depth_range)
