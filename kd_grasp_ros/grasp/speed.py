"""`kd-grasp grasp speed`: training throughput (samples/s) of one train/distill configuration.

Runs warm-up steps, then times `steps` optimiser steps including data loading, exactly as fit() trains
(same loader, student form, teacher), and reports samples/s and the median step time. Nothing is saved
but the JSON report.
"""

from __future__ import annotations

import itertools
import json
import statistics
import time
from dataclasses import asdict

import torch

from kd_grasp_ros.grasp.data import Scene
from kd_grasp_ros.grasp.train import (
    TrainConfig,
    build_training,
    make_loader,
    new_cache,
    set_seed,
    train_step,
)


def measure_speed(cfg: TrainConfig, scenes: list[Scene], steps: int = 20, warmup: int = 3) -> dict:
    """{'samples_per_s', 'median_step_s', ...} over `steps` timed steps after `warmup` steps."""
    set_seed(cfg.seed)
    model, optimizer, teacher = build_training(cfg)
    model.train()
    _, loader = make_loader(cfg, scenes, new_cache(cfg))
    batches = itertools.chain.from_iterable(itertools.repeat(loader))

    def step() -> int:
        batch = next(batches)
        train_step(model, batch, optimizer, teacher, cfg.alpha, cfg.device, cfg.channels_last)
        if str(cfg.device).startswith("cuda"):
            torch.cuda.synchronize()
        return batch["depth"].shape[0]

    for _ in range(warmup):
        step()
    times, samples = [], 0
    start = time.perf_counter()
    for _ in range(steps):
        t0 = time.perf_counter()
        samples += step()
        times.append(time.perf_counter() - t0)
    total = time.perf_counter() - start
    return {
        "samples_per_s": samples / total,
        "median_step_s": statistics.median(times),
        "steps": len(times),
        "samples": samples,
        "seconds": total,
        "threads": torch.get_num_threads(),
        "training": asdict(cfg),
    }


def run_speed(args, scenes: list[Scene]) -> int:
    cfg = TrainConfig(
        model=args.model,
        teacher=args.teacher,
        alpha=args.alpha if args.teacher else 0.0,
        batch_size=args.batch_size,
        kd_views=args.kd_views,
        seed=args.seed,
        device=args.device,
        augment=args.augment,
        views_per_scene=1,
        workers=args.workers,
        channels_last=args.channels_last,
        fast_train=not args.no_fast_train,
        teacher_range_input=args.teacher_range_input,
    )
    result = measure_speed(cfg, scenes, steps=args.steps, warmup=args.warmup)
    print(
        f"{cfg.model} batch {cfg.batch_size} ({cfg.augment} augmentation, workers {cfg.workers}, "
        f"fast_train {cfg.fast_train}, channels_last {cfg.channels_last}, {result['threads']} threads): "
        f"{result['samples_per_s']:.1f} samples/s, median step {result['median_step_s']:.3f} s"
    )
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=1))
    return 0
