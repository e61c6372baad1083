"""A tiny Cornell-layout dataset on disk for the grasp training tests."""

from __future__ import annotations

import numpy as np
import tifffile

from kd_grasp_ros.grasp.data import load_cornell_scenes
from kd_grasp_ros.grasp.train import TrainConfig


def write_scenes(root, n=3):
    root.mkdir()
    for i in range(n):
        depth = np.full((320, 360), 0.7, np.float32)
        depth[120 + 10 * i : 190, 140:220] = 0.65
        depth[5:9, 5:40] = -1.0  # missing, as some datasets write it
        tifffile.imwrite(root / f"pcd{i:04d}d.tiff", depth)
        if i < 2:  # the last scene is unlabeled (KD only)
            (root / f"pcd{i:04d}cpos.txt").write_text("160 150\n200 150\n200 160\n160 160\n")
    return load_cornell_scenes(root)


def tiny_distill_config(teacher, **overrides) -> TrainConfig:
    """A student_v1 distillation on strong views of the tiny set: 1 epoch of batch 2 unless overridden."""
    settings = {"model": "student_v1", "epochs": 1, "batch_size": 2, "augment": "strong"}
    return TrainConfig(teacher=teacher, **{**settings, **overrides})
