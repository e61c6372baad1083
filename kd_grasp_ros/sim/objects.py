"""Random graspable objects: boxes, cylinders, spheres and lathe meshes, opaque or transparent.

Sizes keep at least one cross-section within the gripper stroke (SceneConfig.max_grasp_size).
Every object is one free body with one geom (group OPAQUE_GROUP or TRANSPARENT_GROUP) whose origin is
the centre of its bounding box.
"""

from __future__ import annotations

import colorsys
from dataclasses import dataclass, field

import numpy as np

from kd_grasp_ros.common.transforms import matrix_to_quat, quat_to_matrix, rot_x, rot_y, rot_z
from kd_grasp_ros.sim.config import SceneConfig
from kd_grasp_ros.sim.lathe import bottle_profile, cup_profile, revolve

OPAQUE_GROUP = 1
TRANSPARENT_GROUP = 2
OBJECT_FRICTION = "0.9 0.01 0.0005"
HOLLOW_DENSITY_FACTOR = 4.0  # thin-walled cups and glasses: glass/ceramic is denser than the solids
LATHE_SHAPES = ("bottle", "cup", "glass", "bowl")
HOLLOW_SHAPES = ("cup", "glass", "bowl")
LYING_PROBABILITY = {
    "box": 1.0,
    "cylinder": 0.4,
    "sphere": 0.0,
    "bottle": 0.35,
    "cup": 0.15,
    "glass": 0.15,
    "bowl": 0.0,
}
CUP_WALL_M = 0.005
GLASS_WALL_M = 0.003
COLLISION_GROUP = 3  # the hollow objects' collision walls: not rendered, not met by scene rays
WALL_SEGMENTS = 16  # boxes around a hollow object's wall (MuJoCo collides a mesh by its convex hull)
BOWL_DIAMETER_M = (0.08, 0.15)  # a bowl is grasped across its wall, so it may exceed the stroke
BOWL_HEIGHT_M = (0.035, 0.07)


@dataclass
class ObjectSpec:
    """One object: shape, size, look and spawn pose (world frame, MuJoCo quaternion w x y z)."""

    name: str
    shape: str
    size: tuple[
        float, ...
    ]  # box: half sizes; cylinder: radius, half length; sphere: radius; lathe: radius, height
    rgba: tuple[float, float, float, float]
    transparent: bool
    position: np.ndarray = field(default_factory=lambda: np.zeros(3))
    quat_wxyz: np.ndarray = field(default_factory=lambda: np.array([1.0, 0.0, 0.0, 0.0]))
    profile: np.ndarray | None = None  # lathe shapes: (r, z) outline

    @property
    def half_extents(self) -> np.ndarray:
        """Half sizes of the local axis-aligned bounding box."""
        if self.shape == "box":
            return np.array(self.size)
        if self.shape == "cylinder":
            return np.array([self.size[0], self.size[0], self.size[1]])
        if self.shape == "sphere":
            return np.full(3, self.size[0])
        radius = float(self.profile[:, 0].max())
        return np.array([radius, radius, self.size[1] / 2.0])

    @property
    def group(self) -> int:
        return TRANSPARENT_GROUP if self.transparent else OPAQUE_GROUP


def _colour(rng: np.random.Generator, transparent: bool) -> tuple[float, float, float, float]:
    if transparent:
        tint = rng.uniform(0.80, 1.0, size=3)
        return (*tint, float(rng.uniform(0.18, 0.35)))
    r, g, b = colorsys.hsv_to_rgb(rng.uniform(), rng.uniform(0.4, 1.0), rng.uniform(0.35, 0.95))
    return (r, g, b, 1.0)


def _sample_size(shape: str, cfg: SceneConfig, rng: np.random.Generator):
    lo, grip, long = cfg.min_size, cfg.max_grasp_size, cfg.max_length
    if shape == "box":
        dims = [rng.uniform(lo, grip), rng.uniform(lo, grip), rng.uniform(lo, long)]
        rng.shuffle(dims)
        return tuple(d / 2.0 for d in dims), None
    if shape == "cylinder":
        return (rng.uniform(lo, grip) / 2.0, rng.uniform(lo, long) / 2.0), None
    if shape == "sphere":
        return (rng.uniform(lo, grip) / 2.0,), None
    if shape == "bottle":
        radius, height = rng.uniform(lo, grip) / 2.0, rng.uniform(0.5 * long, long)
        return (radius, height), bottle_profile(radius, height, rng.uniform(0.35, 0.55))
    if shape == "bowl":
        top, height = rng.uniform(*BOWL_DIAMETER_M) / 2.0, rng.uniform(*BOWL_HEIGHT_M)
        return (top, height), cup_profile(top, top * rng.uniform(0.45, 0.6), height, GLASS_WALL_M)
    top = rng.uniform(max(lo, 0.05), grip) / 2.0
    if shape == "cup":
        height = rng.uniform(0.3 * long, 0.6 * long)
        return (top, height), cup_profile(top, top * rng.uniform(0.7, 0.95), height, CUP_WALL_M)
    height = rng.uniform(0.35 * long, 0.75 * long)
    return (top, height), cup_profile(top, top * rng.uniform(0.8, 1.0), height, GLASS_WALL_M)


def _sample_rotation(shape: str, rng: np.random.Generator) -> np.ndarray:
    yaw = rot_z(rng.uniform(0, 2 * np.pi))
    if rng.uniform() >= LYING_PROBABILITY[shape]:
        return yaw
    if shape == "box":  # any face down
        return yaw @ [np.eye(3), rot_x(np.pi / 2), rot_y(np.pi / 2)][rng.integers(3)]
    return yaw @ rot_x(np.pi / 2)


def sample_object(name: str, cfg: SceneConfig, transparent: bool, rng: np.random.Generator) -> ObjectSpec:
    """A random object (size, colour, resting orientation); its position is set by the scene sampler."""
    shapes = sorted(cfg.shape_weights)
    weights = np.array([cfg.shape_weights[s] for s in shapes], float)
    shape = shapes[rng.choice(len(shapes), p=weights / weights.sum())]
    size, profile = _sample_size(shape, cfg, rng)
    rotation = _sample_rotation(shape, rng)
    quat_xyzw = matrix_to_quat(rotation)
    spec = ObjectSpec(
        name=name,
        shape=shape,
        size=size,
        rgba=_colour(rng, transparent),
        transparent=transparent,
        profile=profile,
    )
    spec.quat_wxyz = np.array([quat_xyzw[3], *quat_xyzw[:3]])
    return spec


def world_half_extents(spec: ObjectSpec) -> np.ndarray:
    """Half sizes of the world-axis-aligned box around the object in its spawn orientation."""
    w, x, y, z = spec.quat_wxyz
    r = quat_to_matrix([x, y, z, w])
    return np.abs(r) @ spec.half_extents


def _fmt(values) -> str:
    return " ".join(f"{v:.9g}" for v in values)


def object_assets_xml(spec: ObjectSpec) -> str:
    """Mesh and material assets of one object."""
    specular, shininess = (0.9, 0.95) if spec.transparent else (0.3, 0.4)
    xml = (
        f'<material name="{spec.name}_mat" rgba="{_fmt(spec.rgba)}" specular="{specular}"'
        f' shininess="{shininess}"/>'
    )
    if spec.shape in LATHE_SHAPES:
        verts, faces = revolve(spec.profile)
        xml += (
            f'<mesh name="{spec.name}_mesh" vertex="{_fmt(verts.ravel())}"'
            f' face="{" ".join(str(int(i)) for i in faces.ravel())}"/>'
        )
    return xml


def hollow_collision_xml(spec: ObjectSpec, density: float, condim: int) -> str:
    """Collision geoms of an open container (cup, glass, bowl) made by cup_profile: a base disc and
    WALL_SEGMENTS boxes following the tapered wall, so fingers can reach inside it and pinch its rim
    (a mesh would collide as its solid convex hull). Body frame: the object's centre, z up."""
    (r_bottom, _), (r_top, height), (r_inner_top, _) = spec.profile[1:4]
    wall = r_top - r_inner_top
    lean = np.arctan2(r_top - r_bottom, height)
    slant = float(np.hypot(height, r_top - r_bottom))
    radius = 0.5 * (r_top + r_bottom) - 0.5 * wall
    half_tangent = 1.15 * np.pi * 0.5 * (r_top + r_bottom) / WALL_SEGMENTS  # overlapping neighbours
    common = (
        f'group="{COLLISION_GROUP}" friction="{OBJECT_FRICTION}" condim="{condim}" density="{density:g}"'
        ' rgba="0 0 0 0"'
    )
    xml = (
        f'<geom type="cylinder" size="{r_bottom:.9g} {wall / 2:.9g}" pos="0 0 {-height / 2 + wall / 2:.9g}" '
        f"{common}/>"
    )
    for i in range(WALL_SEGMENTS):
        angle = 2.0 * np.pi * i / WALL_SEGMENTS
        qx, qy, qz, qw = matrix_to_quat(rot_z(angle) @ rot_y(lean))
        centre = (radius * np.cos(angle), radius * np.sin(angle), 0.0)
        xml += (
            f'<geom type="box" size="{wall / 2:.9g} {half_tangent:.9g} {slant / 2:.9g}" pos="{_fmt(centre)}"'
            f' quat="{_fmt((qw, qx, qy, qz))}" {common}/>'
        )
    return xml


def object_body_xml(spec: ObjectSpec, density: float) -> str:
    """The object's free body with its geom (containers: a visual mesh and their collision geoms)."""
    condim = 6 if spec.shape == "sphere" else 4
    common = (
        f'name="{spec.name}_geom" material="{spec.name}_mat" group="{spec.group}"'
        f' friction="{OBJECT_FRICTION}" condim="{condim}"'
    )
    if spec.shape == "box":
        geom = f'<geom type="box" size="{_fmt(spec.size)}" density="{density:g}" {common}/>'
    elif spec.shape == "cylinder":
        geom = f'<geom type="cylinder" size="{_fmt(spec.size)}" density="{density:g}" {common}/>'
    elif spec.shape == "sphere":
        geom = f'<geom type="sphere" size="{_fmt(spec.size)}" density="{density:g}" {common}/>'
    elif spec.shape in HOLLOW_SHAPES:  # seen as the mesh, touched as a base and a ring of wall boxes
        geom = (
            f'<geom type="mesh" mesh="{spec.name}_mesh" pos="0 0 {-spec.size[1] / 2:.9g}"'
            f' density="0" contype="0" conaffinity="0" {common}/>'
            + hollow_collision_xml(spec, density * HOLLOW_DENSITY_FACTOR, condim)
        )
    else:
        geom = (
            f'<geom type="mesh" mesh="{spec.name}_mesh" pos="0 0 {-spec.size[1] / 2:.9g}"'
            f' density="{density:g}" {common}/>'
        )
    return (
        f'<body name="{spec.name}" pos="{_fmt(spec.position)}" quat="{_fmt(spec.quat_wxyz)}">'
        f'<freejoint name="{spec.name}_free"/>{geom}</body>'
    )
