"""Grasp width in metres on a constructed scene: a table plane and a box of known width seen by the
D435 model (kd_grasp_ros.common) from 0.5 m and 1.0 m, lifted to a pose by the detector's pose code.

The conversion (network pixels -> crop pixels -> metres) is checked without any network; the behaviour
with the released GG-CNN. GG-CNN widths are learned in pixels at the training data's scale, so the crop
is matched to the distance (crop = 300 px * 0.7 m / distance, resized to the 300 px input): the same
box then gets the same opening at 0.5 m and 1.0 m.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from kd_grasp_ros.common.grasp_types import ImageGrasp
from kd_grasp_ros.common.intrinsics import D435_640X480 as CAMERA
from kd_grasp_ros.grasp.checkpoint import save_checkpoint
from kd_grasp_ros.grasp.constants import NETWORK_INPUT_SIZE, WIDTH_SCALE_PX
from kd_grasp_ros.grasp.detector import GraspDetector
from kd_grasp_ros.grasp.grasp_pose import centred_between_edges, image_grasp_to_pose, measured_opening
from kd_grasp_ros.grasp.models import build_model
from kd_grasp_ros.robot.gripper_params import FINGER_THICKNESS_M, GRIPPER_STROKE_M

RELEASED = "weights/ggcnn-cornell-official/ggcnn_epoch_23_cornell_statedict.pt"
BOX_LENGTH_M, BOX_HEIGHT_M = 0.15, 0.05
REFERENCE_DISTANCE_M = 0.7


def box_scene(distance_m: float, width_m: float) -> np.ndarray:
    """Depth (metres) looking straight down: box top at distance_m, table BOX_HEIGHT_M below it. The box
    is width_m along the image x axis and BOX_LENGTH_M along y, centred on the optical axis."""
    v, u = np.mgrid[0 : CAMERA.height, 0 : CAMERA.width].astype(np.float64)
    x = (u - CAMERA.cx) * distance_m / CAMERA.fx
    y = (v - CAMERA.cy) * distance_m / CAMERA.fy
    box = (np.abs(x) <= width_m / 2) & (np.abs(y) <= BOX_LENGTH_M / 2)
    return np.where(box, distance_m, distance_m + BOX_HEIGHT_M).astype(np.float32)


def matched_crop(distance_m: float) -> int:
    return int(round(NETWORK_INPUT_SIZE * REFERENCE_DISTANCE_M / distance_m))


@pytest.mark.parametrize("distance_m", [0.5, 1.0])
@pytest.mark.parametrize("width_m", [0.04, 0.06])
def test_pixel_width_of_the_box_converts_back_to_its_width(distance_m, width_m):
    depth = box_scene(distance_m, width_m)
    row = int(round(CAMERA.cy))
    cols = np.flatnonzero(depth[row] == np.float32(distance_m))
    width_px = cols[-1] - cols[0] + 1
    grasp = ImageGrasp(
        row=CAMERA.cy, col=CAMERA.cx, angle=0.0, width_px=float(width_px), quality=1.0, length_px=width_px / 2
    )
    pose = image_grasp_to_pose(grasp, depth, CAMERA)
    assert pose.position[2] == pytest.approx(distance_m)
    assert pose.width_m == pytest.approx(width_m, abs=distance_m / CAMERA.fx)  # within one pixel
    np.testing.assert_allclose(pose.rotation[:, 1], [1.0, 0.0, 0.0], atol=1e-9)  # jaws close along x


class ConstantMaps(nn.Module):
    """A stand-in network: one quality peak at the crop centre, angle 0, width `width_px` (network px)."""

    def __init__(self, width_px: float):
        super().__init__()
        self.width_px = width_px

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, _, h, w = x.shape
        r = torch.arange(h, dtype=torch.float32)[:, None] - (h - 1) / 2
        c = torch.arange(w, dtype=torch.float32)[None, :] - (w - 1) / 2
        quality = torch.exp(-(r**2 + c**2) / 200.0)
        maps = torch.stack(
            [
                quality,
                torch.ones_like(quality),
                torch.zeros_like(quality),
                torch.full_like(quality, self.width_px / WIDTH_SCALE_PX),
            ]
        )
        return maps[None].expand(n, -1, -1, -1)


@pytest.mark.parametrize("distance_m", [0.5, 1.0])
def test_detector_scales_network_pixels_by_the_crop(tmp_path, distance_m):
    path = save_checkpoint(tmp_path / "m.pt", build_model("student_v1"))
    crop = matched_crop(distance_m)
    detector = GraspDetector(path, crop_size=crop, threads=1)
    detector.network = ConstantMaps(width_px=60.0)
    depth = box_scene(distance_m, 0.05)
    (grasp,) = detector.detect(depth, max_grasps=1).grasps
    assert grasp.width_px == pytest.approx(60.0 * crop / NETWORK_INPUT_SIZE, rel=1e-3)
    pose = image_grasp_to_pose(grasp, depth, CAMERA)
    assert pose.width_m == pytest.approx(grasp.width_px * distance_m / CAMERA.fx, rel=1e-6)
    # the same network output means the same metres at every distance once the crop is matched
    assert pose.width_m == pytest.approx(60.0 * REFERENCE_DISTANCE_M / CAMERA.fx, rel=0.01)


@pytest.fixture(scope="module")
def released_detectors(shared_dir):
    return {d: GraspDetector(shared_dir / RELEASED, crop_size=matched_crop(d), threads=2) for d in (0.5, 1.0)}


@pytest.mark.parametrize("width_m", [0.04, 0.06])
def test_released_ggcnn_opening_fits_the_box_at_both_distances(released_detectors, width_m):
    openings = {}
    for distance_m, detector in released_detectors.items():
        depth = box_scene(distance_m, width_m)
        grasp = detector.detect(depth, max_grasps=1).grasps[0]
        pose = image_grasp_to_pose(grasp, depth, CAMERA)
        assert pose.position[2] == pytest.approx(distance_m, abs=1e-3)  # centred on the box top
        # the jaws open wider than the box but not absurdly (Cornell labels include a margin)
        assert width_m < pose.width_m < width_m + 0.08, (distance_m, pose.width_m)
        openings[distance_m] = pose.width_m
    assert openings[1.0] == pytest.approx(openings[0.5], rel=0.15)


@pytest.mark.parametrize("distance_m", [0.5, 1.0])
@pytest.mark.parametrize("width_m", [0.04, 0.06])
def test_the_opening_measured_in_depth_is_the_box_plus_the_clearance(distance_m, width_m):
    """Whatever width the network predicts (here twice too wide), with a jaw clearance the opening is
    the box's width across the jaws plus the clearance on each side, to a pixel per jaw; along the
    box's 15 cm length, more than the stroke (the executor refuses it)."""
    depth = box_scene(distance_m, width_m)
    pixel_m = distance_m / CAMERA.fx
    too_wide = 2.0 * width_m / pixel_m
    across = ImageGrasp(row=CAMERA.cy, col=CAMERA.cx, angle=0.0, width_px=too_wide, quality=1.0, length_px=10)
    pose = image_grasp_to_pose(across, depth, CAMERA, jaw_clearance_m=0.005)
    assert pose.width_m == pytest.approx(width_m + 0.01, abs=2 * pixel_m)
    along = ImageGrasp(
        row=CAMERA.cy, col=CAMERA.cx, angle=np.pi / 2, width_px=too_wide, quality=1.0, length_px=10
    )
    pose = image_grasp_to_pose(along, depth, CAMERA, jaw_clearance_m=0.005)
    assert pose.width_m > GRIPPER_STROKE_M


@pytest.mark.parametrize("distance_m", [0.5, 1.0])
def test_a_depth_artefact_on_the_top_is_walked_over_but_a_finger_wide_gap_is_an_edge(distance_m):
    """Streaks of wrong depth across the box top (completion artefacts on glass: 4 cm too far, 5 mm
    wide, 1 cm either side of the centre) are narrower than a finger's footprint (FINGER_THICKNESS_M +
    the clearance), so the opening is still the box's. Grooves as wide as the footprint are a place
    for the fingers: the opening stops there."""
    width_m, clearance = 0.06, 0.005
    pixel_m = distance_m / CAMERA.fx
    depth = box_scene(distance_m, width_m)
    x = (np.arange(CAMERA.width) - CAMERA.cx) * pixel_m
    across = ImageGrasp(row=CAMERA.cy, col=CAMERA.cx, angle=0.0, width_px=10.0, quality=1.0, length_px=5)

    def scene_with(gap_from_m: float, gap_width_m: float) -> np.ndarray:
        scene = depth.copy()
        scene[:, (np.abs(x) > gap_from_m) & (np.abs(x) <= gap_from_m + gap_width_m)] = distance_m + 0.04
        return scene

    def opening(gap_from_m: float, gap_width_m: float) -> float:
        scene = scene_with(gap_from_m, gap_width_m)
        return image_grasp_to_pose(across, scene, CAMERA, jaw_clearance_m=clearance).width_m

    assert opening(0.01, 0.005) == pytest.approx(width_m + 2 * clearance, abs=2 * pixel_m)
    streaked = scene_with(0.01, 0.005)  # with no footprint (the rule before), the streak was the edge
    first_excursion = measured_opening(across, streaked, CAMERA, distance_m, clearance, footprint_m=0.0)
    assert first_excursion == pytest.approx(0.02 + 2 * clearance, abs=2 * pixel_m)
    footprint = FINGER_THICKNESS_M + clearance
    assert opening(0.01, footprint + 2 * pixel_m) == pytest.approx(0.02 + 2 * clearance, abs=2 * pixel_m)


def test_without_an_object_edge_in_reach_the_opening_exceeds_the_stroke():
    """A grasp on a plain table (no edge within half the stroke either side) asks for more than the
    gripper opens, so the executor refuses it."""
    flat = np.full((CAMERA.height, CAMERA.width), 0.7, np.float32)
    grasp = ImageGrasp(row=CAMERA.cy, col=CAMERA.cx, angle=0.3, width_px=50.0, quality=1.0, length_px=10)
    pose = image_grasp_to_pose(grasp, flat, CAMERA, jaw_clearance_m=0.005)
    assert GRIPPER_STROKE_M < pose.width_m < GRIPPER_STROKE_M + 0.02


def symmetric_opening(point: np.ndarray, axis: np.ndarray, width_m: float) -> float:
    """Twice the longer of the two reaches from `point` along +-`axis` (camera x, y) to the edge of the
    box's top face: the opening of jaws that close symmetrically about the point."""
    half = np.array([width_m / 2, BOX_LENGTH_M / 2])
    axis = axis / np.linalg.norm(axis)
    lengths = []
    for direction in (axis, -axis):
        # distance from the point to the box's edges along `direction`, x and y edges, the nearer counts
        steps = [
            (np.sign(d) * h - p) / d for d, h, p in zip(direction, half, point, strict=True) if abs(d) > 1e-9
        ]
        lengths.append(min(steps))
    return 2.0 * max(lengths)


@pytest.mark.parametrize("width_m", [0.04, 0.06])
def test_released_ggcnn_best_grasp_opens_to_the_box_plus_clearance(released_detectors, width_m):
    """The grasp_detection_node path (grasp_stage with the shipped jaw clearance) on the box at 0.5 m
    and 1.0 m: the best grasp closes across the box and opens to its width plus the clearance."""
    from kd_grasp_ros.pipeline.grasp_stage import GraspFilterConfig, detect_grasp_poses

    cfg = GraspFilterConfig(top_k=1, workspace_min=(-1.0, -1.0, 0.1), workspace_max=(1.0, 1.0, 2.0))
    assert cfg.jaw_clearance_m == 0.005  # config/grasp_detection.yaml
    for distance_m, detector in released_detectors.items():
        depth = box_scene(distance_m, width_m)
        pose = detect_grasp_poses(detector, image_grasp_to_pose, depth, CAMERA, 0.0, cfg).best
        expected = (
            symmetric_opening(pose.position[:2], pose.rotation[:2, 1], width_m) + 2 * cfg.jaw_clearance_m
        )
        if expected - 2 * cfg.jaw_clearance_m > GRIPPER_STROKE_M:  # a long diagonal: too wide to take
            assert pose.width_m > GRIPPER_STROKE_M, distance_m
        else:
            assert pose.width_m == pytest.approx(expected, abs=3 * distance_m / CAMERA.fx), distance_m


@pytest.mark.parametrize("distance_m", [0.5, 1.0])
@pytest.mark.parametrize("offset_m", [-0.02, 0.012])
def test_a_grasp_off_the_box_centre_is_centred_between_its_edges(distance_m, offset_m):
    """A grasp 1-2 cm off the box's centre along the jaw axis asks for twice the longer reach (2 cm
    off: more than the stroke, the executor would refuse it); centred, it sits midway between the box's
    edges (to a pixel) and opens to the box plus the clearance."""
    width_m, clearance = 0.06, 0.005
    depth = box_scene(distance_m, width_m)
    pixel_m = distance_m / CAMERA.fx
    off = ImageGrasp(
        row=CAMERA.cy, col=CAMERA.cx + offset_m / pixel_m, angle=0.0, width_px=10.0, quality=0.9, length_px=5
    )
    uncentred = image_grasp_to_pose(off, depth, CAMERA, jaw_clearance_m=clearance).width_m
    far = width_m / 2 + abs(offset_m)
    if far > GRIPPER_STROKE_M / 2:
        assert uncentred > GRIPPER_STROKE_M
    else:
        assert uncentred == pytest.approx(2 * far + 2 * clearance, abs=2 * pixel_m)
    centred = centred_between_edges(off, depth, CAMERA, clearance)
    assert centred.col == pytest.approx(CAMERA.cx, abs=1.0)
    assert (centred.row, centred.angle, centred.quality) == (off.row, off.angle, off.quality)
    pose = image_grasp_to_pose(centred, depth, CAMERA, jaw_clearance_m=clearance)
    assert pose.width_m == pytest.approx(width_m + 2 * clearance, abs=2 * pixel_m)
    assert pose.position[0] == pytest.approx(0.0, abs=pixel_m)


def test_centring_moves_along_the_jaw_axis_only():
    """A diagonal grasp off centre moves along its own axis (not to the box's centre), and stays put on
    the box's long axis where an edge is out of the gripper's reach."""
    distance_m, clearance = 0.7, 0.005
    depth = box_scene(distance_m, 0.06)
    pixel_m = distance_m / CAMERA.fx
    angle = np.deg2rad(30.0)
    diagonal = ImageGrasp(
        row=CAMERA.cy + 0.01 / pixel_m,
        col=CAMERA.cx + 0.01 / pixel_m,
        angle=angle,
        width_px=10.0,
        quality=0.9,
        length_px=5,
    )
    centred = centred_between_edges(diagonal, depth, CAMERA, clearance)
    moved = np.array([centred.col - diagonal.col, centred.row - diagonal.row])
    assert np.linalg.norm(moved) > 5.0
    axis = np.array([np.cos(angle), -np.sin(angle)])  # (d_col, d_row) of the jaw axis
    assert abs(moved[0] * axis[1] - moved[1] * axis[0]) < 1e-6 * np.linalg.norm(moved)
    along = ImageGrasp(
        row=CAMERA.cy + 0.03 / pixel_m,
        col=CAMERA.cx,
        angle=np.pi / 2,
        width_px=10.0,
        quality=0.9,
        length_px=5,
    )
    assert centred_between_edges(along, depth, CAMERA, clearance) == along


def test_centring_keeps_a_grasp_whose_midpoint_is_off_the_surface():
    """A box top with a groove narrower than a finger's footprint at its centre (walked over as an
    artefact): the midpoint of the edges falls into the groove, so the grasp stays where it is."""
    distance_m, clearance = 0.7, 0.005
    pixel_m = distance_m / CAMERA.fx
    depth = box_scene(distance_m, 0.06)
    x = (np.arange(CAMERA.width) - CAMERA.cx) * pixel_m
    depth[:, np.abs(x) <= 0.4 * (FINGER_THICKNESS_M + clearance)] = distance_m + 0.04
    off = ImageGrasp(row=CAMERA.cy, col=CAMERA.cx + 0.015 / pixel_m, angle=0.0, width_px=10.0, quality=0.9)
    assert centred_between_edges(off, depth, CAMERA, clearance) == off


def test_centring_keeps_a_grasp_on_an_object_wider_than_the_stroke():
    """A 10 cm box: no centre gives the jaws room, so the grasp is not moved (the executor refuses it)."""
    distance_m, clearance = 0.7, 0.005
    pixel_m = distance_m / CAMERA.fx
    depth = box_scene(distance_m, 0.10)
    off = ImageGrasp(row=CAMERA.cy, col=CAMERA.cx + 0.02 / pixel_m, angle=0.0, width_px=10.0, quality=0.9)
    assert centred_between_edges(off, depth, CAMERA, clearance) == off
    assert image_grasp_to_pose(off, depth, CAMERA, jaw_clearance_m=clearance).width_m > GRIPPER_STROKE_M
