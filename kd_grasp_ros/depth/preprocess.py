"""Shared input/output transform of both networks: scale-free log-depth relative to the scene median.

Input depth d (metres, 0 = missing) becomes log(d / m) on valid pixels and 0 elsewhere, with m the
median of the valid raw depth of that image, plus a validity channel. The network predicts a
log-ratio r for every pixel and the completed depth is m * exp(r), clipped to DEPTH_RANGE_M. Working
relative to m makes the networks independent of the absolute scene distance (a camera 0.5 m or 1.5 m
above the table looks the same to them), which helps the synthetic-to-real transfer.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from kd_grasp_ros.depth.constants import DEPTH_RANGE_M, RGB_MEAN, RGB_STD


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


def predict_depth(
    model: nn.Module | Callable[..., torch.Tensor],
    rgb_uint8: torch.Tensor,
    depth: torch.Tensor,
    depth_range: tuple[float, float] = DEPTH_RANGE_M,
) -> torch.Tensor:
    """Completed depth (Bx1xHxW metres) from Bx3xHxW colour and Bx1xHxW raw depth in metres; `model` is
    the network or anything called like it (an InferenceNetwork)."""
    log_ratio, valid, median = normalise_depth(depth, depth_range)
    out = model(normalise_rgb(rgb_uint8), log_ratio, valid)
    return (median * torch.exp(out)).clamp(*depth_range)
