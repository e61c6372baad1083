"""`kd-grasp depth sensor-stats`: what raw depth does inside transparent-object masks, real vs simulated.

Every transparent-mask pixel with valid ground truth falls in one class:
- missing: no raw depth (0, NaN, negative or out of range);
- see-through: raw depth further than the true surface by more than max(SEE_THROUGH_MIN_M,
  SEE_THROUGH_REL x depth): the sensor read what is behind the object;
- in front: nearer by more than the same margin (flying pixels, reflections);
- surface: the rest, a reading of the object's surface, whose error raw - truth is summarised.
The shares are given for the whole mask, its rim (the mask pixels within RIM_FRACTION x image width of
the mask's border) and its interior. `fit_sensor_model` turns the real and simulated shares into the
values of config/sim.yaml's `sensor` section under which the simulator (sim/sensor.py) would match the
real frames.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from kd_grasp_ros.depth.baselines import raw_depth_baseline
from kd_grasp_ros.depth.data import ClearGraspDataset

SEE_THROUGH_MIN_M = 0.01
SEE_THROUGH_REL = 0.02
RIM_FRACTION = 0.01
CLASSES = ("missing", "see_through", "in_front", "surface")
ERROR_BINS_M = np.linspace(-0.05, 0.05, 41)
MAD_TO_STD = 1.4826  # standard deviation of a normal distribution per median absolute deviation


def pixel_classes(raw: np.ndarray, gt: np.ndarray, mask: np.ndarray) -> dict[str, np.ndarray]:
    """Boolean maps of the four classes over the mask pixels with valid ground truth."""
    raw = raw_depth_baseline(raw)
    scored = mask & (gt > 0)
    margin = np.maximum(SEE_THROUGH_MIN_M, SEE_THROUGH_REL * gt)
    present = scored & (raw > 0)
    see_through = present & (raw - gt > margin)
    in_front = present & (gt - raw > margin)
    return {
        "missing": scored & (raw <= 0),
        "see_through": see_through,
        "in_front": in_front,
        "surface": present & ~see_through & ~in_front,
    }


def rim_band(mask: np.ndarray) -> np.ndarray:
    """The mask pixels within RIM_FRACTION x the image width of the mask's border."""
    width = max(1, round(RIM_FRACTION * mask.shape[1]))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * width + 1, 2 * width + 1))
    inner = cv2.erode(mask.astype(np.uint8), kernel, borderType=cv2.BORDER_CONSTANT, borderValue=1) > 0
    return mask & ~inner


def _shares(counts: dict[str, int]) -> dict[str, float]:
    total = sum(counts.values())
    return {k: (v / total if total else float("nan")) for k, v in counts.items()} | {"pixels": total}


def dataset_stats(root: Path, layout: str | None = None, limit: int = 0) -> dict:
    """The class shares (mask, rim, interior) and surface-error summary over the scenes under root."""
    dataset = ClearGraspDataset(root, layout=layout)
    indices = range(len(dataset) if limit <= 0 else min(limit, len(dataset)))
    counts = {region: dict.fromkeys(CLASSES, 0) for region in ("mask", "rim", "interior")}
    errors, per_scene = [], []
    for i in tqdm(indices, desc=f"sensor stats {root.name}", leave=False):
        s = dataset[i]
        classes = pixel_classes(s.raw_depth, s.gt_depth, s.mask)
        rim = rim_band(s.mask)
        for region, where in (("mask", s.mask), ("rim", rim), ("interior", s.mask & ~rim)):
            for name, pixels in classes.items():
                counts[region][name] += int((pixels & where).sum())
        errors.append((s.raw_depth - s.gt_depth)[classes["surface"]])
        scene = {name: int(pixels.sum()) for name, pixels in classes.items()}
        per_scene.append({"scene": s.name, **_shares(scene)})
    error = np.concatenate(errors) if errors else np.zeros(0)
    summary = (
        {
            "median_m": float(np.median(error)),
            "robust_std_m": float(MAD_TO_STD * np.median(np.abs(error - np.median(error)))),
            "p05_m": float(np.percentile(error, 5)),
            "p95_m": float(np.percentile(error, 95)),
            "histogram": np.histogram(error, ERROR_BINS_M)[0].tolist(),
        }
        if error.size
        else {}
    )
    return {
        "data": str(root),
        "scenes": len(indices),
        **{region: _shares(c) for region, c in counts.items()},
        "surface_error": summary,
        "per_scene": per_scene,
    }


def fit_sensor_model(real: dict, sim: dict, current: dict[str, float]) -> dict[str, float]:
    """config/sim.yaml `sensor` values under which the simulator's transparent pixels would show the
    real frames' shares, from the shares the current values produce (`sim`, measured on frames the
    simulator made with `current`).

    Model: the simulator first draws each transparent pixel missing (p_m), see-through (p_s) or surface;
    edge dropout and specular holes then remove a further share q of the pixels independently. So the
    measured missing share is 1 - (1 - p_m)(1 - q), the see-through share p_s (1 - q). q is solved from
    the simulated frames and kept; p_m and p_s are solved for the real shares. The surface noise adds in
    quadrature to the sensor's own noise, which is solved the same way.
    """
    kept = (1.0 - sim["mask"]["missing"]) / (1.0 - current["transparent_missing"])
    missing = 1.0 - (1.0 - real["mask"]["missing"]) / kept
    see_through = real["mask"]["see_through"] / kept
    if missing + see_through > 1.0:  # the real shares leave no surface the model could draw
        missing, see_through = missing / (missing + see_through), see_through / (missing + see_through)
    own = max(0.0, sim["surface_error"]["robust_std_m"] ** 2 - current["transparent_surface_noise"] ** 2)
    noise = max(0.0, real["surface_error"]["robust_std_m"] ** 2 - own) ** 0.5
    return {
        "transparent_missing": round(min(1.0, max(0.0, missing)), 3),
        "transparent_see_through": round(min(1.0, max(0.0, see_through)), 3),
        "transparent_surface_noise": round(noise, 4),
    }


def save_plot(path: Path, stats_by_name: dict[str, dict]) -> None:
    """One PNG: the class shares on rim and interior per dataset, and the surface-error histograms."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (bars, hist) = plt.subplots(1, 2, figsize=(12, 4.2))
    names = list(stats_by_name)
    groups = [(n, region) for n in names for region in ("rim", "interior")]
    bottom = np.zeros(len(groups))
    for cls, colour in zip(CLASSES, ("0.3", "tab:orange", "tab:purple", "tab:green"), strict=True):
        values = np.array([100.0 * stats_by_name[n][region][cls] for n, region in groups])
        bars.bar(range(len(groups)), values, bottom=bottom, color=colour, label=cls.replace("_", "-"))
        bottom += values
    bars.set_xticks(range(len(groups)), [f"{n}\n{r}" for n, r in groups], fontsize=8)
    bars.set_ylabel("% of transparent-mask pixels")
    bars.set_title("raw depth on transparent objects")
    bars.legend(fontsize=8, loc="lower right")
    centres = 100.0 * (ERROR_BINS_M[:-1] + ERROR_BINS_M[1:]) / 2
    for n in names:
        counts = np.array(stats_by_name[n]["surface_error"].get("histogram", np.zeros(len(centres))), float)
        if counts.sum():
            hist.plot(centres, counts / counts.sum(), label=f"{n} ({stats_by_name[n]['scenes']} scenes)")
    hist.set_xlabel("raw - true depth of surface readings (cm)")
    hist.set_ylabel("share of surface readings")
    hist.set_title("error where the surface is read")
    hist.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def run(real: Path, sim: Path | None, limit: int, out: Path, current: dict[str, float]) -> dict:
    """Statistics of the real frames and (optionally) the simulator's, the simulator's sensor values
    fitted to the real frames when both are given (`current`: the values the simulated frames were
    made with), JSON at out and a PNG beside it."""
    stats = {f"real {real.name}": dataset_stats(real, "real", limit)}
    if sim is not None:
        stats[f"sim {sim.parent.name}"] = dataset_stats(sim, "real", limit)
    report = {
        "definitions": {
            "see_through_margin": f"max({SEE_THROUGH_MIN_M} m, {SEE_THROUGH_REL} x true depth)",
            "rim": f"mask pixels within {RIM_FRACTION} x image width of the mask border",
        },
        "datasets": stats,
        "sim_sensor": current,
    }
    if sim is not None:
        real_stats, sim_stats = stats.values()
        report["fitted_sensor"] = fit_sensor_model(real_stats, sim_stats, current)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    save_plot(out.with_suffix(".png"), stats)
    return report


def format_report(report: dict) -> str:
    """A plain-text table of the shares (percent) and the surface error per dataset and region."""
    lines = [f"{'dataset':<24}{'region':<10}{'pixels':>10}" + "".join(f"{c:>13}" for c in CLASSES)]
    for name, s in report["datasets"].items():
        for region in ("mask", "rim", "interior"):
            row = s[region]
            cells = "".join(f"{100.0 * row[c]:>12.1f}%" for c in CLASSES)
            lines.append(f"{name:<24}{region:<10}{row['pixels']:>10}" + cells)
        err = s["surface_error"]
        if err:
            lines.append(
                f"{name:<24}surface error median {100 * err['median_m']:.2f} cm, robust std "
                f"{100 * err['robust_std_m']:.2f} cm, 5-95% {100 * err['p05_m']:.2f}.."
                f"{100 * err['p95_m']:.2f} cm"
            )
    lines.append(f"simulator sensor (config/sim.yaml): {report['sim_sensor']}")
    if "fitted_sensor" in report:
        lines.append(f"fitted to the real frames: {report['fitted_sensor']}")
    return "\n".join(lines)
