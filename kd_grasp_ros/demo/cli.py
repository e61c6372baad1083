"""`kd-grasp demo`: the closed-loop demo (the simulated UR10e picks objects) with pictures of each attempt.

    kd-grasp demo                          # 5 attempts, cluttered mixed scenes, report in reports/demo/

Starts what mujoco_sim.launch.py starts (emulated UR controller, sim_world_node, the perception pipeline,
ur_executor_node, with their shipped parameter files; dry_run off) as processes talking over DDS, and
makes each attempt as an operator would: a fresh scene, ur_executor ~/execute_latest, the simulator's
verdict. Prints the success rate (Wilson 95% CI) and per-stage latency; writes annotated frames, raw
vs network depth, a latency plot, summary.json and the processes' logs. Statistics over many scenes
(no pictures) are `kd-grasp trials`, with the same options.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from kd_grasp_ros.demo.trials import (
    RESULTS_DIR,
    add_trials_arguments,
    config_from_args,
    publish,
    run_tag,
    write_session_report,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_trials_arguments(parser)


def run(args: argparse.Namespace) -> int:
    """The demo; a missing model, a bad config or an unreachable controller raise named errors."""
    os.environ.setdefault("MUJOCO_GL", "osmesa")
    from kd_grasp_ros.demo.report import LATENCY_PLOT_NAME, SUMMARY_NAME, save_attempt_images
    from kd_grasp_ros.demo.session import run_session

    cfg = config_from_args(args)
    out_dir = Path(cfg.report_dir)
    print(
        f"closed-loop demo: {cfg.attempts} attempt(s), scene {cfg.scene}, p(transparent) "
        f"{cfg.transparent_ratio}, grasp {cfg.grasp_model_name}, depth {cfg.depth_model_name}; node graph "
        f"of mujoco_sim.launch.py, logs in {out_dir}/logs/"
    )
    results, summary = run_session(cfg, on_attempt=lambda r: save_attempt_images(r, out_dir))
    write_session_report(results, summary, out_dir)
    print(
        f"report: {out_dir}/ (attempt_NN_grasps.png, attempt_NN_depth.png, {LATENCY_PLOT_NAME}, "
        f"{SUMMARY_NAME})"
    )
    if args.publish:
        print(f"-> {publish(summary, 'demo_' + run_tag(cfg), RESULTS_DIR)}")
    return 0
