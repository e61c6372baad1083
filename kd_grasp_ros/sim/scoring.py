"""Scoring a grasp attempt in the simulated cell: which object was aimed at, and is it held?

Success (the demo's and the trials' one rule): the target object, the one under the planned grasp
centre (a ray cast straight down), else the one whose centre is nearest within a radius (xy), is lifted
and held by both finger pads.
"""

from __future__ import annotations

import numpy as np

from kd_grasp_ros.sim.grasp_candidates import RayCaster
from kd_grasp_ros.sim.world import SimWorld

TARGET_RAY_START_M = 0.4  # above the table top: over any object pile, below the gripper at HOME_Q


def target_object(world: SimWorld, tcp_xyz: np.ndarray, table_top_z: float, radius_m: float) -> str | None:
    """The object under the grasp TCP position (sim frame), else the nearest centre within radius_m."""
    x, y = float(tcp_xyz[0]), float(tcp_xyz[1])
    _, body = RayCaster(world.model, world.data).height_at(x, y, table_top_z + TARGET_RAY_START_M)
    for obj in world.objects:
        if world.model.body(obj.name).id == body:
            return obj.name
    best, best_d = None, radius_m
    for name, pose in world.object_poses().items():
        d = float(np.hypot(pose[0, 3] - x, pose[1, 3] - y))
        if d <= best_d:
            best, best_d = name, d
    return best


def scene_objects(world: SimWorld) -> list[dict]:
    """Name, shape and transparency of every object in the scene."""
    return [{"name": o.name, "shape": o.shape, "transparent": bool(o.transparent)} for o in world.objects]
