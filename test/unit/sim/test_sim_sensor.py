"""Sensor model (noise grows with distance, transparency corrupts only its mask) and the glass look."""

import dataclasses

import numpy as np
import pytest

from kd_grasp_ros.sim.config import load_sim_config
from kd_grasp_ros.sim.glass import composite_glass
from kd_grasp_ros.sim.sensor import SensorInputError, simulate_raw_depth

FX = 615.0


def _scene(shape=(120, 160)):
    """A table at 0.7 m, a box at 0.6 m and a transparent object at 0.62 m (background 0.7 m)."""
    true = np.full(shape, 0.7, np.float32)
    true[20:60, 20:60] = 0.6
    mask = np.zeros(shape, bool)
    mask[50:110, 90:150] = True
    true[mask] = 0.62
    background = true.copy()
    background[mask] = 0.7
    rgb = np.full((*shape, 3), 120, np.uint8)
    rgb_background = rgb.copy()
    rgb[70:75, 100:105] = 250  # a specular highlight on the transparent object
    return true, background, mask, rgb, rgb_background


def test_transparency_corruption_stays_inside_the_mask():
    cfg = load_sim_config().sensor
    clean = dataclasses.replace(cfg, transparent_missing=0.0, transparent_see_through=0.0)
    true, background, mask, rgb, rgb_bg = _scene()
    raw = simulate_raw_depth(true, background, mask, rgb, rgb_bg, FX, cfg, np.random.default_rng(3))
    ref = simulate_raw_depth(true, background, mask, rgb, rgb_bg, FX, clean, np.random.default_rng(3))
    differs = raw != ref
    assert not differs[~mask].any()
    assert differs[mask].mean() > 0.5
    inside = raw[mask]
    missing = np.mean(inside == 0)
    see_through = np.mean(np.abs(inside - 0.7) < 0.01)
    assert 0.2 < missing < 0.6 and 0.2 < see_through < 0.6
    assert np.all(raw[70:75, 100:105] == 0)  # the highlight is a hole


def test_noise_grows_with_the_square_of_distance():
    cfg = dataclasses.replace(load_sim_config().sensor, depth_unit=0.0, edge_dropout=0.0, stereo_shadow=False)
    empty = np.zeros((200, 200), bool)
    rgb = np.zeros((200, 200, 3), np.uint8)
    stds = []
    for z in (0.5, 1.0):
        plane = np.full((200, 200), z, np.float32)
        raw = simulate_raw_depth(plane, plane, empty, rgb, rgb, FX, cfg, np.random.default_rng(0))
        stds.append(float(np.std(raw - z)))
    expected = 0.5**2 * cfg.subpixel_rms / (FX * cfg.baseline)
    assert stds[0] == pytest.approx(expected, rel=0.3)
    assert stds[1] / stds[0] == pytest.approx(4.0, rel=0.25)


def test_edges_and_stereo_shadow_drop_pixels_near_depth_steps_only():
    cfg = dataclasses.replace(load_sim_config().sensor, subpixel_rms=0.0)
    true, background, mask, rgb, rgb_bg = _scene()
    no_transparent = np.zeros_like(mask)
    raw = simulate_raw_depth(true, true, no_transparent, rgb, rgb, FX, cfg, np.random.default_rng(1))
    holes = raw == 0
    assert holes[15:65, 15:65].any()  # around the box edges
    assert not holes[80:115, 5:60].any()  # flat table far from any edge
    assert holes[25:55, 5:20].any()  # shadow band left of the box


def test_bad_inputs_raise_named_errors():
    cfg = load_sim_config().sensor
    true, background, mask, rgb, rgb_bg = _scene()
    with pytest.raises(SensorInputError, match="float32"):
        simulate_raw_depth(
            true.astype(np.float64), background, mask, rgb, rgb_bg, FX, cfg, np.random.default_rng()
        )
    with pytest.raises(SensorInputError, match="bool"):
        simulate_raw_depth(
            true, background, mask.astype(np.uint8), rgb, rgb_bg, FX, cfg, np.random.default_rng()
        )
    with pytest.raises(SensorInputError, match="rgb"):
        simulate_raw_depth(true, background, mask, rgb[:, :10], rgb_bg, FX, cfg, np.random.default_rng())


def test_glass_composite_shows_the_background_through_transparent_pixels_only():
    cfg = load_sim_config().glass
    rng = np.random.default_rng(0)
    background = rng.integers(0, 256, (60, 80, 3), dtype=np.uint8)  # a textured table
    blended = np.full_like(background, 200)
    mask = np.zeros((60, 80), bool)
    mask[20:40, 30:50] = True
    flat = np.full((60, 80), 0.7, np.float32)  # a surface facing the camera: no refraction, no rim
    out = composite_glass(blended, background, flat, mask, cfg)
    np.testing.assert_array_equal(out[~mask], blended[~mask])
    expected = (1 - cfg.blend) * background[mask] + cfg.blend * 200.0
    np.testing.assert_allclose(out[mask], expected, atol=1.0)
