"""Success rates with honest uncertainty, and latency summaries, for trials and benchmarks."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

Z_95 = 1.959963984540054  # two-sided 95% normal quantile


@dataclass(frozen=True)
class SuccessRate:
    successes: int
    trials: int
    low: float
    high: float

    @property
    def rate(self) -> float:
        return self.successes / self.trials if self.trials else float("nan")

    def __str__(self) -> str:
        ci = f"95% CI {100 * self.low:.0f}-{100 * self.high:.0f}%"
        return f"{self.successes}/{self.trials} = {100 * self.rate:.0f}% ({ci})"


def wilson_interval(successes: int, trials: int, z: float = Z_95) -> SuccessRate:
    """The Wilson score interval: well behaved at 0% and 100% and for small n, unlike the normal one."""
    if trials <= 0:
        return SuccessRate(successes, trials, float("nan"), float("nan"))
    if not 0 <= successes <= trials:
        raise ValueError(f"successes must be within 0..{trials}, got {successes}")
    p = successes / trials
    denom = 1.0 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denom
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denom
    low, high = max(0.0, centre - half), min(1.0, centre + half)
    if successes == trials:
        high = 1.0  # exact: rounding must not put the bound below an observed 100%
    if successes == 0:
        low = 0.0
    return SuccessRate(successes, trials, low, high)


@dataclass(frozen=True)
class LatencyStats:
    median_ms: float
    p90_ms: float
    mean_ms: float
    n: int

    @classmethod
    def of(cls, samples_ms) -> LatencyStats:
        a = np.asarray(list(samples_ms), dtype=float)
        if a.size == 0:
            return cls(float("nan"), float("nan"), float("nan"), 0)
        return cls(float(np.median(a)), float(np.percentile(a, 90)), float(a.mean()), int(a.size))
