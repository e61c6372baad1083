"""The one depth loss: ground truth plus DistillGrasp's distillation terms, shared by train/distill/val.

All maps are Bx1xHxW depth in metres with 0 (or NaN) = invalid; an invalid pixel of either map never
counts. Terms (each exactly 0 for identical inputs, positive otherwise):

- gt: L1 of log depth to the ground truth, pixels of the transparent mask weighted `mask_weight`
  times more (they are the point of the task and a small share of the image).
- si (distillation): scale-invariant log loss (Eigen et al. 2014) between student and teacher,
  mean(g^2) - lambda * mean(g)^2 with g = log s - log t; lambda < 1 keeps a small penalty on a pure
  scale error.
- ssim (distillation, structure): (1 - SSIM) / 2 of the depths divided by the target's median (so
  values are positive and near 1 whatever the scene distance), 3x3 windows, masked mean.
- edge (distillation): L1 between the Sobel gradients of the student's and the teacher's log depth
  (zero for a constant log offset; the si term covers that case).

total = gt_weight * gt + si_weight * si + ssim_weight * ssim + edge_weight * edge, where the
distillation terms are only computed when a teacher prediction is given.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from kd_grasp_ros.depth.preprocess import valid_depth

SSIM_C1 = 0.01**2
SSIM_C2 = 0.03**2
EPS = 1e-6


@dataclass
class DepthLossConfig:
    """Weights of the loss terms."""

    gt_weight: float = 1.0
    mask_weight: float = 5.0
    si_weight: float = 1.0
    si_lambda: float = 0.85
    ssim_weight: float = 0.5
    edge_weight: float = 0.5


def _log(depth: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    return torch.log(torch.where(valid, depth, torch.ones_like(depth)))


def _masked_mean(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    return (x * weight).sum() / weight.sum().clamp_min(EPS)


def gt_loss(
    pred: torch.Tensor, gt: torch.Tensor, mask: torch.Tensor | None = None, mask_weight: float = 1.0
) -> torch.Tensor:
    """Weighted L1 of log depth over valid ground truth (and valid prediction)."""
    valid = valid_depth(gt) & valid_depth(pred)
    weight = valid.float()
    if mask is not None:
        weight = weight * (1.0 + (mask_weight - 1.0) * mask.float())
    return _masked_mean((_log(pred, valid) - _log(gt, valid)).abs(), weight)


def scale_invariant_loss(pred: torch.Tensor, target: torch.Tensor, lam: float = 0.85) -> torch.Tensor:
    """Eigen's scale-invariant log loss, per image over pixels valid in both, averaged over the batch."""
    valid = (valid_depth(pred) & valid_depth(target)).float()
    g = (_log(pred, valid > 0) - _log(target, valid > 0)) * valid
    n = valid.flatten(1).sum(1).clamp_min(1.0)
    mean_sq = (g**2).flatten(1).sum(1) / n
    mean = g.flatten(1).sum(1) / n
    return (mean_sq - lam * mean**2).mean()


def ssim_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """(1 - SSIM) / 2 of median-normalised depths in 3x3 windows, over windows wholly valid in both."""
    valid = (valid_depth(pred) & valid_depth(target)).float()
    scale = torch.nanmedian(torch.where(valid > 0, target, float("nan")).flatten(1), dim=1).values
    scale = torch.where(torch.isfinite(scale), scale, torch.ones_like(scale)).view(-1, 1, 1, 1)
    x, y = torch.nan_to_num(pred) * valid / scale, torch.nan_to_num(target) * valid / scale
    pool = lambda t: F.avg_pool2d(t, 3, 1, 0)  # noqa: E731
    mu_x, mu_y = pool(x), pool(y)
    var_x, var_y = pool(x * x) - mu_x**2, pool(y * y) - mu_y**2
    cov = pool(x * y) - mu_x * mu_y
    ssim = ((2 * mu_x * mu_y + SSIM_C1) * (2 * cov + SSIM_C2)) / (
        (mu_x**2 + mu_y**2 + SSIM_C1) * (var_x + var_y + SSIM_C2)
    )
    window_valid = (pool(valid) > 1.0 - EPS).float()
    return _masked_mean(((1.0 - ssim) / 2.0).clamp(0.0, 1.0), window_valid)


def _sobel(x: torch.Tensor) -> torch.Tensor:
    kx = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]], device=x.device) / 8.0
    kernels = torch.stack([kx, kx.t()]).unsqueeze(1)
    return F.conv2d(x, kernels)


def edge_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """L1 between Sobel gradients of the log depths, over 3x3 windows wholly valid in both."""
    valid = (valid_depth(pred) & valid_depth(target)).float()
    diff = (_sobel(_log(pred, valid > 0)) - _sobel(_log(target, valid > 0))).abs().sum(1, keepdim=True)
    window_valid = (F.avg_pool2d(valid, 3, 1, 0) > 1.0 - EPS).float()
    return _masked_mean(diff, window_valid)


class DepthLoss(torch.nn.Module):
    """compute(pred, gt, mask, teacher=None) -> {'loss': total, 'losses': {term: value}}."""

    def __init__(self, cfg: DepthLossConfig | None = None):
        super().__init__()
        self.cfg = cfg or DepthLossConfig()

    def forward(
        self,
        pred: torch.Tensor,
        gt: torch.Tensor,
        mask: torch.Tensor | None = None,
        teacher: torch.Tensor | None = None,
    ) -> dict:
        c = self.cfg
        losses = {"gt": gt_loss(pred, gt, mask, c.mask_weight)}
        total = c.gt_weight * losses["gt"]
        if teacher is not None:
            teacher = teacher.detach()
            losses["si"] = scale_invariant_loss(pred, teacher, c.si_lambda)
            losses["ssim"] = ssim_loss(pred, teacher)
            losses["edge"] = edge_loss(pred, teacher)
            total = (
                total
                + c.si_weight * losses["si"]
                + c.ssim_weight * losses["ssim"]
                + c.edge_weight * losses["edge"]
            )
        return {"loss": total, "losses": {k: v.detach() for k, v in losses.items()}}
