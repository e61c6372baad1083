"""Analytic top-down antipodal grasp candidates from the settled object geometry (ray casting).

A candidate is a vertical approach at (x, y) with the jaws closing along the horizontal direction
(cos a, sin a, 0). It is analytically good when, at the grasp height, both closing rays first meet
the target object, the two surface normals lie within the friction cone of the closing direction,
the contact width fits the stroke, and the finger pads (opened to the contact width plus clearance)
can descend without touching anything.
"""

from __future__ import annotations

from dataclasses import dataclass

import mujoco
import numpy as np

from kd_grasp_ros.robot.gripper_params import (
    FINGER_DEPTH_M,
    FINGER_THICKNESS_M,
    GRIPPER_STROKE_M,
    PAD_WIDTH_M,
)
from kd_grasp_ros.sim.config import GraspLabelConfig
from kd_grasp_ros.sim.objects import OPAQUE_GROUP, TRANSPARENT_GROUP, ObjectSpec

RAY_GROUPS = np.array([1 if g in (0, OPAQUE_GROUP, TRANSPARENT_GROUP) else 0 for g in range(6)], np.uint8)
TARGET_GROUP = 5  # a geom group used by nothing else: rays against one object only
TARGET_ONLY = np.array([1 if g == TARGET_GROUP else 0 for g in range(6)], np.uint8)
RAY_START_HEIGHT = 1.0  # m above the table, start of the vertical rays
TIP_TABLE_MARGIN = 0.004  # m, fingertips stay this far above the table
MIN_CONTACT_WIDTH = 0.005  # m
ALIGNED_SHARE = 0.5  # share of candidates aligned with the object's horizontal axes


@dataclass
class GraspCandidate:
    """A top-down grasp on one object (world frame) and its analytic verdict."""

    object_name: str
    tcp: np.ndarray  # TCP position at the grasp (m)
    top_z: float  # height of the object's surface seen from above at the centre (m)
    angle: float  # closing direction yaw (rad)
    contact_width: float  # m, NaN when the closing rays do not both meet the object
    opening: float  # m, jaw opening before closing (the rectangle's grasp width)
    analytic_ok: bool
    reason: str
    physics_ok: bool | None = None

    @property
    def closing(self) -> np.ndarray:
        return np.array([np.cos(self.angle), np.sin(self.angle), 0.0])


class RayCaster:
    """First hit of a ray against the table and objects (not the arm or the probe gripper)."""

    def __init__(self, model: mujoco.MjModel, data: mujoco.MjData):
        self.model, self.data = model, data
        self._geom = np.zeros(1, np.int32)
        self._normal = np.zeros(3)

    def cast(self, start, direction) -> tuple[float, int, np.ndarray]:
        """(distance, body id or -1, unit normal) of the first hit."""
        dist = mujoco.mj_ray(
            self.model,
            self.data,
            np.asarray(start, float),
            np.asarray(direction, float),
            RAY_GROUPS,
            1,
            -1,
            self._geom,
            self._normal,
        )
        if dist < 0 or self._geom[0] < 0:
            return -1.0, -1, np.zeros(3)
        return float(dist), int(self.model.geom_bodyid[self._geom[0]]), self._normal.copy()

    def cast_target(self, body_id: int, start, direction) -> tuple[float, int, np.ndarray]:
        """Like cast, but against the geoms of one body only (others are moved to TARGET_GROUP meanwhile)."""
        geoms = np.flatnonzero(self.model.geom_bodyid == body_id)
        saved = self.model.geom_group[geoms].copy()
        self.model.geom_group[geoms] = TARGET_GROUP
        try:
            dist = mujoco.mj_ray(
                self.model,
                self.data,
                np.asarray(start, float),
                np.asarray(direction, float),
                TARGET_ONLY,
                1,
                -1,
                self._geom,
                self._normal,
            )
        finally:
            self.model.geom_group[geoms] = saved
        if dist < 0 or self._geom[0] < 0:
            return -1.0, -1, np.zeros(3)
        return float(dist), body_id, self._normal.copy()

    def height_at(self, x: float, y: float, top: float) -> tuple[float, int]:
        """Surface height and body seen looking straight down at (x, y)."""
        dist, body, _ = self.cast((x, y, top), (0.0, 0.0, -1.0))
        return (top - dist, body) if dist >= 0 else (-np.inf, -1)


def evaluate_candidate(
    caster: RayCaster, obj: ObjectSpec, xy, angle: float, table_z: float, cfg: GraspLabelConfig
) -> GraspCandidate | None:
    """The analytic verdict of one grasp; None when the object is not what is seen at (x, y)."""
    model = caster.model
    body_id = model.body(obj.name).id
    top = table_z + RAY_START_HEIGHT
    top_z, seen = caster.height_at(xy[0], xy[1], top)
    if seen != body_id:
        return None
    z_g = max(top_z - cfg.grasp_depth, table_z + FINGER_DEPTH_M / 2 + TIP_TABLE_MARGIN)
    c = np.array([np.cos(angle), np.sin(angle), 0.0])
    centre = np.array([xy[0], xy[1], z_g])

    def verdict(ok, reason, width=np.nan):
        opening = GRIPPER_STROKE_M if np.isnan(width) else min(width + 2 * cfg.clearance, GRIPPER_STROKE_M)
        return GraspCandidate(
            obj.name, centre, float(top_z), float(angle), float(width), float(opening), ok, reason
        )

    reach = float(np.linalg.norm(obj.half_extents)) + 0.02
    d1, b1, n1 = caster.cast_target(body_id, centre - c * reach, c)
    d2, b2, n2 = caster.cast_target(body_id, centre + c * reach, -c)
    if b1 < 0 or b2 < 0:
        return verdict(False, "no contact at grasp height")
    width = 2 * reach - d1 - d2
    if width < MIN_CONTACT_WIDTH or width > GRIPPER_STROKE_M - 2 * cfg.clearance:
        return verdict(False, "width outside the stroke", width)
    cos_cone = np.cos(cfg.friction_cone)
    if np.dot(n1, -c) < cos_cone or np.dot(n2, c) < cos_cone:
        return verdict(False, "contacts not antipodal", width)
    mid = (centre - c * (reach - d1) + centre + c * (reach - d2)) / 2.0
    result = verdict(True, "ok", width)
    result.tcp = np.array([mid[0], mid[1], z_g])
    for sign in (-1.0, 1.0):  # nothing else between the open pads and the object
        _, hit_body, _ = caster.cast(result.tcp + sign * c * result.opening / 2, -sign * c)
        if hit_body != body_id:
            result.analytic_ok, result.reason = False, "another object between the jaws"
            return result
    tip_z = z_g - FINGER_DEPTH_M / 2
    side = np.array([-c[1], c[0], 0.0])
    for sign in (-1.0, 1.0):
        for along in (0.2, 0.8):
            for across in (-0.45, 0.0, 0.45):
                p = (
                    result.tcp
                    + sign * c * (result.opening / 2 + along * FINGER_THICKNESS_M)
                    + side * across * PAD_WIDTH_M
                )
                h, _ = caster.height_at(p[0], p[1], top)
                if h > tip_z:
                    result.analytic_ok, result.reason = False, "finger lands on something"
                    return result
    return result


def object_axes_yaw(data: mujoco.MjData, obj: ObjectSpec) -> list[float]:
    """Yaw angles of the object's local axes that are roughly horizontal (for aligned candidates)."""
    r = data.body(obj.name).xmat.reshape(3, 3)
    return [float(np.arctan2(r[1, k], r[0, k])) for k in range(3) if np.hypot(r[0, k], r[1, k]) > 0.7]


def sample_candidates(
    caster: RayCaster,
    data: mujoco.MjData,
    obj: ObjectSpec,
    table_z: float,
    cfg: GraspLabelConfig,
    rng: np.random.Generator,
) -> list[GraspCandidate]:
    """cfg.candidates_per_object candidates over the object's footprint (aligned and random angles)."""
    body = data.body(obj.name)
    r, pos = body.xmat.reshape(3, 3), body.xpos
    axes = object_axes_yaw(data, obj)
    out = []
    for _ in range(cfg.candidates_per_object):
        local = rng.uniform(-0.6, 0.6, 3) * obj.half_extents
        xy = (pos + r @ local)[:2]
        if axes and rng.uniform() < ALIGNED_SHARE:
            angle = axes[rng.integers(len(axes))] + rng.normal(0.0, 0.05)
        else:
            angle = rng.uniform(0.0, np.pi)
        cand = evaluate_candidate(caster, obj, xy, float(np.mod(angle, np.pi)), table_z, cfg)
        if cand is not None:
            out.append(cand)
    return out
