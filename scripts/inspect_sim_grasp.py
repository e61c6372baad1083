"""The best grasp the shipped perception finds in a simulated single-object scene, and the depth across
its jaws: what `kd-grasp sim trials --scene single --objects transparent` attempt i (seed + i) sees.

For each seed: the pose's opening (measured in the depth, grasp_pose.measured_opening), the network's
own width, and the completed and true depth (cm relative to the grasp centre) every 3 px along the jaw
axis, 45 px each side. The arm is at home, as in the trials.

Usage: python scripts/inspect_sim_grasp.py SEED [SEED ...] [--objects transparent|opaque]
"""

from __future__ import annotations

import argparse
import dataclasses
import os

import numpy as np


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("seeds", type=int, nargs="+")
    parser.add_argument("--objects", choices=("transparent", "opaque"), default="transparent")
    args = parser.parse_args()
    os.environ.setdefault("MUJOCO_GL", "osmesa")
    from kd_grasp_ros.grasp.grasp_pose import image_grasp_to_pose, robust_depth
    from kd_grasp_ros.pipeline.perception import Perception
    from kd_grasp_ros.sim.config import load_sim_config
    from kd_grasp_ros.sim.perceived_scenes import perceived_scenes
    from kd_grasp_ros.sim.world import SimWorld

    cfg = load_sim_config()
    world = SimWorld(cfg)
    perception = Perception("grasp_student_v1.pt", "depth_student.pt", threads=2)
    ratio = 1.0 if args.objects == "transparent" else 0.0
    scene = dataclasses.replace(cfg.scene, mode="single", transparent_ratio=ratio)
    for seed, frame, seen in perceived_scenes(world, perception, scene, args.seeds):
        if not seen.grasps.poses:
            print(f"seed {seed}: no grasp")
            continue
        grasp, pose = seen.grasps.grasps[0], seen.grasps.poses[0]
        z = robust_depth(seen.depth_m, grasp.row, grasp.col)
        # jaw_clearance_m None: the width the network predicted, in metres (grasp_pose's rule)
        predicted = image_grasp_to_pose(grasp, seen.depth_m, frame.intrinsics, 0.0, None)
        axis = (-np.sin(grasp.angle), np.cos(grasp.angle))
        print(
            f"seed {seed}: opening {100 * pose.width_m:.1f} cm, network width "
            f"{100 * predicted.width_m:.1f} cm, quality {grasp.quality:.2f}, depth {z:.3f} m"
        )
        for name, depth in (("completed", seen.depth_m), ("true", frame.depth_true)):
            samples = [
                depth[int(round(grasp.row + t * axis[0])), int(round(grasp.col + t * axis[1]))] - z
                for t in range(-45, 46, 3)
            ]
            print(f"  {name:<9} " + " ".join(f"{100 * v:+.1f}" for v in samples))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
