"""Grasps that do not fit the gripper's stroke (grasp_stage.fitted_grasp, grasp_detection_node's
turn_to_fit) on the constructed box scene of test_grasp_width: a table plane and a box 15 cm long seen
straight down from 0.5 m and 1.0 m. A grasp along the box is turned across it; one on the bare table,
or on an object too wide at every angle, is dropped instead of being published for the executor to
refuse."""

from __future__ import annotations

import numpy as np
import pytest
from test_grasp_width import BOX_LENGTH_M, box_scene

from kd_grasp_ros.common.grasp_types import ImageGrasp
from kd_grasp_ros.common.intrinsics import D435_640X480 as CAMERA
from kd_grasp_ros.grasp.grasp_pose import image_grasp_to_pose, turned
from kd_grasp_ros.pipeline.grasp_stage import GraspFilterConfig, fitted_grasp
from kd_grasp_ros.robot.gripper_params import GRIPPER_STROKE_M

CLEARANCE_M = 0.005
FITTING = GraspFilterConfig(
    jaw_clearance_m=CLEARANCE_M, centre_jaws=True, centre_across=True, turn_to_fit=True
)


def centre_grasp(angle: float, row_offset_px: float = 0.0) -> ImageGrasp:
    return ImageGrasp(
        row=CAMERA.cy + row_offset_px, col=CAMERA.cx, angle=angle, width_px=20.0, quality=0.8, length_px=10
    )


@pytest.mark.parametrize("angle", [0.0, 0.4, np.pi / 2, -np.pi / 2 + 0.01, 1.5])
@pytest.mark.parametrize("delta", [np.pi / 2, -np.pi / 3, np.pi / 6, np.pi])
def test_a_turned_grasp_keeps_its_centre_and_an_angle_in_range(angle, delta):
    grasp = centre_grasp(angle)
    turn = turned(grasp, delta)
    assert -np.pi / 2 < turn.angle <= np.pi / 2 + 1e-12
    # the same jaw axis as angle + delta, up to a half turn
    assert np.sin(turn.angle - angle - delta) == pytest.approx(0.0, abs=1e-9)
    assert (turn.row, turn.col, turn.quality, turn.width_px) == (
        grasp.row,
        grasp.col,
        grasp.quality,
        grasp.width_px,
    )


@pytest.mark.parametrize("distance_m", [0.5, 1.0])
def test_a_grasp_along_the_box_is_turned_across_it(distance_m):
    """Along the 15 cm box the jaws would need more than the stroke; turned a quarter turn they close
    across its 6 cm, open to the box plus the clearance, and the grasp sits on the box top."""
    width_m = 0.06
    depth = box_scene(distance_m, width_m)
    pixel_m = distance_m / CAMERA.fx
    along = centre_grasp(np.pi / 2, row_offset_px=0.02 / pixel_m)
    assert image_grasp_to_pose(along, depth, CAMERA, jaw_clearance_m=CLEARANCE_M).width_m > GRIPPER_STROKE_M
    grasp, pose, was_turned = fitted_grasp(along, image_grasp_to_pose, depth, CAMERA, 0.0, FITTING)
    assert was_turned
    assert np.cos(grasp.angle) == pytest.approx(1.0, abs=1e-9)  # across: the jaw axis is the image x axis
    assert pose.width_m == pytest.approx(width_m + 2 * CLEARANCE_M, abs=2 * pixel_m)
    assert pose.position[2] == pytest.approx(distance_m, abs=1e-3)
    assert (grasp.row, grasp.col) == pytest.approx((along.row, along.col), abs=1.0)


@pytest.mark.parametrize("distance_m", [0.5, 1.0])
def test_without_turning_a_grasp_along_the_box_is_dropped(distance_m):
    depth = box_scene(distance_m, 0.06)
    cfg = GraspFilterConfig(jaw_clearance_m=CLEARANCE_M, centre_jaws=True, turn_to_fit=False)
    assert fitted_grasp(centre_grasp(np.pi / 2), image_grasp_to_pose, depth, CAMERA, 0.0, cfg) is None


def test_a_grasp_that_fits_is_left_as_the_network_placed_it():
    depth = box_scene(0.7, 0.06)
    across = centre_grasp(0.0)
    grasp, pose, was_turned = fitted_grasp(across, image_grasp_to_pose, depth, CAMERA, 0.0, FITTING)
    assert (grasp.angle, was_turned) == (across.angle, False)
    assert (grasp.row, grasp.col) == pytest.approx((across.row, across.col), abs=1.0)  # centring: to a pixel
    assert pose.width_m < GRIPPER_STROKE_M


@pytest.mark.parametrize("angle", [0.0, 0.7, np.pi / 2])
def test_a_grasp_on_the_bare_table_is_dropped(angle):
    """No object edge within the stroke at any angle: nothing between the jaws."""
    flat = np.full((CAMERA.height, CAMERA.width), 0.7, np.float32)
    assert fitted_grasp(centre_grasp(angle), image_grasp_to_pose, flat, CAMERA, 0.0, FITTING) is None


def test_an_object_no_wider_than_the_stroke_is_kept_for_the_executor():
    """A square box 8.2 cm wide: its opening (box + clearances) passes the stroke at every angle, the box
    itself does not, so the grasp stays at the network's angle and the executor decides (its
    width_clamp_margin_m)."""
    distance_m, side_m = 0.7, 0.082
    pixel_m = distance_m / CAMERA.fx
    v, u = np.mgrid[0 : CAMERA.height, 0 : CAMERA.width].astype(np.float64)
    square = (np.abs(u - CAMERA.cx) * pixel_m <= side_m / 2) & (np.abs(v - CAMERA.cy) * pixel_m <= side_m / 2)
    depth = np.where(square, distance_m, distance_m + 0.05).astype(np.float32)
    across = centre_grasp(0.0)
    grasp, pose, was_turned = fitted_grasp(across, image_grasp_to_pose, depth, CAMERA, 0.0, FITTING)
    assert (grasp.angle, was_turned) == (across.angle, False)
    assert GRIPPER_STROKE_M < pose.width_m <= GRIPPER_STROKE_M + 2 * CLEARANCE_M
    assert BOX_LENGTH_M > GRIPPER_STROKE_M  # the box of the other tests is too long to grasp along


@pytest.mark.parametrize("distance_m", [0.5, 1.0])
def test_a_grasp_off_a_short_box_is_centred_across_its_jaws(distance_m):
    """A 6 x 6 cm box (the length of the scene set to 6 cm) and a grasp 1.5 cm off its centre across the
    jaws: centring across moves it onto the box's centre line, so both pads close on the middle of its
    faces; along the 15 cm box (longer than the stroke) it stays where it is."""
    pixel_m = distance_m / CAMERA.fx
    v, u = np.mgrid[0 : CAMERA.height, 0 : CAMERA.width].astype(np.float64)
    square = (np.abs(u - CAMERA.cx) * pixel_m <= 0.03) & (np.abs(v - CAMERA.cy) * pixel_m <= 0.03)
    depth = np.where(square, distance_m, distance_m + 0.05).astype(np.float32)
    off = centre_grasp(0.0, row_offset_px=0.015 / pixel_m)  # jaws along image x, 1.5 cm down the image
    grasp, pose, _ = fitted_grasp(off, image_grasp_to_pose, depth, CAMERA, 0.0, FITTING)
    assert (grasp.row, grasp.col) == pytest.approx((CAMERA.cy, CAMERA.cx), abs=1.0)
    assert pose.width_m == pytest.approx(0.06 + 2 * CLEARANCE_M, abs=2 * pixel_m)
    uncentred = GraspFilterConfig(jaw_clearance_m=CLEARANCE_M, centre_jaws=True, centre_across=False)
    grasp, _, _ = fitted_grasp(off, image_grasp_to_pose, depth, CAMERA, 0.0, uncentred)
    assert grasp.row == pytest.approx(off.row, abs=1e-9)
    long_box = box_scene(distance_m, 0.06)
    grasp, _, _ = fitted_grasp(off, image_grasp_to_pose, long_box, CAMERA, 0.0, FITTING)
    assert grasp.row == pytest.approx(off.row, abs=1e-9)
