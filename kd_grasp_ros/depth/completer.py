"""DepthCompleter: the ROS-free inference API the depth completion node wraps.

The network runs on kd_grasp_ros.common.inference's backend (ONNX Runtime by default, torch on request);
the log-depth normalisation around it (depth/preprocess.py) is the same for both.

complete(rgb, depth_m) -> (completed depth, confidence), both HxW float32 at the input resolution:

1. Any resolution: the frame is scaled uniformly into the network input and edge-padded (letterbox.py),
   never stretched; the network's output is cropped back and resized to the frame.
2. The classical fill (fallback.py) of the frame: every valid raw pixel kept, holes inpainted.
3. The network's confidence-weighted log correction (preprocess.applied_correction), resized to the
   frame, is applied to that fill: completed = fill * exp(k * c). Where the network is unsure the
   completed depth is the classical fill; valid raw depth stays as it is unless the network corrects it
   with confidence (raw depth on glass often reads the table behind it).
"""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np
import torch

from kd_grasp_ros.common.inference import DEFAULT_BACKEND, InferenceBackendError, InferenceNetwork
from kd_grasp_ros.common.resources import ResourceNotFoundError, resolve_model
from kd_grasp_ros.depth.checkpoint import load_model
from kd_grasp_ros.depth.constants import DEPTH_RANGE_M, INPUT_SIZE
from kd_grasp_ros.depth.errors import DepthInputError, DepthModelError
from kd_grasp_ros.depth.fallback import classical_fill, fill_work_size
from kd_grasp_ros.depth.letterbox import Letterbox
from kd_grasp_ros.depth.preprocess import AppliedCorrection, normalise_depth, normalise_rgb

__all__ = ["DepthCompleter", "DepthInputError", "DepthModelError"]


def check_inputs(rgb: np.ndarray, depth_m: np.ndarray, depth_range: tuple[float, float]) -> np.ndarray:
    """Validate the inputs; returns the depth as float32 with NaN/inf/out-of-range set to 0."""
    if not isinstance(rgb, np.ndarray) or not isinstance(depth_m, np.ndarray):
        raise DepthInputError(
            f"expected numpy arrays, got rgb {type(rgb).__name__}, depth {type(depth_m).__name__}"
        )
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise DepthInputError(f"rgb must be HxWx3, got shape {rgb.shape}")
    if rgb.dtype != np.uint8:
        raise DepthInputError(f"rgb must be uint8, got {rgb.dtype}")
    if depth_m.ndim != 2:
        raise DepthInputError(f"depth must be HxW, got shape {depth_m.shape}")
    if not np.issubdtype(depth_m.dtype, np.floating):
        raise DepthInputError(
            f"depth must be float metres (float32), got {depth_m.dtype}; convert e.g. "
            "uint16 millimetres with depth_mm.astype(np.float32) / 1000"
        )
    if depth_m.shape != rgb.shape[:2]:
        raise DepthInputError(
            f"rgb {rgb.shape[:2]} and depth {depth_m.shape} must have the same height and width"
        )
    if min(depth_m.shape) < 2:
        raise DepthInputError(f"image too small: {depth_m.shape}")
    depth = depth_m.astype(np.float32)  # a copy: the caller's array is never changed
    with np.errstate(invalid="ignore"):  # NaN compares False: missing, like inf and out of range
        depth[~((depth >= depth_range[0]) & (depth <= depth_range[1]))] = 0.0
    if not depth.any():
        raise DepthInputError(
            f"depth has no valid pixel in range {depth_range} m (all missing, NaN or out of range)"
        )
    return depth


def frame_fill(depth: np.ndarray, box: Letterbox) -> np.ndarray:
    """The classical fill of a frame's (cleaned) depth, its holes inpainted at the working size of the
    network content (the resolution the training data's fill is made at)."""
    return classical_fill(depth, fill_work_size(*box.content))


class DepthCompleter:
    """Load a depth checkpoint once and complete depth images with it."""

    def __init__(
        self,
        model_path: str | Path,
        device: str = "cpu",
        input_size: tuple[int, int] = INPUT_SIZE,
        depth_range: tuple[float, float] = DEPTH_RANGE_M,
        threads: int | None = None,
        backend: str = DEFAULT_BACKEND,
    ):
        try:
            path = resolve_model(str(model_path))
        except ResourceNotFoundError as exc:
            raise DepthModelError(f"depth checkpoint {model_path} not found: {exc}") from exc
        model, self.checkpoint = load_model(path)
        self.path, self.backend = path, backend
        self.input_size = (int(input_size[0]), int(input_size[1]))
        w, h = self.input_size
        example = (torch.zeros(1, 3, h, w), torch.zeros(1, 1, h, w), torch.zeros(1, 1, h, w))
        try:
            self.network = InferenceNetwork(AppliedCorrection(model), example, backend, threads, device)
        except InferenceBackendError as exc:
            raise DepthModelError(f"depth model {path.name}: {exc}") from exc
        self.depth_range = (float(depth_range[0]), float(depth_range[1]))
        self.last_timings_ms: dict[str, float] = {}
        self.last_letterbox: Letterbox | None = None

    @property
    def name(self) -> str:
        """Registry name of the loaded network (teacher or student)."""
        return self.checkpoint["name"]

    def complete(self, rgb: np.ndarray, depth_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(completed depth in metres, confidence in [0, 1]), HxW float32 each, from HxWx3 uint8 RGB and
        HxW float depth (0, NaN, negative or out of range = missing)."""
        t0 = time.perf_counter()
        depth = check_inputs(rgb, depth_m, self.depth_range)
        h, w = depth.shape
        box = Letterbox((w, h), self.input_size)
        self.last_letterbox = box
        cw, ch = box.content
        rgb_in = box.to_network(rgb, cv2.INTER_AREA if cw < w else cv2.INTER_LINEAR)
        depth_in = box.to_network(depth, cv2.INTER_NEAREST)
        fill = frame_fill(depth, box)
        log_ratio, valid, _ = normalise_depth(torch.from_numpy(depth_in)[None, None], self.depth_range)
        rgb_t = normalise_rgb(torch.from_numpy(rgb_in).permute(2, 0, 1).unsqueeze(0))
        t1 = time.perf_counter()
        with torch.inference_mode():
            correction, confidence = self.network(rgb_t, log_ratio, valid).unbind(dim=1)
        t2 = time.perf_counter()
        correction = box.to_frame(correction[0].numpy(), cv2.INTER_LINEAR)
        confidence = box.to_frame(confidence[0].numpy(), cv2.INTER_LINEAR)
        completed = np.clip(fill * np.exp(correction), *self.depth_range).astype(np.float32)
        t3 = time.perf_counter()
        self.last_timings_ms = {
            "preprocess": 1e3 * (t1 - t0),
            "inference": 1e3 * (t2 - t1),
            "postprocess": 1e3 * (t3 - t2),
            "total": 1e3 * (t3 - t0),
        }
        return completed, confidence.astype(np.float32)
