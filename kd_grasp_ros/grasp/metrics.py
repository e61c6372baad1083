"""The rectangle metric: top-1 grasp correct if IoU > 0.25 and angle difference < 30° (mod π) with any
ground-truth rectangle."""

from __future__ import annotations

from kd_grasp_ros.common.grasp_types import ImageGrasp
from kd_grasp_ros.grasp.constants import METRIC_ANGLE_THRESHOLD, METRIC_IOU_THRESHOLD
from kd_grasp_ros.grasp.postprocess import grasp_rectangle
from kd_grasp_ros.grasp.rectangles import GraspRectangle, angle_difference


def rectangle_match(pred: GraspRectangle, truth: GraspRectangle) -> bool:
    """One predicted rectangle against one true rectangle."""
    return (
        angle_difference(pred.angle, truth.angle) < METRIC_ANGLE_THRESHOLD
        and pred.iou(truth) > METRIC_IOU_THRESHOLD
    )


def grasp_success(grasps: list[ImageGrasp], truths: list[GraspRectangle]) -> bool:
    """True if the first (best) grasp matches any true rectangle; no grasp counts as a failure."""
    if not grasps or not truths:
        return False
    pred = grasp_rectangle(grasps[0])
    return any(rectangle_match(pred, t) for t in truths)
