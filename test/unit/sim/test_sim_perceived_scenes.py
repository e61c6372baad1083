"""perceived_scenes: one fresh scene, one frame and the shipped perception's answer per seed."""

from __future__ import annotations

import dataclasses

import numpy as np

from kd_grasp_ros.pipeline.perception import Perception
from kd_grasp_ros.sim.config import load_sim_config
from kd_grasp_ros.sim.perceived_scenes import perceived_scenes
from kd_grasp_ros.sim.world import SimWorld


def test_each_seed_gives_its_own_scene_frame_and_grasps():
    cfg = load_sim_config()
    world = SimWorld(cfg)
    perception = Perception("grasp_student_v1.pt", "depth_student.pt", threads=1)
    scene = dataclasses.replace(cfg.scene, mode="single", transparent_ratio=0.0)
    seen = {}
    for seed, frame, result in perceived_scenes(world, perception, scene, [305, 306, 305]):
        assert frame.depth_raw.shape == (cfg.camera.height, cfg.camera.width)
        assert result.depth_m.shape == frame.depth_raw.shape
        assert result.grasps.poses, seed  # one object on the table: the network finds a grasp
        seen.setdefault(seed, []).append((world.objects[0].shape, result.grasps.poses[0].position))
    assert [shape for shape, _ in seen[305]] == ["cylinder", "cylinder"]
    assert seen[306][0][0] == "box"
    np.testing.assert_allclose(seen[305][0][1], seen[305][1][1], atol=0.01)  # the same scene again
