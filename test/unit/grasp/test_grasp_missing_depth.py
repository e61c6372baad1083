"""Missing depth arrives as 0, NaN or a negative value (-1 in some datasets): the loader, the
preprocessing and the detector treat all three the same."""

from __future__ import annotations

import numpy as np
import pytest
import tifffile
import torch

from kd_grasp_ros.grasp.checkpoint import save_checkpoint
from kd_grasp_ros.grasp.data import read_depth
from kd_grasp_ros.grasp.detector import GraspDetector
from kd_grasp_ros.grasp.errors import GraspInputError
from kd_grasp_ros.grasp.models import build_model
from kd_grasp_ros.grasp.preprocess import inpaint_missing, missing_mask

MISSING_VALUES = (0.0, np.nan, -1.0, -0.004, np.inf)


def scene_with_holes(missing: float, shape=(360, 400)) -> np.ndarray:
    """A table at 0.7 m with a box on it and holes (a blob and the box's left edge) set to `missing`."""
    depth = np.full(shape, 0.7, np.float32)
    depth[140:220, 160:240] = 0.64
    depth[100:130, 60:110] = missing
    depth[140:220, 158:162] = missing
    return depth


def test_missing_mask_covers_zero_nan_negative_and_inf():
    values = np.array([0.0, np.nan, -1.0, -1e-3, np.inf, -np.inf, 0.5, 1e-4], np.float32)
    assert missing_mask(values).tolist() == [True] * 6 + [False, False]


def test_inpainting_is_the_same_for_every_missing_encoding():
    reference = inpaint_missing(scene_with_holes(0.0))
    assert np.all(np.isfinite(reference)) and reference.min() > 0.6
    for value in MISSING_VALUES[1:]:
        np.testing.assert_array_equal(inpaint_missing(scene_with_holes(value)), reference)


@pytest.mark.parametrize("missing", [np.nan, -1.0, 0.0])
def test_loader_turns_every_missing_encoding_into_zero(tmp_path, missing):
    path = tmp_path / "pcd0001d.tiff"
    tifffile.imwrite(path, scene_with_holes(missing))
    depth = read_depth(path)
    assert np.all(np.isfinite(depth)) and depth.min() == 0.0
    np.testing.assert_array_equal(depth == 0, missing_mask(scene_with_holes(missing)))


@pytest.fixture(scope="module")
def detector(tmp_path_factory):
    torch.manual_seed(0)
    path = save_checkpoint(tmp_path_factory.mktemp("m") / "student_v1.pt", build_model("student_v1"))
    return GraspDetector(path, crop_size=300, threads=1)


def test_detector_gives_identical_results_for_0_nan_and_negative_holes(detector):
    results = [detector.detect(scene_with_holes(v), max_grasps=3, min_quality=-10.0) for v in MISSING_VALUES]
    first = results[0]
    assert first.grasps
    for res in results[1:]:
        assert [(g.row, g.col, g.angle, g.width_px) for g in res.grasps] == [
            (g.row, g.col, g.angle, g.width_px) for g in first.grasps
        ]
        np.testing.assert_array_equal(res.quality, first.quality)


@pytest.mark.parametrize("missing", [0.0, np.nan, -1.0])
def test_detector_rejects_an_image_without_valid_depth(detector, missing):
    with pytest.raises(GraspInputError, match="no valid pixel"):
        detector.detect(np.full((320, 320), missing, np.float32))
