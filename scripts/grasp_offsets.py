"""Where the shipped perception's best grasp lies relative to the object it aims at, on simulated scenes:
what `kd-grasp trials --scene <scene> --objects <kind> --seed S` attempt i sees (one frame, arm at home).

For each seed: the object nearest the grasp (in x, y of the base frame), and the horizontal offset of
the object's centre from the point the executor's vertical approach would put the TCP under, split into
"along" (the jaws' closing axis) and "across" (the fingers' width). For round and upright objects an
across offset beyond the pads' half width (about 1 cm) means the pads close on the curved flank and the
object slips out; an along offset beyond the clearance puts a finger on the object. Also the grasp
height against the object's top, and the opening the executor would be asked for.
The network and its inputs are the nodes' (grasp_detection.yaml, depth_completion.yaml); one frame per
scene, so a trial's own frame may differ by the sensor noise. Needs MUJOCO_GL=osmesa without a display.

Usage: python scripts/grasp_offsets.py FIRST_SEED COUNT [--scene single|clutter]
                                      [--objects opaque|transparent|mixed] [--threads N]
                                      [--no-centre-jaws] [--no-centre-across] [--no-turn]
"""

from __future__ import annotations

import argparse
import dataclasses
import os

import numpy as np

OBJECT_RATIOS = {"opaque": 0.0, "transparent": 1.0, "mixed": 0.5}
SCENE_MODES = {"single": "single", "clutter": "cluttered"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("first_seed", type=int)
    parser.add_argument("count", type=int)
    parser.add_argument("--scene", choices=sorted(SCENE_MODES), default="single")
    parser.add_argument("--objects", choices=sorted(OBJECT_RATIOS), default="opaque")
    parser.add_argument("--threads", type=int, default=2, help="inference threads")
    parser.add_argument("--no-centre-jaws", action="store_true", help="not centred along the jaw axis")
    parser.add_argument("--no-centre-across", action="store_true", help="not centred across the jaw axis")
    parser.add_argument("--no-turn", action="store_true", help="grasps too wide for the stroke not turned")
    args = parser.parse_args()
    os.environ.setdefault("MUJOCO_GL", "osmesa")
    from kd_grasp_ros.pipeline.grasp_stage import DEFAULT_GRASP_MODEL, GraspFilterConfig
    from kd_grasp_ros.pipeline.perception import Perception
    from kd_grasp_ros.sim.config import load_sim_config
    from kd_grasp_ros.sim.perceived_scenes import perceived_scenes
    from kd_grasp_ros.sim.world import SimWorld

    cfg = load_sim_config()
    scene = dataclasses.replace(
        cfg.scene, mode=SCENE_MODES[args.scene], transparent_ratio=OBJECT_RATIOS[args.objects]
    )
    world = SimWorld(cfg)
    perception = Perception(
        DEFAULT_GRASP_MODEL,
        "depth_student.pt",
        threads=args.threads,
        filter_cfg=GraspFilterConfig(
            centre_jaws=not args.no_centre_jaws,
            centre_across=not args.no_centre_across,
            turn_to_fit=not args.no_turn,
        ),
    )
    print("seed  object     along_mm  across_mm  grasp_z/top_z (m)  opening_m")
    across = []
    seeds = range(args.first_seed, args.first_seed + args.count)
    for seed, frame, seen in perceived_scenes(world, perception, scene, seeds):
        if not seen.grasps.poses:
            print(f"{seed}  no grasp")
            continue
        pose = seen.grasps.poses[0]
        rotation, origin = frame.T_base_camera[:3, :3], frame.T_base_camera[:3, 3]
        point = rotation @ pose.position + origin
        closing = rotation @ pose.rotation[:, 1]
        along_axis = closing[:2] / np.linalg.norm(closing[:2])
        across_axis = np.array([-along_axis[1], along_axis[0]])
        poses = world.object_poses()
        target = min(world.objects, key=lambda o: np.linalg.norm(poses[o.name][:2, 3] - point[:2]))
        centre, turned = poses[target.name][:3, 3], poses[target.name][:3, :3]
        offset = centre[:2] - point[:2]
        top = centre[2] + float((np.abs(turned) @ target.half_extents)[2])  # as it lies now
        across.append(abs(offset @ across_axis))
        print(
            f"{seed}  {target.shape:9s} {1e3 * offset @ along_axis:+8.1f}  {1e3 * offset @ across_axis:+9.1f}"
            f"  {point[2]:.3f}/{top:.3f}        {pose.width_m:.3f}"
        )
    a = np.asarray(across)
    if a.size:
        print(f"|across| median {1e3 * np.median(a):.1f} mm; > 10 mm: {(a > 0.01).sum()}/{a.size}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
