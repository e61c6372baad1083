"""Training and distillation loops of the GG-CNNs (one loss; best checkpoint by validation accuracy).

Speed (see docs/grasp/distillation-transfer.md): the student trains through the pixel-shuffle form of its
transposed convolutions and one fused head convolution (models.fast_train, same parameters and
gradients); teachers run frozen in their inference form (fast_convt.to_fast) under no_grad, once per
batch, averaged when there are several; optional channels_last; DataLoader workers prepare the
augmented views while the main process trains; --device cuda works where a GPU exists.
"""

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

from kd_grasp_ros.grasp.augment import STRONG
from kd_grasp_ros.grasp.checkpoint import load_model, read_checkpoint, save_checkpoint
from kd_grasp_ros.grasp.data import Scene
from kd_grasp_ros.grasp.evaluate import evaluate
from kd_grasp_ros.grasp.fast_convt import to_fast
from kd_grasp_ros.grasp.loss import grasp_loss
from kd_grasp_ros.grasp.models import build_model
from kd_grasp_ros.grasp.slim_init import init_from_teacher
from kd_grasp_ros.grasp.torch_data import DepthCache, GraspDataset, ViewDataset
from kd_grasp_ros.grasp.visualize import save_history_png

# glibc mallopt parameter numbers (malloc.h).
M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_MAX = -1, -2, -4


DEFAULT_LR = 1e-3  # Adam learning rate of a new run unless TrainConfig.lr says otherwise


@dataclass
class TrainConfig:
    """Hyperparameters of one training (alpha = 0, no teacher) or distillation run."""

    model: str = "ggcnn"
    teacher: str | list[str] | None = None  # one path, or several: their maps are averaged
    alpha: float = 0.0
    epochs: int = 50
    batch_size: int = 8
    lr: float | None = None  # None: DEFAULT_LR for a new run; a resumed run keeps its own rate
    kd_views: int = 0
    max_minutes: float = 0.0
    seed: int = 0
    device: str = "cpu"
    augment: str = "reference"  # reference (GG-CNN paper) | strong (augment.py, for distillation)
    views_per_scene: int = 1  # strong: random views of every scene per epoch
    workers: int = 0  # DataLoader worker processes
    channels_last: bool = False
    fast_train: bool = True
    teacher_range_input: bool = False  # strong: teacher sees the view as a range image, student as z-depth
    kd_peak_weight: float = 0.0  # weight of loss.peak_kd inside the KD term (0: MSE only)
    init_from_teacher: bool = False  # a new run (not a resumed one) starts from the first teacher's channels
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


def train_step(
    model,
    batch: dict,
    optimizer,
    teacher=None,
    alpha: float = 0.0,
    device: str = "cpu",
    channels_last: bool = False,
    peak_weight: float = 0.0,
) -> dict:
    """One optimiser step on a batch; returns grasp_loss's dict."""
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    depth = batch["depth"].to(device, non_blocking=True).contiguous(memory_format=fmt)
    target = batch["target"].to(device, non_blocking=True)
    labeled = batch["labeled"].to(device, non_blocking=True)
    teacher_pred = None
    if teacher is not None and alpha > 0:
        teacher_in = (
            batch["teacher_depth"].to(device, non_blocking=True).contiguous(memory_format=fmt)
            if "teacher_depth" in batch
            else depth
        )
        with torch.no_grad():
            teacher_pred = teacher(teacher_in).contiguous()
    out = grasp_loss(model(depth).contiguous(), target, labeled, teacher_pred, alpha, peak_weight)
    optimizer.zero_grad(set_to_none=True)
    out["loss"].backward()
    optimizer.step()
    return out


def train_one_epoch(
    model,
    loader,
    optimizer,
    teacher=None,
    alpha: float = 0.0,
    device: str = "cpu",
    progress: bool = True,
    desc: str = "train",
    channels_last: bool = False,
    peak_weight: float = 0.0,
) -> dict:
    """One pass over loader; returns the mean of every loss term."""
    model.train()
    totals: dict[str, float] = {}
    n = 0
    for batch in tqdm(loader, desc=desc, disable=not progress, leave=False):
        out = train_step(model, batch, optimizer, teacher, alpha, device, channels_last, peak_weight)
        for k, v in out["losses"].items():
            totals[k] = totals.get(k, 0.0) + v
        totals["loss"] = totals.get("loss", 0.0) + out["loss"].item()
        n += 1
    return {k: v / max(n, 1) for k, v in totals.items()}


class TeacherEnsemble(torch.nn.Module):
    """Several frozen teachers; forward returns the mean of their (B, 4, H, W) maps."""

    def __init__(self, teachers: list[torch.nn.Module]):
        super().__init__()
        self.teachers = torch.nn.ModuleList(teachers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.stack([t(x) for t in self.teachers]).mean(0)


def load_teacher(path: str | list[str], device: str, channels_last: bool = False) -> torch.nn.Module:
    """A frozen teacher (eval mode, no grad) from a checkpoint or a released GG-CNN / GG-CNN2 state dict;
    a list of paths gives their averaged maps (multi-teacher distillation)."""
    paths = [path] if isinstance(path, (str, Path)) else list(path)
    teachers = []
    for p in paths:
        teacher, _ = load_model(p)
        teacher = to_fast(teacher).to(device)  # exact rewrite, faster on CPU
        if channels_last:
            teacher = teacher.to(memory_format=torch.channels_last)
        teachers.append(teacher)
    teacher = teachers[0] if len(teachers) == 1 else TeacherEnsemble(teachers).to(device)
    for p in teacher.parameters():
        p.requires_grad_(False)
    return teacher.eval()


def _worker_init(_: int) -> None:
    import cv2

    torch.set_num_threads(1)
    cv2.setNumThreads(1)


def new_cache(cfg: TrainConfig) -> DepthCache:
    """With teacher_range_input the student trains and validates on z-depth (range images converted)."""
    return DepthCache(as_z="auto") if cfg.teacher_range_input else DepthCache()


def make_loader(cfg: TrainConfig, scenes: list[Scene], cache: DepthCache):
    """(dataset, DataLoader) for cfg.augment; images are read before workers fork so they share them."""
    if cfg.teacher_range_input and cfg.augment != "strong":
        raise ValueError("teacher_range_input needs the strong augmentation")
    if cfg.augment == "strong":
        data = ViewDataset(
            scenes,
            STRONG,
            views_per_scene=cfg.views_per_scene,
            seed=cfg.seed,
            cache=cache,
            teacher_range_input=cfg.teacher_range_input,
        )
    elif cfg.augment == "reference":
        data = GraspDataset(scenes, augment=True, kd_views=cfg.kd_views, seed=cfg.seed, cache=cache)
    else:
        raise ValueError(f"unknown augmentation {cfg.augment!r}; expected 'reference' or 'strong'")
    if cfg.workers > 0:
        cache.preload(scenes)
    loader = DataLoader(
        data,
        batch_size=cfg.batch_size,
        shuffle=True,
        num_workers=cfg.workers,
        pin_memory=str(cfg.device).startswith("cuda"),
        worker_init_fn=_worker_init,
        prefetch_factor=4 if cfg.workers > 0 else None,
        drop_last=len(data) > cfg.batch_size,
        generator=torch.Generator().manual_seed(cfg.seed),
    )
    return data, loader


def build_training(cfg: TrainConfig):
    """(student in training form, Adam optimiser, frozen teacher or None) for cfg."""
    model = build_model(cfg.model).to(cfg.device)
    model.fast_train = cfg.fast_train
    if cfg.channels_last:
        model = model.to(memory_format=torch.channels_last)
    optimizer = torch.optim.Adam(model.parameters(), lr=DEFAULT_LR if cfg.lr is None else cfg.lr)
    teacher = (
        load_teacher(cfg.teacher, cfg.device, cfg.channels_last) if cfg.teacher and cfg.alpha > 0 else None
    )
    return model, optimizer, teacher


INIT_VIEWS = 64  # training views on which init_from_teacher measures the teacher's channels


def start_from_teacher(cfg: TrainConfig, model, data) -> dict[str, list[int]]:
    """Copy the first teacher's most important channels into model (slim_init), measured on the first
    INIT_VIEWS training views of epoch 0."""
    first = cfg.teacher if isinstance(cfg.teacher, (str, Path)) else cfg.teacher[0]
    teacher, _ = load_model(first)
    if hasattr(data, "set_epoch"):
        data.set_epoch(0)
    views = torch.stack([data[i]["depth"] for i in range(min(INIT_VIEWS, len(data)))])
    return init_from_teacher(model, teacher, views)  # copies into model wherever it lives


def fit(
    cfg: TrainConfig,
    train_scenes: list[Scene],
    val_scenes: list[Scene],
    out_dir: Path,
    resume: str | None = None,
    progress: bool = True,
) -> dict:
    """Train cfg.model; writes last.pt, best.pt (highest validation accuracy, ties to the later epoch),
    history.json and history.png in out_dir."""
    set_seed(cfg.seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    ckpt = read_checkpoint(resume) if resume else None
    ran_at = ckpt["optimizer"]["param_groups"][0]["lr"] if ckpt else DEFAULT_LR
    if cfg.lr is None:  # no rate given: a new run starts at DEFAULT_LR, a resumed one keeps its own
        cfg.lr = ran_at
    model, optimizer, teacher = build_training(cfg)
    cache = new_cache(cfg)
    data, loader = make_loader(cfg, train_scenes, cache)
    start_epoch, best_acc, history = 0, -1.0, []
    if ckpt:
        model.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        for group in optimizer.param_groups:  # a rate given when resuming is a step in the schedule
            group["lr"] = cfg.lr
        start_epoch, best_acc = ckpt["epoch"] + 1, ckpt["best_val_accuracy"]
        history = [{**h, "lr": h.get("lr", ran_at)} for h in ckpt["history"]]  # saved before "lr" was kept
        previous = ckpt.get("training", {}).get("extra", {})
        commands = previous.get("commands", [previous.get("command")])
        cfg.extra["commands"] = commands + [cfg.extra.get("command")]
    elif cfg.init_from_teacher:
        if not cfg.teacher:
            raise ValueError("init_from_teacher needs a teacher")
        cfg.extra["kept_teacher_channels"] = start_from_teacher(cfg, model, data)
    t0 = time.monotonic()
    spent_before = history[-1]["elapsed_s"] if history else 0.0
    for epoch in range(start_epoch, cfg.epochs):
        if hasattr(data, "set_epoch"):
            data.set_epoch(epoch)
        losses = train_one_epoch(
            model,
            loader,
            optimizer,
            teacher,
            cfg.alpha,
            cfg.device,
            progress,
            desc=f"{cfg.model} epoch {epoch}",
            channels_last=cfg.channels_last,
            peak_weight=cfg.kd_peak_weight,
        )
        val = evaluate(model, val_scenes, cache, device=cfg.device)
        elapsed = spent_before + time.monotonic() - t0
        history.append(
            {
                "epoch": epoch,
                "val_accuracy": val.accuracy,
                "val_n": val.n,
                "elapsed_s": elapsed,
                "lr": cfg.lr,
                **losses,
            }
        )
        improved = val.accuracy >= best_acc  # ties go to the later (longer trained) epoch
        best_acc = max(best_acc, val.accuracy)
        extra = {
            "epoch": epoch,
            "metrics": {"val_accuracy": val.accuracy, "val_n": val.n, **losses},
            "training": asdict(cfg),
            "best_val_accuracy": best_acc,
            "history": history,
        }
        save_checkpoint(out_dir / "last.pt", model, optimizer=optimizer.state_dict(), **extra)
        if improved:
            save_checkpoint(out_dir / "best.pt", model, **extra)
        (out_dir / "history.json").write_text(json.dumps(history, indent=1))
        save_history_png({cfg.model: history}, out_dir / "history.png")
        tqdm.write(
            f"epoch {epoch}: loss {losses['loss']:.4f} val_acc {val.accuracy:.3f} "
            f"best {best_acc:.3f} ({elapsed / 60:.1f} min)"
        )
        if cfg.max_minutes and elapsed > cfg.max_minutes * 60:
            tqdm.write(f"time budget of {cfg.max_minutes} min reached after epoch {epoch}")
            break
    return {"best_val_accuracy": best_acc, "epochs": len(history), "out_dir": str(out_dir)}
