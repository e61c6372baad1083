"""The demo's frame conversion (sim base <-> executor base_link) and its configuration checks."""

import numpy as np
import pytest

from kd_grasp_ros.common.transforms import make_transform, rot_x, rot_z
from kd_grasp_ros.demo.config import DemoConfigError, load_demo_config
from kd_grasp_ros.executor.config import ExecutorConfig
from kd_grasp_ros.executor.hand_eye import HandEye
from kd_grasp_ros.sim.calibration import base_link_to_sim, eye_to_hand_calibration, sim_to_base_link


def test_calibration_from_the_sim_camera_maps_camera_points_to_the_right_sim_points():
    t_sim_camera = make_transform(rot_z(0.3) @ rot_x(2.8), [-0.7, 0.12, 0.72])
    cfg = ExecutorConfig(**eye_to_hand_calibration(t_sim_camera))
    camera_in_base_link = HandEye(cfg).camera_in_base_link(0.0)
    point_camera = make_transform(np.eye(3), [0.05, -0.02, 0.7])
    expected_sim = t_sim_camera @ point_camera
    np.testing.assert_allclose(base_link_to_sim(camera_in_base_link @ point_camera), expected_sim, atol=1e-9)
    # base_link is base turned half a turn about z: x and y flip, z stays
    np.testing.assert_allclose(
        sim_to_base_link(expected_sim)[:3, 3], expected_sim[:3, 3] * [-1.0, -1.0, 1.0], atol=1e-12
    )


def test_calibration_rejects_a_non_transform():
    with pytest.raises(ValueError, match="4x4"):
        eye_to_hand_calibration(np.eye(3))


def test_shipped_demo_config_loads_and_names_the_shipped_models():
    cfg = load_demo_config()
    assert cfg.grasp_model == "" and cfg.grasp_model_name == "grasp_student_v1.pt"
    assert cfg.depth_model_name == "depth_student.pt" and cfg.uses_depth_completion
    assert cfg.replace(depth_model="none").uses_depth_completion is False


def test_bad_demo_config_values_fail_clearly(tmp_path):
    cfg = load_demo_config()
    with pytest.raises(DemoConfigError, match="scene"):
        cfg.replace(scene="pile")
    with pytest.raises(DemoConfigError, match="attempts"):
        cfg.replace(attempts=0)
    bad = tmp_path / "demo.yaml"
    bad.write_text("attempts: 3\nattempt: 4\n")
    with pytest.raises(DemoConfigError, match="unknown keys \\['attempt'\\]"):
        load_demo_config(bad)
