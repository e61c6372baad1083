"""SimWorld: the runtime MuJoCo cell other parts drive (demo, ROS sim node, tests).

Arm control: the arm is KINEMATIC. set_joint_targets(q) sets where the arm goes; every physics step
moves the commanded joints towards the target at most JOINT_MAX_SPEED * dt, writes them into qpos
and the matching finite-difference velocity into qvel, so the fingers and held objects see the true
tool motion in contacts while the arm itself tracks exactly (no gains to tune, no lag, no
instability, like a stiff position-controlled UR). The emulated UR controller's actual_q mirrored
every step is therefore reproduced exactly. Arm links do not collide; the gripper, table and
objects do. The gripper fingers are force-limited position actuators (set_gripper(opening_m)).
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass

import mujoco
import numpy as np

from kd_grasp_ros.common.errors import KdGraspError
from kd_grasp_ros.common.intrinsics import CameraIntrinsics
from kd_grasp_ros.common.transforms import make_transform
from kd_grasp_ros.robot.gripper_params import GRIPPER_STROKE_M, TCP_LENGTH_M
from kd_grasp_ros.robot.ur10e_params import HOME_Q, JOINT_LOWER, JOINT_MAX_SPEED, JOINT_NAMES, JOINT_UPPER
from kd_grasp_ros.sim.arm_model import FLANGE_BODY
from kd_grasp_ros.sim.camera import optical_transform
from kd_grasp_ros.sim.config import SCENE_MODES, SceneConfig, SimConfig, load_sim_config
from kd_grasp_ros.sim.gripper_model import finger_actuator_names, finger_joint_names, finger_pad_geom_names
from kd_grasp_ros.sim.objects import ObjectSpec
from kd_grasp_ros.sim.physics import body_pose, body_touches_geoms, settle
from kd_grasp_ros.sim.rendering import SceneRenderer
from kd_grasp_ros.sim.scene import (
    ARM_GRIPPER_PREFIX,
    CAMERA_NAME,
    SceneSpec,
    build_scene_xml,
    camera_placement,
    sample_scene,
)
from kd_grasp_ros.sim.sensor_images import sensor_images

HELD_LIFT_M = 0.02  # an object counts as lifted this far above where it came to rest


class SimWorldError(KdGraspError, RuntimeError):
    """SimWorld was used wrongly (not reset, bad joint vector, unknown object)."""


@dataclass
class SimFrame:
    """One camera frame: colour (RGB uint8), depths (float32 m, raw 0 = missing), mask, geometry, time."""

    rgb: np.ndarray
    depth_raw: np.ndarray
    depth_true: np.ndarray
    transparent_mask: np.ndarray
    intrinsics: CameraIntrinsics
    T_base_camera: np.ndarray  # 4x4 optical frame (x right, y down, z forward) in the base frame
    stamp_s: float  # simulation time


class SimWorld:
    """The UR10e cell with random objects; call reset() before anything else."""

    def __init__(self, config: SimConfig | None = None):
        self.cfg = config if config is not None else load_sim_config()
        self.model: mujoco.MjModel | None = None
        self.data: mujoco.MjData | None = None
        self._renderer: SceneRenderer | None = None
        self.objects: list[ObjectSpec] = []

    # ----------------------------------------------------------------- setup
    def reset(
        self,
        seed: int,
        scene: SceneConfig | None = None,
        objects: list[ObjectSpec] | None = None,
        q: np.ndarray | None = None,
    ) -> None:
        """A new scene: random objects from `scene` (default: the config's), or exactly `objects`.

        The arm starts at q (default HOME_Q) with the gripper open; objects are dropped and settled.
        """
        scene_cfg = scene if scene is not None else self.cfg.scene
        if scene_cfg.mode not in SCENE_MODES:
            raise SimWorldError(f"scene mode must be one of {SCENE_MODES}, got {scene_cfg.mode!r}")
        cfg = dataclasses.replace(self.cfg, scene=scene_cfg)
        self._rng = np.random.default_rng(seed)
        if objects is None:
            spec = sample_scene(
                cfg, self._rng, scene_cfg.mode, scene_cfg.transparent_ratio, camera_domain="fixed"
            )
        else:
            spec = SceneSpec(objects=list(objects), camera=camera_placement(cfg))
        self.objects = spec.objects
        self.close()
        self.model = mujoco.MjModel.from_xml_string(
            build_scene_xml(cfg, spec, with_arm=True, with_probe=False)
        )
        self.data = mujoco.MjData(self.model)
        m = self.model
        self._arm_q = np.array([m.joint(n).qposadr[0] for n in JOINT_NAMES])
        self._arm_v = np.array([m.joint(n).dofadr[0] for n in JOINT_NAMES])
        self._finger_q = [int(m.joint(n).qposadr[0]) for n in finger_joint_names(ARM_GRIPPER_PREFIX)]
        self._finger_act = [m.actuator(n).id for n in finger_actuator_names(ARM_GRIPPER_PREFIX)]
        self._pads = [m.geom(n).id for n in finger_pad_geom_names(ARM_GRIPPER_PREFIX)]
        self.set_joint_positions(HOME_Q if q is None else q)
        self._gripper_target = GRIPPER_STROKE_M / 2
        for qa, act in zip(self._finger_q, self._finger_act, strict=True):
            self.data.qpos[qa] = self._gripper_target
            self.data.ctrl[act] = self._gripper_target
        settle(m, self.data, [o.name for o in self.objects], cfg.physics.settle_time, before_step=self._drive)
        self._rest_z = {o.name: float(self.data.body(o.name).xpos[2]) for o in self.objects}
        intr = cfg.camera.intrinsics
        self._renderer = SceneRenderer(m, CAMERA_NAME, intr.width, intr.height)
        self._transparent_ids = [m.body(o.name).id for o in self.objects if o.transparent]

    def close(self) -> None:
        """Release the renderer (the world can be reset again afterwards)."""
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None

    def _require(self) -> None:
        if self.model is None:
            raise SimWorldError("SimWorld.reset(seed) must be called first")

    # ----------------------------------------------------------------- arm
    def _check_q(self, q) -> np.ndarray:
        q = np.asarray(q, dtype=float)
        if q.shape != (6,) or not np.all(np.isfinite(q)):
            raise SimWorldError(f"expected 6 finite joint positions (rad), got {q!r}")
        if np.any(q < JOINT_LOWER) or np.any(q > JOINT_UPPER):
            raise SimWorldError(f"joint positions {q} outside the UR10e limits")
        return q

    def set_joint_positions(self, q) -> None:
        """Teleport the arm to q (rad) and hold it there."""
        self._require()
        self._q_cmd = self._check_q(q).copy()
        self._q_target = self._q_cmd.copy()
        self.data.qpos[self._arm_q] = self._q_cmd
        self.data.qvel[self._arm_v] = 0.0
        mujoco.mj_forward(self.model, self.data)

    def set_joint_targets(self, q) -> None:
        """Where the arm should go (rad); it moves there at up to the UR's joint speed limits."""
        self._require()
        self._q_target = self._check_q(q).copy()

    def joint_positions(self) -> np.ndarray:
        """The arm's joint positions (rad), base to wrist 3."""
        self._require()
        return self._q_cmd.copy()

    # ----------------------------------------------------------------- gripper
    def set_gripper(self, opening_m: float) -> None:
        """Jaw opening target (m, 0 .. GRIPPER_STROKE_M); closing on an object squeezes at the force limit."""
        self._require()
        if not np.isfinite(opening_m) or not 0.0 <= opening_m <= GRIPPER_STROKE_M + 1e-9:
            raise SimWorldError(f"gripper opening must be within [0, {GRIPPER_STROKE_M}] m, got {opening_m}")
        self._gripper_target = float(opening_m) / 2.0

    def gripper_opening(self) -> float:
        """Current distance between the finger pads (m)."""
        self._require()
        return float(sum(self.data.qpos[q] for q in self._finger_q))

    # ----------------------------------------------------------------- time
    def _drive(self) -> None:
        """Kinematic arm and rate-limited gripper command for the coming physics step."""
        dt = self.model.opt.timestep
        delta = np.clip(self._q_target - self._q_cmd, -JOINT_MAX_SPEED * dt, JOINT_MAX_SPEED * dt)
        self.data.qpos[self._arm_q] = self._q_cmd
        self.data.qvel[self._arm_v] = delta / dt
        self._q_cmd = self._q_cmd + delta
        max_step = self.cfg.physics.gripper_speed / 2.0 * dt
        for act in self._finger_act:
            ctrl = self.data.ctrl[act]
            self.data.ctrl[act] = ctrl + np.clip(self._gripper_target - ctrl, -max_step, max_step)

    def step(self, n: int | None = None, dt: float | None = None) -> None:
        """Advance n physics steps, or dt seconds (rounded to whole steps); one step by default."""
        self._require()
        if n is not None and dt is not None:
            raise SimWorldError("give either n or dt, not both")
        steps = (
            1
            if n is None and dt is None
            else n
            if n is not None
            else int(round(dt / self.model.opt.timestep))
        )
        if steps < 0:
            raise SimWorldError(f"cannot step backwards ({steps} steps)")
        for _ in range(steps):
            self._drive()
            mujoco.mj_step(self.model, self.data)
        self.data.qpos[self._arm_q] = self._q_cmd
        self.data.qvel[self._arm_v] = 0.0
        mujoco.mj_forward(self.model, self.data)

    @property
    def time(self) -> float:
        self._require()
        return float(self.data.time)

    @property
    def timestep(self) -> float:
        self._require()
        return float(self.model.opt.timestep)

    # ----------------------------------------------------------------- state
    def flange_pose(self) -> np.ndarray:
        """4x4 pose of the flange (tool0 = DH frame 6) in the base frame."""
        self._require()
        return body_pose(self.data, FLANGE_BODY)

    def tcp_pose(self) -> np.ndarray:
        """4x4 pose of the TCP (TCP_LENGTH_M along the flange z) in the base frame."""
        return self.flange_pose() @ make_transform(np.eye(3), (0.0, 0.0, TCP_LENGTH_M))

    def object_poses(self) -> dict[str, np.ndarray]:
        """Object name -> 4x4 pose (centre of its bounding box) in the base frame."""
        self._require()
        return {o.name: body_pose(self.data, o.name) for o in self.objects}

    def _object_id(self, name: str) -> int:
        if name not in self._rest_z:
            raise SimWorldError(f"unknown object {name!r}; objects: {sorted(self._rest_z)}")
        return self.model.body(name).id

    def object_lifted(self, name: str, min_height: float = HELD_LIFT_M) -> bool:
        """Whether the object is at least min_height above where it came to rest."""
        self._require()
        body = self._object_id(name)
        return float(self.data.xpos[body][2]) - self._rest_z[name] >= min_height

    def is_held(self, name: str) -> bool:
        """Lifted and touched by both finger pads."""
        self._require()
        body = self._object_id(name)
        return self.object_lifted(name) and all(body_touches_geoms(self.model, self.data, body, self._pads))

    def held_objects(self) -> list[str]:
        return [o.name for o in self.objects if self.is_held(o.name)]

    # ----------------------------------------------------------------- camera
    @property
    def intrinsics(self) -> CameraIntrinsics:
        return self.cfg.camera.intrinsics

    def camera_pose(self, data: mujoco.MjData | None = None) -> np.ndarray:
        """T_base_camera: 4x4 of the camera optical frame in the base frame (moves with a wrist mount)."""
        self._require()
        cam = (self.data if data is None else data).cam(CAMERA_NAME)
        return optical_transform(cam.xpos, cam.xmat)

    def snapshot(self) -> mujoco.MjData:
        """A copy of the simulation state, to render from while physics goes on (render(snapshot))."""
        self._require()
        return copy.copy(self.data)

    def render(self, data: mujoco.MjData | None = None) -> SimFrame:
        """Render the camera and apply the RealSense-like sensor model: of the current state, or of a
        snapshot() (MuJoCo releases the GIL while it renders, so another thread can keep stepping)."""
        self._require()
        data = self.data if data is None else data
        views = self._renderer.render_views(data)
        intr = self.intrinsics
        images = sensor_images(views, self._transparent_ids, intr.fx, self.cfg, self._rng)
        return SimFrame(
            rgb=images.rgb,
            depth_raw=images.depth_raw,
            depth_true=views.depth_true,
            transparent_mask=images.transparent_mask,
            intrinsics=intr,
            T_base_camera=self.camera_pose(data),
            stamp_s=float(data.time),
        )
