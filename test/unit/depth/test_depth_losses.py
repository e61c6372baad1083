"""The depth loss: every term is zero for identical inputs, positive otherwise, and masks invalid depth."""

from __future__ import annotations

import pytest
import torch

from kd_grasp_ros.depth.loss import (
    DepthLoss,
    DepthLossConfig,
    edge_loss,
    gt_loss,
    scale_invariant_loss,
    ssim_loss,
)

TERMS = [gt_loss, scale_invariant_loss, ssim_loss, edge_loss]


def _depth(seed: int = 0) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    return 0.5 + torch.rand(2, 1, 24, 32, generator=gen)


@pytest.mark.parametrize("term", TERMS, ids=lambda f: f.__name__)
def test_zero_for_identical_inputs(term):
    d = _depth()
    assert float(term(d, d.clone())) == pytest.approx(0.0, abs=1e-7)


@pytest.mark.parametrize("term", TERMS, ids=lambda f: f.__name__)
def test_positive_for_different_inputs(term):
    a, b = _depth(0), _depth(1)
    assert float(term(a, b)) > 1e-4


@pytest.mark.parametrize("term", TERMS, ids=lambda f: f.__name__)
def test_invalid_pixels_never_count(term):
    a = _depth(0)
    b = a.clone()
    b[:, :, :8] = 0.0  # target invalid there
    a_changed = a.clone()
    a_changed[:, :, :6] = (
        2.5  # prediction differs only where the target is invalid (and 3x3 windows at the edge)
    )
    assert float(term(a_changed, b)) == pytest.approx(0.0, abs=1e-7)
    nan = a.clone()
    nan[:, :, :8] = float("nan")
    assert torch.isfinite(term(a, nan))


def test_scale_invariant_term_penalises_only_slightly_a_pure_scale():
    d = _depth()
    si = float(scale_invariant_loss(d * 1.2, d, lam=0.85))
    assert si == pytest.approx(0.15 * torch.log(torch.tensor(1.2)).item() ** 2, rel=1e-4)


def test_combined_loss_uses_configured_weights():
    a, b, t = _depth(0), _depth(1), _depth(2)
    mask = torch.zeros_like(a, dtype=torch.bool)
    only_gt = DepthLoss(DepthLossConfig())(a, b, mask)
    assert set(only_gt["losses"]) == {"gt"}
    cfg = DepthLossConfig(gt_weight=0.0, si_weight=2.0, ssim_weight=0.0, edge_weight=0.0)
    result = DepthLoss(cfg)(a, b, mask, teacher=t)
    assert set(result["losses"]) == {"gt", "si", "ssim", "edge"}
    assert float(result["loss"]) == pytest.approx(2.0 * float(result["losses"]["si"]), rel=1e-5)


def test_mask_weight_emphasises_transparent_pixels():
    gt = torch.ones(1, 1, 8, 8)
    pred = gt.clone()
    pred[..., :2, :] = 1.5
    mask = torch.zeros_like(gt, dtype=torch.bool)
    mask[..., :2, :] = True
    assert float(gt_loss(pred, gt, mask, mask_weight=5.0)) > float(gt_loss(pred, gt, mask, mask_weight=1.0))
