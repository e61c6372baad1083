"""The one hybrid loss of the grasp area, shared by training, validation and distillation.

L = (1 - alpha) * L_GT + alpha * L_KD, each the sum of the MSEs over (Q, cos 2θ, sin 2θ, width).
L_GT is averaged over labeled samples only; L_KD over every sample, so unlabeled depth images
contribute the KD term only. The teacher's maps are computed by the caller under torch.no_grad().

Opt-in (peak_weight > 0): L_KD gains peak_weight * peak_kd, the KL divergence between the teacher's and
the student's quality maps each turned into a distribution over pixels (softmax at KD_PEAK_TEMPERATURE).
The MSE weighs every pixel alike; this term weighs where the teacher's best grasp is, which decides the
top-1 grasp (docs/grasp/distillation-transfer.md, session 9: lower map MSE did not raise top-1 agreement).
"""

from __future__ import annotations

import torch
from torch.nn import functional as F

from kd_grasp_ros.grasp.constants import KD_PEAK_TEMPERATURE, OUTPUT_NAMES


def _per_channel_mse(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """(4,) MSE per output channel over the samples where mask is True."""
    if not bool(mask.any()):
        return pred.new_zeros(len(OUTPUT_NAMES))
    return F.mse_loss(pred[mask], target[mask], reduction="none").mean(dim=(0, 2, 3))


def peak_kd(pred: torch.Tensor, teacher_pred: torch.Tensor) -> torch.Tensor:
    """Mean over the batch of KL(teacher || student) between softmax(quality / KD_PEAK_TEMPERATURE) over
    each map's pixels: 0 when the quality maps are equal up to a constant."""
    student = F.log_softmax(pred[:, 0].flatten(1) / KD_PEAK_TEMPERATURE, dim=1)
    teacher = F.log_softmax(teacher_pred[:, 0].flatten(1) / KD_PEAK_TEMPERATURE, dim=1)
    return F.kl_div(student, teacher, reduction="batchmean", log_target=True)


def grasp_loss(
    pred: torch.Tensor,
    target: torch.Tensor | None = None,
    labeled: torch.Tensor | None = None,
    teacher_pred: torch.Tensor | None = None,
    alpha: float = 0.0,
    peak_weight: float = 0.0,
) -> dict:
    """{'loss': scalar, 'losses': {name: float}, 'pred': pred} for (B, 4, H, W) network maps.

    target: ground-truth maps (B, 4, H, W) or None; labeled: (B,) bool, which samples have targets
    (default all if target is given); teacher_pred: frozen teacher maps, needed when alpha > 0;
    peak_weight: weight of peak_kd inside L_KD (0: the plain MSE hybrid loss).
    """
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1], got {alpha}")
    batch = pred.shape[0]
    if labeled is None:
        labeled = torch.full((batch,), target is not None, dtype=torch.bool, device=pred.device)
    if target is None and bool(labeled.any()):
        raise ValueError("labeled samples need a target")
    if alpha > 0 and teacher_pred is None:
        raise ValueError(f"alpha={alpha} needs teacher_pred")
    gt = _per_channel_mse(pred, target, labeled) if target is not None else pred.new_zeros(len(OUTPUT_NAMES))
    everyone = torch.ones(batch, dtype=torch.bool, device=pred.device)
    kd = _per_channel_mse(pred, teacher_pred, everyone) if teacher_pred is not None else torch.zeros_like(gt)
    loss_gt, loss_kd = gt.sum(), kd.sum()
    peak = peak_kd(pred, teacher_pred) if peak_weight > 0 and teacher_pred is not None else None
    if peak is not None:
        loss_kd = loss_kd + peak_weight * peak
    loss = (1.0 - alpha) * loss_gt + alpha * loss_kd
    gt, kd = gt.detach(), kd.detach()
    losses = {"gt": float(loss_gt.detach()), "kd": float(kd.sum())}  # "kd": the map MSEs alone
    if peak is not None:
        losses["kd_peak"] = float(peak.detach())
    losses.update({f"gt_{n}": float(v) for n, v in zip(OUTPUT_NAMES, gt, strict=True)})
    losses.update({f"kd_{n}": float(v) for n, v in zip(OUTPUT_NAMES, kd, strict=True)})
    return {"loss": loss, "losses": losses, "pred": pred}
