"""PNG pictures of grasp results: depth crop with true (green) and predicted (red) rectangles, and Q map."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from kd_grasp_ros.grasp.postprocess import grasp_rectangle  # noqa: E402


def _draw(ax, rect, color, lw):
    pts = rect.points[[0, 1, 2, 3, 0]]
    ax.plot(pts[:, 1], pts[:, 0], color=color, linewidth=lw)
    ax.plot(rect.points[:2, 1], rect.points[:2, 0], color=color, linewidth=lw + 1)  # jaw-axis edge


def save_result_png(result, path: str | Path, title: str = "") -> Path:
    """One evaluation SceneResult (with maps) as a two-panel PNG."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig, axes = plt.subplots(1, 2, figsize=(8, 4.2))
    axes[0].imshow(result.sample.depth, cmap="gray")
    for rect in result.sample.rectangles:
        _draw(axes[0], rect, "lime", 0.8)
    for g in result.grasps:
        _draw(axes[0], grasp_rectangle(g), "red", 1.5)
    axes[0].set_title(f"{result.scene.name}: {'success' if result.success else 'failure'}")
    if result.maps is not None:
        im = axes[1].imshow(result.maps.quality, cmap="viridis", vmin=0, vmax=1)
        fig.colorbar(im, ax=axes[1], fraction=0.046)
    axes[1].set_title("quality Q")
    for ax in axes:
        ax.axis("off")
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def save_history_png(histories: dict[str, list[dict]], path: str | Path) -> Path:
    """Training curves (loss and validation accuracy per epoch) of one or several runs."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(9, 3.5))
    for name, history in histories.items():
        epochs = [h["epoch"] for h in history]
        ax_loss.plot(epochs, [h["loss"] for h in history], label=name)
        ax_acc.plot(epochs, [h["val_accuracy"] for h in history], label=name)
    ax_loss.set(xlabel="epoch", ylabel="training loss", yscale="log")
    ax_acc.set(xlabel="epoch", ylabel="validation accuracy", ylim=(0, 1))
    ax_acc.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path
