"""Strong augmentation: geometry moves depth and labels together; corruption writes every missing encoding;
views are reproducible from (seed, epoch, index)."""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np
import pytest
import tifffile

from kd_grasp_ros.grasp.augment import (
    NO_AUGMENTATION,
    STRONG,
    augmented_view,
    corrupt_depth,
    network_input,
    view_affine,
    warp_rectangles,
)
from kd_grasp_ros.grasp.data import Scene
from kd_grasp_ros.grasp.labels import draw_label_maps
from kd_grasp_ros.grasp.preprocess import missing_mask
from kd_grasp_ros.grasp.rectangles import GraspRectangle, angle_difference, wrap_angle

GEOMETRY = [  # (rotation, flip, magnification)
    (0.0, False, 1.0),
    (0.7, False, 0.6),
    (2.2, True, 1.4),
    (np.pi / 2, True, 1.0),
    (5.0, False, 1.2),
]


def table_with_box():
    depth = np.full((480, 640), 0.7, np.float32)
    depth[200:260, 280:380] = 0.64
    rect = GraspRectangle.from_grasp((230, 330), 0.3, 70.0, 20.0)
    return depth, rect


@pytest.mark.parametrize("rotation, flip, magnification", GEOMETRY)
def test_label_map_of_augmented_view_equals_augmented_label_map(rotation, flip, magnification):
    depth, rect = table_with_box()
    affine = view_affine((236.0, 320.0), rotation, flip, magnification)
    (moved,) = warp_rectangles([rect], affine)
    maps = draw_label_maps([moved], (300, 300))
    full = draw_label_maps([rect], depth.shape)
    warped_q = cv2.warpAffine(full[0], affine, (300, 300), flags=cv2.INTER_NEAREST)
    inter = np.logical_and(maps[0] > 0.5, warped_q > 0.5).sum()
    union = np.logical_or(maps[0] > 0.5, warped_q > 0.5).sum()
    assert inter / union > 0.85
    inside = maps[0] > 0.5
    # width scales with magnification; angle turns with the rotation and changes sign under the flip
    np.testing.assert_allclose(maps[3][inside] * 150, 70.0 * magnification, rtol=1e-6)
    expected = wrap_angle(-(rect.angle + rotation) if flip else rect.angle + rotation)
    assert angle_difference(moved.angle, expected) < 1e-6
    np.testing.assert_allclose(maps[1][inside], np.cos(2 * expected), atol=1e-5)
    np.testing.assert_allclose(maps[2][inside], np.sin(2 * expected), atol=1e-5)
    # and the depth crop moves with them: the box covers the rectangle's centre in the view
    crop = network_input(
        cv2.warpAffine(depth, affine, (300, 300), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    )
    r, c = np.round(moved.center).astype(int)
    assert crop[r, c] < crop.mean() - 0.02  # the box top is nearer than the table


def test_marker_lands_on_the_transformed_corner():
    depth, rect = table_with_box()
    end = np.round(rect.points[1]).astype(int)
    depth[end[0] - 1 : end[0] + 2, end[1] - 1 : end[1] + 2] = 0.4
    cfg = replace(
        NO_AUGMENTATION, rotation=True, flip_probability=1.0, magnification=(1.3, 1.3), center_shift_px=30
    )
    x, (moved,), view, _ = augmented_view(np.random.default_rng(4), depth, [rect], (230, 330), cfg)
    assert view.flip and view.magnification == pytest.approx(1.3)
    marker = np.unravel_index(np.argmin(x), x.shape)
    np.testing.assert_allclose(marker, moved.points[1], atol=2.0)


def test_corruption_uses_every_missing_encoding_and_input_stays_finite():
    depth = np.full((300, 300), 0.7, np.float32)
    depth[100:200, 100:200] = 0.6
    seen = set()
    cfg = replace(STRONG, hole_probability=1.0)
    for seed in range(30):
        crop = corrupt_depth(np.random.default_rng(seed), depth, cfg)
        holes = missing_mask(crop)
        assert holes.any() and not holes.all()
        values = crop[holes]
        seen |= {"nan" if np.isnan(v) else float(v) for v in values[:1]}
        x = network_input(crop)
        assert np.isfinite(x).all() and np.abs(x).max() <= 1.0
    assert seen == {0.0, "nan", -1.0}


def test_noise_grows_with_distance():
    rng = np.random.default_rng(0)
    cfg = replace(NO_AUGMENTATION, noise_kinds=("stereo",))
    near = corrupt_depth(rng, np.full((300, 300), 0.4, np.float32), cfg)
    far = corrupt_depth(rng, np.full((300, 300), 1.2, np.float32), cfg)
    assert np.std(far) > 3 * np.std(near) > 0


def test_view_dataset_reproducible_and_labels_consistent(tmp_path):
    import torch

    from kd_grasp_ros.grasp.torch_data import ViewDataset

    depth, rect = table_with_box()
    tifffile.imwrite(tmp_path / "pcd0001d.tiff", depth)
    scenes = [
        Scene("a", tmp_path / "pcd0001d.tiff", positives=[rect]),
        Scene("b", tmp_path / "pcd0001d.tiff"),
    ]
    data = ViewDataset(scenes, views_per_scene=2, seed=5)
    assert len(data) == 4
    a, b = data[0], data[0]
    assert torch.equal(a["depth"], b["depth"]) and a["labeled"] and a["target"][0].sum() > 0
    assert not data[1]["labeled"] and data[1]["target"].abs().sum() == 0
    data.set_epoch(1)
    assert not torch.equal(data[0]["depth"], a["depth"])
    q = data[0]["target"][0].numpy() > 0.5
    assert data[0]["depth"][0].numpy()[q].mean() < data[0]["depth"][0].numpy().mean()


def test_range_images_are_recognised(shared_dir):
    from kd_grasp_ros.grasp.data import read_depth
    from kd_grasp_ros.grasp.preprocess import looks_like_range_image, range_factor

    v, u = np.mgrid[0:480, 0:640].astype(np.float32)
    tilted_z = (0.8 + 2e-4 * u + 1e-4 * v).astype(np.float32)
    tilted_z[200:260, 300:380] -= 0.05  # an object
    assert not looks_like_range_image(tilted_z)
    assert looks_like_range_image(tilted_z * range_factor(tilted_z.shape))
    cornell = read_depth(shared_dir / "data/cornell-01/pcd0100d.tiff")
    assert looks_like_range_image(cornell)


def test_teacher_sees_the_range_form_of_the_students_view(tmp_path):
    from kd_grasp_ros.grasp.preprocess import range_factor
    from kd_grasp_ros.grasp.torch_data import DepthCache, ViewDataset

    depth, rect = table_with_box()
    tifffile.imwrite(tmp_path / "pcd0001d.tiff", depth * range_factor(depth.shape))  # stored as range
    scene = Scene("a", tmp_path / "pcd0001d.tiff", positives=[rect])
    cfg = replace(NO_AUGMENTATION, rotation=True, center_shift_px=40)
    data = ViewDataset([scene], cfg, seed=1, cache=DepthCache(as_z="auto"), teacher_range_input=True)
    item = data[0]
    student, teacher = item["depth"][0].numpy(), item["teacher_depth"][0].numpy()
    table = student > np.median(student) - 0.02  # not the box (6 cm nearer)
    # the student's table is flat (z-depth), the teacher's bends away from the image centre
    assert np.percentile(student[table], 95) - np.percentile(student[table], 5) < 0.01
    assert np.percentile(teacher[table], 95) - np.percentile(teacher[table], 5) > 0.03
    with pytest.raises(ValueError, match="as_z"):
        ViewDataset([scene], cfg, teacher_range_input=True)
