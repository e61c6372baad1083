"""Depth preprocessing of the GG-CNN reference: inpaint, rotate about the grasp centre, crop, normalise, zoom.

All geometric steps are 2x3 affines on (x, y) = (col, row) pixels applied with OpenCV, so the depth
crop and the rectangles are transformed by exactly the same map.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from kd_grasp_ros.grasp.constants import NETWORK_INPUT_SIZE
from kd_grasp_ros.grasp.rectangles import GraspRectangle


def missing_mask(depth: np.ndarray) -> np.ndarray:
    """True where depth is missing: 0, NaN, +-inf or negative (some datasets write -1 for no return)."""
    with np.errstate(invalid="ignore"):
        return ~(np.isfinite(depth) & (depth > 0))


def inpaint_missing(depth: np.ndarray) -> np.ndarray:
    """Fill missing pixels (see missing_mask) with OpenCV Navier-Stokes inpainting (as the reference)."""
    depth = np.where(missing_mask(depth), 0.0, depth).astype(np.float32)
    if not (depth == 0).any():
        return depth
    padded = cv2.copyMakeBorder(depth, 1, 1, 1, 1, cv2.BORDER_DEFAULT)
    mask = (padded == 0).astype(np.uint8)
    scale = float(np.abs(padded).max()) or 1.0
    filled = cv2.inpaint(padded / scale, mask, 1, cv2.INPAINT_NS)
    return (filled[1:-1, 1:-1] * scale).astype(np.float32)


# Cornell depth images are ranges (Euclidean distance to the camera, GG-CNN's from_pcd), not z: a flat
# table is a bowl in them. Fitting d = a + b u + c v + e r^2 over the Cornell-01 tables gives
# e = a / (2 f^2) with f ~ 568 px about the image centre (docs/grasp/evaluation-protocol.md).
CORNELL_RANGE_FOCAL_PX = 568.0


def range_factor(shape: tuple[int, int], focal_px: float = CORNELL_RANGE_FOCAL_PX) -> np.ndarray:
    """range / z of every pixel of an image of this shape (principal point at the centre)."""
    h, w = shape
    v, u = np.mgrid[0:h, 0:w].astype(np.float32)
    return np.sqrt(1.0 + ((u - (w - 1) / 2) / focal_px) ** 2 + ((v - (h - 1) / 2) / focal_px) ** 2)


def range_to_z(depth: np.ndarray, focal_px: float = CORNELL_RANGE_FOCAL_PX) -> np.ndarray:
    """z-depth (what RealSense and the simulation give) of a range image, principal point at the centre;
    missing pixels stay missing."""
    return np.where(missing_mask(depth), 0.0, depth / range_factor(depth.shape, focal_px)).astype(np.float32)


def looks_like_range_image(depth: np.ndarray, focal_px: float = CORNELL_RANGE_FOCAL_PX) -> bool:
    """True if the dominant surface (the table) bends like a range image: a robust fit of
    d = a + b u + c v + e r^2 (+ u^2 - v^2, uv) gives e within a factor 2 of a / (2 f^2)."""
    h, w = depth.shape
    v, u = np.mgrid[0:h:4, 0:w:4].astype(np.float64)
    d = depth[::4, ::4].astype(np.float64)
    u, v = u - (w - 1) / 2, v - (h - 1) / 2
    ok = ~missing_mask(d)
    a = np.stack([np.ones_like(u), u, v, u * u + v * v, u * u - v * v, u * v], -1)[ok]
    y = d[ok]
    keep = np.ones(len(y), bool)
    for _ in range(3):  # drop the objects: refit on the points near the surface
        coef, *_ = np.linalg.lstsq(a[keep], y[keep], rcond=None)
        res = np.abs(y - a @ coef)
        keep = res < 2 * np.median(res) + 1e-4
    expected = coef[0] / (2 * focal_px**2)
    return bool(0.5 * expected < coef[3] < 2 * expected)


def normalise(depth_crop: np.ndarray) -> np.ndarray:
    """Subtract the crop's mean and clip to [-1, 1] (the network's input range)."""
    return np.clip(depth_crop - depth_crop.mean(), -1.0, 1.0).astype(np.float32)


def rectangles_center(rects: list[GraspRectangle]) -> tuple[int, int]:
    """(row, col) of the mean of all corners, rounded: the crop centre of the reference."""
    pts = np.concatenate([r.points for r in rects])
    return int(round(pts[:, 0].mean())), int(round(pts[:, 1].mean()))


def crop_origin(center: tuple[int, int], image_shape: tuple[int, int], size: int) -> tuple[int, int]:
    """(top, left) of a size x size crop centred at center and clamped inside the image."""
    h, w = image_shape
    top = max(0, min(center[0] - size // 2, h - size))
    left = max(0, min(center[1] - size // 2, w - size))
    return top, left


def _affine(rotation: float, center: tuple[int, int], top: int, left: int, zoom: float, size: int):
    """(rotate+crop affine, zoom affine): rotation (radians, counter-clockwise on screen) about center."""
    rot = cv2.getRotationMatrix2D((float(center[1]), float(center[0])), float(np.rad2deg(rotation)), 1.0)
    rot[:, 2] -= (left, top)
    c = (size - 1) / 2.0
    zoom_m = np.array([[1.0 / zoom, 0.0, c - c / zoom], [0.0, 1.0 / zoom, c - c / zoom]])
    return rot, zoom_m


def compose(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The 2x3 affine doing a then b."""
    return (np.vstack([b, [0, 0, 1]]) @ np.vstack([a, [0, 0, 1]]))[:2]


@dataclass(frozen=True)
class Sample:
    """A network-ready crop and the full-image -> crop affine (x, y) that produced it."""

    depth: np.ndarray  # (size, size) float32, normalised
    rectangles: list[GraspRectangle]
    affine: np.ndarray  # 2x3, full-image (x, y) -> crop (x, y)


def make_sample(
    depth: np.ndarray,
    rects: list[GraspRectangle],
    rotation: float = 0.0,
    zoom: float = 1.0,
    center: tuple[int, int] | None = None,
    size: int = NETWORK_INPUT_SIZE,
) -> Sample:
    """Crop size x size around center (default: the rectangles' mean corner), rotated and zoomed."""
    h, w = depth.shape
    if h < size or w < size:
        raise ValueError(f"depth image {depth.shape} is smaller than the {size}x{size} crop")
    if center is None:
        center = rectangles_center(rects) if rects else (h // 2, w // 2)
    top, left = crop_origin(center, (h, w), size)
    rot, zoom_m = _affine(rotation, center, top, left, zoom, size)
    crop = cv2.warpAffine(depth, rot, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    crop = normalise(crop)
    if zoom != 1.0:
        crop = cv2.warpAffine(
            crop, zoom_m, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT
        )
    full = compose(rot, zoom_m)
    return Sample(depth=crop, rectangles=[r.transformed(full) for r in rects], affine=full)
