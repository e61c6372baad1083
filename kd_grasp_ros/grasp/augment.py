"""Strong augmentation of depth views for distillation: the inputs a real user's camera produces.

One view of a full depth image (metres) is a single 2x3 affine (x, y) = (col, row) from the image to the
network crop: crop centre anywhere near the objects, any rotation, a mirror flip, and a magnification
in [0.6, 1.4] (objects seen from about 0.4 to 1.2 m when the data was taken at about 0.7 m). The same
affine maps the grasp rectangles, so labels stay consistent. Then, on the crop in metres: a depth
scale and offset, sensor noise (RealSense-like: z-proportional Gaussian plus a smooth low-frequency
bias; stereo-like: noise and 1/8 px quantisation in disparity, so steps grow with z²), holes (random
blobs and speckle) and dropout at depth edges (stereo shadows), each written as 0, NaN or -1 at
random. The network input is made from that exactly as at run time: missing pixels inpainted, then
mean-subtracted and clipped (preprocess.network_input).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from kd_grasp_ros.grasp.constants import NETWORK_INPUT_SIZE
from kd_grasp_ros.grasp.preprocess import inpaint_missing, normalise
from kd_grasp_ros.grasp.rectangles import GraspRectangle

MISSING_ENCODINGS = (0.0, np.nan, -1.0)
STEREO_FOCAL_BASELINE_PX_M = 640.0 * 0.05  # 640 px focal length x 50 mm baseline (a D435-like head)
STEREO_SUBPIXEL = 1.0 / 8.0


@dataclass(frozen=True)
class AugmentConfig:
    """Ranges of the strong augmentation; every draw is uniform in its range."""

    magnification: tuple[float, float] = (0.6, 1.4)
    center_shift_px: int = 80  # crop centre moved up to this far from the objects' centre
    flip_probability: float = 0.5
    rotation: bool = True  # any angle in [0, 2π); False: none
    depth_scale: tuple[float, float] = (0.85, 1.2)
    depth_offset_m: tuple[float, float] = (-0.25, 0.45)
    noise_kinds: tuple[str, ...] = ("none", "realsense", "stereo")
    realsense_sigma_per_m: tuple[float, float] = (0.0005, 0.004)  # σ = k z²
    stereo_disparity_sigma_px: tuple[float, float] = (0.03, 0.25)
    hole_probability: float = 0.7
    max_holes: int = 6
    hole_radius_px: tuple[int, int] = (2, 30)
    speckle_fraction: tuple[float, float] = (0.0, 0.02)
    edge_dropout_probability: float = 0.6
    edge_gradient_m: float = 0.008  # depth step per pixel that counts as an edge
    size: int = NETWORK_INPUT_SIZE


STRONG = AugmentConfig()
NO_AUGMENTATION = AugmentConfig(
    magnification=(1.0, 1.0),
    center_shift_px=0,
    flip_probability=0.0,
    rotation=False,
    depth_scale=(1.0, 1.0),
    depth_offset_m=(0.0, 0.0),
    noise_kinds=("none",),
    hole_probability=0.0,
    speckle_fraction=(0.0, 0.0),
    edge_dropout_probability=0.0,
)


@dataclass(frozen=True)
class View:
    """The geometric part of one augmented view: full image (x, y) -> crop (x, y)."""

    affine: np.ndarray
    magnification: float
    rotation: float
    flip: bool


def view_affine(
    center: tuple[float, float],
    rotation: float,
    flip: bool,
    magnification: float,
    size: int = NETWORK_INPUT_SIZE,
) -> np.ndarray:
    """2x3 affine taking full-image (x, y) to crop (x, y): the image point `center` (row, col) lands on
    the crop centre, rotated by `rotation` (radians, counter-clockwise on screen), mirrored left-right
    if flip, scaled by magnification."""
    cy, cx = center
    c, s = np.cos(rotation), np.sin(rotation)
    to_origin = np.array([[1, 0, -cx], [0, 1, -cy], [0, 0, 1]], np.float64)
    rotate = np.array([[c, s, 0], [-s, c, 0], [0, 0, 1]], np.float64)  # y down: ccw on screen
    mirror = np.diag([-1.0 if flip else 1.0, 1.0, 1.0])
    scale = np.diag([magnification, magnification, 1.0])
    half = (size - 1) / 2.0
    to_crop = np.array([[1, 0, half], [0, 1, half], [0, 0, 1]], np.float64)
    return (to_crop @ scale @ mirror @ rotate @ to_origin)[:2]


def sample_view(rng: np.random.Generator, cfg: AugmentConfig, base_center: tuple[float, float]) -> View:
    shift = rng.uniform(-cfg.center_shift_px, cfg.center_shift_px, size=2) if cfg.center_shift_px else (0, 0)
    center = (base_center[0] + shift[0], base_center[1] + shift[1])
    rotation = float(rng.uniform(0, 2 * np.pi)) if cfg.rotation else 0.0
    flip = bool(rng.random() < cfg.flip_probability)
    magnification = float(rng.uniform(*cfg.magnification))
    return View(view_affine(center, rotation, flip, magnification, cfg.size), magnification, rotation, flip)


def warp_depth(depth: np.ndarray, affine: np.ndarray, size: int = NETWORK_INPUT_SIZE) -> np.ndarray:
    """The crop of a full depth image (metres, no missing pixels) under a view affine."""
    return cv2.warpAffine(depth, affine, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


def warp_rectangles(rects: list[GraspRectangle], affine: np.ndarray) -> list[GraspRectangle]:
    return [r.transformed(affine) for r in rects]


def _smooth_field(rng: np.random.Generator, shape: tuple[int, int], cells: int) -> np.ndarray:
    """Zero-mean, unit-ish random field varying over about shape / cells pixels."""
    coarse = rng.standard_normal((cells, cells)).astype(np.float32)
    return cv2.resize(coarse, (shape[1], shape[0]), interpolation=cv2.INTER_CUBIC)


def realsense_noise(rng: np.random.Generator, depth: np.ndarray, cfg: AugmentConfig) -> np.ndarray:
    k = rng.uniform(*cfg.realsense_sigma_per_m)
    sigma = k * depth**2
    white = rng.standard_normal(depth.shape).astype(np.float32)
    low = _smooth_field(rng, depth.shape, int(rng.integers(3, 9)))
    return depth + sigma * (white + 1.5 * low)


def stereo_noise(rng: np.random.Generator, depth: np.ndarray, cfg: AugmentConfig) -> np.ndarray:
    fb = STEREO_FOCAL_BASELINE_PX_M
    disparity = fb / np.maximum(depth, 1e-3)
    sigma = rng.uniform(*cfg.stereo_disparity_sigma_px)
    noise = cv2.GaussianBlur(rng.standard_normal(depth.shape).astype(np.float32), (0, 0), 1.5) * 2.5
    disparity = disparity + sigma * noise + sigma * _smooth_field(rng, depth.shape, 5)
    disparity = np.round(disparity / STEREO_SUBPIXEL) * STEREO_SUBPIXEL
    return (fb / np.maximum(disparity, STEREO_SUBPIXEL)).astype(np.float32)


def dropout_mask(rng: np.random.Generator, depth: np.ndarray, cfg: AugmentConfig) -> np.ndarray:
    """Where the augmented view loses its depth: blobs, speckle and pixels at depth edges."""
    h, w = depth.shape
    mask = np.zeros((h, w), np.uint8)
    if rng.random() < cfg.hole_probability:
        for _ in range(int(rng.integers(1, cfg.max_holes + 1))):
            centre = (int(rng.integers(0, w)), int(rng.integers(0, h)))
            axes = tuple(int(a) for a in rng.integers(cfg.hole_radius_px[0], cfg.hole_radius_px[1] + 1, 2))
            cv2.ellipse(mask, centre, axes, float(rng.uniform(0, 180)), 0, 360, 1, -1)
    speckle = rng.uniform(*cfg.speckle_fraction)
    missing = mask.astype(bool) | (rng.random((h, w)) < speckle)
    if rng.random() < cfg.edge_dropout_probability:
        gy, gx = np.gradient(depth)
        edges = (np.hypot(gx, gy) > cfg.edge_gradient_m).astype(np.uint8)
        width = int(rng.integers(1, 4))
        edges = cv2.dilate(edges, np.ones((2 * width + 1, 2 * width + 1), np.uint8)).astype(bool)
        missing |= edges & (rng.random((h, w)) < rng.uniform(0.5, 1.0))
    return missing


def corrupt_depth(rng: np.random.Generator, crop_m: np.ndarray, cfg: AugmentConfig) -> np.ndarray:
    """Scale/offset, sensor noise and dropout on a crop in metres; missing pixels are 0, NaN or -1."""
    depth = crop_m * rng.uniform(*cfg.depth_scale)
    depth = np.maximum(depth + rng.uniform(*cfg.depth_offset_m), 0.1).astype(np.float32)
    kind = cfg.noise_kinds[int(rng.integers(len(cfg.noise_kinds)))]
    if kind == "realsense":
        depth = realsense_noise(rng, depth, cfg)
    elif kind == "stereo":
        depth = stereo_noise(rng, depth, cfg)
    elif kind != "none":
        raise ValueError(f"unknown noise kind {kind!r}; expected none, realsense or stereo")
    missing = dropout_mask(rng, depth, cfg)
    if missing.all():
        missing[:] = False
    depth = depth.astype(np.float32)
    depth[missing] = MISSING_ENCODINGS[int(rng.integers(len(MISSING_ENCODINGS)))]
    return depth


def network_input(crop_m: np.ndarray) -> np.ndarray:
    """A crop in metres (missing = 0, NaN or negative) -> the network's input: inpainted, normalised."""
    return normalise(inpaint_missing(crop_m))


def augmented_view(
    rng: np.random.Generator,
    depth_m: np.ndarray,
    rects: list[GraspRectangle],
    base_center: tuple[float, float],
    cfg: AugmentConfig = STRONG,
    range_factor: np.ndarray | None = None,
) -> tuple[np.ndarray, list[GraspRectangle], View, np.ndarray | None]:
    """(network input (size, size) float32, rectangles in the crop, the view, teacher input or None).

    With range_factor (range / z per full-image pixel, preprocess.range_factor) and z-depth in depth_m,
    the teacher input is the same corrupted view as a range image: what a teacher trained on Cornell's
    range images expects, while the student gets the z-depth a real camera gives."""
    view = sample_view(rng, cfg, base_center)
    crop = warp_depth(depth_m, view.affine, cfg.size)
    crop = corrupt_depth(rng, crop, cfg)
    teacher = None
    if range_factor is not None:
        factor = warp_depth(range_factor, view.affine, cfg.size)
        teacher = network_input(np.where(np.isfinite(crop), crop * factor, crop))  # -1 stays negative
    return network_input(crop), warp_rectangles(rects, view.affine), view, teacher
