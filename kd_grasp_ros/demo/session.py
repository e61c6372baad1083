"""A run of closed-loop attempts (the demo, or a trials batch) and its summary with Wilson intervals."""
from __future__ import annotations

import dataclasses
import math
import os
import platform
import subprocess
import time
from pathlib import Path

import torch
from tqdm import tqdm

from kd_grasp_ros.common.inference import DEFAULT_BACKEND
from kd_grasp_ros.demo.attempt import OUTCOMES, STAGES, AttemptResult, run_attempt
from kd_grasp_ros.demo.cell import SimulatedCell
from kd_grasp_ros.demo.config import DemoConfig
from kd_grasp_ros.demo.statistics import LatencyStats, wilson_interval
from kd_grasp_ros.pipeline.grasp_stage import GraspFilterConfig
from kd_grasp_ros.pipeline.perception import Perception
from kd_grasp_ros.resources import SOURCE_ROOT
from kd_grasp_ros.sim.config import SimConfig, load_sim_config


def sim_config_for(cfg: DemoConfig) -> SimConfig:
    """config/sim.yaml, at the demo's render size if one is set."""
    sim_cfg = load_sim_config()
    if cfg.width is not None:
        sim_cfg = dataclasses.replace(sim_cfg, camera=sim_cfg.camera.resized(cfg.width, cfg.height))
    return sim_cfg


def rate_dict(successes: int, trials: int) -> dict:
    """A success rate with its Wilson 95% interval; no trials -> rate and interval None, text '-'."""
    if trials == 0:
        return {"successes": 0, "trials": 0, "rate": None, "ci95": None, "text": "-"}
    r = wilson_interval(successes, trials)
    return {"successes": r.successes, "trials": r.trials, "rate": r.rate, "ci95": [r.low, r.high],
            "text": str(r)}


def summarise(cfg: DemoConfig, results: list[AttemptResult], wall_s: float) -> dict:
    """Success rate (Wilson 95% CI), by target transparency, outcomes, per-stage latency, machine."""
    by_target = {}
    for label, flag in (("transparent", True), ("opaque", False)):
        sub = [r for r in results if r.target_transparent is flag]
        by_target[label] = rate_dict(sum(r.success for r in sub), len(sub))
    latency = {}
    for stage in STAGES:
        stats = LatencyStats.of(r.timings_ms[stage] for r in results if stage in r.timings_ms)
        latency[stage] = {k: (None if isinstance(v, float) and math.isnan(v) else v)
                          for k, v in dataclasses.asdict(stats).items()}
    return {
        "config": {k: v for k, v in dataclasses.asdict(cfg).items() if k != "report_dir"},
        "success": rate_dict(sum(r.success for r in results), len(results)),
        "by_target": by_target,
        "outcomes": {o: sum(r.outcome == o for r in results) for o in OUTCOMES},
        "latency_ms": latency,
        "attempts": [r.as_dict() for r in results],
        "wall_s": round(wall_s, 1),
        "git_commit": git_commit(),
        "machine": {"cpu": cpu_model(), "cores": os.cpu_count(), "torch": torch.__version__,
                    "inference_backend": DEFAULT_BACKEND, "threads_per_network": cfg.threads,
                    "python": platform.python_version()},
    }


def git_commit() -> str | None:
    """The checkout's commit (None outside a git checkout, e.g. an installed package)."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=SOURCE_ROOT, capture_output=True, text=True,
                             timeout=10, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def cpu_model() -> str:
    """CPU model name from /proc/cpuinfo (platform.processor() elsewhere)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def run_session(cfg: DemoConfig, on_attempt=None, progress: bool = True) -> tuple[list[AttemptResult], dict]:
    """cfg.attempts attempts (scene i from seed cfg.seed + i, after one untimed perception warm-up);
    on_attempt(result) after each one."""
    start = time.perf_counter()
    sim_cfg = sim_config_for(cfg)
    depth_model = cfg.depth_model if cfg.uses_depth_completion else None
    perception = Perception(cfg.grasp_model, depth_model, cfg.threads, cfg.crop_size,
                            GraspFilterConfig(top_k=cfg.top_k, min_quality=cfg.min_quality))
    results: list[AttemptResult] = []
    with SimulatedCell(cfg, sim_cfg) as cell:
        scene = cell.scene_config()
        warm_up = cell.world.render()  # one untimed pass: first calls allocate and pick kernels
        perception.perceive(warm_up.rgb, warm_up.depth_raw, warm_up.intrinsics, cell.executor.clock())
        bar = tqdm(range(cfg.attempts), desc="grasp attempts", unit="attempt", disable=not progress)
        for i in bar:
            result = run_attempt(cell, perception, i, cfg.seed + i, scene)
            results.append(result)
            bar.set_postfix(success=f"{sum(r.success for r in results)}/{len(results)}")
            if on_attempt is not None:
                on_attempt(result)
    return results, summarise(cfg, results, time.perf_counter() - start)
