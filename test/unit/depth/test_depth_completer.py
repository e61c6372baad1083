"""DepthCompleter: output at the input resolution of any aspect ratio without distortion, the classical
fill whenever the network is unsure or noisy, timings, and clear errors for bad input and checkpoints."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from kd_grasp_ros.common.intrinsics import D435_640X480
from kd_grasp_ros.depth.baselines import inpaint_baseline
from kd_grasp_ros.depth.checkpoint import save_checkpoint
from kd_grasp_ros.depth.completer import DepthCompleter, frame_fill
from kd_grasp_ros.depth.constants import MAX_CORRECTION_LOG
from kd_grasp_ros.depth.errors import DepthInputError, DepthModelError
from kd_grasp_ros.depth.letterbox import Letterbox
from kd_grasp_ros.depth.models import build_model
from kd_grasp_ros.depth.preprocess import AppliedCorrection
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
    out, confidence = completer.complete(rgb, depth)
    assert out.shape == confidence.shape == shape and out.dtype == confidence.dtype == np.float32
    assert np.all((confidence >= 0) & (confidence <= 1))
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
    opaque, _ = completer.complete(truth.rgb, truth.depth_m)
    assert np.abs(opaque[table] - truth.depth_m[table]).mean() < 0.002
    assert np.abs(opaque[box] - truth.depth_m[box]).mean() < 0.02
    filled, _ = completer.complete(glass.rgb, glass.depth_m)
    assert np.all(glass.depth_m[box] == 0)
    table_fill_error = np.abs(scene.table_depth_m - truth.depth_m[box]).mean()  # = the box height
    assert np.abs(filled[box] - truth.depth_m[box]).mean() < 0.7 * table_fill_error
    assert np.abs(filled[table] - truth.depth_m[table]).mean() < 0.002


def _rmse(pred: np.ndarray, truth: np.ndarray, mask: np.ndarray) -> float:
    return float(np.sqrt(np.mean((pred[mask] - truth[mask]) ** 2)))


class ReplacedNetwork:
    """Stands in for the network inside DepthCompleter (behind the real confidence gate,
    AppliedCorrection): returns the logits `make(rgb, log_ratio, valid)`."""

    def __init__(self, make):
        self.make, self.inputs = make, None

    def __call__(self, rgb, log_ratio, valid):
        self.inputs = (rgb, log_ratio, valid)
        return self.make(rgb, log_ratio, valid)


def test_zero_confidence_returns_the_classical_fill_and_keeps_valid_raw_depth(checkpoint):
    completer = DepthCompleter(checkpoint, input_size=(160, 120))
    unsure = torch.zeros(1, 2, 120, 160)
    unsure[:, 0], unsure[:, 1] = 3.0, -30.0  # a large correction at confidence ~0
    completer.network = AppliedCorrection(ReplacedNetwork(lambda *_: unsure))
    rgb, depth = _frame(240, 320)
    out, confidence = completer.complete(rgb, depth)
    clean = np.nan_to_num(depth)
    expected = frame_fill(clean, Letterbox((320, 240), (160, 120)))
    np.testing.assert_allclose(out, expected, rtol=1e-5)
    assert np.array_equal(out[clean > 0], clean[clean > 0]) and confidence.max() < 1e-6


@pytest.mark.parametrize(("seed", "scale"), [(0, 1.0), (1, 5.0), (2, 5.0)])
def test_a_network_replaced_by_noise_is_no_worse_than_inpainting(checkpoint, seed, scale):
    """Fallback by construction: on a transparent box (no raw depth on it), a network whose output is
    pure noise still gives depth on the box no worse than OpenCV inpainting, and nowhere moves the
    classical fill by more than the correction bound."""
    scene = BoxScene(box_centre_xy_m=(0.02, 0.01), box_yaw_rad=0.3)
    truth = render_box_scene(D435_640X480, scene)
    glass = render_box_scene(D435_640X480, scene, transparent_box=True)
    generator = torch.Generator().manual_seed(seed)
    completer = DepthCompleter(checkpoint)
    completer.network = AppliedCorrection(
        ReplacedNetwork(lambda rgb, *_: scale * torch.randn(1, 2, *rgb.shape[-2:], generator=generator))
    )
    out, _ = completer.complete(glass.rgb, glass.depth_m)
    box = truth.box_mask
    inpainted = inpaint_baseline(glass.depth_m)
    fill = frame_fill(glass.depth_m, Letterbox((640, 480), completer.input_size))
    assert _rmse(out, truth.depth_m, box) <= _rmse(inpainted, truth.depth_m, box) + 1e-3
    assert np.abs(np.log(out / fill)).max() <= MAX_CORRECTION_LOG + 1e-5
    assert np.abs(out[~box] - truth.depth_m[~box]).max() < 0.01  # the table keeps its raw depth


RESOLUTIONS = [(1280, 720), (848, 480), (640, 480), (640, 360)]


@pytest.mark.parametrize(("width", "height"), RESOLUTIONS)
def test_every_resolution_reaches_the_network_undistorted_and_maps_back_exactly(checkpoint, width, height):
    """A disc in the frame is a disc in the network input (letterboxed, not stretched), and a correction
    the network makes on the disc lands back on the disc in the full-resolution output."""
    rgb = np.full((height, width, 3), 40, np.uint8)
    cx, cy, radius = 0.55 * width, 0.45 * height, 0.2 * height
    rows, cols = np.mgrid[:height, :width]
    disc = (cols - cx) ** 2 + (rows - cy) ** 2 <= radius**2
    rgb[disc] = 220
    depth = np.full((height, width), 0.8, np.float32)

    def correct_the_bright_pixels(rgb_in, *_):
        bright = (rgb_in[:, :1] > 0.5).float()  # normalised colour: 220 -> 2.65, 40 -> -1.17
        return torch.cat([-5.0 * bright, torch.full_like(bright, 30.0)], dim=1)  # depth x exp(-0.4) there

    completer = DepthCompleter(checkpoint)
    network = ReplacedNetwork(correct_the_bright_pixels)
    completer.network = AppliedCorrection(network)
    out, _ = completer.complete(rgb, depth)
    assert out.shape == (height, width)
    seen = network.inputs[0][0, 0].numpy() > 0.5
    ys, xs = np.nonzero(seen)
    assert abs((np.ptp(xs) + 1) / (np.ptp(ys) + 1) - 1.0) < 0.04  # round in the network input
    assert completer.last_letterbox.content[0] == 320 or completer.last_letterbox.content[1] == 240
    corrected = out < 0.7
    assert corrected.sum() > 0.85 * disc.sum() and (corrected & ~disc).sum() < 0.03 * disc.sum()
    ys, xs = np.nonzero(corrected)
    assert abs(xs.mean() - cx) < 1.5 and abs(ys.mean() - cy) < 1.5


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
