"""mujoco_sim.launch.py calibrates the executor with the simulated camera's true pose: a point seen in the
rendered depth of a known object, lifted to the camera frame and through the executor's hand-eye, lands
on the object in the simulation."""

from __future__ import annotations

import numpy as np
import pytest

from kd_grasp_ros.common.grasp_types import GraspPose
from kd_grasp_ros.executor.config import ExecutorConfig
from kd_grasp_ros.executor.hand_eye import HandEye
from kd_grasp_ros.sim.calibration import base_link_to_sim, eye_to_hand_calibration, sim_camera_calibration
from kd_grasp_ros.sim.camera import project_points
from kd_grasp_ros.sim.config import load_sim_config
from kd_grasp_ros.sim.objects import ObjectSpec
from kd_grasp_ros.sim.world import SimWorld

BOX_HALF = (0.03, 0.02, 0.03)


def test_the_launch_calibration_is_the_rendered_cameras_pose():
    world = SimWorld(load_sim_config())
    try:
        world.reset(seed=0, objects=[])
        truth = eye_to_hand_calibration(world.camera_pose())
    finally:
        world.close()
    launch = sim_camera_calibration()
    assert launch["hand_eye_mode"] == truth["hand_eye_mode"] == "eye_to_hand"
    np.testing.assert_allclose(launch["camera_xyz_m"], truth["camera_xyz_m"], atol=1e-6)
    q_launch, q_true = np.array(launch["camera_quat_xyzw"]), np.array(truth["camera_quat_xyzw"])
    assert abs(abs(float(q_launch @ q_true)) - 1.0) < 1e-9  # the same rotation (q and -q are equal)
    shipped = ExecutorConfig()  # config/ur_executor.yaml's camera (a real cell's) is not the sim's
    assert np.linalg.norm(np.array(shipped.camera_xyz_m) - launch["camera_xyz_m"]) > 0.1


@pytest.mark.timeout(60)
def test_a_point_on_a_box_seen_by_the_simulated_camera_reaches_the_box_through_the_hand_eye():
    cfg = load_sim_config()
    top = np.array([*cfg.workspace.center, cfg.table.top_z + 2 * BOX_HALF[2]])
    box = ObjectSpec(
        name="box",
        shape="box",
        size=BOX_HALF,
        rgba=(0.8, 0.3, 0.2, 1.0),
        transparent=False,
        position=top - [0.0, 0.0, BOX_HALF[2] - 0.002],
    )
    world = SimWorld(cfg)
    try:
        world.reset(seed=1, objects=[box])
        box_top = world.object_poses()["box"][:3, 3] + [0.0, 0.0, BOX_HALF[2]]
        frame = world.render()
    finally:
        world.close()
    ((u, v),) = project_points(box_top[None], frame.T_base_camera, frame.intrinsics)
    row, col = int(round(v)), int(round(u))
    depth = float(frame.depth_true[row, col])
    seen = frame.intrinsics.deproject(col, row, depth)
    grasp = GraspPose(
        position=seen, rotation=np.eye(3), width_m=0.04, quality=1.0, frame_id=frame.intrinsics.frame_id
    )
    hand_eye = HandEye(ExecutorConfig(**sim_camera_calibration()))
    in_sim = base_link_to_sim(hand_eye.grasp_in_base_link(grasp))[:3, 3]
    assert np.linalg.norm(in_sim - box_top) < 0.005, (in_sim, box_top)
