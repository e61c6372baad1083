"""ClearGrasp loader on the shared sample (both layouts), resizing and the deterministic split."""

from __future__ import annotations

import numpy as np
import pytest

from kd_grasp_ros.depth.data import ClearGraspDataset, read_exr_depth, split_indices
from kd_grasp_ros.depth.errors import DepthDataError


@pytest.fixture(scope="module")
def sample_root(shared_dir):
    root = shared_dir / "data" / "cleargrasp-sample"
    if not root.is_dir():
        pytest.skip(f"ClearGrasp sample not found at {root}")
    return root


@pytest.mark.timeout(60)
def test_real_layout(sample_root):
    ds = ClearGraspDataset(sample_root, layout="real")
    assert len(ds) == 2
    s = ds[0]
    assert s.rgb.shape == (720, 1280, 3) and s.rgb.dtype == np.uint8
    assert s.raw_depth.dtype == np.float32 and s.gt_depth.shape == (720, 1280) and s.mask.dtype == bool
    assert (s.intrinsics.fx, s.intrinsics.cx, s.intrinsics.width) == (921.0, 642.0, 1280)
    assert 0.2 < np.median(s.gt_depth[s.gt_depth > 0]) < 1.5  # metres
    assert (s.raw_depth == 0).any() and 0.01 < s.mask.mean() < 0.5


@pytest.mark.timeout(60)
def test_synthetic_layout_and_resize(sample_root):
    ds = ClearGraspDataset(sample_root, layout="synthetic", size=(320, 240))
    assert len(ds) == 3
    s = ds[0]
    assert s.rgb.shape == (240, 320, 3) and s.gt_depth.shape == (240, 320)
    # 1920x1080 letterboxed: scaled by 1/6 (not stretched to 4:3)
    assert s.intrinsics.width == 320 and s.intrinsics.fy == pytest.approx(1389.0 / 6, rel=0.01)
    # the raw input has the transparent pixels removed; nearest resizing keeps depth values unmixed
    assert (s.raw_depth[s.mask] == 0).all()
    full = ClearGraspDataset(sample_root, layout="synthetic")[0]
    assert set(np.unique(s.gt_depth[s.gt_depth > 0])) <= set(np.unique(full.gt_depth))


@pytest.mark.timeout(60)
def test_a_16_by_9_scene_is_letterboxed_not_stretched(sample_root):
    """1280x720 at 320x240: scaled by 1/4 into the top 180 rows, the rest padded; the padding's ground
    truth and mask are empty (never scored), and the intrinsics are those of a uniform scale."""
    s = ClearGraspDataset(sample_root, layout="real", size=(320, 240))[0]
    full = ClearGraspDataset(sample_root, layout="real")[0]
    assert s.rgb.shape == (240, 320, 3) and s.gt_depth.shape == s.raw_depth.shape == (240, 320)
    assert not s.gt_depth[180:].any() and not s.mask[180:].any() and s.gt_depth[:180].any()
    np.testing.assert_array_equal(s.raw_depth[180:], np.repeat(s.raw_depth[179:180], 60, axis=0))
    assert s.intrinsics.fx == s.intrinsics.fy == pytest.approx(921.0 / 4)
    assert (s.intrinsics.width, s.intrinsics.height) == (320, 240)
    assert s.mask[:180].mean() == pytest.approx(full.mask.mean(), abs=0.01)


def test_both_layouts_found_together(sample_root):
    assert len(ClearGraspDataset(sample_root)) == 5


def test_missing_folder_and_bad_files_raise(tmp_path):
    with pytest.raises(DepthDataError, match="does not exist"):
        ClearGraspDataset(tmp_path / "nope")
    with pytest.raises(DepthDataError, match="no ClearGrasp scenes"):
        ClearGraspDataset(tmp_path)
    bad = tmp_path / "x.exr"
    bad.write_bytes(b"garbage")
    with pytest.raises(DepthDataError, match="x.exr"):
        read_exr_depth(bad)


def test_split_is_deterministic_and_disjoint():
    parts = {p: split_indices(100, p) for p in ("train", "val", "test")}
    assert parts["test"] == list(range(90, 100)) and parts["val"] == list(range(80, 90))
    assert sorted(sum(parts.values(), [])) == list(range(100))
    with pytest.raises(ValueError):
        split_indices(10, "dev")
