"""`kd-grasp sim`: synthetic data (synth), label checks, a rendered frame. Closed-loop trials in this
simulation are `kd-grasp trials` (kd_grasp_ros/demo/).

kd-grasp sim synth --scenes 300 --out-dir data/synth-v1 --seed 1 --transparent-ratio 0.6
kd-grasp sim check-labels --scenes 20 --seed 0
kd-grasp sim view --out-dir docs/sim --seed 0 [--mount wrist]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from tqdm import tqdm

from kd_grasp_ros.sim.config import CAMERA_MOUNTS, SimConfig, load_sim_config


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", default=None, help="sim YAML (default: the installed config/sim.yaml)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (same seed -> identical output)")
    parser.add_argument("--width", type=int, default=None, help="render width (px); intrinsics are scaled")
    parser.add_argument("--height", type=int, default=None, help="render height (px)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    synth = sub.add_parser("synth", help="generate a synthetic data set (Cornell + ClearGrasp layouts)")
    _common(synth)
    synth.add_argument("--scenes", type=int, required=True, help="number of scenes")
    synth.add_argument("--out-dir", type=Path, required=True, help="output directory")
    synth.add_argument(
        "--transparent-ratio",
        type=float,
        default=None,
        help="probability that an object is transparent (default: config scene.transparent_ratio)",
    )
    synth.add_argument("--start", type=int, default=0, help="index of the first scene")
    synth.add_argument("--workers", type=int, default=1, help="parallel worker processes")
    synth.add_argument("--skip-existing", action="store_true", help="skip scenes whose files already exist")
    synth.add_argument(
        "--camera-domain",
        choices=("cell", "wide"),
        default="cell",
        help="cell: the configured camera jittered per scene; wide: per scene a height of 0.4-1.2 m, a tilt "
        "and a RealSense sensor mode (config camera.wide_*)",
    )
    synth.add_argument(
        "--previews",
        type=int,
        default=0,
        help="also write PNG previews of the first K scenes to DIR/previews",
    )
    labels = sub.add_parser("check-labels", help="share of analytic antipodal grasps that physics confirms")
    _common(labels)
    labels.add_argument("--scenes", type=int, default=10)
    labels.add_argument("--transparent-ratio", type=float, default=None)
    view = sub.add_parser("view", help="render one SimWorld frame to PNGs (colour, true depth, raw depth)")
    _common(view)
    view.add_argument("--out-dir", type=Path, required=True, help="output directory for the PNGs")
    view.add_argument("--mount", choices=CAMERA_MOUNTS, default=None, help="camera mount (default: config)")


def _config(args) -> SimConfig:
    cfg = load_sim_config(args.config)
    if args.width or args.height:
        if not (args.width and args.height):
            raise SystemExit("--width and --height must be given together")
        cfg = dataclasses.replace(cfg, camera=cfg.camera.resized(args.width, args.height))
    if getattr(args, "mount", None):
        cfg = dataclasses.replace(cfg, camera=dataclasses.replace(cfg.camera, mount=args.mount))
    return cfg


def _ratio(args, cfg: SimConfig) -> float:
    ratio = cfg.scene.transparent_ratio if args.transparent_ratio is None else args.transparent_ratio
    if not 0.0 <= ratio <= 1.0:
        raise SystemExit(f"--transparent-ratio must be in [0, 1], got {ratio}")
    return ratio


def _synth_one(job) -> dict:
    """Worker: generate and write one scene; returns its label statistics."""
    from kd_grasp_ros.sim.export import write_sample
    from kd_grasp_ros.sim.preview import save_depth_rgb_pngs
    from kd_grasp_ros.sim.synth import generate_sample

    cfg, seed, index, ratio, out, preview, camera_domain = job
    sample = generate_sample(cfg, seed, index, ratio, camera_domain=camera_domain)
    write_sample(out, sample)
    if preview:
        save_depth_rgb_pngs(
            sample.rgb,
            sample.depth_true,
            sample.depth_raw,
            out / "previews",
            f"synth_{index:04d}",
            sample.positives,
            sample.negatives,
        )
    return dataclasses.asdict(sample.stats) | {
        "positives": len(sample.positives),
        "negatives": len(sample.negatives),
    }


def run_synth(args) -> int:
    from kd_grasp_ros.sim.export import sample_complete

    cfg = _config(args)
    ratio = _ratio(args, cfg)
    if args.scenes < 1 or args.workers < 1:
        raise SystemExit("--scenes and --workers must be >= 1")
    args.out_dir.mkdir(parents=True, exist_ok=True)
    indices = [
        i
        for i in range(args.start, args.start + args.scenes)
        if not (args.skip_existing and sample_complete(args.out_dir, i))
    ]
    jobs = [
        (cfg, args.seed, i, ratio, args.out_dir, i < args.start + args.previews, args.camera_domain)
        for i in indices
    ]
    totals: dict[str, int] = {}
    start = time.perf_counter()
    with tqdm(total=len(jobs), desc="sim synth", unit="scene") as bar:
        if args.workers == 1:
            results = map(_synth_one, jobs)
            for res in results:
                _accumulate(totals, res)
                bar.update()
        else:
            with ProcessPoolExecutor(max_workers=args.workers) as pool:
                for res in pool.map(_synth_one, jobs):
                    _accumulate(totals, res)
                    bar.update()
    elapsed = time.perf_counter() - start
    summary = {
        "seed": args.seed,
        "first_scene": args.start,
        "scenes_written": len(jobs),
        "transparent_ratio": ratio,
        "camera_domain": args.camera_domain,
        "width": cfg.camera.width if args.camera_domain == "cell" else "per scene (meta/)",
        "height": cfg.camera.height if args.camera_domain == "cell" else "per scene (meta/)",
        "seconds": round(elapsed, 1),
        "scenes_per_minute": round(60 * len(jobs) / max(elapsed, 1e-9), 2),
        "workers": args.workers,
        "label_totals": totals,
        "physics_confirmed_share": round(
            totals.get("physics_ok", 0) / max(totals.get("physics_checked", 0), 1), 4
        ),
    }
    (args.out_dir / f"synth_summary_{args.start}_{args.start + args.scenes}.json").write_text(
        json.dumps(summary, indent=1)
    )
    print(json.dumps(summary))
    return 0


def _accumulate(totals: dict[str, int], res: dict) -> None:
    for k, v in res.items():
        totals[k] = totals.get(k, 0) + int(v)


def run_check_labels(args) -> int:
    from kd_grasp_ros.sim.synth import generate_sample

    cfg = _config(args)
    ratio = _ratio(args, cfg)
    totals: dict[str, int] = {}
    for i in tqdm(range(args.scenes), desc="label check", unit="scene"):
        _accumulate(totals, dataclasses.asdict(generate_sample(cfg, args.seed, i, ratio).stats))
    share = totals["physics_ok"] / max(totals["physics_checked"], 1)
    print(json.dumps(totals | {"physics_confirmed_share": round(share, 4)}))
    return 0


def run_view(args) -> int:
    from kd_grasp_ros.sim.preview import save_frame_pngs
    from kd_grasp_ros.sim.world import SimWorld

    cfg = _config(args)
    world = SimWorld(cfg)
    try:
        world.reset(seed=args.seed)
        paths = save_frame_pngs(
            world.render(), args.out_dir, prefix=f"sim_{cfg.camera.mount}_seed{args.seed}"
        )
    finally:
        world.close()
    print("\n".join(str(p) for p in paths))
    return 0


def run(args) -> int:
    os.environ.setdefault("MUJOCO_GL", "osmesa")
    np.set_printoptions(precision=4, suppress=True)
    verbs = {"synth": run_synth, "check-labels": run_check_labels, "view": run_view}
    return verbs[args.verb](args)
