"""Raw-depth statistics on transparent objects: the classes of a constructed frame, the command on the
real ClearGrasp frames in ../shared, and the sensor-model fit recovering the values that made a frame."""

from __future__ import annotations

import json

import numpy as np
import pytest

from kd_grasp_ros.cli import main
from kd_grasp_ros.depth.sensor_stats import CLASSES, fit_sensor_model, pixel_classes, rim_band


def test_each_mask_pixel_falls_in_exactly_one_class():
    gt = np.full((4, 5), 0.60, np.float32)
    raw = np.array(
        [
            [0.0, np.nan, -1.0, 0.60, 0.605],  # missing x3 (0, NaN, negative), surface x2
            [0.70, 0.62, 0.59, 0.55, 0.0],  # see-through (+10 cm), see-through (+2 cm), surface, in front
            [0.60, 0.60, 0.60, 0.60, 0.60],
            [0.60, 0.60, 0.60, 0.60, 0.60],
        ],
        np.float32,
    )
    mask = np.zeros((4, 5), bool)
    mask[:2] = True
    classes = pixel_classes(raw, gt, mask)
    assert sum(c.astype(int) for c in classes.values()).tolist()[:2] == [[1] * 5] * 2
    assert sum(c.sum() for c in classes.values()) == mask.sum()
    assert classes["missing"][0, :3].all() and classes["missing"][1, 4]
    assert classes["see_through"][1, :2].all() and classes["in_front"][1, 3]
    assert classes["surface"][0, 3:].all() and classes["surface"][1, 2]


def test_rim_is_the_border_band_of_the_mask():
    mask = np.zeros((200, 300), bool)
    mask[50:150, 100:200] = True
    rim = rim_band(mask)  # 1 % of 300 px = 3 px
    assert rim[50:53, 100:200].all() and rim[100, 100:103].all()
    assert not rim[56:144, 106:194].any() and not (rim & ~mask).any()


def _model_frame(p_missing, p_see_through, extra_holes, rng, n=200_000):
    """Shares drawn the way the simulator draws them: classes, then independent extra holes."""
    u = rng.random(n)
    cls = np.where(u < p_missing, 0, np.where(u < p_missing + p_see_through, 1, 3))
    cls[rng.random(n) < extra_holes] = 0
    shares = {c: float(np.mean(cls == i)) for i, c in enumerate(CLASSES)}
    return {"mask": shares, "surface_error": {"robust_std_m": 0.005}}


def test_the_fit_recovers_the_values_that_made_the_real_shares():
    rng = np.random.default_rng(0)
    current = {
        "transparent_missing": 0.35,
        "transparent_see_through": 0.40,
        "transparent_surface_noise": 0.004,
    }
    sim = _model_frame(0.35, 0.40, 0.2, rng)
    real = _model_frame(0.25, 0.55, 0.2, rng)
    fitted = fit_sensor_model(real, sim, current)
    assert fitted["transparent_missing"] == pytest.approx(0.25, abs=0.01)
    assert fitted["transparent_see_through"] == pytest.approx(0.55, abs=0.01)
    assert fitted["transparent_surface_noise"] == pytest.approx(0.004, abs=1e-4)  # same noise as sim


@pytest.mark.timeout(120)
def test_command_on_the_shared_real_frames(shared_dir, tmp_path, capsys):
    real = shared_dir / "data" / "cleargrasp-sample" / "real-val" / "d435"
    out = tmp_path / "sensor_stats.json"
    assert main(["depth", "sensor-stats", "--real", str(real), "--sim", str(real), "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    assert out.with_suffix(".png").stat().st_size > 10_000
    stats = report["datasets"]["real d435"]
    assert stats["scenes"] == 2 and len(stats["per_scene"]) == 2
    for region in ("mask", "rim", "interior"):
        assert sum(stats[region][c] for c in CLASSES) == pytest.approx(1.0)
    assert stats["rim"]["pixels"] + stats["interior"]["pixels"] == stats["mask"]["pixels"]
    # on a RealSense D435 most glass pixels are holes or read the table behind
    assert stats["mask"]["missing"] + stats["mask"]["see_through"] > 0.6
    fitted = report["fitted_sensor"]
    assert set(fitted) == {"transparent_missing", "transparent_see_through", "transparent_surface_noise"}
    assert "fitted to the real frames" in capsys.readouterr().out
