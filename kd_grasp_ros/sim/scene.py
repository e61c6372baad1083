"""A scene: the cell (table, lights, camera, optional arm, optional probe gripper) plus random objects.

sample_scene draws objects and their drop poses over the workspace (stacked where it is full); build_scene_xml
writes the MJCF. The probe gripper is a free-floating copy of the gripper welded to a mocap body,
used to check grasps in physics without the arm (hidden from the camera, geom group PROBE_GROUP).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from kd_grasp_ros.common.errors import KdGraspError
from kd_grasp_ros.sim.arm_model import FLANGE_BODY, arm_xml
from kd_grasp_ros.sim.camera import camera_xml, look_at_optical
from kd_grasp_ros.sim.config import SimConfig
from kd_grasp_ros.sim.gripper_model import (
    gripper_actuators_xml,
    gripper_bodies_xml,
    gripper_excludes_xml,
)
from kd_grasp_ros.sim.objects import (
    ObjectSpec,
    object_assets_xml,
    object_body_xml,
    sample_object,
    world_half_extents,
)

CAMERA_NAME = "rgbd"
ARM_GRIPPER_PREFIX = "grip_"
PROBE_PREFIX = "probe_"
PROBE_BODY = "probe"
PROBE_MOCAP = "probe_target"
PROBE_GROUP = 4
PROBE_PARK_Z = 3.0  # m, where the probe waits (above and behind the fixed camera)
FIXED_CAMERA_DOWN_HINT = (1.0, 0.0, 0.0)  # the robot base appears at the bottom of the image
WRIST_CAMERA_DOWN_HINT = (0.0, 1.0, 0.0)  # the gripper appears at the bottom of the wrist image
TABLE_THICKNESS_M = 0.04
FLOOR_BELOW_TABLE_M = 0.75
DROP_GAP_M = 0.004  # m, objects start this far above the table
SPAWN_TRIES = 60
CAMERA_DOMAINS = ("fixed", "cell", "wide")


class SceneBuildError(KdGraspError, ValueError):
    """The requested scene cannot be built (e.g. a wrist camera without the arm)."""


@dataclass
class CameraPlacement:
    """Where the camera is: in the world (mount 'fixed') or in the flange frame (mount 'wrist')."""

    mount: str
    position: np.ndarray
    r_optical: np.ndarray


@dataclass
class TableTexture:
    """The table top's look: kind 'flat', 'speckle' (random marks) or 'checker' (a cloth)."""

    kind: str = "flat"
    rgb1: tuple[float, float, float] = (0.55, 0.5, 0.45)
    rgb2: tuple[float, float, float] = (0.45, 0.4, 0.35)
    repeat: float = 8.0  # texture repetitions over the table


@dataclass
class SceneSpec:
    """Everything random about one scene."""

    objects: list[ObjectSpec]
    camera: CameraPlacement
    table: TableTexture = field(default_factory=TableTexture)
    light_dir: np.ndarray = field(default_factory=lambda: np.array([0.3, 0.2, -1.0]))


def wide_camera_placement(cfg: SimConfig, rng: np.random.Generator) -> CameraPlacement:
    """The wide synthetic domain: a camera camera.wide_height above the table, its optical axis tilted
    camera.wide_tilt from straight down towards a random side, looking at a random point of the inner
    half of the workspace."""
    cam, half = cfg.camera, np.array(cfg.workspace.half_extent)
    target_xy = np.array(cfg.workspace.center) + rng.uniform(-0.5, 0.5, 2) * half
    target = np.append(target_xy, cfg.table.top_z)
    height, tilt = rng.uniform(*cam.wide_height), rng.uniform(*cam.wide_tilt)
    azimuth = rng.uniform(-np.pi, np.pi)
    position = target + height * np.array(
        [np.tan(tilt) * np.cos(azimuth), np.tan(tilt) * np.sin(azimuth), 1.0]
    )
    return CameraPlacement("fixed", position, look_at_optical(position, target, FIXED_CAMERA_DOWN_HINT))


def camera_placement(cfg: SimConfig, rng: np.random.Generator | None = None) -> CameraPlacement:
    """The configured camera pose; with rng, the fixed camera is jittered (synthetic data)."""
    cam = cfg.camera
    if cam.mount == "wrist":
        offset = np.array(cam.wrist_offset)
        axis = np.array([0.0, np.sin(cam.wrist_tilt), np.cos(cam.wrist_tilt)])
        return CameraPlacement(
            "wrist", offset, look_at_optical(offset, offset + axis, WRIST_CAMERA_DOWN_HINT)
        )
    position, target = np.array(cam.position), np.array(cam.target)
    if rng is not None:
        position = position + rng.uniform(-cam.jitter_position, cam.jitter_position, 3)
        target = target + np.append(rng.uniform(-cam.jitter_target, cam.jitter_target, 2), 0.0)
    return CameraPlacement("fixed", position, look_at_optical(position, target, FIXED_CAMERA_DOWN_HINT))


def place_objects(objects: list[ObjectSpec], cfg: SimConfig, rng: np.random.Generator) -> list[ObjectSpec]:
    """Drop poses over the workspace: a free spot if one is found, else on top of the objects below."""
    centre, half = np.array(cfg.workspace.center), np.array(cfg.workspace.half_extent)
    placed: list[tuple[np.ndarray, np.ndarray, float]] = []  # centre xy, half extents, top z
    for spec in objects:
        ext = world_half_extents(spec)
        for _ in range(SPAWN_TRIES):
            xy = centre + rng.uniform(-1.0, 1.0, 2) * np.maximum(half - ext[:2] * 0.5, 0.0)
            below = [top for p_xy, p_ext, top in placed if np.all(np.abs(xy - p_xy) < ext[:2] + p_ext[:2])]
            if not below:
                break
        z = max(below, default=cfg.table.top_z) + ext[2] + DROP_GAP_M
        spec.position = np.array([xy[0], xy[1], z])
        placed.append((xy, ext, z + ext[2]))
    return objects


def sample_table_texture(rng: np.random.Generator) -> TableTexture:
    """A random table look: plain, speckled or a checked cloth, in muted colours."""
    grey = rng.uniform(0.3, 0.75)
    rgb1 = np.clip(grey + rng.uniform(-0.1, 0.1, 3), 0.0, 1.0)
    rgb2 = np.clip(rgb1 * rng.uniform(0.6, 0.9) + rng.uniform(-0.05, 0.05, 3), 0.0, 1.0)
    kind = ("flat", "speckle", "checker")[rng.integers(3)]
    return TableTexture(kind=kind, rgb1=tuple(rgb1), rgb2=tuple(rgb2), repeat=float(rng.uniform(4.0, 20.0)))


def sample_scene(
    cfg: SimConfig, rng: np.random.Generator, mode: str, transparent_ratio: float, camera_domain: str
) -> SceneSpec:
    """Random objects (count by mode), colours, table tint, light direction and camera placement:
    camera_domain 'fixed' (the configured pose), 'cell' (jittered around it) or 'wide'
    (wide_camera_placement)."""
    if camera_domain not in CAMERA_DOMAINS:
        raise SceneBuildError(f"camera domain must be one of {CAMERA_DOMAINS}, got {camera_domain!r}")
    n = 1 if mode == "single" else int(rng.integers(cfg.scene.min_objects, cfg.scene.max_objects + 1))
    objects = [
        sample_object(f"obj{i}", cfg.scene, bool(rng.uniform() < transparent_ratio), rng) for i in range(n)
    ]
    objects = place_objects(objects, cfg, rng)
    table = sample_table_texture(rng)
    light = np.array([rng.uniform(-0.5, 0.5), rng.uniform(-0.5, 0.5), -1.0])
    if camera_domain == "wide":
        camera = wide_camera_placement(cfg, rng)
    else:
        camera = camera_placement(cfg, rng if camera_domain == "cell" else None)
    return SceneSpec(objects=objects, camera=camera, table=table, light_dir=light)


def _fmt(values) -> str:
    return " ".join(f"{v:.9g}" for v in values)


def _table_material_xml(tex: TableTexture) -> str:
    builtin = {"flat": "flat", "speckle": "flat", "checker": "checker"}[tex.kind]
    mark = ' mark="random" random="0.08"' if tex.kind == "speckle" else ""
    return (
        f'<texture name="table_tex" type="2d" builtin="{builtin}" rgb1="{_fmt(tex.rgb1)}"'
        f' rgb2="{_fmt(tex.rgb2)}"'
        f' markrgb="{_fmt(tex.rgb2)}"{mark} width="256" height="256"/>'
        f'<material name="table_mat" texture="table_tex" texrepeat="{tex.repeat:.4g} {tex.repeat:.4g}"'
        f' specular="0.1" shininess="0.1"/>'
    )


def build_scene_xml(cfg: SimConfig, scene: SceneSpec, *, with_arm: bool, with_probe: bool) -> str:
    """MJCF of the cell with the scene's objects."""
    intr = cfg.camera.intrinsics
    table, phys = cfg.table, cfg.physics
    cam = camera_xml(CAMERA_NAME, scene.camera.position, scene.camera.r_optical, intr)
    if scene.camera.mount == "wrist" and not with_arm:
        raise SceneBuildError(
            "a wrist-mounted camera needs the arm: build with with_arm=True or mount='fixed'"
        )
    actuators, excludes, bodies = [], [], []
    if with_arm:
        flange = gripper_bodies_xml(ARM_GRIPPER_PREFIX, group=0)
        if scene.camera.mount == "wrist":
            flange += cam
        bodies.append(arm_xml(flange))
        actuators.append(gripper_actuators_xml(ARM_GRIPPER_PREFIX, phys.gripper_force))
        excludes.append(gripper_excludes_xml(ARM_GRIPPER_PREFIX, FLANGE_BODY))
    if with_probe:
        bodies.append(
            f'<body name="{PROBE_MOCAP}" mocap="true" pos="0 0 {PROBE_PARK_Z}"/>'
            f'<body name="{PROBE_BODY}" pos="0 0 {PROBE_PARK_Z}" gravcomp="1">'
            f'<freejoint name="{PROBE_BODY}_free"/>'
            f'<inertial pos="0 0 0.05" mass="1.0" diaginertia="0.004 0.004 0.002"/>'
            f"{gripper_bodies_xml(PROBE_PREFIX, group=PROBE_GROUP)}</body>"
        )
        actuators.append(gripper_actuators_xml(PROBE_PREFIX, phys.gripper_force))
        excludes.append(gripper_excludes_xml(PROBE_PREFIX, PROBE_BODY))
    if scene.camera.mount == "fixed":
        bodies.append(cam)
    light_dir = scene.light_dir / np.linalg.norm(scene.light_dir)
    table_centre = (*table.center, table.top_z - TABLE_THICKNESS_M / 2)
    table_half = (table.size[0] / 2, table.size[1] / 2, TABLE_THICKNESS_M / 2)
    equality = (
        f'<equality><weld body1="{PROBE_BODY}" body2="{PROBE_MOCAP}" solref="0.004 1"/></equality>'
        if with_probe
        else ""
    )
    return f"""<mujoco model="kd_grasp_cell">
<compiler angle="radian" autolimits="true"/>
<option timestep="{phys.timestep}" integrator="implicitfast" cone="elliptic" impratio="5"/>
<statistic extent="2" center="-0.5 0 0.3"/>
<visual><global offwidth="{max(intr.width, 640)}" offheight="{max(intr.height, 480)}"/>
<map znear="0.005" zfar="30"/><quality shadowsize="1024"/>
<headlight ambient="0.25 0.25 0.25" diffuse="0.15 0.15 0.15" specular="0.05 0.05 0.05"/></visual>
<asset>
<texture name="floor_tex" type="2d" builtin="checker" rgb1="0.3 0.3 0.32" rgb2="0.25 0.25 0.27"
 width="64" height="64"/>
<material name="floor_mat" texture="floor_tex" texrepeat="8 8"/>
{_table_material_xml(scene.table)}
{"".join(object_assets_xml(o) for o in scene.objects)}
</asset>
<worldbody>
<light name="key" directional="true" dir="{_fmt(light_dir)}" pos="0 0 3" diffuse="0.5 0.5 0.5"
 specular="0.6 0.6 0.6" castshadow="false"/>
<light name="fill" directional="true" dir="0.2 -0.3 -1" pos="0 0 3" diffuse="0.15 0.15 0.15"
 specular="0.3 0.3 0.3" castshadow="false"/>
<geom name="floor" type="plane" size="6 6 0.1" pos="0 0 {table.top_z - FLOOR_BELOW_TABLE_M}"
 material="floor_mat" group="0"/>
<geom name="table" type="box" size="{_fmt(table_half)}" pos="{_fmt(table_centre)}"
 material="table_mat" group="0"
 friction="0.8 0.01 0.0005"/>
{"".join(bodies)}
{"".join(object_body_xml(o, cfg.scene.density) for o in scene.objects)}
</worldbody>
{equality}
<contact>{"".join(excludes)}</contact>
<actuator>{"".join(actuators)}</actuator>
</mujoco>"""
