"""The jaw opening the shipped perception measures against the one the true depth gives, on simulated
single-object scenes: what `kd-grasp trials --scene single --objects <kind> --seed S` attempt i sees.

For each seed the best grasp of the shipped pipeline (grasp_student_v1.pt on depth_student.pt), and the
opening grasp_pose.measured_opening gives at that grasp on the completed depth and on the simulator's
true depth, with the finger footprint of the shipped rule and with none (the rule before session 10:
the first excursion off the surface is the edge). An opening smaller than the true one by more than
1 cm puts a finger on the object. Needs MUJOCO_GL=osmesa on a machine without a display.

Usage: python scripts/opening_vs_true_depth.py FIRST_SEED COUNT [--objects transparent|opaque]
"""

from __future__ import annotations

import argparse
import dataclasses
import os

import numpy as np
from tqdm import tqdm

TOLERANCE_M = 0.01


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("first_seed", type=int)
    parser.add_argument("count", type=int)
    parser.add_argument("--objects", choices=("transparent", "opaque"), default="transparent")
    args = parser.parse_args()
    os.environ.setdefault("MUJOCO_GL", "osmesa")
    from kd_grasp_ros.grasp.grasp_pose import measured_opening, robust_depth
    from kd_grasp_ros.pipeline.grasp_stage import GraspFilterConfig
    from kd_grasp_ros.pipeline.perception import Perception
    from kd_grasp_ros.sim.config import load_sim_config
    from kd_grasp_ros.sim.perceived_scenes import perceived_scenes
    from kd_grasp_ros.sim.world import SimWorld

    clearance = GraspFilterConfig().jaw_clearance_m
    cfg = load_sim_config()
    world = SimWorld(cfg)
    perception = Perception("grasp_student_v1.pt", "depth_student.pt", threads=2)
    scene = dataclasses.replace(
        cfg.scene, mode="single", transparent_ratio=1.0 if args.objects == "transparent" else 0.0
    )
    rules = {"shipped": None, "first excursion": 0.0}
    errors = {name: [] for name in rules}
    print("seed  true   " + "  ".join(f"{name} (cm)" for name in rules))
    seeds = tqdm(range(args.first_seed, args.first_seed + args.count), desc="scenes", leave=False)
    for seed, frame, seen in perceived_scenes(world, perception, scene, seeds):
        if not seen.grasps.grasps:
            print(f"{seed}  no grasp")
            continue
        grasp = seen.grasps.grasps[0]
        z, z_true = (robust_depth(d, grasp.row, grasp.col) for d in (seen.depth_m, frame.depth_true))
        true = measured_opening(grasp, frame.depth_true, frame.intrinsics, z_true, clearance)
        row = [f"{seed}  {100 * true:5.1f}"]
        for name, footprint in rules.items():
            opening = measured_opening(grasp, seen.depth_m, frame.intrinsics, z, clearance, footprint)
            errors[name].append(opening - true)
            row.append(f"{100 * opening:5.1f}")
        print("  ".join(row))
    for name, err in errors.items():
        e = np.asarray(err)
        print(
            f"{name}: mean |error| {100 * np.abs(e).mean():.2f} cm; narrower than the true opening by more "
            f"than {100 * TOLERANCE_M:.0f} cm: {(e < -TOLERANCE_M).sum()}/{e.size}; wider by more: "
            f"{(e > TOLERANCE_M).sum()}/{e.size}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
