"""Physics-verified grasp labels: a good antipodal grasp lifts a box, bad ones do not; Cornell rectangles."""

import mujoco
import numpy as np
import pytest

from kd_grasp_ros.robot.gripper_params import GRIPPER_STROKE_M
from kd_grasp_ros.sim.camera import optical_transform
from kd_grasp_ros.sim.config import load_sim_config
from kd_grasp_ros.sim.grasp_candidates import GraspCandidate, RayCaster, evaluate_candidate
from kd_grasp_ros.sim.grasp_check import GraspVerifier
from kd_grasp_ros.sim.objects import ObjectSpec
from kd_grasp_ros.sim.physics import get_state, settle
from kd_grasp_ros.sim.scene import CAMERA_NAME, SceneSpec, build_scene_xml, camera_placement
from kd_grasp_ros.sim.synth import grasp_rectangle

BOX_HALF = (0.075, 0.022, 0.03)  # 15 cm long (wider than the stroke), 4.4 cm wide, 6 cm tall


@pytest.fixture(scope="module")
def box_scene():
    cfg = load_sim_config()
    centre = np.array([*cfg.workspace.center, cfg.table.top_z + BOX_HALF[2] + 0.002])
    box = ObjectSpec(
        name="box", shape="box", size=BOX_HALF, rgba=(0.2, 0.5, 0.8, 1.0), transparent=False, position=centre
    )
    scene = SceneSpec(objects=[box], camera=camera_placement(cfg))
    model = mujoco.MjModel.from_xml_string(build_scene_xml(cfg, scene, with_arm=False, with_probe=True))
    data = mujoco.MjData(model)
    settle(model, data, ["box"], cfg.physics.settle_time)
    verifier = GraspVerifier(model, data, get_state(model, data), cfg.grasps)
    return cfg, box, model, data, verifier


@pytest.mark.timeout(60)
def test_antipodal_grasp_across_the_box_lifts_it(box_scene):
    cfg, box, model, data, verifier = box_scene
    xy = data.body("box").xpos[:2]
    cand = evaluate_candidate(RayCaster(model, data), box, xy, np.pi / 2, cfg.table.top_z, cfg.grasps)
    assert cand.analytic_ok, cand.reason
    assert cand.contact_width == pytest.approx(2 * BOX_HALF[1], abs=1e-3)
    assert verifier.check(cand)
    np.testing.assert_allclose(data.body("box").xpos[:2], xy, atol=1e-3)  # the scene is restored


@pytest.mark.timeout(60)
def test_grasps_that_cannot_hold_the_box_fail(box_scene):
    cfg, box, model, data, verifier = box_scene
    xy = data.body("box").xpos[:2]
    along = evaluate_candidate(RayCaster(model, data), box, xy, 0.0, cfg.table.top_z, cfg.grasps)
    assert not along.analytic_ok and along.reason == "width outside the stroke"
    along.opening = GRIPPER_STROKE_M  # try it anyway: the fingers land on the box
    assert not verifier.check(along)
    beside = GraspCandidate(
        "box",
        np.array([xy[0], xy[1] + 0.07, 0.035]),
        0.06,
        np.pi / 2,
        np.nan,
        0.06,
        False,
        "test: beside the box",
    )
    assert not verifier.check(beside)


@pytest.mark.timeout(60)
def test_rectangle_first_edge_is_the_jaw_opening(box_scene):
    cfg, box, model, data, _ = box_scene
    xy = data.body("box").xpos[:2]
    cand = evaluate_candidate(RayCaster(model, data), box, xy, np.pi / 2, cfg.table.top_z, cfg.grasps)
    cam = data.cam(CAMERA_NAME)
    t = optical_transform(cam.xpos, cam.xmat)
    rect = grasp_rectangle(cand, t, cfg.camera.intrinsics)
    depth = (np.linalg.inv(t) @ np.append([xy[0], xy[1], cand.top_z], 1.0))[2]
    first, second = np.linalg.norm(rect[1] - rect[0]), np.linalg.norm(rect[2] - rect[1])
    assert first == pytest.approx(cand.opening * cfg.camera.fx / depth, rel=0.1)
    assert first > second
