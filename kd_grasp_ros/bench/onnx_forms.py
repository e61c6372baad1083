"""ONNX Runtime forms of a network: fp32, int8 dynamic and int8 static (QDQ) quantisation.

Export and sessions are the nodes' own (kd_grasp_ros.common.inference).
Static quantisation calibrates activations on the benchmark's calibration frames.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import torch

from kd_grasp_ros.common.errors import KdGraspError
from kd_grasp_ros.common.inference import InferenceBackendError, export_onnx, onnx_session

ORT_FORMS = ("onnxruntime fp32", "onnxruntime int8 dynamic", "onnxruntime int8 static")


class OnnxFormError(KdGraspError, RuntimeError):
    """A network could not be exported to ONNX or quantised."""


def export(model: torch.nn.Module, inputs: dict[str, np.ndarray], path: Path) -> Path:
    """Export model(*inputs.values()) to path (output name 'out'), as the nodes' backend does."""
    args = tuple(torch.from_numpy(v) for v in inputs.values())
    try:
        return export_onnx(model, args, path, list(inputs))
    except InferenceBackendError as exc:
        raise OnnxFormError(str(exc)) from exc


class _Calibration:
    """onnxruntime CalibrationDataReader over a list of input dicts."""

    def __init__(self, frames: list[dict[str, np.ndarray]]):
        self._it = iter(frames)

    def get_next(self):
        return next(self._it, None)


def quantised(fp32_path: Path, kind: str, calibration: list[dict[str, np.ndarray]]) -> Path:
    """int8 model next to fp32_path: kind 'dynamic' (weights only) or 'static' (QDQ, calibrated)."""
    from onnxruntime.quantization import QuantFormat, QuantType, quantize_dynamic, quantize_static

    out = fp32_path.with_name(f"{fp32_path.stem}_int8_{kind}.onnx")
    logging.getLogger().setLevel(logging.ERROR)  # the quantiser warns about optional pre-processing
    try:
        if kind == "dynamic":
            quantize_dynamic(str(fp32_path), str(out), weight_type=QuantType.QInt8)
        else:
            quantize_static(
                str(fp32_path),
                str(out),
                _Calibration(calibration),
                quant_format=QuantFormat.QDQ,
                activation_type=QuantType.QInt8,
                weight_type=QuantType.QInt8,
            )
    except Exception as exc:  # onnxruntime.quantization raises assorted types
        raise OnnxFormError(f"int8 {kind} quantisation failed: {type(exc).__name__}: {exc}") from exc
    return out


def session(path: Path, threads: int):
    """The nodes' CPU InferenceSession of `path`; callable as fn(inputs) -> first output."""
    try:
        sess = onnx_session(path, threads)
    except InferenceBackendError as exc:
        raise OnnxFormError(f"{path.name}: {exc}") from exc
    return lambda inputs: sess.run(None, inputs)[0]
