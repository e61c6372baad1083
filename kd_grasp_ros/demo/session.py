"""A run of closed-loop attempts (the demo, or a trials batch) through the launched node graph, and its
summary with Wilson intervals.

The processes are exactly mujoco_sim.launch.py's (kd_grasp_ros.launch_graph.sim_graph) with dry_run off:
the emulated controller, sim_world_node, the perception pipeline and ur_executor_node, each with its
shipped parameter files, on a ROS domain of their own; their logs go to <report_dir>/logs/.
"""

from __future__ import annotations

import dataclasses
import math
import os
import platform
import subprocess
import time
from pathlib import Path

import torch
import yaml
from tqdm import tqdm

from kd_grasp_ros.common.machine import cpu_model
from kd_grasp_ros.common.resources import SOURCE_ROOT
from kd_grasp_ros.common.statistics import LatencyStats, wilson_interval
from kd_grasp_ros.demo.attempt import OUTCOMES, STAGES, AttemptResult, run_attempt
from kd_grasp_ros.demo.config import DemoConfig
from kd_grasp_ros.demo.driver import DemoDriver, DemoDriverError
from kd_grasp_ros.launch_graph import (
    GraphProcess,
    graph_environment,
    joined_environment,
    sim_graph,
    start_graph,
)

FIRST_DETECTION_TIMEOUT_S = 120.0  # the networks' first inference (kernel selection) on a busy machine


def rate_dict(successes: int, trials: int) -> dict:
    """A success rate with its Wilson 95% interval; no trials -> rate and interval None, text '-'."""
    if trials == 0:
        return {"successes": 0, "trials": 0, "rate": None, "ci95": None, "text": "-"}
    r = wilson_interval(successes, trials)
    return {
        "successes": r.successes,
        "trials": r.trials,
        "rate": r.rate,
        "ci95": [r.low, r.high],
        "text": str(r),
    }


def summarise(
    cfg: DemoConfig, results: list[AttemptResult], wall_s: float, processes: list[GraphProcess]
) -> dict:
    """Success rate (Wilson 95% CI), by target transparency, outcomes, per-stage latency, the node graph
    that ran (executables, parameter files, overrides), commit and machine."""
    by_target = {}
    for label, flag in (("transparent", True), ("opaque", False)):
        sub = [r for r in results if r.target_transparent is flag]
        by_target[label] = rate_dict(sum(r.success for r in sub), len(sub))
    latency = {}
    for stage in STAGES:
        stats = LatencyStats.of(r.timings_ms[stage] for r in results if stage in r.timings_ms)
        latency[stage] = {
            k: (None if isinstance(v, float) and math.isnan(v) else v)
            for k, v in dataclasses.asdict(stats).items()
        }
    return {
        "config": {
            **{k: v for k, v in dataclasses.asdict(cfg).items() if k != "report_dir"},
            "grasp_model_name": cfg.grasp_model_name,
            "depth_model_name": cfg.depth_model_name,
        },
        "success": rate_dict(sum(r.success for r in results), len(results)),
        "by_target": by_target,
        "still_held_at_end": rate_dict(
            sum(r.success and r.target in r.held_at_end for r in results), sum(r.success for r in results)
        ),
        "outcomes": {o: sum(r.outcome == o for r in results) for o in OUTCOMES},
        "latency_ms": latency,
        "attempts": [r.as_dict() for r in results],
        "wall_s": round(wall_s, 1),
        "node_executables": [p.executable for p in processes],
        "parameter_files": {p.name: [Path(f).name for f in p.parameter_files] for p in processes},
        "parameter_overrides": {p.name: p.parameters for p in processes if p.parameters},
        "git_commit": git_commit(),
        "machine": {
            "cpu": cpu_model(),
            "cores": os.cpu_count(),
            "torch": torch.__version__,
            "python": platform.python_version(),
        },
    }


def git_commit() -> str | None:
    """The checkout's commit (None outside a git checkout, e.g. an installed package)."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=SOURCE_ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def model_parameter_file(cfg: DemoConfig, folder: Path) -> Path | None:
    """A parameter file choosing the demo's models (read after the shipped ones), or None for theirs."""
    sections = {}
    if cfg.uses_depth_completion and cfg.depth_model:
        sections["depth_completion_node"] = {"ros__parameters": {"model_path": cfg.depth_model}}
    if cfg.grasp_model:
        sections["grasp_detection_node"] = {"ros__parameters": {"model_path": cfg.grasp_model}}
    if not sections:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "demo_models.yaml"
    path.write_text(yaml.safe_dump(sections))
    return path.resolve()


def demo_graph(cfg: DemoConfig, emulator_ip: str, log_dir: Path) -> list[GraphProcess]:
    """mujoco_sim.launch.py's processes, armed (dry_run false), with the demo's model choice."""
    models = model_parameter_file(cfg, log_dir)
    return sim_graph(
        emulator_ip,
        depth_completion=cfg.uses_depth_completion,
        composed=cfg.use_composition,
        dry_run=False,
        autostart=True,
        pipeline_parameter_files=(models,) if models else (),
    )


def domain_id() -> int:
    """ROS_DOMAIN_ID of the run: the environment's, else one derived from the process id (101-200)."""
    given = os.environ.get("ROS_DOMAIN_ID")
    return int(given) if given else 101 + os.getpid() % 100


def run_session(cfg: DemoConfig, on_attempt=None, progress: bool = True) -> tuple[list[AttemptResult], dict]:
    """Start the node graph, wait for its first detection (untimed warm-up), then cfg.attempts attempts
    (scene i from seed cfg.seed + i); on_attempt(result) after each one; the graph is stopped at the end."""
    from kd_grasp_ros.robot.emulator_process import free_loopback_address

    start = time.perf_counter()
    log_dir = Path(cfg.report_dir) / "logs"
    processes = demo_graph(cfg, free_loopback_address(), log_dir)
    env = graph_environment(domain_id())
    results: list[AttemptResult] = []
    with joined_environment(env):
        with start_graph(processes, log_dir, env) as graph:
            driver = DemoDriver()
            try:
                driver.wait_for_services()
                if driver.spin_until(lambda: driver.detections, FIRST_DETECTION_TIMEOUT_S) is None:
                    graph.check_alive()
                    raise DemoDriverError(f"no grasp detection within {FIRST_DETECTION_TIMEOUT_S} s of start")
                bar = tqdm(range(cfg.attempts), desc="grasp attempts", unit="attempt", disable=not progress)
                for i in bar:
                    graph.check_alive()
                    result = run_attempt(driver, cfg, i, cfg.seed + i)
                    results.append(result)
                    bar.set_postfix(success=f"{sum(r.success for r in results)}/{len(results)}")
                    if on_attempt is not None:
                        on_attempt(result)
            finally:
                driver.close()
    return results, summarise(cfg, results, time.perf_counter() - start, processes)
