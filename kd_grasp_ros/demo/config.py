"""The demo's configuration: one dataclass, loaded from config/demo.yaml and checked once."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from kd_grasp_ros.depth.constants import STUDENT_WEIGHTS
from kd_grasp_ros.executor.config import ExecutorConfig
from kd_grasp_ros.executor.errors import ExecutorConfigError
from kd_grasp_ros.grasp.constants import DEPLOYED_CROP_SIZE
from kd_grasp_ros.pipeline.grasp_stage import DEFAULT_GRASP_MODEL
from kd_grasp_ros.resources import config_path
from kd_grasp_ros.sim.config import SCENE_MODES

NO_DEPTH_MODEL = "none"  # depth_model value that feeds raw sensor depth (zeros inpainted) to the detector


class DemoConfigError(ValueError):
    """config/demo.yaml (or a command-line override) has an unknown key or a bad value."""


@dataclass(frozen=True)
class DemoConfig:
    """Every knob of the closed-loop demo and trials (documented in config/demo.yaml)."""

    grasp_model: str = DEFAULT_GRASP_MODEL
    depth_model: str = STUDENT_WEIGHTS
    attempts: int = 5
    seed: int = 0
    scene: str = "cluttered"
    transparent_ratio: float = 0.5
    threads: int = 2
    crop_size: int = DEPLOYED_CROP_SIZE
    top_k: int = 5
    min_quality: float = 0.2
    grasp_depth_m: float = 0.025
    pad_clearance_m: float = 0.005
    target_radius_m: float = 0.06
    hold_s: float = 0.5
    report_dir: str = "reports/demo"
    executor: dict = field(default_factory=dict)
    width: int | None = None  # render size override (tests); None = config/sim.yaml
    height: int | None = None

    def __post_init__(self) -> None:
        if self.scene not in SCENE_MODES:
            raise DemoConfigError(f"scene must be one of {SCENE_MODES}, got {self.scene!r}")
        if not 0.0 <= self.transparent_ratio <= 1.0:
            raise DemoConfigError(f"transparent_ratio must be in [0, 1], got {self.transparent_ratio}")
        for name in ("attempts", "threads", "crop_size", "top_k"):
            if int(getattr(self, name)) < 1:
                raise DemoConfigError(f"{name} must be >= 1, got {getattr(self, name)}")
        for name in ("grasp_depth_m", "pad_clearance_m", "target_radius_m", "hold_s"):
            if not getattr(self, name) >= 0.0:
                raise DemoConfigError(f"{name} must be >= 0, got {getattr(self, name)}")
        if (self.width is None) != (self.height is None):
            raise DemoConfigError("width and height must be given together")
        try:
            self.executor_config("127.0.0.1")
        except ExecutorConfigError as err:
            raise DemoConfigError(f"executor section: {err}") from err

    @property
    def uses_depth_completion(self) -> bool:
        return self.depth_model != NO_DEPTH_MODEL

    def executor_config(self, robot_ip: str, **calibration) -> ExecutorConfig:
        """The executor's settings: dataclass defaults, then the executor section, then the calibration."""
        return ExecutorConfig.from_mapping({**self.executor, **calibration, "robot_ip": robot_ip})

    def replace(self, **changes) -> DemoConfig:
        """A copy with the given fields changed (None values are ignored: 'not given on the command line')."""
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})


def load_demo_config(path: str | Path | None = None) -> DemoConfig:
    """Load config/demo.yaml (the installed one when path is None); unknown keys are an error."""
    p = Path(path) if path is not None else config_path("demo.yaml")
    try:
        raw = yaml.safe_load(p.read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise DemoConfigError(f"cannot read demo config {p}: {exc}") from exc
    if not isinstance(raw, dict):
        raise DemoConfigError(f"demo config {p} must be a mapping, got {type(raw).__name__}")
    known = {f.name for f in dataclasses.fields(DemoConfig)}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise DemoConfigError(f"demo config {p}: unknown keys {unknown}; known: {sorted(known)}")
    return DemoConfig(**raw)
