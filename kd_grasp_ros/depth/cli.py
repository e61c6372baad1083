"""`kd-grasp depth train | distill | eval | bench`: the depth-completion command line.

train   : train a network (default the teacher) on ground truth.
distill : train the student on ground truth + distillation from a trained teacher.
eval    : score networks and baselines on a ClearGrasp-layout dataset; JSON + side-by-side PNGs.
bench   : teacher and student side by side: parameters, size, latency at 1 and 2 threads, FPS.
card    : write models/depth_<name>.json + .md from a checkpoint and the eval / bench JSON files.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

import torch

from kd_grasp_ros.depth.constants import INPUT_SIZE, STUDENT_WEIGHTS, TEACHER_WEIGHTS
from kd_grasp_ros.depth.data import LAYOUTS, DepthDataError
from kd_grasp_ros.depth.losses import DepthLossCfg
from kd_grasp_ros.depth.registry import MODELS, DepthModelError
from kd_grasp_ros.depth.training import TrainCfg, fit
from kd_grasp_ros.resources import SOURCE_ROOT

DEFAULT_TEACHER = SOURCE_ROOT / "models" / TEACHER_WEIGHTS
DEFAULT_STUDENT = SOURCE_ROOT / "models" / STUDENT_WEIGHTS


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seed", type=int, default=0, help="random seed")
    p.add_argument("--device", default="cpu", help="torch device (cpu unless a GPU is present)")
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


def _training(p: argparse.ArgumentParser, model: str, out: Path) -> None:
    _common(p)
    d, ld = TrainCfg(), DepthLossCfg()
    p.add_argument("--data", type=Path, required=True, help="ClearGrasp-layout dataset folder")
    p.add_argument("--model", choices=sorted(MODELS), default=model, help="network to train")
    p.add_argument("--out", type=Path, default=out, help="where the best checkpoint is copied")
    p.add_argument(
        "--run-dir", type=Path, default=None, help="folder for last.pt/best.pt (default runs/depth/<model>)"
    )
    p.add_argument("--resume", action="store_true", help="continue from <run-dir>/last.pt")
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
    """Add the train | distill | eval | bench verbs."""
    sub = parser.add_subparsers(dest="verb", required=True)
    _training(
        sub.add_parser("train", help="train on ground truth (teacher by default)"), "teacher", DEFAULT_TEACHER
    )
    p = sub.add_parser("distill", help="distil the student from a trained teacher")
    _training(p, "student", DEFAULT_STUDENT)
    p.add_argument("--teacher", type=Path, default=DEFAULT_TEACHER, help="trained teacher checkpoint")

    p = sub.add_parser("eval", help="ClearGrasp metrics of networks and baselines; JSON + PNGs")
    _common(p)
    p.add_argument("--data", type=Path, required=True, help="ClearGrasp-layout dataset folder")
    p.add_argument("--split", choices=("train", "val", "test", "all"), default="test")
    p.add_argument(
        "--layout", choices=LAYOUTS, default=None, help="only scenes of this layout (default both)"
    )
    p.add_argument(
        "--teacher", default=TEACHER_WEIGHTS, help="teacher checkpoint (path or shipped name), or 'none'"
    )
    p.add_argument(
        "--student", default=STUDENT_WEIGHTS, help="student checkpoint (path or shipped name), or 'none'"
    )
    p.add_argument("--out-json", type=Path, required=True)
    p.add_argument("--png-dir", type=Path, default=None, help="write side-by-side PNGs here")
    p.add_argument("--png-count", type=int, default=3)
    p.add_argument("--png-prefix", default="depth")
    p.add_argument(
        "--keep-raw",
        action="store_true",
        help="keep valid raw pixels that agree with the network (completer option)",
    )

    p = sub.add_parser("bench", help="teacher vs student: parameters, size, latency, FPS")
    _common(p)
    p.add_argument(
        "--teacher", default=TEACHER_WEIGHTS, help="teacher checkpoint (path or shipped name), or 'none'"
    )
    p.add_argument(
        "--student", default=STUDENT_WEIGHTS, help="student checkpoint (path or shipped name), or 'none'"
    )
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--runs", type=int, default=100)
    p.add_argument("--out-json", type=Path, default=None)

    p = sub.add_parser("card", help="model card (JSON + Markdown) from checkpoint, eval and bench JSON")
    p.add_argument("--checkpoint", type=Path, required=True)
    p.add_argument("--eval", type=Path, nargs="*", default=[], help="JSON files written by `eval`")
    p.add_argument("--bench", type=Path, default=None, help="JSON file written by `bench`")
    p.add_argument("--out", type=Path, required=True, help="card JSON path; the .md is written beside it")


def _chosen_models(args: argparse.Namespace) -> dict[str, Path]:
    pairs = (("teacher", args.teacher), ("student", args.student))
    return {name: Path(path) for name, path in pairs if path and path.lower() != "none"}


def run(args: argparse.Namespace) -> int:
    """Dispatch one verb; returns the exit status (2 with a message for bad data or checkpoints)."""
    try:
        return _run(args)
    except (DepthModelError, DepthDataError) as exc:
        print(f"kd-grasp depth {args.verb}: {exc}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    if args.verb == "card":
        from kd_grasp_ros.depth.cards import write_card

        write_card(args.checkpoint, args.eval, args.bench, args.out)
        print(f"wrote {args.out} and {args.out.with_suffix('.md')}")
        return 0
    torch.set_num_threads(args.threads)
    size = (int(args.input_size[0]), int(args.input_size[1]))
    if args.verb in ("train", "distill"):
        cfg = TrainCfg(
            epochs=args.epochs,
            batch_size=args.batch_size,
            crop=tuple(args.crop),
            lr=args.lr,
            max_minutes=args.max_minutes,
        )
        loss_cfg = DepthLossCfg(
            gt_weight=args.gt_weight,
            mask_weight=args.mask_weight,
            si_weight=args.si_weight,
            si_lambda=args.si_lambda,
            ssim_weight=args.ssim_weight,
            edge_weight=args.edge_weight,
        )
        teacher = args.teacher if args.verb == "distill" else None
        if teacher is not None and not teacher.is_file():
            print(
                f"teacher checkpoint {teacher} not found; run `kd-grasp depth train` first", file=sys.stderr
            )
            return 2
        run_dir = args.run_dir or Path("runs") / "depth" / args.model
        command = "kd-grasp depth " + " ".join(shlex.quote(a) for a in sys.argv[2:])
        result = fit(
            args.model,
            args.data,
            run_dir,
            args.out,
            cfg,
            loss_cfg,
            size,
            args.seed,
            args.resume,
            teacher,
            command=command,
            device=args.device,
        )
        print(json.dumps({"best_epoch": result["epoch"], "val": result["metrics"], "out": str(args.out)}))
        return 0
    if args.verb == "eval":
        from kd_grasp_ros.depth.evaluation import evaluate_dataset, format_report

        torch.manual_seed(args.seed)
        models = _chosen_models(args)
        report = evaluate_dataset(
            args.data,
            args.split,
            models,
            size,
            args.out_json,
            args.png_dir,
            args.png_count,
            args.png_prefix,
            keep_raw=args.keep_raw,
            layout=args.layout,
        )
        print(format_report(report))
        return 0
    from kd_grasp_ros.depth.benchmark import benchmark, format_bench

    result = benchmark(_chosen_models(args), size, (1, 2), args.warmup, args.runs)
    print(format_bench(result))
    if args.out_json:
        args.out_json.parent.mkdir(parents=True, exist_ok=True)
        args.out_json.write_text(json.dumps(result, indent=2))
    return 0
