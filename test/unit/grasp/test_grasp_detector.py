"""GraspDetector on synthetic depth images (a box of known size and yaw on a table plane; the released
weights and the shipped students) and on bad input."""

from __future__ import annotations

import numpy as np
import pytest

from kd_grasp_ros.common.intrinsics import D435_640X480
from kd_grasp_ros.grasp.constants import DEPLOYED_CROP_SIZE
from kd_grasp_ros.grasp.detector import GraspDetector
from kd_grasp_ros.grasp.errors import GraspInputError, GraspModelError
from kd_grasp_ros.pipeline.synthetic_scene import BoxScene, render_box_scene

RELEASED = "weights/ggcnn-cornell-official/ggcnn_epoch_23_cornell_statedict.pt"
BOX = (225, 255, 280, 380)  # rows 225..255, cols 280..380: 30 x 100 px, 4 cm above the table


def _scene() -> np.ndarray:
    depth = np.full((480, 640), 0.70, np.float32)
    r0, r1, c0, c1 = BOX
    depth[r0:r1, c0:c1] = 0.66
    depth[:20, :] = 0.0  # missing rows, as a RealSense gives at the border
    depth[300:304, 100:110] = np.nan
    return depth


@pytest.mark.timeout(120)
def test_box_on_plane_with_released_weights(shared_dir):
    detector = GraspDetector(shared_dir / RELEASED, threads=1)
    det = detector.detect(_scene(), max_grasps=3)
    assert det.grasps, "no grasp found on a box"
    best = det.grasps[0]
    r0, r1, c0, c1 = BOX
    assert r0 - 5 <= best.row <= r1 + 5 and c0 - 5 <= best.col <= c1 + 5
    assert abs(best.angle) > np.deg2rad(60), "jaws should close across the 30 px side (vertical axis)"
    assert [g.quality for g in det.grasps] == sorted((g.quality for g in det.grasps), reverse=True)
    assert det.quality[int(best.row), int(best.col)] == pytest.approx(best.quality, abs=0.05)

    big = GraspDetector(shared_dir / RELEASED, crop_size=400).detect(_scene(), crop_center=(240, 330))
    assert big.crop_box == (40, 130, 400)
    g = big.grasps[0]
    assert r0 - 10 <= g.row <= r1 + 10 and c0 - 10 <= g.col <= c1 + 10


STUDENTS = ["grasp_student_v1.pt", "grasp_student_v2.pt"]
ANGLE_FAILS = (
    "the shipped student's jaw angle is off by more than 15 degrees on this box (measured: v1 -19 deg "
    "at yaw 45, where its teacher is within 15: test_the_teacher_on_the_same_box; issue #11); reported"
)
# (yaw of the box in degrees, student) and whether its best grasp's angle is within 15 degrees today.
YAW_CASES = [
    (0.0, "grasp_student_v1.pt", True),
    (0.0, "grasp_student_v2.pt", True),
    (45.0, "grasp_student_v1.pt", False),
    (45.0, "grasp_student_v2.pt", True),
    (90.0, "grasp_student_v1.pt", True),
    (90.0, "grasp_student_v2.pt", True),
]


def _box_grasp_errors(name: str, yaw_deg: float):
    """Best grasp of a shipped model on a 5 x 12 x 6 cm box on a table 0.70 m below a D435 (the
    distance of the simulated cell the students were trained on), deployed 384 px crop. Returns the
    grasp, its offset across / along the box (px), its angle error (deg) and the box's width (px)."""
    scene = BoxScene(box_size_m=(0.05, 0.12, 0.06), box_yaw_rad=np.deg2rad(yaw_deg))
    frame = render_box_scene(D435_640X480, scene)
    det = GraspDetector(name, crop_size=DEPLOYED_CROP_SIZE, threads=1).detect(frame.depth_m, max_grasps=3)
    assert det.grasps, f"{name}: no grasp above the default quality threshold on a box"
    best = det.grasps[0]
    u, v = D435_640X480.project(scene.top_centre)
    across = np.array([np.cos(scene.box_yaw_rad), np.sin(scene.box_yaw_rad)])  # box x in (col, row)
    offset = np.array([best.col - u, best.row - v])
    # the jaws should close along box x (the 5 cm side): image angle -yaw, modulo pi
    angle_err = (np.degrees(best.angle) + yaw_deg + 90.0) % 180.0 - 90.0
    box_width_px = D435_640X480.fx * scene.box_size_m[0] / scene.top_centre[2]
    return det, frame, best, float(offset @ across), angle_err, box_width_px


@pytest.mark.timeout(120)
@pytest.mark.parametrize("name", STUDENTS)
def test_shipped_student_grasps_a_box_across_its_short_side(name):
    det, frame, best, across_px, angle_err, box_width_px = _box_grasp_errors(name, 0.0)
    assert frame.box_mask[int(round(best.row)), int(round(best.col))], "grasp centre is not on the box"
    assert abs(across_px) < box_width_px / 4, "grasp centre is not between the box's long faces"
    # the jaw angle on this box is test_shipped_student_follows_the_box_yaw's (yaw 0)
    # the network's own width: as wide as its teacher's (test_the_teacher_on_the_same_box: Cornell-scale
    # openings); grasp_detection_node publishes the opening measured in the depth (test_grasp_width.py)
    assert box_width_px <= best.width_px <= 2.5 * box_width_px, "jaw opening does not fit the box"
    assert best.quality >= 0.4
    # full-image maps: zero outside the crop, the grasp's quality read back from the map
    top, left, size = det.crop_box
    assert (top, left, size) == (
        240 - DEPLOYED_CROP_SIZE // 2,
        320 - DEPLOYED_CROP_SIZE // 2,
        DEPLOYED_CROP_SIZE,
    )
    assert det.quality.shape == (480, 640) and det.quality[:top].max() == 0
    assert det.quality[int(best.row), int(best.col)] == pytest.approx(best.quality, abs=0.05)
    assert [g.quality for g in det.grasps] == sorted((g.quality for g in det.grasps), reverse=True)


@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    ("yaw_deg", "name"),
    [
        pytest.param(yaw, name, marks=() if ok else pytest.mark.xfail(strict=True, reason=ANGLE_FAILS))
        for yaw, name, ok in YAW_CASES
    ],
)
def test_shipped_student_follows_the_box_yaw(name, yaw_deg):
    det, frame, best, across_px, angle_err, box_width_px = _box_grasp_errors(name, yaw_deg)
    assert frame.box_mask[int(round(best.row)), int(round(best.col))]
    assert abs(angle_err) < 15.0


@pytest.mark.timeout(120)
def test_the_teacher_on_the_same_box(shared_dir):
    """The released GG-CNN the students are distilled from: its jaw angle follows the box at every yaw of
    YAW_CASES, and its width is as wide as the students' (up to 2.5 box widths)."""
    teacher = shared_dir / "weights/ggcnn-cornell-official/ggcnn_epoch_23_cornell_statedict.pt"
    for yaw in sorted({yaw for yaw, _, _ in YAW_CASES}):
        _, frame, best, _, angle_err, box_width_px = _box_grasp_errors(str(teacher), yaw)
        assert frame.box_mask[int(round(best.row)), int(round(best.col))]
        assert abs(angle_err) < 15.0, (yaw, angle_err)
        assert 2.0 * box_width_px < best.width_px <= 2.5 * box_width_px, (yaw, best.width_px)


def test_bad_input_raises_named_errors():
    detector = GraspDetector("grasp_student_v1.pt")
    with pytest.raises(GraspInputError, match="HxW"):
        detector.detect(np.zeros((480, 640, 1), np.float32))
    with pytest.raises(GraspInputError, match="dtype uint16"):
        detector.detect(np.full((480, 640), 700, np.uint16))
    with pytest.raises(GraspInputError, match="no valid pixel"):
        detector.detect(np.zeros((480, 640), np.float32))
    with pytest.raises(GraspInputError, match="no valid pixel"):
        detector.detect(np.full((480, 640), np.nan, np.float32))
    small = detector.detect(np.full((240, 320), 0.7, np.float32))  # smaller than the crop: it adapts
    assert small.crop_box == (0, 40, 240) and small.quality.shape == (240, 320)
    partial = np.zeros((480, 640), np.float32)
    partial[:, :50] = 0.7
    with pytest.raises(GraspInputError, match="no valid depth in the 300x300 crop"):
        detector.detect(partial, crop_center=(240, 500))
    with pytest.raises(GraspInputError, match="max_grasps"):
        detector.detect(_scene(), max_grasps=0)


def test_bad_model_files(tmp_path):
    with pytest.raises(GraspModelError, match="no_such_model.pt"):
        GraspDetector(tmp_path / "no_such_model.pt")
    corrupt = tmp_path / "corrupt.pt"
    corrupt.write_bytes(b"\x00" * 100)
    with pytest.raises(GraspModelError, match="corrupt.pt"):
        GraspDetector(corrupt)
