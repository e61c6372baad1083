"""A scene of known geometry for tests, the sample bag and benchmarks: a box lying on a table plane.

The camera looks straight down (optical z towards the table). Depth is ray-cast exactly against the
plane and the box (an oriented cuboid), so the box's top-face centre in the camera frame is known.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kd_grasp_ros.common.intrinsics import CameraIntrinsics
from kd_grasp_ros.common.transforms import rot_z

TABLE_RGB = (150, 140, 120)
BOX_RGB = (200, 40, 40)


@dataclass(frozen=True)
class BoxScene:
    """Where the table and the box are, in the camera optical frame (metres, radians)."""

    table_depth_m: float = 0.70
    box_size_m: tuple[float, float, float] = (0.05, 0.12, 0.06)  # along box x, box y, height
    box_centre_xy_m: tuple[float, float] = (0.0, 0.0)
    box_yaw_rad: float = 0.0

    @property
    def top_centre(self) -> np.ndarray:
        """Centre of the box's top face in the camera frame."""
        x, y = self.box_centre_xy_m
        return np.array([x, y, self.table_depth_m - self.box_size_m[2]])


@dataclass(frozen=True)
class SyntheticFrame:
    """One rendered frame: uint8 RGB, float32 metres depth (0 = missing), the box's mask."""

    rgb: np.ndarray
    depth_m: np.ndarray
    box_mask: np.ndarray


def _ray_box_depth(rays: np.ndarray, scene: BoxScene) -> np.ndarray:
    """Depth (z) at which each unit-z ray (x/z, y/z, 1) enters the box; inf where it misses."""
    rotation = rot_z(scene.box_yaw_rad)
    half = np.array(scene.box_size_m) / 2.0
    centre = np.array([*scene.box_centre_xy_m, scene.table_depth_m - half[2]])
    local_dir = rays @ rotation  # rotation.T @ ray for every ray
    local_origin = rotation.T @ (-centre)
    with np.errstate(divide="ignore", invalid="ignore"):
        t1 = (-half - local_origin) / local_dir
        t2 = (half - local_origin) / local_dir
    t_near = np.nanmax(np.minimum(t1, t2), axis=-1)
    t_far = np.nanmin(np.maximum(t1, t2), axis=-1)
    hit = (t_near <= t_far) & (t_far > 0)
    return np.where(hit, t_near, np.inf)


def render_box_scene(
    intrinsics: CameraIntrinsics,
    scene: BoxScene,
    transparent_box: bool = False,
    noise_m: float = 0.0,
    seed: int = 0,
) -> SyntheticFrame:
    """Render the scene; a transparent box leaves its pixels without depth (0), as a RealSense does."""
    cols, rows = np.meshgrid(np.arange(intrinsics.width), np.arange(intrinsics.height))
    rays = np.stack(
        [(cols - intrinsics.cx) / intrinsics.fx, (rows - intrinsics.cy) / intrinsics.fy, np.ones(cols.shape)],
        axis=-1,
    )
    box_z = _ray_box_depth(rays, scene)
    box_mask = np.isfinite(box_z) & (box_z < scene.table_depth_m)
    depth = np.where(box_mask, box_z, scene.table_depth_m)
    if noise_m > 0.0:
        depth = depth + np.random.default_rng(seed).normal(0.0, noise_m, depth.shape)
    if transparent_box:
        depth = np.where(box_mask, 0.0, depth)
    rgb = np.empty((intrinsics.height, intrinsics.width, 3), np.uint8)
    rgb[:] = TABLE_RGB
    rgb[box_mask] = BOX_RGB
    return SyntheticFrame(rgb=rgb, depth_m=depth.astype(np.float32), box_mask=box_mask)
