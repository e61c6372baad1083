"""GraspDetector: depth image in metres -> GG-CNN grasps in full-image pixels (used by the ROS node).

The network runs on kd_grasp_ros.common.inference's backend (ONNX Runtime by default, torch on request).

Plain module, no ROS. The crop (crop_size, default the network's 300 px) is taken around crop_center
(default the image centre), clamped inside the image; an image smaller than crop_size on a side gets
a crop of its shorter side instead (GraspDetection.crop_box says which was used); missing depth (0, NaN
or negative) is inpainted as in training; a crop of another size is resized to the network input
and the grasps mapped back.
Angles are smoothed as vectors (cos 2θ, sin 2θ), which avoids the reference's wrap error at ±90°
(see postprocess.decode_maps); evaluation keeps the reference smoothing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import torch

from kd_grasp_ros.common.grasp_types import ImageGrasp
from kd_grasp_ros.common.inference import DEFAULT_BACKEND, InferenceBackendError, InferenceNetwork
from kd_grasp_ros.common.resources import ResourceNotFoundError, resolve_model
from kd_grasp_ros.grasp.checkpoint import load_model
from kd_grasp_ros.grasp.constants import NETWORK_INPUT_SIZE, PEAK_THRESHOLD
from kd_grasp_ros.grasp.errors import GraspInputError, GraspModelError
from kd_grasp_ros.grasp.fast_convt import to_fast
from kd_grasp_ros.grasp.postprocess import GraspMaps, decode_maps, find_grasps
from kd_grasp_ros.grasp.preprocess import crop_origin, inpaint_missing, missing_mask, normalise


@dataclass
class GraspDetection:
    """Grasps (best first, full-image pixels), the full-image quality map (zeros outside the crop) and
    the network's maps of the crop (at the network's resolution)."""

    grasps: list[ImageGrasp]
    quality: np.ndarray
    maps: GraspMaps
    timings_ms: dict[str, float] = field(default_factory=dict)
    crop_box: tuple[int, int, int] = (0, 0, 0)  # (top, left, size) in the full image


def validate_depth(depth_m: np.ndarray) -> None:
    """Raise GraspInputError unless depth_m is a 2-D float array with some valid depth."""
    if not isinstance(depth_m, np.ndarray):
        raise GraspInputError(f"depth must be a numpy array, got {type(depth_m).__name__}")
    if depth_m.ndim != 2:
        raise GraspInputError(f"depth must be HxW (2-D), got shape {depth_m.shape}")
    if not np.issubdtype(depth_m.dtype, np.floating):
        raise GraspInputError(
            f"depth must be float32 metres, got dtype {depth_m.dtype} (convert mm to m first)"
        )
    if missing_mask(depth_m).all():
        raise GraspInputError(f"depth image {depth_m.shape} has no valid pixel (all 0, NaN or negative)")


class GraspDetector:
    """Load a grasp network once; detect() grasps in depth images."""

    def __init__(
        self,
        model_path: str | Path,
        device: str = "cpu",
        crop_size: int = NETWORK_INPUT_SIZE,
        threads: int | None = None,
        fast_convt: bool = True,
        backend: str = DEFAULT_BACKEND,
    ):
        if crop_size < 16:
            raise GraspInputError(f"crop_size must be at least 16 px, got {crop_size}")
        try:
            path = resolve_model(str(model_path))
        except ResourceNotFoundError as exc:
            raise GraspModelError(f"grasp model not found: {model_path} ({exc})") from exc
        model, info = load_model(path)
        self.model_path, self.model_info = path, info
        example = torch.zeros(1, 1, NETWORK_INPUT_SIZE, NETWORK_INPUT_SIZE)
        try:
            self.network = InferenceNetwork(
                to_fast(model) if fast_convt else model, (example,), backend, threads, device
            )
        except InferenceBackendError as exc:
            raise GraspModelError(f"grasp model {path.name}: {exc}") from exc
        self.device, self.crop_size, self.backend = device, int(crop_size), backend

    def detect(
        self,
        depth_m: np.ndarray,
        max_grasps: int = 5,
        min_quality: float = PEAK_THRESHOLD,
        crop_center: tuple[int, int] | None = None,
    ) -> GraspDetection:
        """Grasps in depth_m (HxW float metres; 0, NaN or negative = missing), best first, full-image px."""
        t0 = time.perf_counter()
        validate_depth(depth_m)
        if max_grasps < 1:
            raise GraspInputError(f"max_grasps must be >= 1, got {max_grasps}")
        h, w = depth_m.shape
        size = min(self.crop_size, h, w)  # small images (320x240, 640x360): the largest square crop
        center = (h // 2, w // 2) if crop_center is None else (int(crop_center[0]), int(crop_center[1]))
        top, left = crop_origin(center, (h, w), size)
        crop = depth_m[top : top + size, left : left + size].astype(np.float32)
        if missing_mask(crop).all():
            raise GraspInputError(f"no valid depth in the {size}x{size} crop at (top={top}, left={left})")
        crop = inpaint_missing(crop)
        if size != NETWORK_INPUT_SIZE:
            interp = cv2.INTER_AREA if size > NETWORK_INPUT_SIZE else cv2.INTER_LINEAR
            crop = cv2.resize(crop, (NETWORK_INPUT_SIZE, NETWORK_INPUT_SIZE), interpolation=interp)
        x = torch.from_numpy(normalise(crop))[None, None]
        t1 = time.perf_counter()
        out = self.network(x)[0]
        t2 = time.perf_counter()
        maps = decode_maps(out, angle_smoothing="vector")
        grasps = [self._to_full(g, top, left, size) for g in find_grasps(maps, max_grasps, min_quality)]
        quality = self._full_quality(maps, top, left, size, (h, w))
        t3 = time.perf_counter()
        timings = {"preprocess": (t1 - t0) * 1e3, "network": (t2 - t1) * 1e3, "postprocess": (t3 - t2) * 1e3}
        return GraspDetection(grasps, quality, maps, timings, (top, left, size))

    @staticmethod
    def _to_full(g: ImageGrasp, top: int, left: int, size: int) -> ImageGrasp:
        s = size / NETWORK_INPUT_SIZE
        return ImageGrasp(
            row=top + (g.row + 0.5) * s - 0.5,
            col=left + (g.col + 0.5) * s - 0.5,
            angle=g.angle,
            width_px=g.width_px * s,
            quality=g.quality,
            length_px=g.length_px * s,
        )

    @staticmethod
    def _full_quality(maps: GraspMaps, top: int, left: int, size: int, shape: tuple[int, int]) -> np.ndarray:
        full = np.zeros(shape, np.float32)
        quality = maps.quality
        if size != NETWORK_INPUT_SIZE:
            quality = cv2.resize(quality, (size, size), interpolation=cv2.INTER_LINEAR)
        full[top : top + size, left : left + size] = quality
        return full
