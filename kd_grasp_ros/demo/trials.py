"""Closed-loop grasp trials: N scenes, one attempt each, success rate with a Wilson 95% interval.

    kd-grasp trials --n 20 --scene single --objects transparent --depth-model none --seed 0

(`kd-grasp demo` shares the options: add_trials_arguments). Each attempt runs through the launched
node graph (kd_grasp_ros.demo.session). The ablation `--depth-model none` starts the pipeline without
depth completion: the grasp node reads the camera's raw depth. --publish adds the summary to
docs/results/trials/<tag>.json and regenerates docs/results/trials.md from every summary there.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from pathlib import Path

from kd_grasp_ros.common.resources import SOURCE_ROOT
from kd_grasp_ros.demo.config import DemoConfig, load_demo_config
from kd_grasp_ros.demo.report import LATENCY_PLOT_NAME, SUMMARY_NAME, save_latency_plot, write_summary
from kd_grasp_ros.depth.constants import NO_DEPTH_MODEL

SCENES = {"single": "single", "clutter": "cluttered"}
OBJECTS = {"opaque": 0.0, "transparent": 1.0, "mixed": 0.5}
TRIALS_MD = "trials.md"
RESULTS_DIR = SOURCE_ROOT / "docs" / "results"  # where --publish records summaries


def add_trials_arguments(parser: argparse.ArgumentParser) -> None:
    """Options shared by `kd-grasp demo` and the trials engine (None = the config's value)."""
    parser.add_argument("--config", default=None, help="demo YAML (default: the installed config/demo.yaml)")
    parser.add_argument(
        "--n", "--attempts", dest="attempts", type=int, default=None, help="number of scenes / grasp attempts"
    )
    parser.add_argument(
        "--scene", choices=sorted(SCENES), default=None, help="one object or a cluttered pile"
    )
    parser.add_argument(
        "--objects",
        choices=sorted(OBJECTS),
        default=None,
        help="opaque, transparent or mixed (each object transparent with p = 0.5)",
    )
    parser.add_argument("--grasp-model", default=None, help="grasp checkpoint (models/ name or path)")
    parser.add_argument(
        "--depth-model",
        default=None,
        help=f"depth checkpoint (models/ name or path) or '{NO_DEPTH_MODEL}': no depth "
        f"completion, the grasp node reads the camera's raw depth",
    )
    parser.add_argument("--seed", type=int, default=None, help="scene i uses seed + i")
    parser.add_argument(
        "--separate",
        action="store_true",
        help="perception nodes as separate processes (use_composition:=false)",
    )
    parser.add_argument("--out-dir", type=Path, default=None, help="output folder (default: the config's)")
    parser.add_argument(
        "--publish",
        action="store_true",
        help="also record the summary in docs/results/trials/ and regenerate docs/results/trials.md",
    )


def config_from_args(args: argparse.Namespace) -> DemoConfig:
    cfg = load_demo_config(args.config)
    return cfg.replace(
        attempts=args.attempts,
        seed=args.seed,
        grasp_model=args.grasp_model,
        depth_model=args.depth_model,
        use_composition=False if args.separate else None,
        scene=SCENES.get(args.scene) if args.scene else None,
        transparent_ratio=OBJECTS.get(args.objects) if args.objects else None,
        report_dir=str(args.out_dir) if args.out_dir else None,
    )


def objects_label(ratio: float) -> str:
    return next((k for k, v in OBJECTS.items() if v == ratio), f"p_transparent={ratio:g}")


def run_tag(cfg: DemoConfig) -> str:
    """A file name for a run: scene, objects, models, size, seed."""
    scene = next(k for k, v in SCENES.items() if v == cfg.scene)
    depth = Path(cfg.depth_model_name).stem if cfg.uses_depth_completion else "nodepth"
    return (
        f"{scene}_{objects_label(cfg.transparent_ratio)}_{Path(cfg.grasp_model_name).stem}_{depth}"
        f"_n{cfg.attempts}_s{cfg.seed}"
    )


def format_trials_table(summaries: list[dict]) -> str:
    """Markdown table of trials summaries (one row each) with their commands."""
    lines = [
        "| scene | objects | grasp model | depth | perception | success (95% CI) | aimed at a "
        "transparent object | aimed at an opaque object | of the successes, still held at the end "
        "(return_home) | frame -> grasps median ms | command |",
        "|" + "---|" * 11,
    ]
    for s in summaries:
        c = s["config"]
        e2e = s["latency_ms"]["perception_end_to_end"]["median_ms"]
        depth = c["depth_model_name"] if c["depth_model"] != NO_DEPTH_MODEL else "none (raw depth)"
        scene = next(k for k, v in SCENES.items() if v == c["scene"])
        lines.append(
            f"| {scene} | {objects_label(c['transparent_ratio'])} | {Path(c['grasp_model_name']).stem} "
            f"| {Path(depth).stem if depth.endswith('.pt') else depth} "
            f"| {'composed' if c['use_composition'] else 'separate'} | "
            f"{s['success']['text']} | {s['by_target']['transparent']['text']} | "
            f"{s['by_target']['opaque']['text']} | {s['still_held_at_end']['text']} "
            f"| {'-' if e2e is None else f'{e2e:.0f}'} "
            f"| `{s.get('command', '')}` |"
        )
    return "\n".join(lines)


def publish(summary: dict, tag: str, publish_dir: Path) -> Path:
    """Write publish_dir/trials/<tag>.json and regenerate publish_dir/trials.md from all of them."""
    compact = {k: v for k, v in summary.items() if k != "attempts"} | {"tag": tag}
    write_summary(compact, publish_dir / "trials" / f"{tag}.json")
    return write_trials_markdown(publish_dir)


def write_trials_markdown(publish_dir: Path) -> Path:
    """publish_dir/trials.md: the table of every summary in publish_dir/trials/."""
    out = publish_dir / TRIALS_MD
    out.write_text(trials_markdown(publish_dir))
    return out


def trials_markdown(publish_dir: Path) -> str:
    """The text of publish_dir/trials.md, made from every summary in publish_dir/trials/."""
    summaries = [json.loads(p.read_text()) for p in sorted((publish_dir / "trials").glob("*.json"))]
    machines = sorted({f"{m['cpu']}, {m['cores']} cores" for m in (s["machine"] for s in summaries)})
    commits = sorted({s.get("git_commit") or "not recorded" for s in summaries})
    md = (
        f"Closed-loop grasp trials in simulation through the shipped node graph: the processes of "
        f"mujoco_sim.launch.py (emulated UR controller, sim_world_node, the perception pipeline, "
        f"ur_executor_node over ur_rtde, each with its shipped parameter files) talking over DDS, each "
        f"attempt triggered through ur_executor's ~/execute_latest. Success = the target object, the one "
        f"under the executor's planned grasp, is held by both pads and lifted when the executor reports "
        f"its lift done (the arm then returns home, config/ur_executor.yaml return_home: true; whether the "
        f"object was still held at the end is its own column); scene i of a row uses "
        f"seed + i, so rows with equal seeds see the same scenes. Machine: {'; '.join(machines)}. "
        f"Commit: {', '.join(commits)}.\n\n{format_trials_table(summaries)}\n"
    )
    return md


def print_summary(summary: dict) -> None:
    print(f"success: {summary['success']['text']}")
    for label in ("transparent", "opaque"):
        print(f"  aimed at {label} objects: {summary['by_target'][label]['text']}")
    print(f"  of those, still held when the attempt ended: {summary['still_held_at_end']['text']}")
    print("outcomes: " + ", ".join(f"{k} {v}" for k, v in summary["outcomes"].items() if v))
    print("latency per stage (ms):   median      p90")
    for stage, s in summary["latency_ms"].items():
        if s["n"]:
            print(f"  {stage:<20} {s['median_ms']:>9.1f} {s['p90_ms']:>8.1f}")
    print(f"wall time: {summary['wall_s']} s")


def write_session_report(results: list, summary: dict, out_dir: Path) -> None:
    """Record the command line in the summary, write summary.json and latency.png, print the summary."""
    summary["command"] = "kd-grasp " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    write_summary(summary, out_dir / SUMMARY_NAME)
    save_latency_plot(results, out_dir / LATENCY_PLOT_NAME)
    print_summary(summary)


def run_trials(args: argparse.Namespace) -> int:
    """Run the trials and write summary.json + latency.png (no per-attempt pictures)."""
    from kd_grasp_ros.demo.session import run_session

    os.environ.setdefault("MUJOCO_GL", "osmesa")
    cfg = config_from_args(args)
    tag = run_tag(cfg)
    out_dir = args.out_dir or Path("reports") / "trials" / tag
    results, summary = run_session(cfg)
    write_session_report(results, summary, out_dir)
    print(f"-> {out_dir}")
    if args.publish:
        print(f"-> {publish(summary, tag, RESULTS_DIR)}")
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """`kd-grasp trials`: the demo's options, statistics only."""
    add_trials_arguments(parser)


def run(args: argparse.Namespace) -> int:
    """`kd-grasp trials`."""
    return run_trials(args)
