"""GG-CNN2 in the registry: the released Cornell weights load strictly and give the published network's
outputs (checked against an independent re-implementation of the released GG-CNN2 code written here)."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from kd_grasp_ros.common.network_stats import count_parameters
from kd_grasp_ros.grasp.checkpoint import RELEASED_GGCNN2_KEYS, load_model, save_checkpoint
from kd_grasp_ros.grasp.errors import GraspModelError
from kd_grasp_ros.grasp.fast_convt import to_fast
from kd_grasp_ros.grasp.models import build_model

RELEASED2 = "weights/ggcnn-cornell-official/ggcnn2_epoch_50_cornell_statedict.pt"


def reference_ggcnn2(state: dict, x: torch.Tensor) -> torch.Tensor:
    """GG-CNN2 as published (ggcnn2.py, IJRR 2019), written out functionally from the state dict."""

    def conv(i, y, dilation=1):
        w, b = state[f"features.{i}.weight"], state[f"features.{i}.bias"]
        pad = (w.shape[-1] // 2) * dilation
        return torch.relu(F.conv2d(y, w, b, padding=pad, dilation=dilation))

    y = conv(2, conv(0, x))
    y = F.max_pool2d(y, 2, 2)
    y = F.max_pool2d(conv(7, conv(5, y)), 2, 2)
    y = conv(12, conv(10, y, dilation=2), dilation=4)
    y = conv(15, F.interpolate(y, scale_factor=2, mode="bilinear", align_corners=True))
    y = conv(18, F.interpolate(y, scale_factor=2, mode="bilinear", align_corners=True))
    return torch.cat(
        [
            F.conv2d(y, state[f"{h}_output.weight"], state[f"{h}_output.bias"])
            for h in ("pos", "cos", "sin", "width")
        ],
        1,
    )


def test_ggcnn2_registered_with_published_size():
    model = build_model("ggcnn2")
    assert count_parameters(model) == 66_676
    with torch.no_grad():
        assert model(torch.zeros(1, 1, 300, 300)).shape == (1, 4, 300, 300)
    with pytest.raises(GraspModelError, match="divisible by 4"):
        model(torch.zeros(1, 1, 302, 302))


def test_released_ggcnn2_loads_strictly_and_reproduces_outputs(shared_dir, tmp_path):
    path = shared_dir / RELEASED2
    state = torch.load(path, map_location="cpu", weights_only=True)
    assert set(state) == RELEASED_GGCNN2_KEYS
    model, info = load_model(path)
    assert info["source"] == "released_state_dict" and model.cfg.name == "ggcnn2"
    for key, value in model.state_dict().items():
        assert torch.equal(value, state[key]), key
    torch.manual_seed(0)
    x = torch.randn(2, 1, 300, 300).clamp(-1, 1) * 0.1
    with torch.no_grad():
        ref = reference_ggcnn2(state, x)
        out = model(x)
        fast = to_fast(model)(x)
    assert float(ref.abs().max()) > 0.05  # the weights really act
    torch.testing.assert_close(out, ref, atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(fast, ref, atol=1e-5, rtol=1e-4)
    # Round trip through our checkpoint format.
    loaded, _ = load_model(save_checkpoint(tmp_path / "g2.pt", model))
    with torch.no_grad():
        torch.testing.assert_close(loaded(x), ref, atol=1e-5, rtol=1e-4)


def test_released_ggcnn2_with_a_missing_key_is_rejected(shared_dir, tmp_path):
    state = torch.load(shared_dir / RELEASED2, map_location="cpu", weights_only=True)
    state.pop("features.18.bias")
    torch.save(state, tmp_path / "partial.pt")
    with pytest.raises(GraspModelError, match="partial.pt"):
        load_model(tmp_path / "partial.pt")


@pytest.mark.parametrize("name", ["ggcnn", "student_v1", "ggcnn2"])
def test_fast_train_path_same_outputs_and_gradients(name):
    torch.manual_seed(3)
    model = build_model(name)
    x = torch.randn(2, 1, 300, 300)
    ref = model(x)
    ref.square().mean().backward()
    grads = {n: p.grad.clone() for n, p in model.named_parameters()}
    model.zero_grad()
    model.fast_train = True
    out = model(x)
    out.square().mean().backward()
    torch.testing.assert_close(out, ref, atol=1e-5, rtol=1e-4)
    for n, p in model.named_parameters():
        torch.testing.assert_close(p.grad, grads[n], atol=1e-5, rtol=1e-3, msg=n)
    assert not any(isinstance(m, nn.Identity) for m in model.modules())
