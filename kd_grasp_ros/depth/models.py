"""The depth networks by name: the registry of the teacher and the student (checkpoints: checkpoint.py)."""

from __future__ import annotations

from torch import nn

from kd_grasp_ros.depth.errors import DepthModelError
from kd_grasp_ros.depth.student import DepthStudent, StudentConfig
from kd_grasp_ros.depth.teacher import DepthTeacher, TeacherConfig

MODELS: dict[str, tuple[type[nn.Module], type]] = {
    "teacher": (DepthTeacher, TeacherConfig),
    "student": (DepthStudent, StudentConfig),
}


def build_model(name: str, cfg: dict | None = None) -> nn.Module:
    """A fresh network by registry name, with its config dataclass built from cfg (defaults if None)."""
    if name not in MODELS:
        raise DepthModelError(f"unknown depth model {name!r}; expected one of {sorted(MODELS)}")
    model_cls, cfg_cls = MODELS[name]
    try:
        return model_cls(cfg_cls(**(cfg or {})))
    except (TypeError, ValueError) as exc:
        raise DepthModelError(f"invalid config for depth model {name!r}: {cfg} ({exc})") from exc
