"""`kd-grasp depth train | distill | eval | card | sensor-stats`: the depth-completion command line.

train   : train a network (default the teacher) on ground truth.
distill : train the student on ground truth + distillation from a trained teacher.
eval    : score networks and baselines on a ClearGrasp-layout dataset; JSON + side-by-side PNGs.
card    : write models/depth_<name>.json + .md from a checkpoint, eval JSON and `kd-grasp bench`'s bench.json.
sensor-stats : raw depth inside transparent masks (missing, see-through, surface error) of real frames
          beside the simulator's, a PNG, and the simulator's sensor values fitted to the real frames.

Latency of every network is measured by `kd-grasp bench` (one benchmark for both areas).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch
import yaml

from kd_grasp_ros.common.resources import config_path
from kd_grasp_ros.depth.constants import INPUT_SIZE, STUDENT_WEIGHTS
from kd_grasp_ros.depth.data import LAYOUTS
from kd_grasp_ros.depth.errors import DepthModelError
from kd_grasp_ros.depth.loss import DepthLossConfig
from kd_grasp_ros.depth.models import MODELS
from kd_grasp_ros.depth.train import TrainConfig, fit


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seed", type=int, default=0, help="random seed")
    p.add_argument(
        "--threads", type=int, default=1, help="torch CPU threads (1 on the shared 2-core machine)"
    )
    p.add_argument(
        "--input-size",
        type=int,
        nargs=2,
        default=list(INPUT_SIZE),
        metavar=("W", "H"),
        help="network input size",
    )


def _training(p: argparse.ArgumentParser, model: str) -> None:
    _common(p)
    p.add_argument("--device", default="cpu", help="torch device: cpu, cuda or cuda:N")
    d, ld = TrainConfig(), DepthLossConfig()
    p.add_argument("--data", type=Path, required=True, help="ClearGrasp-layout dataset folder")
    p.add_argument("--model", choices=sorted(MODELS), default=model, help="network to train")
    p.add_argument("--out-dir", type=Path, required=True, help="run directory: last.pt, best.pt")
    p.add_argument("--resume", type=Path, default=None, help="last.pt of an interrupted run")
    p.add_argument(
        "--init", type=Path, default=None, help="start from this checkpoint's weights (fine-tuning)"
    )
    p.add_argument("--epochs", type=int, default=d.epochs)
    p.add_argument("--batch-size", type=int, default=d.batch_size)
    p.add_argument(
        "--crop", type=int, nargs=2, default=list(d.crop), metavar=("W", "H"), help="training crop"
    )
    p.add_argument("--lr", type=float, default=d.lr)
    p.add_argument("--max-minutes", type=float, default=d.max_minutes, help="wall-time budget (0 = none)")
    for name in ("gt_weight", "mask_weight", "si_weight", "si_lambda", "ssim_weight", "edge_weight"):
        p.add_argument(
            f"--{name.replace('_', '-')}", type=float, default=getattr(ld, name), help="loss setting"
        )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the train | distill | eval | card | sensor-stats verbs."""
    sub = parser.add_subparsers(dest="verb", required=True)
    _training(sub.add_parser("train", help="train on ground truth (teacher by default)"), "teacher")
    p = sub.add_parser("distill", help="distil the student from a trained teacher")
    _training(p, "student")
    p.add_argument(
        "--teacher", type=Path, required=True, help="trained teacher checkpoint (kd-grasp depth train)"
    )

    p = sub.add_parser("eval", help="ClearGrasp metrics of networks and baselines; JSON + PNGs")
    _common(p)
    p.add_argument("--data", type=Path, required=True, help="ClearGrasp-layout dataset folder")
    p.add_argument("--split", choices=("train", "val", "test", "all"), default="test")
    p.add_argument(
        "--layout", choices=LAYOUTS, default=None, help="only scenes of this layout (default both)"
    )
    p.add_argument("--teacher", default="none", help="a teacher checkpoint to score too (path), or 'none'")
    p.add_argument(
        "--student", default=STUDENT_WEIGHTS, help="student checkpoint (path or shipped name), or 'none'"
    )
    p.add_argument(
        "--also",
        nargs="*",
        default=[],
        metavar="NAME=PATH",
        help="more checkpoints scored under their own names (e.g. an ablation: student_gt_only=runs/...)",
    )
    p.add_argument("--out", type=Path, required=True, help="JSON result file")
    p.add_argument(
        "--png-count", type=int, default=3, help="side-by-side PNGs of the first N scenes, beside --out"
    )

    p = sub.add_parser("card", help="model card (JSON + Markdown) from checkpoint, eval and bench JSON")
    p.add_argument("--checkpoint", type=Path, required=True)
    p.add_argument("--eval", type=Path, nargs="*", default=[], help="JSON files written by `eval`")
    p.add_argument("--bench", type=Path, default=None, help="bench.json written by `kd-grasp bench`")
    p.add_argument("--out", type=Path, required=True, help="card JSON path; the .md is written beside it")

    p = sub.add_parser("sensor-stats", help="raw depth on transparent objects, real vs simulated; JSON + PNG")
    p.add_argument("--real", type=Path, required=True, help="real frames, ClearGrasp real layout (fitted to)")
    p.add_argument(
        "--sim", type=Path, default=None, help="simulated frames (kd-grasp sim synth's cleargrasp/)"
    )
    p.add_argument("--limit", type=int, default=0, help="scenes per dataset (0 = all)")
    p.add_argument("--out", type=Path, required=True, help="JSON result file; the PNG is written beside it")


def _chosen_models(args: argparse.Namespace) -> dict[str, Path]:
    pairs = [("teacher", args.teacher), ("student", args.student)]
    for item in args.also:
        name, sep, path = item.partition("=")
        if not sep or not name or not path:
            raise DepthModelError(f"--also takes NAME=PATH, got {item!r}")
        pairs.append((name, path))
    return {name: Path(path) for name, path in pairs if path and path.lower() != "none"}


def run(args: argparse.Namespace) -> int:
    """Dispatch one verb; bad data or checkpoints raise named errors (cli.main: one line, exit 1)."""
    if args.verb == "sensor-stats":
        from kd_grasp_ros.depth.sensor_stats import format_report
        from kd_grasp_ros.depth.sensor_stats import run as sensor_stats

        with open(config_path("sim.yaml")) as f:
            sensor = yaml.safe_load(f)["sensor"]
        current = {k: v for k, v in sensor.items() if k.startswith("transparent_")}
        print(format_report(sensor_stats(args.real, args.sim, args.limit, args.out, current)))
        print(f"wrote {args.out} and {args.out.with_suffix('.png')}")
        return 0
    if args.verb == "card":
        from kd_grasp_ros.depth.card import write_card

        write_card(args.checkpoint, args.eval, args.bench, args.out)
        print(f"wrote {args.out} and {args.out.with_suffix('.md')}")
        return 0
    torch.set_num_threads(args.threads)
    size = (int(args.input_size[0]), int(args.input_size[1]))
    if args.verb in ("train", "distill"):
        teacher = args.teacher if args.verb == "distill" else None
        if teacher is not None and not teacher.is_file():
            raise DepthModelError(f"teacher checkpoint {teacher} not found; run `kd-grasp depth train` first")
        loss_names = ("gt_weight", "mask_weight", "si_weight", "si_lambda", "ssim_weight", "edge_weight")
        cfg = TrainConfig(
            model=args.model,
            data=str(args.data),
            teacher=str(teacher) if teacher else None,
            init=str(args.init) if args.init else None,
            input_size=size,
            seed=args.seed,
            device=args.device,
            epochs=args.epochs,
            batch_size=args.batch_size,
            crop=tuple(args.crop),
            lr=args.lr,
            max_minutes=args.max_minutes,
            loss=DepthLossConfig(**{name: getattr(args, name) for name in loss_names}),
            extra={"command": args.command_line},
        )
        result = fit(cfg, args.out_dir, resume=args.resume)
        best = args.out_dir / "best.pt"
        print(json.dumps({"best_epoch": result["epoch"], "val": result["metrics"], "best": str(best)}))
        return 0
    if args.verb == "eval":
        from kd_grasp_ros.depth.evaluate import evaluate_dataset, format_report

        torch.manual_seed(args.seed)
        models = _chosen_models(args)
        report = evaluate_dataset(
            args.data,
            args.split,
            models,
            size,
            args.out,
            args.out.with_suffix(""),
            args.png_count,
            args.out.stem,
            layout=args.layout,
        )
        print(format_report(report))
        return 0
