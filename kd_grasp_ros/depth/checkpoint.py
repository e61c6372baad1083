"""Depth checkpoints are plain dicts: {'name', 'model' (state_dict), 'model_cfg' (asdict), 'epoch',
'metrics', 'optimizer'?, ...}; loadable with torch.load(weights_only=True) and rebuilt by name from the
registry (models.py) with Model(Config(**model_cfg)).
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict
from pathlib import Path

import torch
from torch import nn

from kd_grasp_ros.depth.errors import DepthModelError
from kd_grasp_ros.depth.models import build_model


def save_checkpoint(path: Path, name: str, model: nn.Module, epoch: int, metrics: dict, **extra) -> None:
    """Write a plain-dict checkpoint (atomically, via a temporary file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    ckpt = {
        "name": name,
        "model": model.state_dict(),
        "model_cfg": asdict(model.cfg),
        "epoch": int(epoch),
        "metrics": dict(metrics),
        **extra,
    }
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(ckpt, tmp)
    tmp.replace(path)


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes: names a checkpoint whatever its path or later replacements."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def read_checkpoint(path: Path) -> dict:
    """The checkpoint dict, loaded with weights_only=True; DepthModelError naming the path otherwise."""
    path = Path(path)
    if not path.is_file():
        raise DepthModelError(f"depth checkpoint {path} does not exist")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises several unrelated types for truncated or foreign files
        raise DepthModelError(
            f"depth checkpoint {path} is corrupt or not a weights-only checkpoint: {exc}"
        ) from exc
    missing = [k for k in ("name", "model", "model_cfg") if not isinstance(ckpt, dict) or k not in ckpt]
    if missing:
        raise DepthModelError(
            f"depth checkpoint {path} lacks {missing}; expected keys name, model, model_cfg"
        )
    return ckpt


def load_model(path: Path) -> tuple[nn.Module, dict]:
    """(network in eval mode, checkpoint dict) from a checkpoint file."""
    ckpt = read_checkpoint(path)
    model = build_model(ckpt["name"], ckpt["model_cfg"])
    try:
        model.load_state_dict(ckpt["model"])
    except RuntimeError as exc:
        raise DepthModelError(
            f"depth checkpoint {path} does not match model {ckpt['name']!r}: {exc}"
        ) from exc
    return model.eval(), ckpt
