"""Rectangle metric on constructed rectangles with known IoU and angle difference."""

from __future__ import annotations

import numpy as np
import pytest

from kd_grasp_ros.common.grasp_types import ImageGrasp
from kd_grasp_ros.grasp.metrics import grasp_success
from kd_grasp_ros.grasp.postprocess import grasp_rectangle
from kd_grasp_ros.grasp.rectangles import GraspRectangle, angle_difference, wrap_angle


def _grasp(row, col, angle_deg, width_px=40.0):
    return ImageGrasp(
        row=row, col=col, angle=np.deg2rad(angle_deg), width_px=width_px, quality=0.9, length_px=width_px / 2
    )


def test_predicted_rectangle_shape():
    rect = grasp_rectangle(_grasp(100, 100, 0))
    assert rect.length == pytest.approx(40) and rect.width == pytest.approx(20)
    np.testing.assert_allclose(rect.center, [100, 100])


def test_polygon_iou_known_values():
    a = GraspRectangle.from_grasp((0, 0), 0.0, 10.0, 10.0)
    assert a.iou(a) == pytest.approx(1.0)
    assert a.iou(GraspRectangle.from_grasp((0, 5), 0.0, 10.0, 10.0)) == pytest.approx(1 / 3)
    assert a.iou(GraspRectangle.from_grasp((0, 50), 0.0, 10.0, 10.0)) == 0.0


@pytest.mark.parametrize("shift, expected", [(22.0, True), (26.0, False)])
def test_iou_threshold(shift, expected):
    # 40 x 20 rectangles shifted along the jaw axis by d: IoU = (40 - d) / (40 + d) (0.29 vs 0.21).
    truth = GraspRectangle.from_grasp((100, 100), 0.0, 40.0, 20.0)
    assert grasp_success([_grasp(100, 100 + shift, 0)], [truth]) is expected


@pytest.mark.parametrize(
    "pred_deg, truth_deg, expected",
    [
        (29, 0, True),
        (31, 0, False),
        (-29, 0, True),
        (179, 0, True),
        (-89, 89, True),
        (90, -90, True),
        (60, -89, False),
        (0, 90, False),
    ],
)
def test_angle_threshold_and_wrap(pred_deg, truth_deg, expected):
    truth = GraspRectangle.from_grasp((100, 100), np.deg2rad(truth_deg), 40.0, 20.0)
    assert grasp_success([_grasp(100, 100, pred_deg, width_px=40.0)], [truth]) is expected


def test_any_truth_counts_and_no_grasp_fails():
    truths = [
        GraspRectangle.from_grasp((0, 0), 0.0, 40.0, 20.0),
        GraspRectangle.from_grasp((100, 100), 1.0, 40.0, 20.0),
    ]
    assert grasp_success([_grasp(100, 100, np.rad2deg(1.0))], truths)
    assert not grasp_success([], truths)
    assert not grasp_success([_grasp(300, 300, 0)], truths)


def test_angle_helpers():
    assert wrap_angle(-np.pi / 2) == pytest.approx(np.pi / 2)
    assert wrap_angle(np.pi) == pytest.approx(0.0, abs=1e-12)
    # a map of angles (float32, as decode_maps gives): each lands in (-pi/2, pi/2], a multiple of pi away
    angles = np.random.default_rng(0).uniform(-10.0, 10.0, (50, 50)).astype(np.float32)
    wrapped = wrap_angle(angles)
    assert wrapped.dtype == np.float32 and wrapped.shape == angles.shape
    assert np.all(wrapped > -np.pi / 2) and np.all(wrapped <= np.pi / 2 + 1e-6)
    turns = (angles.astype(np.float64) - wrapped) / np.pi
    assert np.allclose(turns, np.round(turns), atol=1e-5)
    assert angle_difference(np.deg2rad(179), np.deg2rad(1)) == pytest.approx(np.deg2rad(2))
