"""`kd-grasp grasp train | distill | speed | eval | agreement | protocol | card`: GG-CNN training,
distillation, evaluation. Latency of every network is measured by `kd-grasp bench`."""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

import torch

from kd_grasp_ros.grasp.data import PARTS, SPLITS, Scene, load_scenes, split_scenes
from kd_grasp_ros.grasp.errors import GraspDataError
from kd_grasp_ros.grasp.models import MODEL_CONFIGS


def _add_data_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", nargs="+", required=True, help="dataset directories (each split on its own)")
    p.add_argument(
        "--dataset-kind",
        choices=("cornell", "jacquard"),
        default="cornell",
        help="file layout (the simulation's synthetic export uses the Cornell layout)",
    )
    p.add_argument(
        "--split-method",
        choices=SPLITS,
        default="sorted",
        help="sorted: first 90%% train / last 10%% test of each sorted list; random: image-wise; "
        "objectwise: 5-fold object-wise split of Cornell-01 (--fold is the test fold)",
    )
    p.add_argument("--fold", type=int, default=0, help="objectwise: test fold 0-4")
    p.add_argument("--test-fraction", type=float, default=0.1)
    p.add_argument(
        "--val-fraction",
        type=float,
        default=0.1,
        help="part of the train split held out for best-checkpoint selection (the val part)",
    )
    p.add_argument("--seed", type=int, default=0, help="seeds the random split, augmentation and init")


def _add_split_argument(p: argparse.ArgumentParser, default: str) -> None:
    p.add_argument(
        "--split",
        choices=PARTS,
        default=default,
        help="which part of --split-method's split to use: train (without val), val, test, or all",
    )


def _add_training_arguments(p: argparse.ArgumentParser, default_model: str) -> None:
    _add_data_arguments(p)
    p.add_argument("--model", choices=sorted(MODEL_CONFIGS), default=default_model)
    p.add_argument("--unlabeled", nargs="*", default=[], help="extra depth-only directories (KD term only)")
    p.add_argument(
        "--train-only",
        nargs="*",
        default=[],
        help="extra labeled directories used whole for training, never split (e.g. the sim "
        "export next to an object-wise split of Cornell)",
    )
    p.add_argument("--epochs", type=int, default=50)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument(
        "--lr",
        type=float,
        help="Adam learning rate (default 1e-3); with --resume: from then on (default: the run's own rate)",
    )
    p.add_argument(
        "--max-minutes", type=float, default=0.0, help="stop after the epoch passing this (0: off)"
    )
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    p.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    p.add_argument(
        "--workers",
        type=int,
        default=0,
        help="DataLoader worker processes preparing augmented views (0: in the training process)",
    )
    p.add_argument("--channels-last", action="store_true", help="channels_last memory format (GPU)")
    p.add_argument(
        "--no-fast-train",
        action="store_true",
        help="train through nn.ConvTranspose2d and four head convs instead of the exact fast form",
    )
    p.add_argument("--resume", help="last.pt of an interrupted run")
    p.add_argument(
        "--out-dir", type=Path, required=True, help="run directory: last.pt, best.pt, history.json"
    )


def _add_augment_argument(p: argparse.ArgumentParser, default: str) -> None:
    p.add_argument(
        "--augment",
        choices=("reference", "strong"),
        default=default,
        help="reference: quarter turns + zoom U(0.5, 1) around the grasps (GG-CNN paper); strong: "
        "views a real camera produces (augment.py), every scene labeled or not",
    )
    p.add_argument(
        "--views-per-scene", type=int, default=4, help="strong: random views of every scene per epoch"
    )


def _add_distill_arguments(p: argparse.ArgumentParser, teacher_required: bool = True) -> None:
    p.add_argument(
        "--teacher",
        nargs="+",
        required=teacher_required,
        help="teacher checkpoint(s) or released GG-CNN / GG-CNN2 state dict(s); several: their "
        "maps are averaged (multi-teacher)",
    )
    p.add_argument("--alpha", type=float, default=0.5)
    p.add_argument(
        "--kd-peak-weight",
        type=float,
        default=0.0,
        help="weight of the peak term (KL of the quality maps as distributions over pixels) inside the "
        "KD term; 0: MSE only",
    )
    p.add_argument(
        "--kd-views",
        type=int,
        default=1,
        help="reference augmentation: extra unlabeled views per training scene (KD term only)",
    )
    _add_augment_argument(p, "strong")
    p.add_argument(
        "--init-from-teacher",
        action="store_true",
        help="start the student from the first teacher's most important channels (slim_init) "
        "instead of random weights; GG-CNN-shaped teacher and student",
    )
    p.add_argument(
        "--teacher-range-input",
        action="store_true",
        help="strong: the student sees z-depth (Cornell range images converted), the teacher the "
        "same view as a range image, the kind of depth it was trained on",
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
    train = verbs.add_parser("train", help="train a network on labeled scenes (alpha = 0)")
    _add_training_arguments(train, "ggcnn")
    _add_augment_argument(train, "reference")
    distill = verbs.add_parser("distill", help="train a student with L = (1-a) L_GT + a L_KD")
    _add_training_arguments(distill, "student_v1")
    _add_distill_arguments(distill)
    speed = verbs.add_parser("speed", help="training throughput (samples/s) of a train/distill setting")
    _add_data_arguments(speed)
    speed.add_argument("--model", choices=sorted(MODEL_CONFIGS), default="student_v1")
    _add_distill_arguments(speed, teacher_required=False)
    speed.add_argument("--batch-size", type=int, default=16)
    speed.add_argument("--steps", type=int, default=20)
    speed.add_argument("--warmup", type=int, default=3)
    speed.add_argument("--threads", type=int, default=2)
    speed.add_argument("--device", default="cpu")
    speed.add_argument("--workers", type=int, default=0)
    speed.add_argument("--channels-last", action="store_true")
    speed.add_argument("--no-fast-train", action="store_true")
    speed.add_argument("--out", type=Path, help="JSON result file")
    ev = verbs.add_parser("eval", help="rectangle-metric accuracy on the held-out split; JSON + PNGs")
    _add_data_arguments(ev)
    ev.add_argument("--model", required=True, help="checkpoint, shipped model name or released state dict")
    _add_split_argument(ev, "test")
    ev.add_argument("--out", type=Path, required=True, help="JSON result file")
    ev.add_argument("--threads", type=int, default=1)
    ev.add_argument(
        "--angle-smoothing",
        choices=("reference", "vector"),
        default="reference",
        help="reference: smooth the angle map (published protocol); vector: smooth cos/sin",
    )
    ev.add_argument(
        "--depth",
        choices=("stored", "z"),
        default="stored",
        help="stored: depth as in the files (published protocol; Cornell: range images); "
        "z: Cornell range converted to z-depth, as a real camera gives it",
    )
    agree = verbs.add_parser(
        "agreement",
        help="student-teacher agreement (map MSE, top-1 match) on held-out "
        "views, strong augmentation and plain crops",
    )
    _add_data_arguments(agree)
    agree.add_argument("--model", required=True, help="student checkpoint or shipped model name")
    agree.add_argument("--teacher", nargs="+", required=True, help="teacher(s); several are averaged")
    _add_split_argument(agree, "test")
    agree.add_argument("--views", type=int, default=4, help="strong views per scene (plus the plain crop)")
    agree.add_argument(
        "--teacher-range-input",
        action="store_true",
        help="student sees z-depth, teacher the range form (as distill --teacher-range-input)",
    )
    agree.add_argument("--threads", type=int, default=1)
    agree.add_argument("--out", type=Path, required=True, help="JSON result file")
    proto = verbs.add_parser("protocol", help="our eval beside the GG-CNN reference code's protocol variants")
    _add_data_arguments(proto)
    proto.add_argument("--model", required=True)
    _add_split_argument(proto, "all")
    proto.add_argument("--threads", type=int, default=1)
    proto.add_argument("--out", type=Path, required=True, help="JSON result file")
    card = verbs.add_parser("card", help="write models/<name>.json + .md from eval/bench JSON files")
    card.add_argument("--checkpoint", required=True, help="e.g. models/grasp_student_v1.pt")
    card.add_argument("--eval", nargs="+", required=True, help="eval JSON files of this model")
    card.add_argument("--peer-eval", nargs="*", default=[], help="eval JSON files of peers (released)")
    card.add_argument("--agreement", nargs="*", default=[], help="JSON files written by `agreement`")
    card.add_argument("--bench", help="bench.json written by `kd-grasp bench`")
    card.add_argument(
        "--out", type=Path, help="card JSON path; the .md beside it (default: beside the checkpoint)"
    )
    card.add_argument("--note", action="append", default=[], help="a note line (repeatable)")


def split_parts(args) -> dict[str, list[Scene]]:
    """The parts of the --data directories, each directory split on its own: test by --split-method;
    val = the last --val-fraction of the labeled rest (objectwise: of its objects, sorted); train = the
    labeled rest without val; all = train + val + test."""
    parts: dict[str, list[Scene]] = {"train": [], "val": [], "test": []}
    val_method = "sorted" if args.split_method == "objectwise" else args.split_method
    for scenes in load_scenes(args.data, args.dataset_kind):
        rest, test = split_scenes(scenes, args.split_method, args.test_fraction, args.seed, args.fold)
        train, val = split_scenes(
            [s for s in rest if s.labeled], val_method, args.val_fraction, args.seed + 1
        )
        parts["train"] += train
        parts["val"] += val
        parts["test"] += test
    parts["all"] = parts["train"] + parts["val"] + parts["test"]
    return parts


def _run_training(args, teacher: list[str] | None, alpha: float, kd_views: int) -> int:
    import cv2

    from kd_grasp_ros.grasp.train import TrainConfig, fit, tune_allocator

    torch.set_num_threads(args.threads)
    cv2.setNumThreads(1)
    tune_allocator()
    parts = split_parts(args)
    fit_scenes, val_scenes = list(parts["train"]), parts["val"]
    n_labeled = len(fit_scenes)
    for d in args.train_only:
        for scenes in load_scenes([d], args.dataset_kind):
            fit_scenes += scenes
    for d in args.unlabeled:
        for scenes in load_scenes([d], args.dataset_kind):
            fit_scenes += [replace(s, positives=[], negatives=[]) for s in scenes]
    cfg = TrainConfig(
        model=args.model,
        teacher=teacher,
        alpha=alpha,
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        kd_views=kd_views,
        max_minutes=args.max_minutes,
        seed=args.seed,
        device=args.device,
        augment=args.augment,
        views_per_scene=args.views_per_scene,
        workers=args.workers,
        channels_last=args.channels_last,
        fast_train=not args.no_fast_train,
        teacher_range_input=getattr(args, "teacher_range_input", False),
        kd_peak_weight=getattr(args, "kd_peak_weight", 0.0),
        init_from_teacher=getattr(args, "init_from_teacher", False),
        extra={
            "command": args.command_line,
            "data": [str(d) for d in args.data],
            "split_method": args.split_method,
            "fold": args.fold,
            "train_scenes": [s.name for s in fit_scenes],
            "val_scenes": [s.name for s in val_scenes],
        },
    )
    print(
        f"{args.model}: {len(fit_scenes)} training scenes ({n_labeled} labeled and split), "
        f"{len(val_scenes)} validation scenes; teacher={teacher} alpha={alpha}"
    )
    result = fit(cfg, fit_scenes, val_scenes, args.out_dir, resume=args.resume)
    print(json.dumps(result))
    return 0


def run(args) -> int:
    if args.verb == "train":
        return _run_training(args, teacher=None, alpha=0.0, kd_views=0)
    if args.verb == "distill":
        if not 0.0 <= args.alpha <= 1.0:
            raise GraspDataError(f"--alpha must be in [0, 1], got {args.alpha}")
        return _run_training(args, teacher=args.teacher, alpha=args.alpha, kd_views=args.kd_views)
    if args.verb == "speed":
        import cv2

        from kd_grasp_ros.grasp.speed import run_speed
        from kd_grasp_ros.grasp.train import tune_allocator

        torch.set_num_threads(args.threads)
        cv2.setNumThreads(1)
        tune_allocator()  # as train/distill do
        return run_speed(args, split_parts(args)["train"])
    if args.verb == "eval":
        from kd_grasp_ros.grasp.eval_report import run_eval

        return run_eval(args, split_parts(args)[args.split])
    if args.verb == "agreement":
        from kd_grasp_ros.grasp.agreement import run_agreement

        return run_agreement(args, split_parts(args)[args.split])
    if args.verb == "protocol":
        from kd_grasp_ros.grasp.protocol_check import run_protocol

        return run_protocol(args, split_parts(args)[args.split])
    if args.verb == "card":
        from kd_grasp_ros.grasp.card import run_card

        return run_card(args)
    raise SystemExit(f"unknown verb {args.verb!r}")
