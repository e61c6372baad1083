"""The maps' Gaussian smoothing equals the reference's scipy.ndimage.gaussian_filter(mode="nearest")."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.ndimage import gaussian_filter as scipy_gaussian_filter

from kd_grasp_ros.grasp.constants import ANGLE_SIGMA, QUALITY_SIGMA, WIDTH_SIGMA
from kd_grasp_ros.grasp.postprocess import gaussian_filter


@pytest.mark.parametrize("sigma", sorted({QUALITY_SIGMA, ANGLE_SIGMA, WIDTH_SIGMA, 0.7, 3.3}))
@pytest.mark.parametrize("shape", [(300, 300), (37, 91)])
def test_smoothing_matches_the_reference_filter(sigma, shape):
    rng = np.random.default_rng(int(sigma * 10) + shape[0])
    image = rng.standard_normal(shape).astype(np.float32)
    image[: shape[0] // 3] += 5.0  # a step at which the edge handling matters
    expected = scipy_gaussian_filter(image, sigma, mode="nearest")
    np.testing.assert_allclose(gaussian_filter(image, sigma), expected, atol=1e-5)
