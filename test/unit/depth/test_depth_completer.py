"""DepthCompleter: output at the input resolution, timings, and clear errors for bad input and checkpoints."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from kd_grasp_ros.common.intrinsics import D435_640X480
from kd_grasp_ros.depth.checkpoint import save_checkpoint
from kd_grasp_ros.depth.completer import DepthCompleter
from kd_grasp_ros.depth.errors import DepthInputError, DepthModelError
from kd_grasp_ros.depth.models import build_model
from kd_grasp_ros.pipeline.synthetic_scene import BoxScene, render_box_scene


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("depth") / "student.pt"
    save_checkpoint(path, "student", build_model("student"), epoch=0, metrics={})
    return path


@pytest.fixture(scope="module")
def completer(checkpoint):
    return DepthCompleter(checkpoint, input_size=(160, 120))


def _frame(h: int, w: int):
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    depth = rng.uniform(0.5, 1.0, (h, w)).astype(np.float32)
    depth[h // 3 : h // 2, w // 3 : w // 2] = 0.0
    depth[0, 0] = np.nan
    return rgb, depth


@pytest.mark.timeout(60)
@pytest.mark.parametrize("shape", [(480, 640), (720, 1280), (121, 163)])
def test_output_at_input_resolution(completer, shape):
    rgb, depth = _frame(*shape)
    out = completer.complete(rgb, depth)
    assert out.shape == shape and out.dtype == np.float32
    assert completer.last_timings_ms["total"] > 0


@pytest.mark.timeout(60)
def test_shipped_student_completes_a_box_scene():
    """models/depth_student.pt on a table 0.70 m away with a 6 cm tall box (the simulated cell's
    distance): opaque, the box and table come back close to the truth; transparent (no depth on the
    box, as a RealSense gives), the hole is filled nearer the box top than the table behind it."""
    scene = BoxScene(box_centre_xy_m=(0.03, -0.02), box_yaw_rad=0.4)
    truth = render_box_scene(D435_640X480, scene)
    glass = render_box_scene(D435_640X480, scene, transparent_box=True)
    box, table = truth.box_mask, ~truth.box_mask
    completer = DepthCompleter("depth_student.pt", threads=1)
    opaque = completer.complete(truth.rgb, truth.depth_m)
    assert np.abs(opaque[table] - truth.depth_m[table]).mean() < 0.002
    assert np.abs(opaque[box] - truth.depth_m[box]).mean() < 0.02
    filled = completer.complete(glass.rgb, glass.depth_m)
    assert np.all(glass.depth_m[box] == 0)
    table_fill_error = np.abs(scene.table_depth_m - truth.depth_m[box]).mean()  # = the box height
    assert np.abs(filled[box] - truth.depth_m[box]).mean() < 0.7 * table_fill_error
    assert np.abs(filled[table] - truth.depth_m[table]).mean() < 0.002


def test_keep_raw_keeps_agreeing_sensor_pixels(checkpoint):
    rgb, depth = _frame(120, 160)
    plain = DepthCompleter(checkpoint, input_size=(160, 120), keep_raw=False).complete(rgb, depth)
    kept = DepthCompleter(checkpoint, input_size=(160, 120), keep_raw=True).complete(rgb, depth)
    agree = (depth > 0) & (np.abs(depth - plain) <= 0.05 * plain)
    assert np.array_equal(kept[agree], depth[agree]) and np.array_equal(kept[~agree], plain[~agree])


@pytest.mark.parametrize(
    ("rgb", "depth", "match"),
    [
        (np.zeros((10, 10), np.uint8), np.ones((10, 10), np.float32), "HxWx3"),
        (np.zeros((10, 10, 4), np.uint8), np.ones((10, 10), np.float32), "HxWx3"),
        (np.zeros((10, 10, 3), np.float32), np.ones((10, 10), np.float32), "uint8"),
        (np.zeros((10, 10, 3), np.uint8), np.ones((10, 10), np.uint16), "float metres"),
        (np.zeros((10, 10, 3), np.uint8), np.ones((10, 12), np.float32), "same height and width"),
        (np.zeros((10, 10, 3), np.uint8), np.ones((10, 10, 1), np.float32), "HxW"),
        (np.zeros((10, 10, 3), np.uint8), np.zeros((10, 10), np.float32), "no valid pixel"),
        (np.zeros((10, 10, 3), np.uint8), np.full((10, 10), np.nan, np.float32), "no valid pixel"),
        ([[0]], np.ones((10, 10), np.float32), "numpy arrays"),
    ],
)
def test_bad_input_raises(completer, rgb, depth, match):
    with pytest.raises(DepthInputError, match=match):
        completer.complete(rgb, depth)


def test_bad_checkpoints_raise_naming_the_path(tmp_path):
    with pytest.raises(DepthModelError, match="nothing.pt"):
        DepthCompleter(tmp_path / "nothing.pt")
    corrupt = tmp_path / "corrupt.pt"
    corrupt.write_bytes(b"\x00" * 64)
    with pytest.raises(DepthModelError, match="corrupt.pt"):
        DepthCompleter(corrupt)
    foreign = tmp_path / "foreign.pt"
    torch.save({"state": 1}, foreign)
    with pytest.raises(DepthModelError, match="foreign.pt"):
        DepthCompleter(foreign)
