"""The wide synthetic domain: RealSense sensor modes from one calibration, camera heights and tilts in
their configured ranges looking at the workspace, rendered scenes at the drawn mode, and bowls."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from kd_grasp_ros.cli import main as kd_grasp_main
from kd_grasp_ros.common.intrinsics import CameraIntrinsics
from kd_grasp_ros.sim.config import load_sim_config
from kd_grasp_ros.sim.scene import wide_camera_placement
from kd_grasp_ros.sim.synth import generate_sample

D435_1280X720 = CameraIntrinsics(width=1280, height=720, fx=921.0, fy=921.0, cx=642.0, cy=359.0)


def test_sensor_modes_crop_and_scale_the_calibration():
    same = D435_1280X720.sensor_mode(1280, 720)
    assert (same.fx, same.cx, same.cy) == (921.0, 642.0, 359.0)
    vga = D435_1280X720.sensor_mode(640, 480)  # a 960x720 centred crop scaled by 2/3
    assert vga.fx == pytest.approx(614.0) and vga.fy == pytest.approx(614.0)
    assert vga.cx == pytest.approx((642.0 - 160.0 + 0.5) * 2 / 3 - 0.5)
    half = D435_1280X720.sensor_mode(640, 360)  # the whole image at half size
    assert half.fx == pytest.approx(460.5) and half.cy == pytest.approx((359.0 + 0.5) / 2 - 0.5)
    # a ray through a pixel of the crop leaves the camera in the same direction as in the calibration
    u, v = 500.0, 300.0
    x, y = (u - 160.0 + 0.5) * 2 / 3 - 0.5, (v + 0.5) * 2 / 3 - 0.5  # the same pixel in the 640x480 mode
    np.testing.assert_allclose(vga.deproject(x, y, 1.0), D435_1280X720.deproject(u, v, 1.0), atol=1e-12)


def test_wide_cameras_stay_in_their_ranges_and_look_at_the_workspace():
    cfg = load_sim_config()
    cam, rng = cfg.camera, np.random.default_rng(0)
    heights, tilts = [], []
    for _ in range(200):
        placement = wide_camera_placement(cfg, rng)
        axis = placement.r_optical[:, 2]  # optical z in the world
        heights.append(placement.position[2] - cfg.table.top_z)
        tilts.append(np.arccos(-axis[2]))
        hit = placement.position + axis * (heights[-1] / -axis[2])  # where the axis meets the table
        assert np.all(
            np.abs(hit[:2] - cfg.workspace.center) <= np.array(cfg.workspace.half_extent) / 2 + 1e-9
        )
    assert cam.wide_height[0] <= min(heights) and max(heights) <= cam.wide_height[1]
    assert max(heights) - min(heights) > 0.6
    assert cam.wide_tilt[0] - 1e-9 <= min(tilts) and max(tilts) <= cam.wide_tilt[1] + 1e-9


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_wide_synth_writes_scenes_at_the_drawn_sensor_modes(tmp_path):
    argv = [
        "sim",
        "synth",
        "--scenes",
        "3",
        "--out-dir",
        str(tmp_path),
        "--seed",
        "7",
        "--camera-domain",
        "wide",
    ]
    assert kd_grasp_main(argv) == 0
    cfg = load_sim_config()
    modes = {tuple(m) for m in cfg.camera.wide_modes}
    for meta in sorted((tmp_path / "meta").glob("*.json")):
        info = json.loads(meta.read_text())
        intr = info["intrinsics"]
        assert (intr["width"], intr["height"]) in modes
        expected = cfg.camera.wide_mode_intrinsics(
            cfg.camera.wide_modes.index((intr["width"], intr["height"]))
        )
        assert intr["fx"] == pytest.approx(expected.fx)
        height = np.asarray(info["T_base_camera"])[2, 3] - cfg.table.top_z
        assert cfg.camera.wide_height[0] - 1e-6 <= height <= cfg.camera.wide_height[1] + 1e-6
    summary = json.loads(next(tmp_path.glob("synth_summary_*.json")).read_text())
    assert summary["camera_domain"] == "wide" and summary["scenes_written"] == 3


@pytest.mark.timeout(120)
def test_a_bowl_settles_on_the_table_and_is_rendered_hollow():
    """A bowl (wider than tall, open at the top): the camera sees its inside lower than its rim."""
    cfg = load_sim_config()
    cfg = dataclasses.replace(
        cfg,
        camera=cfg.camera.resized(320, 240),
        scene=dataclasses.replace(cfg.scene, shape_weights={"bowl": 1.0}, transparent_ratio=0.0),
    )
    sample = generate_sample(cfg, seed=3, index=0, transparent_ratio=0.0, mode="single")
    assert [o["shape"] for o in sample.objects] == ["bowl"]
    table_depth = np.median(sample.depth_true)
    on_bowl = sample.depth_true < table_depth - 0.01
    assert on_bowl.sum() > 100
    pose = np.asarray(sample.objects[0]["pose"])  # 4x4, world frame
    height = 2 * (pose[2, 3] - cfg.table.top_z)  # the body frame is at half the bowl's height
    assert 0.03 < height < 0.08 and pose[2, 2] > 0.99  # upright, resting on the table
    # the rim is nearer the camera than the bowl's floor seen through its opening
    bowl_depths = sample.depth_true[on_bowl]
    assert np.percentile(bowl_depths, 95) - np.percentile(bowl_depths, 5) > 0.02


@pytest.mark.timeout(120)
def test_a_cup_is_hollow_to_touch_a_small_ball_dropped_in_falls_inside():
    """Containers collide as a base and a ring of wall boxes, not as their solid convex hull: a 1 cm ball
    dropped over an upright cup's opening comes to rest inside it, below the rim."""
    from kd_grasp_ros.sim.lathe import cup_profile
    from kd_grasp_ros.sim.objects import CUP_WALL_M, ObjectSpec
    from kd_grasp_ros.sim.world import SimWorld

    cfg = load_sim_config()
    centre = np.array([*cfg.workspace.center, 0.0])
    radius, height = 0.035, 0.08
    cup = ObjectSpec(
        name="cup",
        shape="cup",
        size=(radius, height),
        rgba=(0.2, 0.4, 0.8, 1.0),
        transparent=False,
        profile=cup_profile(radius, 0.8 * radius, height, CUP_WALL_M),
        position=centre + [0.0, 0.0, height / 2 + 0.002],
    )
    ball = ObjectSpec(
        name="ball",
        shape="sphere",
        size=(0.01,),
        rgba=(0.9, 0.1, 0.1, 1.0),
        transparent=False,
        position=centre + [0.0, 0.0, height + 0.03],
    )
    world = SimWorld(cfg)
    try:
        world.reset(seed=0, objects=[cup, ball])
        poses = world.object_poses()
        cup_top = poses["cup"][2, 3] + height / 2
        assert poses["ball"][2, 3] < cup_top - 0.03  # well inside, resting on the base
        assert abs(poses["cup"][2, 3] - height / 2) < 0.01  # the cup stands on the table
    finally:
        world.close()
