"""From network maps to grasps: angle/width decoding, Gaussian smoothing, peak picking (reference method)."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import torch
from skimage.feature import peak_local_max

from kd_grasp_ros.common.grasp_types import ImageGrasp
from kd_grasp_ros.grasp.constants import (
    ANGLE_SIGMA,
    PEAK_MIN_DISTANCE,
    PEAK_THRESHOLD,
    QUALITY_SIGMA,
    WIDTH_SCALE_PX,
    WIDTH_SIGMA,
)
from kd_grasp_ros.grasp.rectangles import GraspRectangle, wrap_angle


@dataclass(frozen=True)
class GraspMaps:
    """Smoothed quality, angle (radians, ImageGrasp convention) and width (pixels) maps, HxW float32."""

    quality: np.ndarray
    angle: np.ndarray
    width: np.ndarray


ANGLE_SMOOTHING = ("reference", "vector")
GAUSSIAN_TRUNCATE = 4.0  # kernel radius in sigmas, as scipy.ndimage.gaussian_filter (the reference's)


def gaussian_filter(image: np.ndarray, sigma: float) -> np.ndarray:
    """scipy.ndimage.gaussian_filter(image, sigma, mode="nearest") computed by OpenCV (faster on a
    300x300 map; the grasp-detection stage time is in `kd-grasp bench`): the same normalised kernel of
    radius int(4 sigma + 0.5), edges replicated."""
    size = 2 * int(GAUSSIAN_TRUNCATE * sigma + 0.5) + 1
    return cv2.GaussianBlur(
        np.ascontiguousarray(image, dtype=np.float32),
        (size, size),
        sigmaX=sigma,
        sigmaY=sigma,
        borderType=cv2.BORDER_REPLICATE,
    )


def decode_maps(output: torch.Tensor | np.ndarray, angle_smoothing: str = "reference") -> GraspMaps:
    """Maps from one network output (4, H, W) or (1, 4, H, W): θ = atan2(sin, cos)/2, W x 150, smoothed.

    angle_smoothing 'reference' smooths the θ map itself, as the reference code and hence the published
    metric numbers do; θ wraps at ±90°, so near vertical jaw axes the smoothed angle is wrong (a grasp
    at 85° can come out near 45°). 'vector' smooths cos 2θ and sin 2θ instead, which equals the
    reference away from the wrap and is right at it: the detector (robot) uses it.
    """
    if angle_smoothing not in ANGLE_SMOOTHING:
        raise ValueError(f"angle_smoothing must be one of {ANGLE_SMOOTHING}, got {angle_smoothing!r}")
    out = output.detach().cpu().numpy() if isinstance(output, torch.Tensor) else np.asarray(output)
    out = out.reshape(out.shape[-3:]).astype(np.float32)
    quality = gaussian_filter(out[0], QUALITY_SIGMA)
    if angle_smoothing == "reference":
        angle = gaussian_filter(np.arctan2(out[2], out[1]) / 2.0, ANGLE_SIGMA)
    else:
        angle = np.arctan2(gaussian_filter(out[2], ANGLE_SIGMA), gaussian_filter(out[1], ANGLE_SIGMA)) / 2.0
    width = gaussian_filter(out[3] * WIDTH_SCALE_PX, WIDTH_SIGMA)
    return GraspMaps(
        quality.astype(np.float32), wrap_angle(angle).astype(np.float32), width.astype(np.float32)
    )


def find_grasps(
    maps: GraspMaps,
    max_grasps: int = 1,
    min_quality: float = PEAK_THRESHOLD,
) -> list[ImageGrasp]:
    """Local maxima of quality (min_distance 20 px, >= min_quality), best first, as ImageGrasps."""
    peaks = peak_local_max(
        maps.quality, min_distance=PEAK_MIN_DISTANCE, threshold_abs=min_quality, num_peaks=max_grasps
    )
    grasps = []
    for r, c in peaks:
        w = float(maps.width[r, c])
        grasps.append(
            ImageGrasp(
                row=float(r),
                col=float(c),
                angle=float(maps.angle[r, c]),
                width_px=w,
                quality=float(maps.quality[r, c]),
                length_px=w / 2.0,
            )
        )
    return sorted(grasps, key=lambda g: -g.quality)


def grasp_rectangle(grasp: ImageGrasp) -> GraspRectangle:
    """Predicted rectangle: length = width_px along the jaw axis, jaw size = width_px / 2 (reference)."""
    center = (grasp.row, grasp.col)
    return GraspRectangle.from_grasp(center, grasp.angle, grasp.width_px, grasp.width_px / 2.0)
