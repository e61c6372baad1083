"""Training and distillation loops: data in memory, random crops, train_one_epoch, evaluate, fit.

The training scenes are loaded once at the network input size (INPUT_SIZE by default) and kept in
memory as arrays; each step draws random crops (same pixel scale as inference, cheaper than whole
frames) with horizontal flips and colour jitter. `fit` runs epochs with a per-step cosine learning
rate, validates after every epoch (RMSE on transparent pixels of the val split at the input size),
keeps `last.pt` (for --resume) and `best.pt` (lowest validation RMSE) in the run folder (--out-dir).
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from kd_grasp_ros.common.machine import cpu_model
from kd_grasp_ros.common.network_stats import count_parameters
from kd_grasp_ros.depth.checkpoint import file_sha256, load_model, read_checkpoint, save_checkpoint
from kd_grasp_ros.depth.constants import INPUT_SIZE
from kd_grasp_ros.depth.data import ClearGraspDataset, split_indices
from kd_grasp_ros.depth.errors import DepthModelError
from kd_grasp_ros.depth.fallback import classical_fill
from kd_grasp_ros.depth.loss import DepthLoss, DepthLossConfig
from kd_grasp_ros.depth.metrics import image_metrics
from kd_grasp_ros.depth.models import build_model
from kd_grasp_ros.depth.preprocess import predict_depth


@dataclass
class TrainConfig:
    """One training (teacher None) or distillation run: model, data, optimisation and loss settings."""

    model: str = "teacher"
    data: str = ""  # ClearGrasp-layout dataset folder (its train and val splits are used)
    teacher: str | None = None  # trained teacher checkpoint: distillation when set
    init: str | None = None  # checkpoint of the same network to start from (fine-tuning; weights only)
    input_size: tuple[int, int] = INPUT_SIZE  # width, height the scenes are loaded at
    seed: int = 0
    device: str = "cpu"
    epochs: int = 20
    batch_size: int = 4
    crop: tuple[int, int] = (160, 128)  # width, height of the random training crops
    lr: float = 2e-3
    weight_decay: float = 1e-4
    warmup_steps: int = 50
    max_minutes: float = 0.0  # stop (after saving) once this much wall time has passed; 0 = no limit
    loss: DepthLossConfig = field(default_factory=DepthLossConfig)
    extra: dict = field(default_factory=dict)  # recorded in checkpoints (e.g. the command line)


def training_machine(device: str) -> str:
    """What a run trained on, for its card: the CPU model and core count, or the CUDA device's name."""
    if device.startswith("cuda"):
        return torch.cuda.get_device_name(torch.device(device))
    return f"{cpu_model()}, {os.cpu_count()} cores"


def load_arrays(dataset: ClearGraspDataset, desc: str) -> dict[str, np.ndarray]:
    """All scenes of a (resized) dataset stacked into arrays rgb NxHxWx3, raw, fill (the classical fill
    of the raw depth, computed once), gt NxHxW, mask NxHxW."""
    samples = [dataset[i] for i in tqdm(range(len(dataset)), desc=f"load {desc}", leave=False)]
    return {
        "rgb": np.stack([s.rgb for s in samples]),
        "raw": np.stack([s.raw_depth for s in samples]),
        "fill": np.stack([classical_fill(s.raw_depth) for s in samples]),
        "gt": np.stack([s.gt_depth for s in samples]),
        "mask": np.stack([s.mask for s in samples]),
        "names": np.array([s.name for s in samples]),
    }


def split_arrays(
    root: Path, size: tuple[int, int], parts: tuple[str, ...]
) -> dict[str, dict[str, np.ndarray]]:
    """The named splits of the dataset under root, loaded at size (width, height)."""
    dataset = ClearGraspDataset(root, size=size)
    return {part: load_arrays(dataset.subset(split_indices(len(dataset), part)), part) for part in parts}


def to_tensors(arrays: dict[str, np.ndarray], idx: np.ndarray) -> dict[str, torch.Tensor]:
    """Batch of whole images as tensors: rgb Bx3xHxW uint8, raw/fill/gt Bx1xHxW, mask Bx1xHxW bool."""
    return {
        "rgb": torch.from_numpy(arrays["rgb"][idx]).permute(0, 3, 1, 2).contiguous(),
        "raw": torch.from_numpy(arrays["raw"][idx]).unsqueeze(1),
        "fill": torch.from_numpy(arrays["fill"][idx]).unsqueeze(1),
        "gt": torch.from_numpy(arrays["gt"][idx]).unsqueeze(1),
        "mask": torch.from_numpy(arrays["mask"][idx]).unsqueeze(1),
    }


def random_batch(
    arrays: dict[str, np.ndarray], idx: np.ndarray, crop: tuple[int, int], rng: np.random.Generator
) -> dict[str, torch.Tensor]:
    """Random crops (one offset per image) with random horizontal flips and colour jitter."""
    batch = to_tensors(arrays, idx)
    h, w = batch["gt"].shape[-2:]
    cw, ch = min(crop[0], w), min(crop[1], h)
    out = {k: [] for k in batch}
    for b in range(len(idx)):
        y, x = int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1))
        flip = bool(rng.random() < 0.5)
        for k, v in batch.items():
            t = v[b, :, y : y + ch, x : x + cw]
            out[k].append(t.flip(-1) if flip else t)
    rgb = torch.stack(out["rgb"]).float()
    gain = torch.from_numpy(rng.uniform(0.8, 1.2, (len(idx), 1, 1, 1))).float()
    bias = torch.from_numpy(rng.uniform(-20, 20, (len(idx), 1, 1, 1))).float()
    result = {k: torch.stack(v) for k, v in out.items()}
    result["rgb"] = (rgb * gain + bias).clamp(0, 255)
    return result


def lr_at(step: int, total: int, cfg: TrainConfig, time_fraction: float = 0.0) -> float:
    """Linear warm-up then cosine decay to 5% of the base rate.

    Progress is the larger of the step fraction and time_fraction (the share of --max-minutes used), so
    that a run stopped by its wall-time budget on a busy machine still ends at a low learning rate.
    """
    if step < cfg.warmup_steps:
        return cfg.lr * (step + 1) / cfg.warmup_steps
    progress = min(1.0, max(time_fraction, (step - cfg.warmup_steps) / max(1, total - cfg.warmup_steps)))
    return cfg.lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * progress)))


def _time_fraction(budget: tuple[float, float] | None) -> float:
    return 0.0 if budget is None else (time.monotonic() - budget[0]) / budget[1]


def train_one_epoch(
    model: torch.nn.Module,
    loss_fn: DepthLoss,
    optimizer: torch.optim.Optimizer,
    arrays: dict[str, np.ndarray],
    cfg: TrainConfig,
    rng: np.random.Generator,
    step: int,
    total_steps: int,
    teacher: torch.nn.Module | None = None,
    budget: tuple[float, float] | None = None,
) -> tuple[dict[str, float], int]:
    """One pass over the training arrays; returns (mean loss terms, next global step).

    budget: (start time.monotonic(), seconds) of a wall-time budget; the epoch stops early when spent.
    """
    model.train()
    order = rng.permutation(len(arrays["gt"]))
    batches = [
        order[i : i + cfg.batch_size] for i in range(0, len(order) - cfg.batch_size + 1, cfg.batch_size)
    ]
    sums: dict[str, float] = {}
    bar = tqdm(batches, desc="train", leave=False)
    for n, idx in enumerate(bar, 1):
        for group in optimizer.param_groups:
            group["lr"] = lr_at(step, total_steps, cfg, _time_fraction(budget))
        batch = {k: v.to(cfg.device) for k, v in random_batch(arrays, idx, cfg.crop, rng).items()}
        target = None
        if teacher is not None:
            with torch.no_grad():
                target = predict_depth(teacher, batch["rgb"], batch["raw"], batch["fill"])[0]
        pred = predict_depth(model, batch["rgb"], batch["raw"], batch["fill"])[0]
        result = loss_fn(pred, batch["gt"], batch["mask"], target)
        optimizer.zero_grad(set_to_none=True)
        result["loss"].backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        step += 1
        for k, v in {"loss": result["loss"].detach(), **result["losses"]}.items():
            sums[k] = sums.get(k, 0.0) + float(v)
        bar.set_postfix(loss=f"{sums['loss'] / n:.4f}")
        if _time_fraction(budget) >= 1.0:
            break
    return {k: v / max(1, n) for k, v in sums.items()}, step


@torch.no_grad()
def evaluate(
    model: torch.nn.Module, arrays: dict[str, np.ndarray], batch_size: int = 4, device: str = "cpu"
) -> dict[str, float]:
    """Mean per-image ClearGrasp metrics on transparent pixels of whole images at the arrays' size."""
    model.eval()
    rows = []
    for i in tqdm(range(0, len(arrays["gt"]), batch_size), desc="val", leave=False):
        batch = to_tensors(arrays, np.arange(i, min(i + batch_size, len(arrays["gt"]))))
        batch = {k: v.to(device) for k, v in batch.items()}
        pred = predict_depth(model, batch["rgb"], batch["raw"], batch["fill"])[0].squeeze(1).cpu().numpy()
        truth, mask = batch["gt"].squeeze(1).cpu().numpy(), batch["mask"].squeeze(1).cpu().numpy()
        for p, g, m in zip(pred, truth, mask, strict=True):
            row = image_metrics(p, g, m)
            if row is not None:
                rows.append(row)
    return {k: float(np.mean([r[k] for r in rows])) for k in rows[0]} if rows else {}


def fit(
    cfg: TrainConfig, out_dir: Path, resume: str | Path | None = None, export: Path | None = None
) -> dict:
    """Train (cfg.teacher None) or distil cfg.model; writes last.pt and best.pt (lowest validation
    RMSE) in out_dir, continues from `resume` (a last.pt), copies best.pt to `export` when given."""
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    start = time.monotonic()
    budget = (start, 60.0 * cfg.max_minutes) if cfg.max_minutes > 0 else None
    teacher = load_model(Path(cfg.teacher))[0].to(cfg.device) if cfg.teacher else None
    if teacher is not None:
        for p in teacher.parameters():
            p.requires_grad_(False)
    if cfg.init:
        model, init_ckpt = load_model(Path(cfg.init))
        if init_ckpt["name"] != cfg.model:
            raise DepthModelError(f"--init {cfg.init} holds a {init_ckpt['name']}, not a {cfg.model}")
        model = model.to(cfg.device)
    else:
        model = build_model(cfg.model).to(cfg.device)
    splits = split_arrays(Path(cfg.data), tuple(cfg.input_size), ("train", "val"))
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    loss_fn = DepthLoss(cfg.loss)
    steps_per_epoch = len(splits["train"]["gt"]) // cfg.batch_size
    total_steps = cfg.epochs * steps_per_epoch
    out_dir.mkdir(parents=True, exist_ok=True)
    epoch, step, best, history = 0, 0, math.inf, []
    if resume:
        ckpt = read_checkpoint(Path(resume))
        model.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        epoch, step, best, history = ckpt["epoch"], ckpt["step"], ckpt["best_rmse"], ckpt["history"]
        rng = np.random.default_rng(cfg.seed + epoch)
    minutes_before = history[-1]["minutes"] if history else 0.0
    extra = {
        "train_cfg": asdict(cfg),
        "input_size": list(cfg.input_size),
        "seed": cfg.seed,
        "data": cfg.data,
        "teacher": cfg.teacher,
        "init": cfg.init,
        "init_sha256": file_sha256(Path(cfg.init)) if cfg.init else None,
        "command": cfg.extra.get("command", ""),
        "machine": training_machine(cfg.device),
        "n_train": len(splits["train"]["gt"]),
        "n_val": len(splits["val"]["gt"]),
    }
    print(
        f"{cfg.model}: {count_parameters(model):,} parameters, {extra['n_train']} train / "
        f"{extra['n_val']} val scenes, {steps_per_epoch} steps per epoch, from epoch {epoch}"
    )
    while epoch < cfg.epochs:
        losses, step = train_one_epoch(
            model,
            loss_fn,
            optimizer,
            splits["train"],
            cfg,
            rng,
            step,
            total_steps,
            teacher,
            budget,
        )
        val = evaluate(model, splits["val"], device=cfg.device)
        epoch += 1
        minutes = minutes_before + (time.monotonic() - start) / 60.0
        history.append(
            {
                "epoch": epoch,
                "minutes": round(minutes, 2),
                **losses,
                **{f"val_{k}": v for k, v in val.items()},
            }
        )
        print(json.dumps(history[-1]))
        if val.get("rmse", math.inf) < best:
            best = val["rmse"]
            save_checkpoint(out_dir / "best.pt", cfg.model, model, epoch, val, **extra)
        save_checkpoint(
            out_dir / "last.pt",
            cfg.model,
            model,
            epoch,
            val,
            optimizer=optimizer.state_dict(),
            step=step,
            best_rmse=best,
            history=history,
            **extra,
        )
        if _time_fraction(budget) >= 1.0:
            print(f"stopping after epoch {epoch}: --max-minutes {cfg.max_minutes} reached")
            break
    if not (out_dir / "best.pt").is_file():
        save_checkpoint(out_dir / "best.pt", cfg.model, model, epoch, {}, **extra)
    best_ckpt = torch.load(out_dir / "best.pt", map_location="cpu", weights_only=True)
    best_ckpt["history"] = history
    best_ckpt["train_minutes"] = history[-1]["minutes"] if history else 0.0
    torch.save(best_ckpt, out_dir / "best.pt")
    return {"epoch": best_ckpt["epoch"], "metrics": best_ckpt["metrics"], "history": history}
