"""Do the grasp node's geometric rules help or hurt on real depth? The shipped grasp network's best grasp
on Cornell-01 (real Kinect depth, converted from range to z-depth as a camera gives it) under the
rectangle metric, through grasp_stage.detect_grasp_poses as grasp_detection_node runs it, with the
node's rules switched on one after another:

- network: the detector's best grasp (no jaw clearance: no measuring, centring or turning);
- measured: the opening measured in the depth (jaw_clearance_m), not centred, not turned;
- + centre_jaws, + centre_across, + turn_to_fit: the shipped configuration at the end.

The rectangle of a grasp with a measured opening is as wide as that opening (in pixels at its depth).
The network's crop is 300 px around the labels' centre, as `kd-grasp grasp eval` takes it. Cornell's
camera is modelled as a pinhole with the focal length fitted to its range images (568 px, centred).
The rules were designed on simulated scenes and never tuned on Cornell; the networks were trained on
Cornell (the released GG-CNN on all of it, the students from it), so the absolute numbers are not
held-out accuracies, only the differences between rows say something.

Usage: python scripts/grasp_stage_on_cornell.py [--data ../shared/data/cornell-01] [--model NAME]
                                                [--out FILE.json]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

from tqdm import tqdm


def _px(rect) -> tuple[int, int]:
    """(row, col) of a rectangle's centre, as indices."""
    row, col = rect.center
    return int(round(row)), int(round(col))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="../shared/data/cornell-01")
    parser.add_argument("--model", default=None, help="grasp checkpoint (default: the node's)")
    parser.add_argument("--out", default=None, help="also write the results as JSON")
    args = parser.parse_args()
    from kd_grasp_ros.common.intrinsics import CameraIntrinsics
    from kd_grasp_ros.common.resources import resolve_model
    from kd_grasp_ros.common.statistics import wilson_interval
    from kd_grasp_ros.grasp.data import load_cornell_scenes
    from kd_grasp_ros.grasp.detector import GraspDetector
    from kd_grasp_ros.grasp.grasp_pose import image_grasp_to_pose
    from kd_grasp_ros.grasp.metrics import grasp_success
    from kd_grasp_ros.grasp.preprocess import CORNELL_RANGE_FOCAL_PX, rectangles_center
    from kd_grasp_ros.grasp.torch_data import DepthCache
    from kd_grasp_ros.pipeline.grasp_stage import DEFAULT_GRASP_MODEL, GraspFilterConfig, detect_grasp_poses
    from kd_grasp_ros.robot.gripper_params import GRIPPER_STROKE_M

    shipped = GraspFilterConfig()
    bare = dict(centre_jaws=False, centre_across=False, turn_to_fit=False)
    variants = {
        "network": dataclasses.replace(shipped, jaw_clearance_m=None, **bare),
        "measured": dataclasses.replace(shipped, **bare),
        "+ centre_jaws": dataclasses.replace(shipped, centre_across=False, turn_to_fit=False),
        "+ centre_across": dataclasses.replace(shipped, turn_to_fit=False),
        "+ turn_to_fit (shipped)": shipped,
    }
    model = args.model or DEFAULT_GRASP_MODEL
    detector = GraspDetector(resolve_model(model), crop_size=300, threads=2)
    scenes = [s for s in load_cornell_scenes(args.data) if s.labeled]
    cache = DepthCache(as_z=True)
    successes = {name: 0 for name in variants}
    without = {name: 0 for name in variants}
    feasible = {name: 0 for name in variants}
    with_fitting_labels = 0
    for scene in tqdm(scenes, desc="cornell scenes"):
        depth = cache.get(scene)
        f = CORNELL_RANGE_FOCAL_PX
        fitting = [r for r in scene.positives if r.length * float(depth[_px(r)]) / f <= GRIPPER_STROKE_M]
        with_fitting_labels += bool(fitting)
        h, w = depth.shape
        camera = CameraIntrinsics(width=w, height=h, fx=f, fy=f, cx=(w - 1) / 2, cy=(h - 1) / 2)
        for name, base in variants.items():
            cfg = dataclasses.replace(base, crop_center=rectangles_center(scene.positives))
            result = detect_grasp_poses(detector, image_grasp_to_pose, depth, camera, 0.0, cfg)
            if not result.grasps:
                without[name] += 1
                continue
            grasp, pose = result.grasps[0], result.poses[0]
            if cfg.jaw_clearance_m is not None:  # the rectangle as wide as the measured opening
                grasp = dataclasses.replace(grasp, width_px=pose.width_m * f / pose.position[2])
            successes[name] += grasp_success([grasp], scene.positives)
            if fitting:
                feasible[name] += grasp_success([grasp], fitting)
    print(f"{model} on {len(scenes)} Cornell-01 scenes, top-1 under the rectangle metric")
    print(f"{'rules':<26} {'success':<28} {'no grasp':<9} success on the {with_fitting_labels} scenes with")
    print(f"{'':<26} {'':<28} {'':<9} labels the stroke fits, against those labels")
    rows = {}
    for name in variants:
        rate = wilson_interval(successes[name], len(scenes))
        fit_rate = wilson_interval(feasible[name], with_fitting_labels)
        rows[name] = {
            "successes": successes[name],
            "n": len(scenes),
            "no_grasp": without[name],
            "successes_on_fitting_labels": feasible[name],
            "n_with_fitting_labels": with_fitting_labels,
        }
        print(f"{name:<26} {str(rate):<28} {without[name]:<9} {fit_rate}")
    if args.out:
        Path(args.out).write_text(json.dumps({"model": model, "data": args.data, "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
