"""The classical fill every completed depth falls back to: raw depth where valid, inpainting elsewhere.

`fill_holes` inpaints the missing pixels (0 = missing) of a depth image at a reduced working size
(`fill_work_size`: FILL_SCALE x a size, OpenCV Navier-Stokes, radius FILL_RADIUS_PX) and returns the
fill upsampled linearly; `classical_fill` keeps every valid raw pixel and takes the fill in the holes.
`kd-grasp depth eval` scores it ("fill") beside the inpainting baseline of baselines.py ("inpaint").

The networks never replace this estimate, they correct it (preprocess.compose_depth): a correction of
zero, or a confidence of zero, gives exactly `classical_fill`.
"""

from __future__ import annotations

import cv2
import numpy as np

from kd_grasp_ros.depth.constants import FILL_RADIUS_PX, FILL_SCALE


def fill_work_size(width: int, height: int) -> tuple[int, int]:
    """The (width, height) the holes of an image of (width, height), or of a network input of that
    size, are inpainted at."""
    return max(2, round(width * FILL_SCALE)), max(2, round(height * FILL_SCALE))


def fill_holes(raw_m: np.ndarray, work_size: tuple[int, int] | None = None) -> np.ndarray:
    """HxW float32: the inpainted raw depth (0 = missing) at the input's size, computed at work_size
    (width, height; default fill_work_size of the input). An image with no valid pixel stays all zero."""
    raw_m = np.ascontiguousarray(raw_m, dtype=np.float32)
    h, w = raw_m.shape
    if work_size is None:
        work_size = fill_work_size(w, h)
    small = cv2.resize(raw_m, work_size, interpolation=cv2.INTER_NEAREST)
    holes = (small <= 0).astype(np.uint8)
    if holes.all():
        return np.zeros_like(raw_m)
    if holes.any():
        small = cv2.inpaint(small, holes, FILL_RADIUS_PX, cv2.INPAINT_NS)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def classical_fill(raw_m: np.ndarray, work_size: tuple[int, int] | None = None) -> np.ndarray:
    """HxW float32 metres: valid raw pixels (> 0) unchanged, holes from fill_holes."""
    raw_m = np.ascontiguousarray(raw_m, dtype=np.float32)
    return np.where(raw_m > 0, raw_m, fill_holes(raw_m, work_size)).astype(np.float32)
