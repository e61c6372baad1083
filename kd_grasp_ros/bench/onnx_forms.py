"""ONNX Runtime forms of a network: fp32, int8 dynamic and int8 static (QDQ) quantisation.

Export uses the TorchScript-based exporter (the torch.export one needs onnxscript, not a dependency).
Static quantisation calibrates activations on the benchmark's calibration frames.
"""
from __future__ import annotations

import contextlib
import io
import logging
import warnings
from pathlib import Path

import numpy as np
import torch

OPSET = 17
ORT_FORMS = ("onnxruntime fp32", "onnxruntime int8 dynamic", "onnxruntime int8 static")


class OnnxFormError(RuntimeError):
    """A network could not be exported to ONNX or quantised."""


def export(model: torch.nn.Module, inputs: dict[str, np.ndarray], path: Path) -> Path:
    """Export model(*inputs.values()) to path (output name 'out')."""
    args = tuple(torch.from_numpy(v) for v in inputs.values())
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            torch.onnx.export(model, args, str(path), dynamo=False, opset_version=OPSET,
                              input_names=list(inputs), output_names=["out"])
    except Exception as exc:  # the exporter raises many types for unsupported operators
        raise OnnxFormError(f"ONNX export failed: {type(exc).__name__}: {str(exc)[:200]}") from exc
    return path


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
            quantize_static(str(fp32_path), str(out), _Calibration(calibration), quant_format=QuantFormat.QDQ,
                            activation_type=QuantType.QInt8, weight_type=QuantType.QInt8)
    except Exception as exc:  # onnxruntime.quantization raises assorted types
        raise OnnxFormError(f"int8 {kind} quantisation failed: {type(exc).__name__}: {exc}") from exc
    return out


def session(path: Path, threads: int):
    """A CPU InferenceSession with `threads` intra-op threads; callable as fn(inputs) -> first output."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    try:
        sess = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own Fail / InvalidGraph types
        raise OnnxFormError(f"onnxruntime cannot load {path.name}: {exc}") from exc
    return lambda inputs: sess.run(None, inputs)[0]
