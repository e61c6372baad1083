"""Training and distillation loops of the GG-CNNs (one loss; best checkpoint by validation accuracy)."""
from __future__ import annotations

import ctypes
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader
from tqdm import tqdm

from kd_grasp_ros.grasp.checkpoint import load_model, read_checkpoint, save_checkpoint
from kd_grasp_ros.grasp.datasets import Scene
from kd_grasp_ros.grasp.evaluation import evaluate
from kd_grasp_ros.grasp.fast_convt import to_fast
from kd_grasp_ros.grasp.loss import grasp_loss
from kd_grasp_ros.grasp.models import build_model
from kd_grasp_ros.grasp.torch_data import DepthCache, GraspDataset
from kd_grasp_ros.grasp.visualize import save_history_png

# glibc mallopt parameter numbers (malloc.h).
M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_MAX = -1, -2, -4


@dataclass
class TrainingConfig:
    """Hyperparameters of one training (alpha = 0, no teacher) or distillation run."""

    model: str = "ggcnn"
    teacher: str | None = None
    alpha: float = 0.0
    epochs: int = 50
    batch_size: int = 8
    lr: float = 1e-3
    kd_views: int = 0
    max_minutes: float = 0.0
    seed: int = 0
    device: str = "cpu"
    extra: dict = field(default_factory=dict)


def set_seed(seed: int) -> None:
    torch.manual_seed(seed)
    np.random.seed(seed)


def tune_allocator() -> None:
    """Keep freed memory in the process (glibc): without it every batch's large activation buffers are
    returned to and re-faulted from the kernel, which costs more system time than the convolutions."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return
    libc.mallopt(M_MMAP_MAX, 0)  # activations of 300x300 batches exceed the largest mmap threshold
    libc.mallopt(M_TRIM_THRESHOLD, 2**31 - 1)
    libc.mallopt(M_TOP_PAD, 512 * 1024 * 1024)


def train_one_epoch(model, loader, optimizer, teacher=None, alpha: float = 0.0, device: str = "cpu",
                    progress: bool = True, desc: str = "train") -> dict:
    """One pass over loader; returns the mean of every loss term."""
    model.train()
    totals: dict[str, float] = {}
    n = 0
    for batch in tqdm(loader, desc=desc, disable=not progress, leave=False):
        depth = batch["depth"].to(device)
        target = batch["target"].to(device)
        labeled = batch["labeled"].to(device)
        teacher_pred = None
        if teacher is not None and alpha > 0:
            with torch.no_grad():
                teacher_pred = teacher(depth)
        out = grasp_loss(model(depth), target, labeled, teacher_pred, alpha)
        optimizer.zero_grad()
        out["loss"].backward()
        optimizer.step()
        for k, v in out["losses"].items():
            totals[k] = totals.get(k, 0.0) + v
        totals["loss"] = totals.get("loss", 0.0) + out["loss"].item()
        n += 1
    return {k: v / max(n, 1) for k, v in totals.items()}


def load_teacher(path: str, device: str) -> torch.nn.Module:
    """A frozen teacher (eval mode, no grad) from a checkpoint or the released state dict."""
    teacher, _ = load_model(path)
    teacher = to_fast(teacher).to(device)  # exact rewrite, faster on CPU
    for p in teacher.parameters():
        p.requires_grad_(False)
    return teacher.eval()


def fit(cfg: TrainingConfig, train_scenes: list[Scene], val_scenes: list[Scene], out_dir: Path,
        resume: str | None = None, progress: bool = True) -> dict:
    """Train cfg.model; writes last.pt, best.pt (highest validation accuracy, ties to the later epoch),
    history.json and history.png in out_dir."""
    set_seed(cfg.seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    model = build_model(cfg.model).to(cfg.device)
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    teacher = load_teacher(cfg.teacher, cfg.device) if cfg.teacher and cfg.alpha > 0 else None
    cache = DepthCache()
    data = GraspDataset(train_scenes, augment=True, kd_views=cfg.kd_views, seed=cfg.seed, cache=cache)
    loader = DataLoader(data, batch_size=cfg.batch_size, shuffle=True, num_workers=0,
                        generator=torch.Generator().manual_seed(cfg.seed))
    start_epoch, best_acc, history = 0, -1.0, []
    if resume:
        ckpt = read_checkpoint(resume)
        model.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        start_epoch, best_acc, history = ckpt["epoch"] + 1, ckpt["best_val_accuracy"], ckpt["history"]
        previous = ckpt.get("training", {}).get("extra", {})
        commands = previous.get("commands", [previous.get("command")])
        cfg.extra["commands"] = commands + [cfg.extra.get("command")]
    t0 = time.monotonic()
    spent_before = history[-1]["elapsed_s"] if history else 0.0
    for epoch in range(start_epoch, cfg.epochs):
        losses = train_one_epoch(model, loader, optimizer, teacher, cfg.alpha, cfg.device, progress,
                                 desc=f"{cfg.model} epoch {epoch}")
        val = evaluate(model, val_scenes, cache)
        elapsed = spent_before + time.monotonic() - t0
        history.append({"epoch": epoch, "val_accuracy": val.accuracy, "val_n": val.n, "elapsed_s": elapsed,
                        **losses})
        improved = val.accuracy >= best_acc  # ties go to the later (longer trained) epoch
        best_acc = max(best_acc, val.accuracy)
        extra = {"epoch": epoch, "metrics": {"val_accuracy": val.accuracy, "val_n": val.n, **losses},
                 "training": asdict(cfg), "best_val_accuracy": best_acc, "history": history}
        save_checkpoint(out_dir / "last.pt", model, optimizer=optimizer.state_dict(), **extra)
        if improved:
            save_checkpoint(out_dir / "best.pt", model, **extra)
        (out_dir / "history.json").write_text(json.dumps(history, indent=1))
        save_history_png({cfg.model: history}, out_dir / "history.png")
        tqdm.write(f"epoch {epoch}: loss {losses['loss']:.4f} val_acc {val.accuracy:.3f} "
                   f"best {best_acc:.3f} ({elapsed / 60:.1f} min)")
        if cfg.max_minutes and elapsed > cfg.max_minutes * 60:
            tqdm.write(f"time budget of {cfg.max_minutes} min reached after epoch {epoch}")
            break
    return {"best_val_accuracy": best_acc, "epochs": len(history), "out_dir": str(out_dir)}
