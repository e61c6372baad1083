"""Rendered depth and the camera geometry agree with the pinhole intrinsics and T_base_camera."""

import dataclasses

import numpy as np
import pytest

from kd_grasp_ros.sim.camera import look_at_optical, project_points
from kd_grasp_ros.sim.config import load_sim_config
from kd_grasp_ros.sim.objects import ObjectSpec
from kd_grasp_ros.sim.world import SimWorld


def _world(camera_changes: dict, objects) -> SimWorld:
    cfg = load_sim_config()
    # An off-centre principal point and unequal focal lengths check MuJoCo's intrinsics mapping.
    camera = dataclasses.replace(
        cfg.camera, width=200, height=150, fx=190.0, fy=185.0, cx=92.0, cy=80.5, **camera_changes
    )
    world = SimWorld(dataclasses.replace(cfg, camera=camera))
    world.reset(seed=0, objects=objects)
    return world


@pytest.mark.timeout(60)
def test_table_plane_depth_matches_intrinsics_and_pose():
    world = _world({}, objects=[])
    try:
        frame = world.render()
    finally:
        world.close()
    k, t = frame.intrinsics, frame.T_base_camera
    np.testing.assert_allclose(t[:3, :3] @ t[:3, :3].T, np.eye(3), atol=1e-9)
    v, u = np.mgrid[0 : k.height, 0 : k.width]
    rays = np.stack([(u - k.cx) / k.fx, (v - k.cy) / k.fy, np.ones_like(u, float)], axis=-1)
    rays_base_z = rays @ t[2, :3]
    top_z = world.cfg.table.top_z
    predicted = (top_z - t[2, 3]) / rays_base_z  # optical z where the ray meets the table plane
    np.testing.assert_allclose(frame.depth_true, predicted, atol=1.5e-3)
    assert frame.depth_true.dtype == np.float32 and frame.rgb.dtype == np.uint8
    assert frame.rgb.shape == (k.height, k.width, 3)


@pytest.mark.timeout(60)
def test_box_top_centre_projects_where_it_is_rendered():
    cfg = load_sim_config()
    centre = np.array([*cfg.workspace.center, 0.0])
    box = ObjectSpec(
        name="box",
        shape="box",
        size=(0.03, 0.03, 0.03),
        rgba=(0.8, 0.2, 0.2, 1.0),
        transparent=False,
        position=centre + [0.0, 0.0, 0.032],
    )
    world = _world({"position": (centre[0], centre[1], 0.6), "target": tuple(centre)}, objects=[box])
    try:
        frame = world.render()
        top = world.object_poses()["box"][:3, 3] + [0.0, 0.0, 0.03]
    finally:
        world.close()
    u, v = project_points(top, frame.T_base_camera, frame.intrinsics)[0]
    depth_expected = np.linalg.inv(frame.T_base_camera)[2] @ np.append(top, 1.0)
    assert frame.depth_true[int(round(v)), int(round(u))] == pytest.approx(depth_expected, abs=2e-3)
    rows, cols = np.nonzero(frame.depth_true < depth_expected + 0.005)
    assert abs(cols.mean() - u) < 1.0 and abs(rows.mean() - v) < 1.0


def test_look_at_gives_a_right_handed_optical_frame():
    r = look_at_optical((0.0, 0.0, 1.0), (0.1, 0.0, 0.0), (1.0, 0.0, 0.0))
    np.testing.assert_allclose(r @ r.T, np.eye(3), atol=1e-12)
    assert np.linalg.det(r) == pytest.approx(1.0)
    assert r[2, 2] < 0  # looks down


@pytest.mark.timeout(60)
def test_wrist_camera_moves_with_the_flange_and_sees_the_table_plane():
    world = _world({"mount": "wrist"}, objects=[])
    try:
        relative = []
        for dq in (np.zeros(6), np.array([0.2, 0.1, -0.1, 0.15, 0.1, 0.4])):
            world.set_joint_positions(world.joint_positions() + dq)
            relative.append(np.linalg.inv(world.flange_pose()) @ world.camera_pose())
        np.testing.assert_allclose(relative[0], relative[1], atol=1e-9)
        frame = world.render()
    finally:
        world.close()
    k, t = frame.intrinsics, frame.T_base_camera
    v, u = np.mgrid[0 : k.height // 3, 0 : k.width]  # the top third sees the table, not the gripper
    rays = np.stack([(u - k.cx) / k.fx, (v - k.cy) / k.fy, np.ones_like(u, float)], axis=-1)
    predicted = (world.cfg.table.top_z - t[2, 3]) / (rays @ t[2, :3])
    np.testing.assert_allclose(frame.depth_true[: k.height // 3], predicted, atol=1.5e-3)
