"""Small MuJoCo helpers shared by the data engine and SimWorld: settling, poses, contacts, state."""

from __future__ import annotations

import mujoco
import numpy as np

from kd_grasp_ros.common.transforms import make_transform, matrix_to_quat

SETTLED_SPEED = 0.01  # m/s and rad/s: objects slower than this count as at rest
MIN_SETTLE_S = 0.3
FULL_STATE = mujoco.mjtState.mjSTATE_INTEGRATION


def free_joint_dofs(model: mujoco.MjModel, body_names: list[str]) -> list[int]:
    """Velocity address of each named body's free joint."""
    return [int(model.jnt_dofadr[model.body(name).jntadr[0]]) for name in body_names]


def settle(
    model: mujoco.MjModel, data: mujoco.MjData, body_names: list[str], duration: float, before_step=None
) -> float:
    """Step until the named free bodies rest (after MIN_SETTLE_S) or duration passes; returns time used."""
    dofs = free_joint_dofs(model, body_names)
    start = data.time
    while data.time - start < duration:
        if before_step is not None:
            before_step()
        mujoco.mj_step(model, data)
        if data.time - start > MIN_SETTLE_S and dofs:
            speeds = np.abs(np.concatenate([data.qvel[a : a + 6] for a in dofs]))
            if speeds.max() < SETTLED_SPEED:
                break
    return data.time - start


def body_pose(data: mujoco.MjData, name: str) -> np.ndarray:
    """4x4 world pose of a body."""
    body = data.body(name)
    return make_transform(body.xmat.reshape(3, 3), body.xpos)


def mujoco_quat(rotation: np.ndarray) -> np.ndarray:
    """MuJoCo quaternion (w, x, y, z) of a rotation matrix."""
    x, y, z, w = matrix_to_quat(rotation)
    return np.array([w, x, y, z])


def body_touches_geoms(model: mujoco.MjModel, data: mujoco.MjData, body_id: int, geom_ids) -> list[bool]:
    """For each geom in geom_ids, whether it is in contact with any geom of the body."""
    touching = [False] * len(geom_ids)
    for i in range(data.ncon):
        c = data.contact[i]
        for k, g in enumerate(geom_ids):
            other = c.geom2 if c.geom1 == g else c.geom1 if c.geom2 == g else -1
            if other >= 0 and model.geom_bodyid[other] == body_id:
                touching[k] = True
    return touching


def get_state(model: mujoco.MjModel, data: mujoco.MjData) -> np.ndarray:
    state = np.empty(mujoco.mj_stateSize(model, FULL_STATE))
    mujoco.mj_getState(model, data, state, FULL_STATE)
    return state


def set_state(model: mujoco.MjModel, data: mujoco.MjData, state: np.ndarray) -> None:
    mujoco.mj_setState(model, data, state, FULL_STATE)
    mujoco.mj_forward(model, data)
