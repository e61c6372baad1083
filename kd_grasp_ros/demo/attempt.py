"""One closed-loop grasp attempt: render -> perceive -> plan -> execute (mirrored) -> judge.

Success: the target object (the one under the planned grasp centre, else the nearest within
target_radius_m) is lifted and held by both pads after the lift phase and a short hold. Stage
latencies: render, depth completion, grasp detection (incl. pose lifting), planning (hand-eye,
checks and IK of the tried candidates) and execution (the executor's whole attempt against the
emulated controller, wall time).
"""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field

import numpy as np

from kd_grasp_ros.common.grasp_types import GraspPose, ImageGrasp
from kd_grasp_ros.demo.cell import SimulatedCell
from kd_grasp_ros.demo.sim_frames import base_link_to_sim
from kd_grasp_ros.executor.errors import ExecutorError, UnsafeGraspError
from kd_grasp_ros.executor.hand_eye import HandEye
from kd_grasp_ros.pipeline.perception import Perception
from kd_grasp_ros.robot.gripper_params import FINGER_DEPTH_M, GRIPPER_STROKE_M
from kd_grasp_ros.sim.config import SceneConfig
from kd_grasp_ros.sim.grasp_candidates import RayCaster
from kd_grasp_ros.sim.world import SimFrame

STAGES = ("render", "depth_completion", "grasp_detection", "planning", "execution")
TARGET_RAY_START_M = 0.4  # above the table: over any object pile, below the gripper at HOME_Q (~0.5 m)
OUTCOMES = ("held", "wrong_object", "missed", "aborted", "no_plannable_grasp", "no_grasp")


@dataclass
class AttemptResult:
    """What happened in one attempt (JSON-friendly except `frame` / `depth_m` / `image_grasps`)."""

    index: int
    seed: int
    objects: int
    transparent_objects: int
    outcome: str = "no_grasp"
    success: bool = False
    target: str | None = None
    target_transparent: bool | None = None
    held: list[str] = field(default_factory=list)
    reason: str = ""
    grasp: dict = field(default_factory=dict)
    timings_ms: dict[str, float] = field(default_factory=dict)
    frame: SimFrame | None = None
    depth_m: np.ndarray | None = None
    image_grasps: list[ImageGrasp] = field(default_factory=list)
    chosen: int | None = None

    def as_dict(self) -> dict:
        """The JSON-friendly fields (no images)."""
        skip = {"frame", "depth_m", "image_grasps"}
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in skip}


def deepened_grasp(pose: GraspPose, hand_eye: HandEye, depth_m: float, table_z: float,
                   pad_clearance_m: float) -> GraspPose:
    """The grasp moved down so the TCP sits depth_m below the seen surface, pads clear of the table.

    The shift is vertical in base_link (z is shared by base and base_link), expressed back in the
    camera frame through the executor's own hand-eye transform, so the executor still gets a camera
    frame grasp. The width is clipped to the stroke: the tool-digital gripper opens fully whatever the
    width, and every simulated object fits the stroke (sim scene.max_grasp_size).
    """
    t_base_link = hand_eye.grasp_in_base_link(pose)
    surface_z = float(t_base_link[2, 3])
    tcp_z = max(surface_z - depth_m, table_z + FINGER_DEPTH_M / 2.0 + pad_clearance_m)
    r_base_link_camera = hand_eye.camera_in_base_link(pose.stamp_s)[:3, :3]
    shift = r_base_link_camera.T @ np.array([0.0, 0.0, tcp_z - surface_z])
    return dataclasses.replace(pose, position=np.asarray(pose.position, dtype=float) + shift,
                               width_m=min(float(pose.width_m), GRIPPER_STROKE_M))


def target_object(cell: SimulatedCell, grasp_sim: np.ndarray, radius_m: float) -> str | None:
    """The object under the grasp centre (a ray cast straight down in MuJoCo), else the object whose
    centre is nearest (xy) within radius_m, else None."""
    world = cell.world
    x, y = grasp_sim[:2, 3]
    ray_start = cell.sim_cfg.table.top_z + TARGET_RAY_START_M
    _, body = RayCaster(world.model, world.data).height_at(x, y, ray_start)
    for obj in world.objects:
        if world.model.body(obj.name).id == body:
            return obj.name
    best, best_d = None, radius_m
    for name, pose in world.object_poses().items():
        d = float(np.linalg.norm(pose[:2, 3] - grasp_sim[:2, 3]))
        if d <= best_d:
            best, best_d = name, d
    return best


def run_attempt(cell: SimulatedCell, perception: Perception, index: int, seed: int,
                scene: SceneConfig) -> AttemptResult:
    """One attempt in a fresh scene; executor errors end the attempt (recorded), they do not propagate."""
    cfg, world, executor = cell.cfg, cell.world, cell.executor
    cell.new_scene(seed, scene)
    result = AttemptResult(index=index, seed=seed, objects=len(world.objects),
                           transparent_objects=sum(o.transparent for o in world.objects))
    t0 = time.perf_counter()
    frame = world.render()
    result.timings_ms["render"] = 1e3 * (time.perf_counter() - t0)
    stamp = executor.clock()
    seen = perception.perceive(frame.rgb, frame.depth_raw, frame.intrinsics, stamp)
    result.timings_ms.update(seen.timings_ms)
    result.frame, result.depth_m, result.image_grasps = frame, seen.depth_m, seen.grasps.grasps
    if not seen.grasps.poses:
        result.outcome, result.reason = "no_grasp", "the detector found no grasp above min_quality"
        return result
    t0 = time.perf_counter()
    chosen, plan, refusals = None, None, []
    for i, pose in enumerate(seen.grasps.poses):
        candidate = deepened_grasp(pose, executor.hand_eye, cfg.grasp_depth_m, cell.sim_cfg.table.top_z,
                                   cfg.pad_clearance_m)
        try:
            plan = executor.plan(candidate)
        except UnsafeGraspError as err:
            refusals.append(str(err))
            continue
        chosen, result.chosen = candidate, i
        break
    result.timings_ms["planning"] = 1e3 * (time.perf_counter() - t0)
    if chosen is None:
        result.outcome, result.reason = "no_plannable_grasp", "; ".join(refusals)
        return result
    grasp_sim = base_link_to_sim(plan.grasp_tcp)
    result.target = target_object(cell, grasp_sim, cfg.target_radius_m)
    if result.target is not None:
        result.target_transparent = next(o.transparent for o in world.objects if o.name == result.target)
    predicted_width = seen.grasps.poses[result.chosen].width_m
    result.grasp = {"quality": round(chosen.quality, 4), "width_m": round(predicted_width, 4),
                    "tcp_sim_m": [round(float(v), 4) for v in grasp_sim[:3, 3]]}
    t0 = time.perf_counter()
    try:
        cell.run_motion(lambda: executor.execute(chosen), f"attempt-{index}")
    except ExecutorError as err:
        result.timings_ms["execution"] = 1e3 * (time.perf_counter() - t0)
        result.outcome, result.reason = "aborted", f"{type(err).__name__}: {err}"
        return result
    result.timings_ms["execution"] = 1e3 * (time.perf_counter() - t0)
    cell.mirror_for(cfg.hold_s)
    result.held = world.held_objects()
    result.success = result.target is not None and result.target in result.held
    result.outcome = "held" if result.success else "wrong_object" if result.held else "missed"
    return result
