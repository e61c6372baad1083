"""RealSense D435-like raw depth from rendered ground truth.

The model, applied to the true (opaque-replica) depth:
- distance-dependent noise: a stereo camera measures disparity d = f b / z with an RMS error of
  `subpixel_rms` pixels, so sigma_z = z^2 * subpixel_rms / (f b); part of it is spatially smooth;
- z16 quantisation and a valid range;
- edge dropout: a random share of the pixels near depth steps is missing, plus the stereo shadow
  (background left of a foreground edge is not seen by the second imager);
- transparent surfaces (only inside the transparent mask): coherent regions with no depth, regions
  that read the depth behind the object (see-through), the rest a noisy surface reading; specular
  highlights are holes: transparent pixels brightened over the background seen through them by
  specular_delta more than the typical (median) transparent pixel.
All random fields are drawn in the same order whatever the parameters, so two configurations that
differ only in the transparent shares give identical depth outside the transparent mask.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from kd_grasp_ros.common.errors import KdGraspError


class SensorInputError(KdGraspError, ValueError):
    """The images given to the sensor model do not have the expected shapes or types."""


@dataclass(frozen=True)
class SensorNoiseConfig:
    """Raw-depth corruption parameters (values in config/sim.yaml, section `sensor`)."""

    baseline: float  # m, stereo baseline of the depth module
    subpixel_rms: float  # px, RMS disparity error; sigma_z = z^2 * subpixel_rms / (fx * baseline)
    correlated_share: float  # share of the noise variance that is spatially smooth (0..1)
    correlated_sigma_px: float  # px, Gaussian smoothing of the correlated noise field
    depth_unit: float  # m, quantisation step of the raw depth (z16 units)
    min_range: float  # m, depth below this is missing
    max_range: float  # m, depth above this is missing
    edge_jump: float  # m, a neighbour depth difference above this marks an edge
    edge_width_px: int  # px, dilation of the edge band
    edge_dropout: float  # probability that an edge-band pixel is missing
    stereo_shadow: bool  # missing band left of foreground objects (second imager's occlusion)
    transparent_missing: float  # share of transparent-object pixels without depth
    transparent_see_through: float  # share of transparent-object pixels reading the background depth
    transparent_blob_px: float  # px, scale of the coherent missing/see-through regions
    transparent_surface_noise: float  # m, extra noise std where the transparent surface is read
    specular_delta: float  # 0-255, brightening over the see-through colour, beyond the median over the
    # transparent pixels, that makes a specular hole
    specular_dilate_px: int  # px, dilation of the specular holes
    rgb_noise: float  # std of additive colour noise (0-255 scale)


def _check_inputs(depth_true, depth_background, transparent_mask, rgb, rgb_background) -> None:
    shape = depth_true.shape
    if depth_true.ndim != 2 or depth_true.dtype != np.float32:
        raise SensorInputError(f"depth_true must be HxW float32, got {depth_true.shape} {depth_true.dtype}")
    if depth_background.shape != shape or transparent_mask.shape != shape:
        raise SensorInputError(
            f"depth_background {depth_background.shape} and transparent_mask {transparent_mask.shape} "
            f"must match depth_true {shape}"
        )
    if transparent_mask.dtype != bool:
        raise SensorInputError(f"transparent_mask must be bool, got {transparent_mask.dtype}")
    for name, img in (("rgb", rgb), ("rgb_background", rgb_background)):
        if img.shape != (*shape, 3) or img.dtype != np.uint8:
            raise SensorInputError(f"{name} must be {shape + (3,)} uint8, got {img.shape} {img.dtype}")


def _smooth_field(rng: np.random.Generator, shape, sigma_px: float) -> np.ndarray:
    """Unit-variance Gaussian noise smoothed over sigma_px pixels."""
    field = rng.standard_normal(shape).astype(np.float32)
    if sigma_px <= 0:
        return field
    smooth = cv2.GaussianBlur(field, (0, 0), sigma_px)
    std = float(smooth.std())
    return smooth / std if std > 0 else smooth


def depth_edges(depth: np.ndarray, jump_m: float, width_px: int) -> np.ndarray:
    """Pixels within width_px of a depth step larger than jump_m (bool HxW)."""
    edges = np.zeros(depth.shape, dtype=bool)
    dy = np.abs(np.diff(depth, axis=0)) > jump_m
    dx = np.abs(np.diff(depth, axis=1)) > jump_m
    edges[:-1] |= dy
    edges[1:] |= dy
    edges[:, :-1] |= dx
    edges[:, 1:] |= dx
    if width_px > 0:
        kernel = np.ones((2 * width_px + 1, 2 * width_px + 1), np.uint8)
        edges = cv2.dilate(edges.astype(np.uint8), kernel) > 0
    return edges


def stereo_shadow(depth: np.ndarray, fx: float, baseline: float) -> np.ndarray:
    """Pixels of the reference (left) imager that the right imager cannot see (bool HxW).

    A point at column u with disparity d appears at u - d in the right image; it is hidden when a
    pixel further right maps to a column left of it (a closer surface covers it).
    """
    z = np.where(depth > 0, depth, np.inf)
    u = np.arange(depth.shape[1], dtype=np.float32)[None, :]
    right_col = u - fx * baseline / z
    right_min = np.minimum.accumulate(right_col[:, ::-1], axis=1)[:, ::-1]
    hidden = np.zeros(depth.shape, dtype=bool)
    hidden[:, :-1] = right_min[:, 1:] < right_col[:, :-1] - 0.5
    return hidden


def simulate_raw_depth(
    depth_true: np.ndarray,
    depth_background: np.ndarray,
    transparent_mask: np.ndarray,
    rgb: np.ndarray,
    rgb_background: np.ndarray,
    fx: float,
    cfg: SensorNoiseConfig,
    rng: np.random.Generator,
) -> np.ndarray:
    """The raw depth (float32 metres, 0 = missing) a D435 would report for this scene.

    depth_true: opaque-replica depth; depth_background: the depth with transparent objects removed;
    transparent_mask: visible transparent-object pixels; rgb and rgb_background: the colour image with
    and without the transparent objects (their difference finds specular highlights).
    """
    _check_inputs(depth_true, depth_background, transparent_mask, rgb, rgb_background)
    shape = depth_true.shape
    # All random draws first, in a fixed order.
    white = rng.standard_normal(shape).astype(np.float32)
    smooth = _smooth_field(rng, shape, cfg.correlated_sigma_px)
    edge_draw = rng.random(shape, dtype=np.float32)
    blob = _smooth_field(rng, shape, cfg.transparent_blob_px)
    surface_noise = rng.standard_normal(shape).astype(np.float32)

    z = depth_true.astype(np.float32)
    sigma = z * z * cfg.subpixel_rms / (fx * cfg.baseline)
    a = np.sqrt(cfg.correlated_share)
    b = np.sqrt(1.0 - cfg.correlated_share)
    raw = z + sigma * (a * smooth + b * white)

    # Transparent surfaces: coherent regions of missing and see-through depth (ranked blob field).
    if transparent_mask.any():
        values = blob[transparent_mask]
        q_missing = np.quantile(values, cfg.transparent_missing) if cfg.transparent_missing > 0 else -np.inf
        q_through = (
            np.quantile(values, min(1.0, cfg.transparent_missing + cfg.transparent_see_through))
            if cfg.transparent_see_through > 0
            else q_missing
        )
        missing = transparent_mask & (blob <= q_missing)
        through = transparent_mask & (blob > q_missing) & (blob <= q_through)
        surface = transparent_mask & ~missing & ~through
        zb = depth_background.astype(np.float32)
        sigma_b = zb * zb * cfg.subpixel_rms / (fx * cfg.baseline)
        raw = np.where(through, zb + sigma_b * (a * smooth + b * white), raw)
        if cfg.transparent_missing > 0 or cfg.transparent_see_through > 0:
            raw = np.where(surface, raw + cfg.transparent_surface_noise * surface_noise, raw)
        gain = rgb.astype(np.float32).mean(axis=2) - rgb_background.astype(np.float32).mean(axis=2)
        bright = (gain >= np.median(gain[transparent_mask]) + cfg.specular_delta) & transparent_mask
        if cfg.specular_dilate_px > 0 and bright.any():
            k = np.ones((2 * cfg.specular_dilate_px + 1,) * 2, np.uint8)
            bright = (cv2.dilate(bright.astype(np.uint8), k) > 0) & transparent_mask
        if cfg.transparent_missing > 0 or cfg.transparent_see_through > 0:
            raw = np.where(missing | bright, 0.0, raw)

    # Edges and the stereo shadow are measured on the opaque-replica geometry.
    edges = depth_edges(z, cfg.edge_jump, cfg.edge_width_px)
    raw = np.where(edges & (edge_draw < cfg.edge_dropout), 0.0, raw)
    if cfg.stereo_shadow:
        raw = np.where(stereo_shadow(z, fx, cfg.baseline), 0.0, raw)

    if cfg.depth_unit > 0:
        raw = np.round(raw / cfg.depth_unit) * cfg.depth_unit
    raw = np.where((raw < cfg.min_range) | (raw > cfg.max_range), 0.0, raw)
    return raw.astype(np.float32)


def add_rgb_noise(rgb: np.ndarray, std: float, rng: np.random.Generator) -> np.ndarray:
    """Colour image with additive Gaussian sensor noise (uint8 HxWx3)."""
    noise = rng.standard_normal(rgb.shape).astype(np.float32) * std
    return np.clip(rgb.astype(np.float32) + noise, 0, 255).astype(np.uint8)
