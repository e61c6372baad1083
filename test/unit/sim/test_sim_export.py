"""`kd-grasp sim synth` writes loadable Cornell and ClearGrasp files, identical for the same seed."""

import filecmp
import json

import cv2
import numpy as np
import OpenEXR
import pytest
import tifffile
import yaml

from kd_grasp_ros.cli import main as kd_grasp_main

SCENES = 2
SIZE = ("--width", "160", "--height", "120")


def _synth(out, seed):
    argv = [
        "sim",
        "synth",
        "--scenes",
        str(SCENES),
        "--out-dir",
        str(out),
        "--seed",
        str(seed),
        "--transparent-ratio",
        "0.6",
        *SIZE,
    ]
    assert kd_grasp_main(argv) == 0


def read_exr_depth(path) -> np.ndarray:
    """Depth from an EXR written like ClearGrasp's real-val files: the same values in R, G and B."""
    with OpenEXR.File(str(path)) as exr:
        pixels = exr.channels()["RGB"].pixels
    assert pixels.dtype == np.float32 and pixels.ndim == 3
    np.testing.assert_array_equal(pixels[..., 0], pixels[..., 2])
    return pixels[..., 0]


def _read_rectangles(path):
    values = np.loadtxt(path, ndmin=2) if path.stat().st_size else np.zeros((0, 2))
    assert len(values) % 4 == 0
    return values.reshape(-1, 4, 2)


@pytest.fixture(scope="module")
def datasets(tmp_path_factory):
    base = tmp_path_factory.mktemp("synth")
    _synth(base / "a", seed=4)
    _synth(base / "b", seed=4)
    _synth(base / "c", seed=5)
    return base


@pytest.mark.timeout(120)
def test_exported_files_load(datasets):
    out = datasets / "a"
    intr = yaml.safe_load((out / "cleargrasp" / "camera_intrinsics.yaml").read_text())
    assert (intr["xres"], intr["yres"]) == (160, 120) and intr["fx"] > 0
    rects_total = 0
    for i in range(SCENES):
        stem = out / "cornell" / f"pcd{i:04d}"
        true = tifffile.imread(f"{stem}d.tiff")
        raw = tifffile.imread(f"{stem}d_raw.tiff")
        assert true.shape == raw.shape == (120, 160) and true.dtype == raw.dtype == np.float32
        assert np.all(true > 0.2) and np.all(true < 2.0)
        assert np.all((raw == 0) | (np.abs(raw - true) < 0.5))
        rgb = cv2.imread(f"{stem}r.png", cv2.IMREAD_UNCHANGED)
        assert rgb.shape == (120, 160, 3) and rgb.dtype == np.uint8
        pos, neg = (
            _read_rectangles(stem.parent / f"{stem.name}cpos.txt"),
            _read_rectangles(stem.parent / f"{stem.name}cneg.txt"),
        )
        rects_total += len(pos) + len(neg)
        cg = out / "cleargrasp" / f"{i:09d}"
        np.testing.assert_allclose(read_exr_depth(f"{cg}-opaque-depth-img.exr"), true)
        np.testing.assert_allclose(read_exr_depth(f"{cg}-transparent-depth-img.exr"), raw)
        mask = cv2.imread(f"{cg}-mask.png", cv2.IMREAD_UNCHANGED)
        assert mask.shape == (120, 160) and set(np.unique(mask)) <= {0, 255}
        jpg = cv2.imread(f"{cg}-transparent-rgb-img.jpg")
        assert jpg.shape == (120, 160, 3)
        corrupted = (raw != true) & (raw != 0)
        meta = json.loads((out / "meta" / f"{i:09d}.json").read_text())
        assert np.array(meta["T_base_camera"]).shape == (4, 4)
        assert corrupted.any()
    assert rects_total > 0


@pytest.mark.timeout(60)
def test_same_seed_same_files_other_seed_other_files(datasets):
    a, b, c = datasets / "a", datasets / "b", datasets / "c"
    for sub, pattern in (("cornell", "*"), ("cleargrasp", "*"), ("meta", "*.json")):
        names = sorted(p.name for p in (a / sub).glob(pattern))
        assert names
        match, mismatch, errors = filecmp.cmpfiles(a / sub, b / sub, names, shallow=False)
        assert not mismatch and not errors, (mismatch, errors)
    ta = tifffile.imread(a / "cornell" / "pcd0000d.tiff")
    tc = tifffile.imread(c / "cornell" / "pcd0000d.tiff")
    assert not np.array_equal(ta, tc)
