"""Save and load grasp networks as plain-dict checkpoints; also accept the released GG-CNN state dict.

Checkpoint layout: {'model': state_dict, 'model_cfg': asdict(GGCNNConfig), 'epoch', 'metrics', ...},
loadable with torch.load(path, map_location='cpu', weights_only=True).
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch

from kd_grasp_ros.grasp.errors import GraspModelError
from kd_grasp_ros.grasp.models import (
    GGCNNConfig,
    build_from_config,
    config_from_dict,
    model_config,
)

RELEASED_GGCNN_KEYS = frozenset(
    f"{layer}.{p}"
    for layer in (
        "conv1",
        "conv2",
        "conv3",
        "convt1",
        "convt2",
        "convt3",
        "pos_output",
        "cos_output",
        "sin_output",
        "width_output",
    )
    for p in ("weight", "bias")
)
# The released GG-CNN2 (IJRR 2019 code): conv layers inside a Sequential at these indices.
RELEASED_GGCNN2_KEYS = frozenset(
    [f"features.{i}.{p}" for i in (0, 2, 5, 7, 10, 12, 15, 18) for p in ("weight", "bias")]
    + [f"{h}_output.{p}" for h in ("pos", "cos", "sin", "width") for p in ("weight", "bias")]
)


def save_checkpoint(path: str | Path, model: torch.nn.Module, **extra: Any) -> Path:
    """Write {'model', 'model_cfg', **extra} (extra: epoch, metrics, optimizer, args, ...) atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    ckpt = {
        "model": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "model_cfg": asdict(model.cfg),
        **extra,
    }
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(ckpt, tmp)
    tmp.replace(path)
    return path


def read_checkpoint(path: str | Path) -> dict:
    """The raw dict stored at path; GraspModelError naming the path if missing or unreadable."""
    path = Path(path)
    if not path.is_file():
        raise GraspModelError(f"grasp model file not found: {path}")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for corrupt / foreign files
        raise GraspModelError(f"grasp model file {path} is not a readable torch checkpoint: {exc}") from exc
    if not isinstance(obj, dict):
        raise GraspModelError(f"grasp model file {path} holds a {type(obj).__name__}, expected a dict")
    return obj


def _config_from_released(state: dict, path: Path) -> GGCNNConfig:
    f1 = state["conv1.weight"].shape[0]
    f2 = state["conv2.weight"].shape[0]
    f3 = state["conv3.weight"].shape[0]
    for name, cfg in (
        ("ggcnn", model_config("ggcnn")),
        ("student_v1", model_config("student_v1")),
        ("student_v2", model_config("student_v2")),
    ):
        if cfg.filters == (f1, f2, f3):
            return GGCNNConfig(name=name, filters=cfg.filters)
    raise GraspModelError(f"{path}: state dict filters {(f1, f2, f3)} match no registered GG-CNN variant")


def load_model(path: str | Path) -> tuple[torch.nn.Module, dict]:
    """Network (eval mode, CPU) and checkpoint dict from our checkpoint or a released GG-CNN / GG-CNN2
    state dict (loaded strictly: every key and shape must match).

    For a released state dict the returned dict is {'model_cfg': ..., 'source': 'released_state_dict'}.
    """
    path = Path(path)
    obj = read_checkpoint(path)
    if "model" in obj and "model_cfg" in obj:
        try:
            cfg = config_from_dict(obj["model_cfg"])  # unknown names fail loudly
        except GraspModelError as exc:
            raise GraspModelError(f"{path}: {exc}") from exc
        state, info = obj["model"], obj
    elif set(obj) == RELEASED_GGCNN_KEYS:
        cfg = _config_from_released(obj, path)
        state, info = obj, {"model_cfg": asdict(cfg), "source": "released_state_dict"}
    elif set(obj) == RELEASED_GGCNN2_KEYS:
        cfg = model_config("ggcnn2")
        state, info = obj, {"model_cfg": asdict(cfg), "source": "released_state_dict"}
    else:
        raise GraspModelError(
            f"{path}: expected a checkpoint dict with 'model' and 'model_cfg' or a GG-CNN(2) state dict, "
            f"got keys {sorted(obj)[:8]}"
        )
    model = build_from_config(cfg)
    try:
        model.load_state_dict(state, strict=True)
    except (RuntimeError, KeyError) as exc:
        raise GraspModelError(f"{path}: weights do not fit {cfg}: {exc}") from exc
    model.eval()
    return model, info
