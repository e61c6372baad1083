"""Training targets of the reference method: Q, cos 2θ, sin 2θ and scaled width maps.

Each positive rectangle is shrunk to its centre third along the jaw axis; inside it Q = 1,
θ = rectangle angle, width = rectangle length (pixels) clipped to [0, WIDTH_SCALE_PX] / WIDTH_SCALE_PX.
Outside every rectangle θ = 0 (so cos 2θ = 1, sin 2θ = 0), exactly as the reference code and hence the
released weights. Later rectangles overwrite earlier ones where they overlap.
"""

from __future__ import annotations

import numpy as np
from skimage.draw import polygon

from kd_grasp_ros.grasp.constants import WIDTH_SCALE_PX
from kd_grasp_ros.grasp.rectangles import GraspRectangle

LABEL_SHRINK = 1.0 / 3.0


def draw_label_maps(rects: list[GraspRectangle], shape: tuple[int, int]) -> np.ndarray:
    """(4, H, W) float32 maps in OUTPUT_NAMES order: quality, cos 2θ, sin 2θ, width / WIDTH_SCALE_PX."""
    quality = np.zeros(shape, np.float32)
    angle = np.zeros(shape, np.float32)
    width = np.zeros(shape, np.float32)
    for rect in rects:
        core = rect.shrunk_along_axis(LABEL_SHRINK)
        rr, cc = polygon(core.points[:, 0], core.points[:, 1], shape)
        quality[rr, cc] = 1.0
        angle[rr, cc] = rect.angle
        width[rr, cc] = rect.length
    width = np.clip(width, 0.0, WIDTH_SCALE_PX) / WIDTH_SCALE_PX
    return np.stack([quality, np.cos(2 * angle), np.sin(2 * angle), width]).astype(np.float32)
