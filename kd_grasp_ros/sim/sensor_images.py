"""From rendered views to what the simulated RealSense delivers: colour, raw depth, transparent mask."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kd_grasp_ros.sim.config import SimConfig
from kd_grasp_ros.sim.glass import composite_glass
from kd_grasp_ros.sim.rendering import RenderedViews
from kd_grasp_ros.sim.sensor import add_rgb_noise, simulate_raw_depth


@dataclass
class SensorImages:
    rgb: np.ndarray  # HxWx3 uint8, RGB order, glass look and sensor noise applied
    depth_raw: np.ndarray  # HxW float32 m, 0 = missing
    transparent_mask: np.ndarray  # HxW bool, visible transparent-object pixels


def sensor_images(
    views: RenderedViews, transparent_body_ids, fx: float, cfg: SimConfig, rng: np.random.Generator
) -> SensorImages:
    """Colour with the glass composite and noise, and the RealSense-like raw depth."""
    mask = np.isin(views.body_ids, list(transparent_body_ids))
    raw = simulate_raw_depth(
        views.depth_true, views.depth_background, mask, views.rgb, views.rgb_background, fx, cfg.sensor, rng
    )
    look = composite_glass(views.rgb, views.rgb_background, views.depth_true, mask, cfg.glass)
    return SensorImages(
        rgb=add_rgb_noise(look, cfg.sensor.rgb_noise, rng), depth_raw=raw, transparent_mask=mask
    )
