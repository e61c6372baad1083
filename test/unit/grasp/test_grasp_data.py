"""Grasp data: Cornell and Jacquard loaders, preprocessing geometry, label maps, splits."""

from __future__ import annotations

import numpy as np
import pytest
import tifffile

from kd_grasp_ros.grasp.constants import WIDTH_SCALE_PX
from kd_grasp_ros.grasp.data import (
    load_cornell_scenes,
    load_jacquard_scenes,
    read_cornell_rectangles,
    read_depth,
    split_scenes,
)
from kd_grasp_ros.grasp.errors import GraspDataError
from kd_grasp_ros.grasp.labels import draw_label_maps
from kd_grasp_ros.grasp.preprocess import inpaint_missing, make_sample
from kd_grasp_ros.grasp.rectangles import GraspRectangle
from kd_grasp_ros.grasp.torch_data import GraspDataset

CORNELL = "data/cornell-01"


def _n_groups(path) -> int:
    return sum(1 for line in path.read_text().splitlines() if line.strip()) // 4


def test_cornell_loader_on_shared_data_drops_nan_rectangles(shared_dir):
    root = shared_dir / CORNELL
    scenes = load_cornell_scenes(root)
    assert len(scenes) == 100 and [s.name for s in scenes] == sorted(s.name for s in scenes)
    by_name = {s.name: s for s in scenes}
    assert len(by_name["pcd0132"].positives) == _n_groups(root / "pcd0132cpos.txt") - 2
    assert len(by_name["pcd0165"].positives) == _n_groups(root / "pcd0165cpos.txt") - 1
    assert sum(len(s.positives) for s in scenes) == 473
    assert all(np.isfinite(r.points).all() for s in scenes for r in s.positives)
    first = read_cornell_rectangles(root / "pcd0100cpos.txt")[0]
    raw = np.loadtxt(root / "pcd0100cpos.txt")[:4]
    np.testing.assert_allclose(first.points, raw[:, ::-1])  # (x, y) in the file -> (row, col)
    depth = read_depth(scenes[0].depth_path)
    assert depth.shape == (480, 640) and depth.dtype == np.float32 and (depth > 0).all()


def test_cornell_rectangles_crlf_and_nan(tmp_path):
    path = tmp_path / "x_cpos.txt"
    rows = [
        "10 20",
        "40 20",
        "40 30",
        "10 30",
        "NaN NaN",
        "1 2",
        "3 4",
        "NaN NaN",
        "0 0",
        "5 0",
        "5 5",
        "0 5",
    ]
    path.write_bytes(("\r\n".join(rows) + "\r\n").encode())
    rects = read_cornell_rectangles(path)
    assert len(rects) == 2
    assert rects[0].length == pytest.approx(30.0) and rects[0].angle == pytest.approx(0.0)
    path.write_text("1 2\n3 4\n5 6\n")
    with pytest.raises(GraspDataError, match="multiple of 4"):
        read_cornell_rectangles(path)


def test_synthetic_cornell_layout_and_unlabeled_scene(tmp_path):
    tifffile.imwrite(tmp_path / "scene0000d.tiff", np.full((320, 320), 0.7, np.float32))
    (tmp_path / "scene0000cpos.txt").write_text("150 160\n170 160\n170 165\n150 165\n")
    tifffile.imwrite(tmp_path / "scene0001d.tiff", np.full((320, 320), 0.7, np.float32))
    scenes = load_cornell_scenes(tmp_path)
    assert [s.labeled for s in scenes] == [True, False]
    with pytest.raises(GraspDataError, match="dataset directory not found"):
        load_cornell_scenes(tmp_path / "missing")


def test_jacquard_loader(tmp_path):
    tifffile.imwrite(tmp_path / "0_obj_perfect_depth.tiff", np.full((64, 64), 1.2, np.float32))
    (tmp_path / "0_obj_grasps.txt").write_text("30;20;45.0;40;10\n30;20;-90;30;8\n")
    (scene,) = load_jacquard_scenes(tmp_path)
    g0, g1 = scene.positives
    np.testing.assert_allclose(g0.center, [20, 30])
    assert g0.angle == pytest.approx(-np.pi / 4) and g0.length == pytest.approx(40) and g0.width == 10
    assert g1.angle == pytest.approx(np.pi / 2)  # -(-90 deg) = 90 deg
    assert read_depth(scene.depth_path).mean() == pytest.approx(1.2)


def test_label_maps_hand_computed():
    # Horizontal grasp at (20, 30), 30 px along the jaw axis: its centre third spans cols 25..35.
    rect = GraspRectangle.from_grasp((20, 30), 0.0, 30.0, 10.0)
    q, cos, sin, width = draw_label_maps([rect], (40, 60))
    assert q[17:24, 26:35].min() == 1.0 and q[20, 22] == 0 and q[20, 38] == 0 and q[12, 30] == 0
    assert 90 <= q.sum() <= 121
    assert cos[20, 30] == 1 and sin[20, 30] == 0 and width[20, 30] == pytest.approx(30 / WIDTH_SCALE_PX)
    assert cos[0, 0] == 1 and sin[0, 0] == 0 and width[0, 0] == 0  # outside: θ = 0 as in the reference
    diag = GraspRectangle.from_grasp((20, 30), np.pi / 4, 300.0, 10.0)
    q, cos, sin, width = draw_label_maps([diag], (40, 60))
    assert q[20, 30] == 1 and cos[20, 30] == pytest.approx(0, abs=1e-6) and sin[20, 30] == pytest.approx(1)
    assert width[20, 30] == 1.0  # 300 px clipped to 150 px
    vertical = GraspRectangle.from_grasp((20, 30), np.pi / 2, 30.0, 10.0)
    q, cos, sin, _ = draw_label_maps([vertical], (40, 60))
    assert q[24, 30] == 1 and q[28, 30] == 0 and q[20, 37] == 0 and cos[20, 30] == pytest.approx(-1)


def test_rotation_and_zoom_move_depth_and_rectangles_together():
    depth = np.full((480, 640), 0.7, np.float32)
    rect = GraspRectangle.from_grasp((240, 330), 0.0, 60.0, 20.0)
    end = rect.points[1]  # jaw-axis end
    depth[int(end[0]) - 1 : int(end[0]) + 2, int(end[1]) - 1 : int(end[1]) + 2] = 0.5  # a raised marker
    sample = make_sample(depth, [rect], rotation=np.pi / 2, zoom=0.8)
    (moved,) = sample.rectangles
    assert moved.angle == pytest.approx(np.pi / 2)
    assert moved.length == pytest.approx(60.0 / 0.8)
    # the rectangle centre is crop pixel 150; zoom scales about the crop centre 149.5
    np.testing.assert_allclose(moved.center, [149.5 + 0.5 / 0.8] * 2, atol=1e-6)
    marker = np.unravel_index(np.argmax(-sample.depth), sample.depth.shape)
    np.testing.assert_allclose(marker, moved.points[1], atol=1.5)
    assert sample.depth.shape == (300, 300) and -1 <= sample.depth.min() and sample.depth.max() <= 1


def test_inpaint_fills_zeros_and_nan():
    depth = np.full((50, 50), 0.8, np.float32)
    depth[10:15, 10:15] = 0
    depth[30, 30] = np.nan
    filled = inpaint_missing(depth)
    assert np.isfinite(filled).all() and filled.min() == pytest.approx(0.8, abs=1e-3)


def test_dataset_items_and_kd_views(shared_dir):
    scenes = load_cornell_scenes(shared_dir / CORNELL)[:2]
    data = GraspDataset(scenes, augment=True, kd_views=1, seed=0)
    assert len(data) == 4
    labeled, extra = data[0], data[2]
    assert labeled["labeled"] and labeled["target"][0].sum() > 0 and labeled["depth"].shape == (1, 300, 300)
    assert not extra["labeled"] and extra["target"].abs().sum() == 0


def test_splits():
    from kd_grasp_ros.grasp.data import Scene

    scenes = [Scene(f"s{i:03d}", depth_path=None) for i in range(100)]
    train, test = split_scenes(scenes, "sorted")
    assert [s.name for s in test] == [f"s{i:03d}" for i in range(90, 100)] and len(train) == 90
    tr1, te1 = split_scenes(scenes, "random", seed=3)
    tr2, te2 = split_scenes(scenes, "random", seed=3)
    assert [s.name for s in te1] == [s.name for s in te2] and len(te1) == 10
    assert {s.name for s in tr1} | {s.name for s in te1} == {s.name for s in scenes}
    with pytest.raises(GraspDataError):
        split_scenes(scenes, "bogus")


def test_range_to_z_flattens_a_range_image_of_a_plane():
    from kd_grasp_ros.grasp.preprocess import CORNELL_RANGE_FOCAL_PX, range_to_z

    v, u = np.mgrid[0:480, 0:640].astype(np.float32)
    k = np.sqrt(1 + ((u - 319.5) / CORNELL_RANGE_FOCAL_PX) ** 2 + ((v - 239.5) / CORNELL_RANGE_FOCAL_PX) ** 2)
    ranges = (0.9 * k).astype(np.float32)
    ranges[10, 10] = -1.0
    z = range_to_z(ranges)
    assert z[10, 10] == 0.0
    z[10, 10] = 0.9
    np.testing.assert_allclose(z, 0.9, rtol=1e-5)
    assert ranges[0, 0] - ranges[240, 320] > 0.2  # the bowl a range image makes of a flat table
