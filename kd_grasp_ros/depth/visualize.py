"""Side-by-side PNGs of depth completion: colour, raw, each method, truth, error of the last method."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

ERROR_VMAX_M = 0.10  # colour-scale top of the error panel (metres)


def save_comparison(
    path: Path,
    rgb: np.ndarray,
    raw: np.ndarray,
    predictions: dict[str, np.ndarray],
    gt: np.ndarray,
    mask: np.ndarray,
    title: str = "",
) -> None:
    """One row: colour | raw | each prediction | truth | |error| of the last prediction on the mask."""
    valid_gt = gt[gt > 0]
    lo, hi = (np.percentile(valid_gt, 1), np.percentile(valid_gt, 99)) if valid_gt.size else (0.0, 1.0)
    last_name, last = list(predictions.items())[-1]
    error = np.where(mask & (gt > 0), np.abs(last - gt), np.nan)
    panels = [("colour", rgb, None), ("raw depth", np.where(raw > 0, raw, np.nan), "depth")]
    panels += [(name, pred, "depth") for name, pred in predictions.items()]
    panels += [
        ("truth", np.where(gt > 0, gt, np.nan), "depth"),
        (f"|{last_name} - truth| on mask", error, "error"),
    ]
    fig, axes = plt.subplots(
        1, len(panels), figsize=(2.6 * len(panels), 2.6 * rgb.shape[0] / rgb.shape[1] + 0.6)
    )
    for ax, (name, image, kind) in zip(axes, panels, strict=True):
        if kind is None:
            ax.imshow(image)
        elif kind == "depth":
            ax.imshow(image, cmap="viridis", vmin=lo, vmax=hi)
        else:
            ax.imshow(np.zeros_like(gt), cmap="gray", vmin=0, vmax=1)
            im = ax.imshow(image, cmap="magma", vmin=0.0, vmax=ERROR_VMAX_M)
            fig.colorbar(im, ax=ax, fraction=0.046, pad=0.02, label="m")
        ax.set_title(name, fontsize=8)
        ax.axis("off")
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
