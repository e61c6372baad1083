"""ClearGrasp metrics on constructed arrays, and the two baselines."""

from __future__ import annotations

import numpy as np
import pytest

from kd_grasp_ros.depth.baselines import inpaint_baseline, raw_depth_baseline
from kd_grasp_ros.depth.metrics import MetricAccumulator, image_metrics, official_metrics


def test_metrics_on_constructed_arrays():
    gt = np.full((4, 4), 2.0, np.float32)
    pred = gt.copy()
    pred[0, :] = 2.08  # +4 % on 4 pixels
    pred[1, :] = 2.4  # +20 % on 4 pixels
    mask = np.zeros((4, 4), bool)
    mask[:2] = True  # score only the 8 changed pixels
    m = image_metrics(pred, gt, mask)
    assert m["mae"] == pytest.approx((4 * 0.08 + 4 * 0.4) / 8)
    assert m["rmse"] == pytest.approx(np.sqrt((4 * 0.0064 + 4 * 0.16) / 8))
    assert m["rel"] == pytest.approx((0.04 + 0.2) / 2)
    assert m["delta_1.05"] == pytest.approx(50.0)
    assert m["delta_1.10"] == pytest.approx(50.0)
    assert m["delta_1.25"] == pytest.approx(100.0)
    assert m["coverage"] == pytest.approx(100.0)


def test_missing_prediction_scores_as_zero_and_lowers_coverage():
    gt = np.ones((2, 2), np.float32)
    pred = np.array([[1.0, 0.0], [np.nan, 1.0]], np.float32)
    m = image_metrics(pred, gt, np.ones((2, 2), bool))
    assert m["mae"] == pytest.approx(0.5)
    assert m["coverage"] == pytest.approx(50.0)
    assert m["delta_1.25"] == pytest.approx(50.0)


def test_invalid_truth_and_pixels_outside_the_mask_are_ignored():
    gt = np.array([[1.0, 0.0], [1.0, 1.0]], np.float32)
    pred = np.array([[1.0, 5.0], [9.0, 1.0]], np.float32)
    mask = np.array([[True, True], [False, True]])
    assert image_metrics(pred, gt, mask)["rmse"] == pytest.approx(0.0)
    assert image_metrics(pred, gt, np.zeros((2, 2), bool)) is None


def test_official_resolution_and_per_image_average():
    gt = np.full((720, 1280), 1.0, np.float32)
    mask = np.zeros_like(gt, bool)
    mask[100:300, 100:400] = True
    assert official_metrics(gt * 1.1, gt, mask)["rel"] == pytest.approx(0.1, rel=1e-5)
    acc = MetricAccumulator()
    acc.add("m", gt * 1.1, gt, mask)
    acc.add("m", gt * 1.3, gt, mask)
    summary = acc.summary()["m"]
    assert summary["official"]["n"] == 2 and summary["full"]["n"] == 2
    assert summary["full"]["rel"] == pytest.approx(0.2, rel=1e-5)


def test_shape_mismatch_raises():
    with pytest.raises(ValueError, match="one shape"):
        image_metrics(np.ones((2, 2)), np.ones((2, 3)), np.ones((2, 2), bool))


def test_baselines():
    raw = np.full((40, 60), 1.0, np.float32)
    raw[10:20, 10:20] = 0.0
    raw[0, 0] = np.nan
    raw[0, 1] = 7.0  # beyond the depth range: missing
    filled = inpaint_baseline(raw)
    assert filled.dtype == np.float32 and filled.shape == raw.shape
    assert (filled > 0).all() and np.allclose(filled[10:20, 10:20], 1.0, atol=1e-3)
    r = raw_depth_baseline(raw)
    assert r[0, 0] == 0.0 and r[0, 1] == 0.0 and r[15, 15] == 0.0 and r[30, 30] == 1.0
