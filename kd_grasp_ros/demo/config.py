"""The demo's configuration: one dataclass, loaded from config/demo.yaml and checked once.

It says what to run (how many scenes, which kind, which models, composed or separate perception
processes) and how to judge it; how the nodes behave comes from their own parameter files, the ones
mujoco_sim.launch.py gives them (kd_grasp_ros.launch_graph.sim_graph).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import yaml

from kd_grasp_ros.common.errors import KdGraspError
from kd_grasp_ros.common.resources import config_path
from kd_grasp_ros.depth.constants import NO_DEPTH_MODEL
from kd_grasp_ros.sim.config import SCENE_MODES


class DemoConfigError(KdGraspError, ValueError):
    """config/demo.yaml (or a command-line override) has an unknown key or a bad value."""


@dataclass(frozen=True)
class DemoConfig:
    """Every knob of the closed-loop demo and trials (documented in config/demo.yaml)."""

    attempts: int
    seed: int
    scene: str
    transparent_ratio: float
    grasp_model: str  # "" = the grasp node's parameter file
    depth_model: str  # "" = the depth node's parameter file; "none" = no depth completion
    use_composition: bool
    hold_s: float
    frame_timeout_s: float
    attempt_timeout_s: float
    report_dir: str

    def __post_init__(self) -> None:
        if self.scene not in SCENE_MODES:
            raise DemoConfigError(f"scene must be one of {SCENE_MODES}, got {self.scene!r}")
        if not 0.0 <= self.transparent_ratio <= 1.0:
            raise DemoConfigError(f"transparent_ratio must be in [0, 1], got {self.transparent_ratio}")
        if int(self.attempts) < 1:
            raise DemoConfigError(f"attempts must be >= 1, got {self.attempts}")
        for name in ("hold_s", "frame_timeout_s", "attempt_timeout_s"):
            if not getattr(self, name) >= 0.0:
                raise DemoConfigError(f"{name} must be >= 0, got {getattr(self, name)}")

    @property
    def uses_depth_completion(self) -> bool:
        return self.depth_model != NO_DEPTH_MODEL

    @property
    def grasp_model_name(self) -> str:
        """The grasp checkpoint the grasp node runs (the demo's choice, else its parameter file's)."""
        return self.grasp_model or shipped_model_path("grasp_detection.yaml", "grasp_detection_node")

    @property
    def depth_model_name(self) -> str:
        """The depth checkpoint the depth node runs, or "none" without depth completion."""
        return self.depth_model or shipped_model_path("depth_completion.yaml", "depth_completion_node")

    def replace(self, **changes) -> DemoConfig:
        """A copy with the given fields changed (None values are ignored: 'not given on the command line')."""
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})


def load_demo_config(path: str | Path | None = None) -> DemoConfig:
    """Load config/demo.yaml (the installed one when path is None); unknown or missing keys are an error."""
    p = Path(path) if path is not None else config_path("demo.yaml")
    try:
        raw = yaml.safe_load(p.read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise DemoConfigError(f"cannot read demo config {p}: {exc}") from exc
    if not isinstance(raw, dict):
        raise DemoConfigError(f"demo config {p} must be a mapping, got {type(raw).__name__}")
    known = {f.name for f in dataclasses.fields(DemoConfig)}
    unknown, missing = sorted(set(raw) - known), sorted(known - set(raw))
    if unknown or missing:
        raise DemoConfigError(f"demo config {p}: unknown keys {unknown}, missing keys {missing}")
    return DemoConfig(**raw)


def shipped_model_path(parameter_file: str, node: str) -> str:
    """model_path of `node` in the package's config/`parameter_file`."""
    p = config_path(parameter_file)
    try:
        return str(yaml.safe_load(p.read_text())[node]["ros__parameters"]["model_path"])
    except (OSError, yaml.YAMLError, KeyError, TypeError) as exc:
        raise DemoConfigError(f"cannot read {node}'s model_path from {p}: {exc}") from exc
