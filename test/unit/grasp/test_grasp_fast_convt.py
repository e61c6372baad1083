"""The pixel-shuffle rewrite of ConvTranspose2d gives the same outputs."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from kd_grasp_ros.grasp.fast_convt import PixelShuffleConvTranspose2d, to_fast
from kd_grasp_ros.grasp.models import build_model


@pytest.mark.parametrize(
    "kernel, stride, padding, output_padding",
    [(3, 2, 1, 1), (5, 2, 2, 1), (9, 3, 3, 1), (4, 2, 1, 0), (3, 3, 0, 2), (2, 2, 0, 0), (1, 1, 0, 0)],
)
def test_layer_equal(kernel, stride, padding, output_padding):
    torch.manual_seed(kernel * 10 + stride)
    convt = nn.ConvTranspose2d(3, 5, kernel, stride=stride, padding=padding, output_padding=output_padding)
    x = torch.randn(2, 3, 13, 11)
    with torch.no_grad():
        ref, fast = convt(x), PixelShuffleConvTranspose2d(convt)(x)
    assert fast.shape == ref.shape
    torch.testing.assert_close(fast, ref, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("name", ["ggcnn", "student_v1"])
def test_whole_network_equal(name):
    torch.manual_seed(1)
    model = build_model(name).eval()
    fast = to_fast(model)
    assert not any(isinstance(m, nn.ConvTranspose2d) for m in fast.modules())
    x = torch.randn(1, 1, 300, 300)
    with torch.no_grad():
        torch.testing.assert_close(fast(x), model(x), atol=1e-4, rtol=1e-4)
