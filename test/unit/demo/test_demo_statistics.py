"""Wilson intervals against published values; latency summaries."""

import pytest

from kd_grasp_ros.common.statistics import LatencyStats, wilson_interval


def test_wilson_interval_matches_textbook_values():
    # Newcombe (1998), example: 81/263 -> 0.2553 .. 0.3662
    r = wilson_interval(81, 263)
    assert (r.low, r.high) == pytest.approx((0.2553, 0.3662), abs=1e-4)
    perfect = wilson_interval(10, 10)
    assert perfect.high == 1.0 and perfect.low == pytest.approx(0.7225, abs=1e-4)
    assert wilson_interval(0, 10).low == 0.0


def test_wilson_interval_rejects_impossible_counts():
    with pytest.raises(ValueError):
        wilson_interval(5, 3)


def test_latency_stats():
    s = LatencyStats.of([1, 2, 3, 4, 100])
    assert (s.median_ms, s.n) == (3.0, 5) and s.p90_ms == pytest.approx(61.6)
