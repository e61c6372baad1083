"""Physics check of a top-down grasp with the free-floating probe gripper (a mocap-welded copy).

Each check restores the settled scene, places the open probe above the grasp, descends, closes the
position-controlled fingers (force-limited), lifts and holds; the grasp succeeds when the object
rose by at least min_lift_ratio of the lift and both pads still touch it.
"""

from __future__ import annotations

import mujoco
import numpy as np

from kd_grasp_ros.robot.gripper_params import TCP_LENGTH_M
from kd_grasp_ros.sim.config import GraspLabelConfig
from kd_grasp_ros.sim.grasp_candidates import GraspCandidate
from kd_grasp_ros.sim.gripper_model import finger_actuator_names, finger_joint_names, finger_pad_geom_names
from kd_grasp_ros.sim.physics import body_touches_geoms, mujoco_quat, set_state
from kd_grasp_ros.sim.scene import PROBE_BODY, PROBE_MOCAP, PROBE_PARK_Z, PROBE_PREFIX

APPROACH_HEIGHT_M = 0.08  # pre-grasp height above the grasp
DESCEND_S = 0.25
CLOSE_S = 0.35
LIFT_S = 0.35
HOLD_S = 0.25


def top_down_rotation(angle: float) -> np.ndarray:
    """Gripper rotation (columns x, y, z) for a vertical approach closing along yaw `angle`."""
    z = np.array([0.0, 0.0, -1.0])
    y = np.array([np.cos(angle), np.sin(angle), 0.0])
    return np.column_stack([np.cross(y, z), y, z])


class GraspVerifier:
    """Physics grasp checks in a model built with the probe gripper (build_scene_xml(with_probe=True))."""

    def __init__(
        self, model: mujoco.MjModel, data: mujoco.MjData, settled_state: np.ndarray, cfg: GraspLabelConfig
    ):
        self.model, self.data, self.cfg = model, data, cfg
        self.state = settled_state
        self._mocap = int(model.body(PROBE_MOCAP).mocapid[0])
        joint = model.joint(f"{PROBE_BODY}_free")
        self._free_q = int(joint.qposadr[0])
        self._free_v = int(joint.dofadr[0])
        self._fingers_q = [int(model.joint(n).qposadr[0]) for n in finger_joint_names(PROBE_PREFIX)]
        self._acts = [model.actuator(n).id for n in finger_actuator_names(PROBE_PREFIX)]
        self._pads = [model.geom(n).id for n in finger_pad_geom_names(PROBE_PREFIX)]

    def _place(self, flange_pos: np.ndarray, quat: np.ndarray) -> None:
        self.data.mocap_pos[self._mocap] = flange_pos
        self.data.mocap_quat[self._mocap] = quat

    def _run(self, seconds: float, path=None) -> None:
        steps = max(1, int(round(seconds / self.model.opt.timestep)))
        for i in range(steps):
            if path is not None:
                self.data.mocap_pos[self._mocap] = path((i + 1) / steps)
            mujoco.mj_step(self.model, self.data)

    def check(self, cand: GraspCandidate) -> bool:
        """Whether the grasp lifts and holds the object in physics."""
        set_state(self.model, self.data, self.state)
        rot = top_down_rotation(cand.angle)
        quat = mujoco_quat(rot)
        grasp_flange = cand.tcp - rot[:, 2] * TCP_LENGTH_M
        above = grasp_flange + np.array([0.0, 0.0, APPROACH_HEIGHT_M])
        self.data.qpos[self._free_q : self._free_q + 3] = above
        self.data.qpos[self._free_q + 3 : self._free_q + 7] = quat
        self.data.qvel[self._free_v : self._free_v + 6] = 0.0
        half_open = cand.opening / 2.0
        for q, a in zip(self._fingers_q, self._acts, strict=True):
            self.data.qpos[q] = half_open
            self.data.ctrl[a] = half_open
        self._place(above, quat)
        mujoco.mj_forward(self.model, self.data)
        body = self.model.body(cand.object_name).id
        z0 = float(self.data.xpos[body][2])
        self._run(DESCEND_S, lambda s: above + (grasp_flange - above) * s)
        for a in self._acts:
            self.data.ctrl[a] = 0.0
        self._run(CLOSE_S)
        lift = np.array([0.0, 0.0, self.cfg.lift_height])
        self._run(LIFT_S, lambda s: grasp_flange + lift * s)
        self._run(HOLD_S)
        risen = float(self.data.xpos[body][2]) - z0
        touching = body_touches_geoms(self.model, self.data, body, self._pads)
        ok = risen >= self.cfg.min_lift_ratio * self.cfg.lift_height and all(touching)
        self.park()
        return ok

    def park(self) -> None:
        """Restore the settled scene with the probe out of the way."""
        set_state(self.model, self.data, self.state)
        self._place(np.array([0.0, 0.0, PROBE_PARK_Z]), np.array([1.0, 0.0, 0.0, 0.0]))
