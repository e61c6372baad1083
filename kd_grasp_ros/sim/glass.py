"""A cheap look of glass and clear plastic in the colour image, composited from two renders.

MuJoCo blends transparent geoms with a constant alpha, which looks like frosted plastic. Real clear
objects show the background bent by refraction, dark or bright rims where the surface turns away,
and highlights. Inside the transparent mask the colour is rebuilt from the render without the
transparent objects, displaced along the image gradient of the true depth (a surface-normal proxy),
mixed with the blended render (which carries tint and highlights) more strongly towards the rims.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class GlassLookConfig:
    """Parameters of the composite (config/sim.yaml, section `glass`)."""

    refraction_px: float  # px, largest displacement of the background seen through the object
    slope_ref: float  # m/px, depth slope counted as a fully turned-away surface
    blend: float  # share of the alpha-blended render on surfaces facing the camera (0..1)
    rim_darkening: float  # brightness lost on the rims (0..1)


def composite_glass(
    rgb_blended: np.ndarray,
    rgb_background: np.ndarray,
    depth_true: np.ndarray,
    transparent_mask: np.ndarray,
    cfg: GlassLookConfig,
) -> np.ndarray:
    """The colour image (uint8 HxWx3) with refraction and rims on the transparent pixels."""
    if not transparent_mask.any():
        return rgb_blended.copy()
    depth = cv2.GaussianBlur(depth_true.astype(np.float32), (0, 0), 1.5)
    gx = cv2.Sobel(depth, cv2.CV_32F, 1, 0, ksize=3) / 8.0
    gy = cv2.Sobel(depth, cv2.CV_32F, 0, 1, ksize=3) / 8.0
    slope = np.sqrt(gx * gx + gy * gy)
    steep = np.clip(slope / cfg.slope_ref, 0.0, 1.0)
    unit_x = np.divide(gx, slope, out=np.zeros_like(gx), where=slope > 1e-9)
    unit_y = np.divide(gy, slope, out=np.zeros_like(gy), where=slope > 1e-9)
    h, w = depth.shape
    cols, rows = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    shift = cfg.refraction_px * steep
    bent = cv2.remap(
        rgb_background,
        cols + shift * unit_x,
        rows + shift * unit_y,
        cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REFLECT,
    ).astype(np.float32)
    weight = (cfg.blend + (1.0 - cfg.blend) * steep)[..., None]
    glass = (1.0 - weight) * bent + weight * rgb_blended.astype(np.float32)
    glass *= (1.0 - cfg.rim_darkening * steep * steep)[..., None]
    out = rgb_blended.astype(np.float32)
    out[transparent_mask] = glass[transparent_mask]
    return np.clip(out, 0, 255).astype(np.uint8)
