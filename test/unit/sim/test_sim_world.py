"""SimWorld end to end: the kinematic UR10e picks a box with the gripper; frames are reproducible."""

import dataclasses

import numpy as np
import pytest

from kd_grasp_ros.common.transforms import make_transform
from kd_grasp_ros.robot.gripper_params import GRIPPER_STROKE_M, TCP_LENGTH_M
from kd_grasp_ros.robot.ur10e_params import HOME_Q
from kd_grasp_ros.sim.config import load_sim_config
from kd_grasp_ros.sim.objects import ObjectSpec
from kd_grasp_ros.sim.world import SimWorld, SimWorldError

BOX_HALF = (0.03, 0.02, 0.03)


def _small_config():
    cfg = load_sim_config()
    return dataclasses.replace(cfg, camera=cfg.camera.resized(160, 120))


def _rotation_error(r_target, r):
    """Rotation vector of r_target r^T (small-angle form is enough for the IK below)."""
    e = r_target @ r.T
    return 0.5 * np.array([e[2, 1] - e[1, 2], e[0, 2] - e[2, 0], e[1, 0] - e[0, 1]])


def _ik(world: SimWorld, target: np.ndarray, q0: np.ndarray) -> np.ndarray:
    """Damped least squares on the simulated flange pose (numerical Jacobian); test-only IK."""
    q = q0.copy()
    for _ in range(50):
        world.set_joint_positions(q)
        t = world.flange_pose()
        err = np.concatenate([target[:3, 3] - t[:3, 3], _rotation_error(target[:3, :3], t[:3, :3])])
        if np.linalg.norm(err) < 1e-7:
            break
        jac = np.zeros((6, 6))
        for i in range(6):
            dq = np.zeros(6)
            dq[i] = 1e-6
            world.set_joint_positions(q + dq)
            t2 = world.flange_pose()
            jac[:, i] = np.concatenate([t2[:3, 3] - t[:3, 3], _rotation_error(t2[:3, :3], t[:3, :3])]) / 1e-6
        q = q + np.linalg.solve(jac.T @ jac + 1e-8 * np.eye(6), jac.T @ err)
    return q


def _move_tcp_line(world: SimWorld, q_path: list[np.ndarray]) -> None:
    for q in q_path:
        world.set_joint_targets(q)
        world.step(dt=0.05)


def _plan_line(world, start_tcp, end_tcp, rot, q_seed, n=8):
    """Joint waypoints along a straight TCP line (IK solved on a throw-away copy of the state)."""
    q_now, path = world.joint_positions(), []
    q = q_seed
    for s in np.linspace(0.0, 1.0, n):
        tcp = start_tcp + (end_tcp - start_tcp) * s
        flange = make_transform(rot, tcp - rot[:, 2] * TCP_LENGTH_M)
        q = _ik(world, flange, q)
        path.append(q)
    world.set_joint_positions(q_now)
    return path


@pytest.mark.timeout(90)
@pytest.mark.parametrize("offset, expect_held", [(0.0, True), (0.06, False)])
def test_arm_picks_a_box_only_when_the_jaws_are_on_it(offset, expect_held):
    cfg = _small_config()
    centre = np.array([*cfg.workspace.center, cfg.table.top_z + BOX_HALF[2] + 0.002])
    box = ObjectSpec(
        name="box", shape="box", size=BOX_HALF, rgba=(0.8, 0.3, 0.2, 1.0), transparent=False, position=centre
    )
    world = SimWorld(cfg)
    try:
        world.reset(seed=1, objects=[box])
        rest = world.object_poses()["box"][:3, 3]
        rot = np.column_stack([[-1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, -1.0]])  # close along y
        grasp = rest + np.array([offset, 0.0, BOX_HALF[2] - 0.025])
        above = grasp + np.array([0.0, 0.0, 0.15])
        down = _plan_line(world, above, grasp, rot, HOME_Q)
        world.set_gripper(GRIPPER_STROKE_M)
        _move_tcp_line(world, down[:1])
        world.step(dt=1.0)
        _move_tcp_line(world, down)
        world.step(dt=0.2)
        np.testing.assert_allclose(world.tcp_pose()[:3, 3], grasp, atol=2e-3)
        world.set_gripper(0.0)
        world.step(dt=0.8)
        up = _plan_line(world, grasp, above, rot, world.joint_positions())
        _move_tcp_line(world, up)
        world.step(dt=0.3)
        assert world.is_held("box") == expect_held
        assert world.object_lifted("box") == expect_held
        if expect_held:
            assert world.gripper_opening() == pytest.approx(2 * BOX_HALF[1], abs=3e-3)
            assert world.held_objects() == ["box"]
    finally:
        world.close()


@pytest.mark.timeout(60)
def test_same_seed_same_scene_and_frame():
    cfg = dataclasses.replace(
        _small_config(), scene=dataclasses.replace(load_sim_config().scene, max_objects=4)
    )
    frames, poses = [], []
    for _ in range(2):
        world = SimWorld(cfg)
        try:
            world.reset(seed=11)
            world.step(n=5)
            frames.append(world.render())
            poses.append(world.object_poses())
        finally:
            world.close()
    a, b = frames
    for field in ("rgb", "depth_raw", "depth_true", "transparent_mask", "T_base_camera"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    assert poses[0].keys() == poses[1].keys() and len(poses[0]) >= 3
    for name in poses[0]:
        np.testing.assert_array_equal(poses[0][name], poses[1][name])
    assert a.stamp_s == b.stamp_s > 0


def test_using_the_world_before_reset_raises():
    with pytest.raises(SimWorldError, match="reset"):
        SimWorld(_small_config()).joint_positions()
