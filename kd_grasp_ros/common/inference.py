"""One inference backend for every shipped network: ONNX Runtime (default) or torch.

`InferenceNetwork(module, example_inputs, backend, threads)` is called like the module (torch tensors in,
one tensor out), so the code around a network (pre- and post-processing, checkpoints) is the same for
both backends. The onnxruntime form is exported from the loaded checkpoint when the node starts (the
.pt file stays the one source of weights) and runs with its own intra-op thread count: two networks in
one process (pipeline_composed) each keep their budget, where torch's thread count is process-wide.
ONNX Runtime threads are told not to spin while idle, so a waiting network leaves the cores to the
other one.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from typing import TYPE_CHECKING

import numpy as np

from kd_grasp_ros.common.errors import KdGraspError

if TYPE_CHECKING:  # torch is imported where a network is built: the launch files read BACKENDS
    import torch
    from torch import nn

BACKENDS = ("onnxruntime", "torch")
DEFAULT_BACKEND = "onnxruntime"
ONNX_OPSET = 17

__all__ = [
    "BACKENDS",
    "DEFAULT_BACKEND",
    "InferenceBackendError",
    "InferenceNetwork",
    "export_onnx",
    "onnx_session",
]


class InferenceBackendError(KdGraspError, RuntimeError):
    """A network cannot run on the requested backend (unknown backend, failed export, bad device)."""


def export_onnx(model: nn.Module, example_inputs: tuple[torch.Tensor, ...], target, input_names: list[str]):
    """Export model(*example_inputs) with the TorchScript-based exporter (the torch.export one needs
    onnxscript, not a dependency) to `target` (a path or a binary file object); output name 'out'."""
    import torch

    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            torch.onnx.export(
                model,
                example_inputs,
                target,
                dynamo=False,
                opset_version=ONNX_OPSET,
                input_names=input_names,
                output_names=["out"],
            )
    except Exception as exc:  # the exporter raises many types for unsupported operators
        raise InferenceBackendError(f"ONNX export failed: {type(exc).__name__}: {str(exc)[:200]}") from exc
    return target


def onnx_session(model, threads: int | None):
    """A CPU InferenceSession of `model` (a path, or the ONNX bytes) with `threads` intra-op threads
    (None or 0: one per core), no idle spinning."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = int(threads or 0)
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.log_severity_level = 3
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    try:
        return ort.InferenceSession(
            model if isinstance(model, bytes) else str(model), options, providers=["CPUExecutionProvider"]
        )
    except Exception as exc:  # onnxruntime raises its own Fail / InvalidGraph types
        raise InferenceBackendError(f"onnxruntime cannot load the network: {exc}") from exc


class InferenceNetwork:
    """A loaded network on one backend; call it with tensors shaped like `example_inputs`."""

    def __init__(
        self,
        module: nn.Module,
        example_inputs: tuple[torch.Tensor, ...],
        backend: str = DEFAULT_BACKEND,
        threads: int | None = None,
        device: str = "cpu",
    ):
        import torch

        if backend not in BACKENDS:
            raise InferenceBackendError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
        self.backend, self.threads = backend, threads
        self.device = torch.device(device)
        self.input_shapes = [tuple(x.shape) for x in example_inputs]
        module = module.eval()
        if backend == "torch":
            if threads:
                torch.set_num_threads(int(threads))  # process-wide: see the module docstring
            self.module = module.to(self.device)
            return
        if self.device.type != "cpu":
            raise InferenceBackendError(
                f"the onnxruntime backend runs on the CPU; use backend 'torch' for device {device}"
            )
        names = [f"input_{i}" for i in range(len(example_inputs))]
        onnx_bytes = export_onnx(module.cpu(), tuple(example_inputs), io.BytesIO(), names).getvalue()
        self.session = onnx_session(onnx_bytes, threads)
        self.input_names = [i.name for i in self.session.get_inputs()]

    def __call__(self, *inputs: torch.Tensor) -> torch.Tensor:
        import torch

        shapes = [tuple(x.shape) for x in inputs]
        if shapes != self.input_shapes:
            raise InferenceBackendError(
                f"the network was prepared for inputs {self.input_shapes}, got {shapes}"
            )
        if self.backend == "torch":
            with torch.inference_mode():
                return self.module(*(x.to(self.device) for x in inputs)).cpu()
        feeds = {
            name: np.ascontiguousarray(x.detach().cpu().numpy(), dtype=np.float32)
            for name, x in zip(self.input_names, inputs, strict=True)
        }
        return torch.from_numpy(self.session.run(None, feeds)[0])
