"""What a perception pipeline sees in simulated scenes, one frame per seed: the loop of the diagnostic
scripts (scripts/grasp_offsets.py, opening_vs_true_depth.py, inspect_sim_grasp.py)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from kd_grasp_ros.sim.config import SceneConfig


def perceived_scenes(world, perception, scene: SceneConfig, seeds: Iterable[int]) -> Iterator[tuple]:
    """(seed, SimFrame, PerceptionResult) per seed: `world` (a SimWorld) reset to a fresh scene of
    `scene` with the arm at home, one rendered frame, and `perception.perceive` of it (stamp 0)."""
    for seed in seeds:
        world.reset(seed=seed, scene=scene)
        frame = world.render()
        yield seed, frame, perception.perceive(frame.rgb, frame.depth_raw, frame.intrinsics, 0.0)
