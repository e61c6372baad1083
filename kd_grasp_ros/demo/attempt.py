"""One closed-loop grasp attempt through the running node graph, as an operator would make it.

Home the arm if it is not (ur_executor ~/go_home), drop a fresh scene (sim_world_node ~/new_scene),
wait for the grasp node's detection of a frame of that scene, trigger ur_executor ~/execute_latest,
ask the simulator what is held when the executor reports the lift done (~/report), then wait for the
attempt's final ~/status and hold_s, and ask again. Success: the target object, the one under the
executor's planned grasp, is lifted and held by both pads at the end of the lift; whether it is still
held after the rest of the attempt (return_home) is recorded beside it (held_at_end).

Stage latencies: perception_end_to_end (the frame's stamp -> its grasp candidates received here, over
DDS), depth_completion / grasp_detection (each node's own time for its latest frame, from
/diagnostics), planning (the ~/execute_latest call: checks and plans) and execution (accepted -> final
status: the motion against the emulated controller, wall time).
"""

from __future__ import annotations

import dataclasses
import json
import re
import time
from dataclasses import dataclass, field

import numpy as np

from kd_grasp_ros.common.grasp_types import ImageGrasp
from kd_grasp_ros.demo.config import DemoConfig
from kd_grasp_ros.demo.driver import DemoDriver, DemoDriverError, Detection
from kd_grasp_ros.executor.errors import NO_GRASP_YET

STAGES = ("perception_end_to_end", "depth_completion", "grasp_detection", "planning", "execution")
OUTCOMES = ("held", "wrong_object", "missed", "aborted", "rejected", "no_grasp")
NODE_STAGES = {"depth_completion_node": "depth_completion", "grasp_detection_node": "grasp_detection"}
EXECUTOR_CATCH_UP_S = 0.3  # the executor receives the detection's grasp_pose on its own subscription
HOME_TIMEOUT_S = 60.0


@dataclass
class AttemptResult:
    """What happened in one attempt (JSON-friendly except the images and `image_grasps`)."""

    index: int
    seed: int
    objects: int
    transparent_objects: int
    outcome: str = "no_grasp"
    success: bool = False
    target: str | None = None
    target_transparent: bool | None = None
    held: list[str] = field(default_factory=list)  # held at the end of the lift (the verdict)
    held_at_end: list[str] = field(default_factory=list)  # still held when the attempt ended (hold_s later)
    reason: str = ""
    grasp: dict = field(default_factory=dict)
    timings_ms: dict[str, float] = field(default_factory=dict)
    rgb: np.ndarray | None = None
    depth_raw: np.ndarray | None = None
    depth_network: np.ndarray | None = None  # the depth the grasp network was given
    image_grasps: list[ImageGrasp] = field(default_factory=list)
    chosen: int | None = None

    def as_dict(self) -> dict:
        """The JSON-friendly fields (no images)."""
        skip = {"rgb", "depth_raw", "depth_network", "image_grasps"}
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in skip}


def final_status(phase: str):
    """A predicate: the ~/status that ends `phase` (home or attempt), done or failed."""
    return lambda s: s.get("phase") == phase and s.get("status") in ("done", "failed")


def ensure_home(driver: DemoDriver) -> None:
    """Bring the arm home through the executor unless the simulator shows it there already."""
    if driver.report()["at_home"]:
        return
    driver.statuses.clear()
    ok, text = driver.trigger("go_home")
    if not ok:
        raise DemoDriverError(f"ur_executor ~/go_home refused: {text}")
    if "already home" in text:
        return
    final = driver.wait_for_status(final_status("home"), HOME_TIMEOUT_S)
    if final is None or final["status"] != "done":
        raise DemoDriverError(f"the arm did not get home: {final}")


def project_grasps(detection: Detection, camera_info) -> list[ImageGrasp]:
    """The candidates (camera optical frame) drawn back into the image with the camera's intrinsics."""
    from kd_grasp_ros.common.transforms import quat_to_matrix

    if camera_info is None:
        return []
    fx, fy, cx, cy = camera_info.k[0], camera_info.k[4], camera_info.k[2], camera_info.k[5]
    grasps = []
    for k, pose in enumerate(detection.poses):
        p = np.array([pose.position.x, pose.position.y, pose.position.z])
        if p[2] <= 0:
            continue
        o = pose.orientation
        closing = quat_to_matrix([o.x, o.y, o.z, o.w])[:, 1]
        tip = p + 0.01 * closing
        u, v = fx * p[0] / p[2] + cx, fy * p[1] / p[2] + cy
        du, dv = fx * tip[0] / tip[2] + cx - u, fy * tip[1] / tip[2] + cy - v
        info = detection.info[2 * k : 2 * k + 2]
        quality, width_m = (info[0], info[1]) if len(info) == 2 else (0.0, 0.0)
        grasps.append(
            ImageGrasp(
                row=v,
                col=u,
                angle=float(-np.arctan2(dv, du)),
                width_px=float(width_m * fx / p[2]),
                quality=float(quality),
                length_px=float(width_m * fx / p[2]) / 2.0,
            )
        )
    return grasps


def _keep_pictures(result: AttemptResult, driver: DemoDriver, detection: Detection, completion: bool) -> None:
    from kd_grasp_ros.ros_image import depth_to_metres, image_to_rgb

    frames = driver.images
    color = frames["color"].get(detection.stamp_s)
    raw = frames["depth_raw"].get(detection.stamp_s)
    network = frames["depth_completed"].get(detection.stamp_s) if completion else raw
    result.rgb = image_to_rgb(color) if color is not None else None
    result.depth_raw = depth_to_metres(raw) if raw is not None else None
    result.depth_network = depth_to_metres(network) if network is not None else None
    result.image_grasps = project_grasps(detection, driver.camera_info)


def run_attempt(driver: DemoDriver, cfg: DemoConfig, index: int, seed: int) -> AttemptResult:
    """One attempt in a fresh scene. A refused or failed attempt is an outcome; a node graph that stops
    answering is a DemoDriverError."""
    ensure_home(driver)
    driver.set_scene_parameters(seed, cfg.scene, cfg.transparent_ratio)
    ok, text = driver.trigger("new_scene")
    if not ok:
        raise DemoDriverError(f"sim_world_node ~/new_scene failed: {text}")
    scene = json.loads(text)
    result = AttemptResult(
        index=index,
        seed=seed,
        objects=len(scene["objects"]),
        transparent_objects=sum(o["transparent"] for o in scene["objects"]),
    )
    detection = driver.spin_until(lambda: driver.detection_after(scene["stamp_s"]), cfg.frame_timeout_s)
    if detection is None:
        raise DemoDriverError(f"no detection of a frame of the new scene within {cfg.frame_timeout_s} s")
    driver.spin_for(EXECUTOR_CATCH_UP_S)
    result.timings_ms["perception_end_to_end"] = 1e3 * (detection.received_s - detection.stamp_s)
    for node, stage in NODE_STAGES.items():
        if node in driver.node_latency_ms:
            result.timings_ms[stage] = driver.node_latency_ms[node]
    _keep_pictures(result, driver, detection, cfg.uses_depth_completion)
    if not detection.poses:
        result.outcome, result.reason = "no_grasp", "the grasp node published no candidate for the frame"
        return result
    driver.statuses.clear()
    t0 = time.perf_counter()
    accepted, answer = driver.trigger("execute")
    if not accepted and NO_GRASP_YET in answer:
        # the executor's grasp_pose subscription was matched (DDS discovery at start-up) after this
        # frame's grasps went out: ask again once the grasps of a later frame of the scene are out
        later = driver.spin_until(lambda: driver.detection_after(detection.stamp_s), cfg.frame_timeout_s)
        if later is not None and later.poses:
            detection = later
            _keep_pictures(result, driver, detection, cfg.uses_depth_completion)
            driver.spin_for(EXECUTOR_CATCH_UP_S)
            t0 = time.perf_counter()
            accepted, answer = driver.trigger("execute")
    result.timings_ms["planning"] = 1e3 * (time.perf_counter() - t0)
    if not accepted:
        result.outcome, result.reason = "rejected", answer
        return result
    chosen = re.search(r"candidate (\d+)", answer)
    result.chosen = int(chosen.group(1)) if chosen else 0
    info = detection.info[2 * result.chosen : 2 * result.chosen + 2]
    if len(info) == 2:
        result.grasp = {
            "candidate": result.chosen,
            "quality": round(info[0], 4),
            "width_m": round(info[1], 4),
        }
    t0 = time.perf_counter()
    ended = final_status("attempt")
    lifted = driver.wait_for_status(lambda s: ended(s) or _lift_done(s), cfg.attempt_timeout_s)
    if lifted is not None and _lift_done(lifted):
        after_lift = driver.report()  # judged here: the arm goes on (home, with return_home) meanwhile
        final = driver.wait_for_status(ended, cfg.attempt_timeout_s)
    else:
        after_lift, final = None, lifted
    if final is None:
        raise DemoDriverError(f"no final ur_executor status within {cfg.attempt_timeout_s} s of '{answer}'")
    result.timings_ms["execution"] = 1e3 * (time.perf_counter() - t0)
    driver.spin_for(cfg.hold_s)
    at_end = driver.report()
    result.target, result.target_transparent = at_end["target"], at_end["target_transparent"]
    result.held = after_lift["held"] if after_lift is not None else []
    result.held_at_end = at_end["held"]
    if after_lift is None:
        result.outcome, result.reason = "aborted", f"{final.get('error', '')}: {final.get('reason', '')}"
        return result
    result.success = result.target is not None and result.target in result.held
    result.outcome = "held" if result.success else "wrong_object" if result.held else "missed"
    if final["status"] == "failed":
        result.reason = f"after the lift: {final.get('error', '')}: {final.get('reason', '')}"
    return result


def _lift_done(status: dict) -> bool:
    return status.get("phase") == "lift" and status.get("status") == "done"
