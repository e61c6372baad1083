"""The one depth metric module: the ClearGrasp protocol.

Scored pixels: valid ground truth (finite, > 0) inside the transparent-object mask. Per image: RMSE (m),
REL = mean |d - d*| / d*, MAE (m), delta_t = % of scored pixels with max(d/d*, d*/d) < t for t in
DELTA_THRESHOLDS, and coverage = % of scored pixels where the method gives any depth. Images without a
scored pixel are skipped; the dataset value is the mean over images. A missing prediction (0 or NaN,
e.g. the raw sensor's holes) is scored as depth 0: it adds d* to the errors and fails every delta.
Resolutions: OFFICIAL_EVAL_SIZE (256x144, prediction, truth and mask resized with nearest, as the
official script does) and the native ground-truth resolution ("full").
"""

from __future__ import annotations

from collections import defaultdict

import cv2
import numpy as np

from kd_grasp_ros.depth.constants import DELTA_THRESHOLDS, OFFICIAL_EVAL_SIZE

METRIC_KEYS = ("rmse", "rel", "mae", *(f"delta_{t:.2f}" for t in DELTA_THRESHOLDS), "coverage")


def resize_nearest(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Nearest-neighbour resize to size (width, height); bool arrays stay bool."""
    if image.dtype == bool:
        return cv2.resize(image.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST) > 0
    return cv2.resize(image, size, interpolation=cv2.INTER_NEAREST)


def image_metrics(pred: np.ndarray, gt: np.ndarray, mask: np.ndarray) -> dict[str, float] | None:
    """ClearGrasp metrics of one image (arrays of equal HxW shape), or None if no pixel is scored."""
    if not (pred.shape == gt.shape == mask.shape):
        raise ValueError(f"pred {pred.shape}, truth {gt.shape} and mask {mask.shape} must have one shape")
    scored = np.isfinite(gt) & (gt > 0) & mask.astype(bool)
    if not scored.any():
        return None
    d_true = gt[scored].astype(np.float64)
    d = np.nan_to_num(pred[scored].astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0).clip(min=0.0)
    err = d - d_true
    with np.errstate(divide="ignore"):
        ratio = np.maximum(d / d_true, np.where(d > 0, d_true / np.where(d > 0, d, 1.0), np.inf))
    out = {
        "rmse": float(np.sqrt(np.mean(err**2))),
        "rel": float(np.mean(np.abs(err) / d_true)),
        "mae": float(np.mean(np.abs(err))),
    }
    for t in DELTA_THRESHOLDS:
        out[f"delta_{t:.2f}"] = float(100.0 * np.mean(ratio < t))
    out["coverage"] = float(100.0 * np.mean(d > 0))
    return out


def official_metrics(pred: np.ndarray, gt: np.ndarray, mask: np.ndarray) -> dict[str, float] | None:
    """image_metrics after resizing all three to OFFICIAL_EVAL_SIZE with nearest."""
    return image_metrics(*(resize_nearest(a, OFFICIAL_EVAL_SIZE) for a in (pred, gt, mask)))


class MetricAccumulator:
    """Collects per-image metrics per (method, resolution) and averages them over images."""

    def __init__(self):
        self._rows: dict[tuple[str, str], list[dict[str, float]]] = defaultdict(list)

    def add(self, method: str, pred: np.ndarray, gt: np.ndarray, mask: np.ndarray) -> dict[str, float] | None:
        """Score one image at the official resolution and at full resolution; returns the official row
        (None if the image has no scored pixel)."""
        rows = {}
        for resolution, fn in (("official", official_metrics), ("full", image_metrics)):
            rows[resolution] = fn(pred, gt, mask)
            if rows[resolution] is not None:
                self._rows[(method, resolution)].append(rows[resolution])
        return rows["official"]

    def summary(self) -> dict[str, dict[str, dict[str, float]]]:
        """{method: {resolution: {'n': images, metric: mean over images}}}."""
        out: dict[str, dict[str, dict[str, float]]] = defaultdict(dict)
        for (method, resolution), rows in self._rows.items():
            out[method][resolution] = {
                "n": len(rows),
                **{k: float(np.mean([r[k] for r in rows])) for k in METRIC_KEYS},
            }
        return dict(out)
