"""Pictures of the pipeline's results: a colour-mapped quality heat map and grasps drawn on an image."""

from __future__ import annotations

import cv2
import numpy as np

from kd_grasp_ros.common.grasp_types import ImageGrasp

# Jaw plates are drawn this fraction of the grasp width long when the detector gives no length.
DEFAULT_JAW_LENGTH_FRACTION = 0.5
BEST_COLOUR = (0, 255, 0)
OTHER_COLOUR = (255, 200, 0)


def quality_heatmap(quality: np.ndarray) -> np.ndarray:
    """(H, W) quality in [0, 1] -> (H, W, 3) uint8 RGB with the jet colour map (blue 0, red 1)."""
    q = np.asarray(quality, dtype=np.float32)
    if q.ndim != 2:
        raise ValueError(f"quality map must be (H, W), got shape {q.shape}")
    scaled = np.rint(np.clip(np.nan_to_num(q), 0.0, 1.0) * 255.0).astype(np.uint8)
    return cv2.cvtColor(cv2.applyColorMap(scaled, cv2.COLORMAP_JET), cv2.COLOR_BGR2RGB)


def grasp_corners(grasp: ImageGrasp) -> np.ndarray:
    """The 4 (x, y) pixel corners of a grasp rectangle (jaw axis along the width)."""
    jaw = np.array([np.cos(grasp.angle), -np.sin(grasp.angle)])  # image x right, rows down
    plate = np.array([-jaw[1], jaw[0]])
    length = grasp.length_px if grasp.length_px > 0 else grasp.width_px * DEFAULT_JAW_LENGTH_FRACTION
    centre = np.array([grasp.col, grasp.row])
    half_w, half_l = jaw * grasp.width_px / 2.0, plate * length / 2.0
    return np.array(
        [
            centre + half_w + half_l,
            centre + half_w - half_l,
            centre - half_w - half_l,
            centre - half_w + half_l,
        ]
    )


def draw_grasps(rgb: np.ndarray, grasps: list[ImageGrasp]) -> np.ndarray:
    """A copy of an (H, W, 3) uint8 RGB image with the grasps drawn, the best (first) in green."""
    canvas = np.ascontiguousarray(np.asarray(rgb, dtype=np.uint8).copy())
    for i, grasp in enumerate(reversed(grasps)):
        colour = BEST_COLOUR if i == len(grasps) - 1 else OTHER_COLOUR
        corners = np.rint(grasp_corners(grasp)).astype(np.int32)
        # the jaw plates (thick) and the opening (thin)
        cv2.line(canvas, tuple(corners[0]), tuple(corners[1]), colour, 2)
        cv2.line(canvas, tuple(corners[2]), tuple(corners[3]), colour, 2)
        cv2.line(canvas, tuple(corners[1]), tuple(corners[2]), colour, 1)
        cv2.line(canvas, tuple(corners[3]), tuple(corners[0]), colour, 1)
        cv2.circle(canvas, (int(round(grasp.col)), int(round(grasp.row))), 3, colour, -1)
    return canvas


def depth_to_rgb(depth_m: np.ndarray, depth_range: tuple[float, float] | None = None) -> np.ndarray:
    """Depth in metres as a grey-scale RGB image (near = bright, missing = black).

    depth_range: the metres mapped to white..black; None = the 1st..99th percentile of the valid depth.
    """
    d = np.asarray(depth_m, dtype=np.float32)
    valid = d[np.isfinite(d) & (d > 0)]
    if depth_range is not None:
        lo, hi = depth_range
    elif valid.size:
        lo, hi = (float(v) for v in np.percentile(valid, [1, 99]))
    else:
        lo, hi = 0.0, 1.0
    hi = max(hi, lo + 1e-3)
    scaled = np.where(d > 0, 1.0 - np.clip((d - lo) / (hi - lo), 0.0, 1.0), 0.0)
    grey = np.rint(scaled * 255.0).astype(np.uint8)
    return np.repeat(grey[:, :, None], 3, axis=2)
