"""Load a grasp or depth network, build its inference forms and time each at several thread counts.

Forms: torch (as trained); torch with the exact pixel-shuffle rewrite of its strided transposed
convolutions (grasp/fast_convt.py, networks that have any); ONNX Runtime fp32; int8 dynamic and int8
static quantisation (of the pixel-shuffle export where the network has transposed convolutions, so
every layer is a quantisable Conv). Every form's output is compared with torch's (max |difference|).
Timing: kd_grasp_ros.common.network_stats.time_call (warm-up, then a timed loop; median and p90).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from kd_grasp_ros.bench.onnx_forms import OnnxFormError, export, quantised, session
from kd_grasp_ros.common.errors import KdGraspError
from kd_grasp_ros.common.network_stats import count_parameters, time_call
from kd_grasp_ros.grasp.fast_convt import to_fast

FAMILIES = ("grasp", "depth")
ACCURACY_HINTS = ("acc", "success", "rmse", "rel", "mae", "delta", "iou")
MAX_ACCURACY_ITEMS = 3


class BenchError(KdGraspError, RuntimeError):
    """A benchmarked model could not be found or loaded."""


@dataclass
class Network:
    family: str
    name: str  # registry name
    role: str  # teacher | student
    path: Path
    model: nn.Module
    parameters: int
    metrics: dict


def load_network(family: str, path_or_name: str) -> Network:
    """A grasp (GG-CNN family) or depth (DistillGrasp family) checkpoint, by path or models/ name."""
    from kd_grasp_ros.common.resources import ResourceNotFoundError, resolve_model

    if family not in FAMILIES:
        raise BenchError(f"family must be one of {FAMILIES}, got {family!r}")
    try:
        path = resolve_model(path_or_name)
    except ResourceNotFoundError as exc:
        raise BenchError(f"{family} model {path_or_name!r} not found: {exc}") from exc
    if family == "grasp":
        from kd_grasp_ros.grasp.checkpoint import load_model

        model, info = load_model(path)
        name = info["model_cfg"]["name"]
        role = "teacher" if name == "ggcnn" else "student"
    else:
        from kd_grasp_ros.depth.checkpoint import load_model

        model, info = load_model(path)
        name = info["name"]
        role = name if name in ("teacher", "student") else "student"
    return Network(
        family, name, role, Path(path), model.eval(), count_parameters(model), dict(info.get("metrics") or {})
    )


def has_transposed_conv(model: nn.Module) -> bool:
    return any(isinstance(m, nn.ConvTranspose2d) for m in model.modules())


def accuracy(net: Network) -> dict:
    """Accuracy figures from the model card models/<stem>.json, else the checkpoint's metrics; with source."""
    card = net.path.with_suffix(".json")
    source, metrics = None, {}
    if card.is_file():
        try:
            data = json.loads(card.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            return {"text": f"unreadable model card: {exc}", "source": str(card.name)}
        source = f"model card {card.name}"
        text = _card_text(data) if isinstance(data, dict) else None
        if text:
            return {"text": text, "source": source}
        metrics = data.get("metrics", data) if isinstance(data, dict) else {}
    elif net.metrics:
        metrics, source = net.metrics, f"checkpoint metrics of {net.path.name}"
    flat = _flatten(metrics)
    picked = [(k, v) for k, v in flat if any(h in k.lower() for h in ACCURACY_HINTS)] or flat
    picked = picked[:MAX_ACCURACY_ITEMS]
    if not picked:
        return {"text": "n/a", "source": "no model card, no checkpoint metrics", "values": {}}
    text = ", ".join(f"{k} {v:.4g}" for k, v in picked)
    return {"text": text, "source": source, "values": dict(picked)}


def _dataset_label(path) -> str:
    """The last two parts of a dataset path (synth-v2/cornell vs data/cornell-01 stay distinguishable)."""
    return "/".join(Path(str(path)).parts[-2:])


def _card_text(card: dict) -> str | None:
    """Held-out results of a grasp card (`kd-grasp grasp card`) or a depth card (`kd-grasp depth card`)."""
    parts = []
    for row in card.get("held_out_eval") or []:  # grasp: rectangle metric, top-1
        data = ", ".join(_dataset_label(d) for d in np.atleast_1d(row.get("dataset", [])))
        parts.append(f"{data} {row.get('which', '')}: {100 * row['accuracy']:.1f}% (n={row.get('n')})")
    for report in card.get("evaluations") or []:  # depth: ClearGrasp protocol, transparent pixels
        m = (report.get("methods") or {}).get(card.get("architecture"))
        if m and "rmse" in m:
            parts.append(
                f"{_dataset_label(report.get('dataset', ''))} [{report.get('split', '')}]: "
                f"RMSE {m['rmse']:.3f} m, REL {m.get('rel', float('nan')):.3f}, "
                f"d1.05 {m.get('delta_1.05', float('nan')):.1f}% (n={report.get('n')})"
            )
    return "; ".join(parts) or None


def _flatten(d: dict, prefix: str = "") -> list[tuple[str, float]]:
    out = []
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out += _flatten(v, f"{key}.")
        elif isinstance(v, (int, float)) and not isinstance(v, bool) and np.isfinite(v):
            out.append((key, float(v)))
    return out


def _torch_fn(model: nn.Module, inputs: dict[str, np.ndarray]):
    args = tuple(torch.from_numpy(v) for v in inputs.values())

    def run():
        with torch.inference_mode():
            return model(*args)

    return run


def _time_form(fn_for_threads, threads: list[int], repeats: int, warmup: int) -> dict:
    out = {}
    for n in threads:
        fn = fn_for_threads(n)
        out[str(n)] = time_call(fn, repeats, warmup)
    return out


def bench_network(
    net: Network,
    inputs: dict[str, np.ndarray],
    calibration: list[dict[str, np.ndarray]],
    threads: list[int],
    repeats: int,
    warmup: int,
    onnx: bool,
    workdir: Path,
) -> list[dict]:
    """One row per form of the network (see the module docstring)."""
    base = {
        "network": net.path.stem,
        "family": net.family,
        "name": net.name,
        "role": net.role,
        "parameters": net.parameters,
        "accuracy": accuracy(net),
    }
    reference = _torch_fn(net.model, inputs)().numpy()
    rows = []

    def add(form: str, size_mb: float, fn_for_threads, output) -> None:
        latency = _time_form(fn_for_threads, threads, repeats, warmup)
        diff = float(np.max(np.abs(np.asarray(output) - reference)))
        rows.append(base | {"form": form, "size_mb": size_mb, "latency": latency, "max_abs_diff": diff})

    def threaded_torch(model):
        def make(n):
            torch.set_num_threads(n)
            return _torch_fn(model, inputs)

        return make

    size_mb = net.path.stat().st_size / 1e6
    add("torch", size_mb, threaded_torch(net.model), reference)
    export_model = net.model
    if has_transposed_conv(net.model):
        fast = to_fast(net.model)
        add("torch fast ConvT", size_mb, threaded_torch(fast), _torch_fn(fast, inputs)().numpy())
        export_model = fast
    if onnx:
        rows += _onnx_rows(net, export_model, inputs, calibration, threads, workdir, add, base)
    torch_1t = rows[0]["latency"][str(threads[0])]["median_ms"]
    for row in rows:
        if "latency" in row:
            row["speedup_vs_torch"] = torch_1t / row["latency"][str(threads[0])]["median_ms"]
    return rows


def _ort_runner(path: Path, inputs: dict[str, np.ndarray]):
    def make(n: int):
        run = session(path, n)
        return lambda: run(inputs)

    return make


def _onnx_rows(net, export_model, inputs, calibration, threads, workdir, add, base) -> list:
    errors = []
    fast_tag = " (fast ConvT export)" if export_model is not net.model else ""
    try:
        fp32 = export(export_model, inputs, workdir / f"{net.path.stem}.onnx")
    except OnnxFormError as err:
        return [base | {"form": "onnxruntime", "error": str(err)}]
    forms = [(f"onnxruntime fp32{fast_tag}", fp32)]
    for kind in ("dynamic", "static"):
        try:
            forms.append((f"onnxruntime int8 {kind}{fast_tag}", quantised(fp32, kind, calibration)))
        except OnnxFormError as err:
            errors.append(base | {"form": f"onnxruntime int8 {kind}", "error": str(err)})
    for form, path in forms:
        try:
            output = session(path, threads[0])(inputs)
            add(form, path.stat().st_size / 1e6, _ort_runner(path, inputs), output)
        except OnnxFormError as err:
            errors.append(base | {"form": form, "error": str(err)})
    return errors
