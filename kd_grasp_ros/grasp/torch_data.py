"""PyTorch datasets of GG-CNN samples.

GraspDataset: the reference augmentation (below). ViewDataset: the strong augmentation of augment.py for
distillation, every depth image (labeled or not) seen under views_per_scene random views per epoch;
each item's randomness is seeded by (seed, epoch, index), so any number of DataLoader workers gives the
same samples.

GraspDataset details:

Index i < len(scenes): scene i with the reference augmentation (quarter-turn rotation, zoom U(0.5, 1))
when augment is on; labeled if the scene has positive rectangles. Indices beyond that are extra
unlabeled views (kd_views per scene: any rotation angle, zoom U(0.5, 1), a shifted crop centre), which
only the KD term of the loss sees.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import Dataset

from kd_grasp_ros.grasp.augment import STRONG, AugmentConfig, augmented_view
from kd_grasp_ros.grasp.constants import NETWORK_INPUT_SIZE, ZOOM_MIN
from kd_grasp_ros.grasp.data import Scene, read_depth
from kd_grasp_ros.grasp.labels import draw_label_maps
from kd_grasp_ros.grasp.preprocess import (
    inpaint_missing,
    looks_like_range_image,
    make_sample,
    range_factor,
    range_to_z,
    rectangles_center,
)

QUARTER_TURNS = (0.0, np.pi / 2, np.pi, 3 * np.pi / 2)
KD_VIEW_SHIFT_PX = 60


class DepthCache:
    """Inpainted depth images kept in memory after the first read. as_z: True converts every image from
    range to z-depth (Cornell), 'auto' only those that look like range images, as a real camera would
    give them; False keeps the stored depth."""

    def __init__(self, as_z: bool | str = False):
        self._depth: dict[str, np.ndarray] = {}
        self.as_z = as_z

    def get(self, scene: Scene) -> np.ndarray:
        key = str(scene.depth_path)
        if key not in self._depth:
            depth = read_depth(scene.depth_path)
            convert = self.as_z is True or (self.as_z == "auto" and looks_like_range_image(depth))
            self._depth[key] = inpaint_missing(range_to_z(depth) if convert else depth)
        return self._depth[key]

    def preload(self, scenes: list[Scene]) -> None:
        """Read every scene now (before DataLoader workers fork, so they share the images)."""
        for scene in scenes:
            self.get(scene)


class GraspDataset(Dataset):
    """Items: {'depth': (1,S,S), 'target': (4,S,S) (zeros if unlabeled), 'labeled': bool, 'index': int}."""

    def __init__(
        self,
        scenes: list[Scene],
        augment: bool = True,
        kd_views: int = 0,
        seed: int = 0,
        size: int = NETWORK_INPUT_SIZE,
        cache: DepthCache | None = None,
    ):
        if not scenes:
            raise ValueError("GraspDataset needs at least one scene")
        self.scenes, self.augment, self.kd_views, self.size = scenes, augment, kd_views, size
        self.rng = np.random.default_rng(seed)
        self.cache = cache or DepthCache()

    def __len__(self) -> int:
        return len(self.scenes) * (1 + self.kd_views)

    def __getitem__(self, index: int) -> dict:
        n = len(self.scenes)
        scene = self.scenes[index % n]
        depth = self.cache.get(scene)
        if index < n:
            rotation = float(self.rng.choice(QUARTER_TURNS)) if self.augment else 0.0
            zoom = float(self.rng.uniform(ZOOM_MIN, 1.0)) if self.augment else 1.0
            sample = make_sample(depth, scene.positives, rotation, zoom, size=self.size)
            labeled = scene.labeled
        else:
            h, w = depth.shape
            base = rectangles_center(scene.positives) if scene.labeled else (h // 2, w // 2)
            shift = self.rng.integers(-KD_VIEW_SHIFT_PX, KD_VIEW_SHIFT_PX + 1, size=2)
            center = (int(base[0] + shift[0]), int(base[1] + shift[1]))
            sample = make_sample(
                depth,
                [],
                float(self.rng.uniform(0, 2 * np.pi)),
                float(self.rng.uniform(ZOOM_MIN, 1.0)),
                center=center,
                size=self.size,
            )
            labeled = False
        target = (
            draw_label_maps(sample.rectangles, (self.size, self.size))
            if labeled
            else np.zeros((4, self.size, self.size), np.float32)
        )
        return {
            "depth": torch.from_numpy(sample.depth[None]),
            "target": torch.from_numpy(target),
            "labeled": labeled,
            "index": index,
        }


class ViewDataset(Dataset):
    """Strongly augmented views for distillation. Items as GraspDataset; labeled scenes carry their
    transformed label maps, unlabeled ones zeros (KD term only). Call set_epoch(e) before each epoch."""

    def __init__(
        self,
        scenes: list[Scene],
        cfg: AugmentConfig = STRONG,
        views_per_scene: int = 1,
        seed: int = 0,
        cache: DepthCache | None = None,
        teacher_range_input: bool = False,
    ):
        if not scenes:
            raise ValueError("ViewDataset needs at least one scene")
        self.scenes, self.cfg, self.views, self.seed = scenes, cfg, int(views_per_scene), int(seed)
        self.cache = cache or DepthCache()
        self.teacher_range_input = teacher_range_input
        if teacher_range_input and self.cache.as_z != "auto":
            raise ValueError("teacher_range_input needs a DepthCache(as_z='auto'): students see z-depth")
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return len(self.scenes) * self.views

    def __getitem__(self, index: int) -> dict:
        scene = self.scenes[index % len(self.scenes)]
        depth = self.cache.get(scene)
        rng = np.random.default_rng([self.seed, self.epoch, index])
        h, w = depth.shape
        if scene.labeled:
            base = rectangles_center(scene.positives)
        else:  # objects anywhere: wander over the middle half of the image
            base = (h / 2 + rng.uniform(-h / 4, h / 4), w / 2 + rng.uniform(-w / 4, w / 4))
        factor = range_factor(depth.shape) if self.teacher_range_input else None
        x, rects, _, teacher_x = augmented_view(rng, depth, scene.positives, base, self.cfg, factor)
        size = self.cfg.size
        target = (
            draw_label_maps(rects, (size, size)) if scene.labeled else np.zeros((4, size, size), np.float32)
        )
        item = {
            "depth": torch.from_numpy(x[None]),
            "target": torch.from_numpy(target),
            "labeled": scene.labeled,
            "index": index,
        }
        if teacher_x is not None:
            item["teacher_depth"] = torch.from_numpy(teacher_x[None])
        return item
