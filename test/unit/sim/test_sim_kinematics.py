"""The MuJoCo UR10e built from the DH table has the DH forward kinematics; the arm tracks its targets."""

import dataclasses

import numpy as np
import pytest

from kd_grasp_ros.robot.gripper_params import TCP_LENGTH_M
from kd_grasp_ros.robot.ur10e_params import DH_A, DH_ALPHA, DH_D, HOME_Q, JOINT_MAX_SPEED
from kd_grasp_ros.sim.config import load_sim_config
from kd_grasp_ros.sim.world import SimWorld, SimWorldError


def dh_forward_kinematics(q) -> np.ndarray:
    """Standard DH chain base -> flange, written here independently of the simulation."""
    t = np.eye(4)
    for theta, d, a, alpha in zip(q, DH_D, DH_A, DH_ALPHA, strict=True):
        ct, st, ca, sa = np.cos(theta), np.sin(theta), np.cos(alpha), np.sin(alpha)
        t = t @ np.array(
            [
                [ct, -st * ca, st * sa, a * ct],
                [st, ct * ca, -ct * sa, a * st],
                [0.0, sa, ca, d],
                [0.0, 0.0, 0.0, 1.0],
            ]
        )
    return t


@pytest.fixture(scope="module")
def empty_world():
    cfg = load_sim_config()
    cfg = dataclasses.replace(cfg, camera=cfg.camera.resized(160, 120))
    world = SimWorld(cfg)
    world.reset(seed=0, objects=[])
    yield world
    world.close()


@pytest.mark.timeout(60)
def test_mujoco_flange_equals_dh_forward_kinematics(empty_world):
    rng = np.random.default_rng(7)
    for _ in range(6):
        q = rng.uniform(-np.pi, np.pi, 6)
        empty_world.set_joint_positions(q)
        expected = dh_forward_kinematics(q)
        np.testing.assert_allclose(empty_world.flange_pose(), expected, atol=1e-9)
        tcp = expected[:3, 3] + expected[:3, 2] * TCP_LENGTH_M
        np.testing.assert_allclose(empty_world.tcp_pose()[:3, 3], tcp, atol=1e-9)


@pytest.mark.timeout(60)
def test_home_pose_points_the_tool_down_over_the_workspace(empty_world):
    cfg = empty_world.cfg
    empty_world.set_joint_positions(HOME_Q)
    tcp = empty_world.tcp_pose()
    assert tcp[2, 2] == pytest.approx(-1.0, abs=1e-6)  # tool z points down
    centre = np.array(cfg.workspace.center)
    assert np.linalg.norm(tcp[:2, 3] - centre) < 0.2


@pytest.mark.timeout(60)
def test_kinematic_arm_tracks_targets_at_the_speed_limit(empty_world):
    empty_world.set_joint_positions(HOME_Q)
    target = HOME_Q + np.array([0.4, -0.2, 0.3, 0.1, -0.3, 1.0])
    empty_world.set_joint_targets(target)
    dt = empty_world.timestep
    empty_world.step(n=10)
    moved = np.abs(empty_world.joint_positions() - HOME_Q)
    assert np.all(moved <= JOINT_MAX_SPEED * dt * 10 + 1e-12)
    empty_world.step(dt=1.0)
    np.testing.assert_allclose(empty_world.joint_positions(), target, atol=1e-12)
    np.testing.assert_allclose(empty_world.flange_pose(), dh_forward_kinematics(target), atol=1e-6)


def test_bad_joint_vector_raises(empty_world):
    with pytest.raises(SimWorldError, match="6 finite joint positions"):
        empty_world.set_joint_targets([0.0, 1.0])
    with pytest.raises(SimWorldError, match="limits"):
        empty_world.set_joint_targets([0.0, 0.0, 4.0, 0.0, 0.0, 0.0])
