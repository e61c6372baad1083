"""`kd-grasp grasp eval`: accuracy of one model on a split, written as JSON plus per-image PNGs."""

from __future__ import annotations

import json

import torch

from kd_grasp_ros.common.network_stats import count_parameters
from kd_grasp_ros.common.resources import resolve_model
from kd_grasp_ros.grasp.checkpoint import load_model
from kd_grasp_ros.grasp.evaluate import evaluate
from kd_grasp_ros.grasp.torch_data import DepthCache
from kd_grasp_ros.grasp.visualize import save_result_png


def run_eval(args, scenes: list) -> int:
    """Evaluate args.model on the scenes of the chosen --split part; returns 0."""
    torch.set_num_threads(args.threads)
    path = resolve_model(args.model)
    model, info = load_model(path)
    cache = DepthCache(as_z=args.depth == "z")
    result = evaluate(
        model, scenes, cache, keep_maps=True, progress=True, angle_smoothing=args.angle_smoothing
    )
    png_dir = args.out.with_suffix("")  # per-image PNGs beside the JSON
    label = f"{info['model_cfg']['name']} ({path.name})"
    per_image = []
    for r in result.per_scene:
        png = save_result_png(r, png_dir / f"{r.scene.name}.png", title=label)
        g = r.grasps[0] if r.grasps else None
        per_image.append(
            {
                "scene": r.scene.name,
                "success": r.success,
                "png": str(png),
                "grasp": None
                if g is None
                else {
                    "row": g.row,
                    "col": g.col,
                    "angle": g.angle,
                    "width_px": g.width_px,
                    "quality": g.quality,
                },
            }
        )
    report = {
        "model": str(path),
        "model_name": info["model_cfg"]["name"],
        "source": info.get("source", "checkpoint"),
        "parameters": count_parameters(model),
        "dataset": [str(d) for d in args.data],
        "split_method": args.split_method,
        "split": args.split,
        "test_fraction": args.test_fraction,
        "fold": args.fold,
        "angle_smoothing": args.angle_smoothing,
        "depth": args.depth,
        "seed": args.seed,
        "n": result.n,
        "accuracy": result.accuracy,
        "correct": sum(r.success for r in result.per_scene),
        "per_image": per_image,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1))
    print(f"{label}: accuracy {result.accuracy:.3f} on {result.n} {args.split} images -> {args.out}")
    return 0
