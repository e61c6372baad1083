"""Simulation configuration: one dataclass per section of config/sim.yaml, loaded and checked here."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import yaml

from kd_grasp_ros.common.errors import KdGraspError
from kd_grasp_ros.common.intrinsics import CameraIntrinsics
from kd_grasp_ros.common.resources import config_path
from kd_grasp_ros.sim.glass import GlassLookConfig
from kd_grasp_ros.sim.sensor import SensorNoiseConfig

CAMERA_MOUNTS = ("fixed", "wrist")
SCENE_MODES = ("single", "cluttered")
SHAPES = ("box", "cylinder", "sphere", "bottle", "cup", "glass", "bowl")


class SimConfigError(KdGraspError, ValueError):
    """config/sim.yaml (or a section given in code) is missing a field, has an unknown one or a bad value."""


@dataclass(frozen=True)
class PhysicsConfig:
    timestep: float  # s
    settle_time: float  # s
    gripper_force: float  # N
    gripper_speed: float  # m/s


@dataclass(frozen=True)
class TableConfig:
    top_z: float  # m
    center: tuple[float, float]  # m
    size: tuple[float, float]  # m


@dataclass(frozen=True)
class WorkspaceConfig:
    center: tuple[float, float]  # m
    half_extent: tuple[float, float]  # m


@dataclass(frozen=True)
class CameraConfig:
    mount: str
    width: int
    height: int
    fx: float
    fy: float
    cx: float
    cy: float
    position: tuple[float, float, float]
    target: tuple[float, float, float]
    wrist_offset: tuple[float, float, float]
    wrist_tilt: float
    jitter_position: float
    jitter_target: float
    wide_height: tuple[float, float]  # m, wide synthetic domain: camera height above the table
    wide_tilt: tuple[float, float]  # rad, wide synthetic domain: optical axis from straight down
    wide_calibration: tuple[float, ...]  # width, height, fx, fy, cx, cy of the sensor the modes come from
    wide_modes: tuple[tuple[int, int], ...]  # (width, height) output modes drawn per scene

    @property
    def intrinsics(self) -> CameraIntrinsics:
        return CameraIntrinsics(
            width=self.width, height=self.height, fx=self.fx, fy=self.fy, cx=self.cx, cy=self.cy
        )

    def with_intrinsics(self, intr: CameraIntrinsics) -> CameraConfig:
        """The same camera with other intrinsics (a sensor mode of the wide domain)."""
        return dataclasses.replace(
            self, width=intr.width, height=intr.height, fx=intr.fx, fy=intr.fy, cx=intr.cx, cy=intr.cy
        )

    def wide_mode_intrinsics(self, index: int) -> CameraIntrinsics:
        """Intrinsics of wide_modes[index], from wide_calibration."""
        w, h, fx, fy, cx, cy = self.wide_calibration
        calibration = CameraIntrinsics(width=int(w), height=int(h), fx=fx, fy=fy, cx=cx, cy=cy)
        return calibration.sensor_mode(*self.wide_modes[index])

    def resized(self, width: int, height: int) -> CameraConfig:
        """The same camera at another resolution (for fast tests)."""
        k = self.intrinsics.scaled(width, height)
        return dataclasses.replace(self, width=width, height=height, fx=k.fx, fy=k.fy, cx=k.cx, cy=k.cy)


@dataclass(frozen=True)
class SceneConfig:
    mode: str
    single_ratio: float
    min_objects: int
    max_objects: int
    transparent_ratio: float
    shape_weights: dict
    min_size: float  # m
    max_grasp_size: float  # m
    max_length: float  # m
    density: float  # kg/m^3


@dataclass(frozen=True)
class GraspLabelConfig:
    candidates_per_object: int
    max_physics_checks: int
    friction_cone: float  # rad
    grasp_depth: float  # m
    clearance: float  # m
    lift_height: float  # m
    min_lift_ratio: float


@dataclass(frozen=True)
class SimConfig:
    physics: PhysicsConfig
    table: TableConfig
    workspace: WorkspaceConfig
    camera: CameraConfig
    scene: SceneConfig
    grasps: GraspLabelConfig
    glass: GlassLookConfig
    sensor: SensorNoiseConfig


_SECTIONS = {
    "physics": PhysicsConfig,
    "table": TableConfig,
    "workspace": WorkspaceConfig,
    "camera": CameraConfig,
    "scene": SceneConfig,
    "grasps": GraspLabelConfig,
    "glass": GlassLookConfig,
    "sensor": SensorNoiseConfig,
}


def _tuples(value):
    """YAML lists as (nested) tuples, so the frozen configs hash and compare by value."""
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def _build_section(name: str, cls, raw) -> object:
    if not isinstance(raw, dict):
        raise SimConfigError(f"section '{name}' must be a mapping, got {type(raw).__name__}")
    names = {f.name for f in dataclasses.fields(cls)}
    unknown, missing = set(raw) - names, names - set(raw)
    if unknown or missing:
        raise SimConfigError(
            f"section '{name}': unknown keys {sorted(unknown)}, missing keys {sorted(missing)}"
        )
    values = {k: _tuples(v) for k, v in raw.items()}
    return cls(**values)


def _validate(cfg: SimConfig) -> None:
    if cfg.camera.mount not in CAMERA_MOUNTS:
        raise SimConfigError(f"camera.mount must be one of {CAMERA_MOUNTS}, got {cfg.camera.mount!r}")
    if cfg.scene.mode not in SCENE_MODES:
        raise SimConfigError(f"scene.mode must be one of {SCENE_MODES}, got {cfg.scene.mode!r}")
    unknown = set(cfg.scene.shape_weights) - set(SHAPES)
    if unknown:
        raise SimConfigError(f"scene.shape_weights has unknown shapes {sorted(unknown)}; known: {SHAPES}")
    if not 0.0 <= cfg.scene.transparent_ratio <= 1.0:
        raise SimConfigError(f"scene.transparent_ratio must be in [0, 1], got {cfg.scene.transparent_ratio}")
    if not 1 <= cfg.scene.min_objects <= cfg.scene.max_objects:
        raise SimConfigError(
            f"need 1 <= scene.min_objects <= scene.max_objects, got "
            f"{cfg.scene.min_objects}, {cfg.scene.max_objects}"
        )
    cam = cfg.camera
    if not (
        0.1 <= cam.wide_height[0] <= cam.wide_height[1] and 0.0 <= cam.wide_tilt[0] <= cam.wide_tilt[1] < 1.2
    ):
        raise SimConfigError(
            f"camera.wide_height {cam.wide_height} must be increasing from >= 0.1 m and camera.wide_tilt "
            f"{cam.wide_tilt} increasing within [0, 1.2) rad"
        )
    if len(cam.wide_calibration) != 6 or not cam.wide_modes or any(len(m) != 2 for m in cam.wide_modes):
        raise SimConfigError(
            "camera.wide_calibration needs 6 numbers and camera.wide_modes [width, height] pairs"
        )
    if cfg.sensor.transparent_missing + cfg.sensor.transparent_see_through > 1.0:
        raise SimConfigError("sensor.transparent_missing + sensor.transparent_see_through must be <= 1")


def sim_config_from_dict(raw: dict) -> SimConfig:
    """A checked SimConfig from the parsed YAML mapping."""
    if not isinstance(raw, dict):
        raise SimConfigError(f"sim config must be a mapping, got {type(raw).__name__}")
    unknown, missing = set(raw) - set(_SECTIONS), set(_SECTIONS) - set(raw)
    if unknown or missing:
        raise SimConfigError(f"unknown sections {sorted(unknown)}, missing sections {sorted(missing)}")
    cfg = SimConfig(**{name: _build_section(name, cls, raw[name]) for name, cls in _SECTIONS.items()})
    _validate(cfg)
    return cfg


def load_sim_config(path: str | Path | None = None) -> SimConfig:
    """Load config/sim.yaml (the installed one when path is None)."""
    p = Path(path) if path is not None else config_path("sim.yaml")
    try:
        raw = yaml.safe_load(p.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise SimConfigError(f"cannot read sim config {p}: {exc}") from exc
    return sim_config_from_dict(raw)
