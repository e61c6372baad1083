"""Teacher and student networks: shapes at several resolutions, checkpoints, a few training steps."""

from __future__ import annotations

import pytest
import torch

from kd_grasp_ros.common.network_stats import count_parameters
from kd_grasp_ros.depth.checkpoint import load_model, read_checkpoint, save_checkpoint
from kd_grasp_ros.depth.errors import DepthModelError
from kd_grasp_ros.depth.loss import DepthLoss
from kd_grasp_ros.depth.models import build_model
from kd_grasp_ros.depth.preprocess import classical_fill_tensor, normalise_depth, predict_depth


def _inputs(h: int, w: int, batch: int = 1, seed: int = 0):
    gen = torch.Generator().manual_seed(seed)
    rgb = torch.randint(0, 256, (batch, 3, h, w), dtype=torch.uint8, generator=gen)
    depth = 0.4 + torch.rand(batch, 1, h, w, generator=gen)
    depth[..., h // 4 : h // 2, w // 4 : w // 2] = 0.0
    return rgb, depth


@pytest.mark.slow
@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", ["teacher", "student"])
@pytest.mark.parametrize("size", [(320, 240), (256, 144), (97, 61)])
def test_output_shape_and_scale_equivariance(name, size):
    """The networks see depth as log(depth / median) and correct the classical fill by a factor: for the
    same scene 1.5 times as far away they apply the same factor (inputs and outputs well inside the
    clamp range, so the clamp plays no part)."""
    torch.manual_seed(0)
    model = build_model(name).eval()
    torch.nn.init.normal_(model.head[-1].weight, std=0.05)  # a correction that is not zero
    rgb, depth = _inputs(size[1], size[0], batch=2)
    with torch.no_grad():
        out, confidence = predict_depth(model, rgb, depth)
        far, _ = predict_depth(model, rgb, depth * 1.5)
    fill, far_fill = classical_fill_tensor(depth), classical_fill_tensor(depth * 1.5)
    assert confidence.max() > 0.1 and not torch.equal(out, fill)
    assert out.shape == (2, 1, size[1], size[0])
    inside = (out > 0.2) & (out < 1.9)
    assert inside.float().mean() > 0.9
    # the network's factor on the fill is the same at both distances; valid raw depth scales exactly
    # (the inpainted holes only nearly: OpenCV's inpainting is not exactly linear)
    torch.testing.assert_close((far / far_fill)[inside], (out / fill)[inside], rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(far_fill[depth > 0], 1.5 * fill[depth > 0])


def test_student_is_smaller_than_teacher():
    assert count_parameters(build_model("student")) < count_parameters(build_model("teacher"))


def test_unknown_model_name_raises():
    with pytest.raises(DepthModelError, match="unknown depth model"):
        build_model("resnet")


def test_normalise_depth_ignores_missing_pixels():
    depth = torch.tensor([[[[0.0, 1.0], [2.0, float("nan")]]]])
    log_ratio, valid, median = normalise_depth(depth)
    assert valid.tolist() == [[[[0.0, 1.0], [1.0, 0.0]]]]
    assert float(median) == pytest.approx(1.0)  # nanmedian of {1, 2} picks the lower middle value
    assert log_ratio[0, 0, 1, 0] == pytest.approx(torch.log(torch.tensor(2.0)).item())
    assert log_ratio[0, 0, 0, 0] == 0.0 and log_ratio[0, 0, 1, 1] == 0.0


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", ["teacher", "student"])
def test_checkpoint_round_trip_weights_only(name, tmp_path):
    torch.manual_seed(1)
    model = build_model(name, {"widths": (8, 8, 16, 16)}).eval()
    path = tmp_path / f"{name}.pt"
    save_checkpoint(path, name, model, epoch=3, metrics={"rmse": 0.1})
    ckpt = torch.load(path, map_location="cpu", weights_only=True)
    assert ckpt["epoch"] == 3 and ckpt["model_cfg"]["widths"] == (8, 8, 16, 16)
    loaded, _ = load_model(path)
    rgb, depth = _inputs(48, 64)
    with torch.no_grad():
        assert torch.equal(predict_depth(model, rgb, depth)[0], predict_depth(loaded, rgb, depth)[0])


def test_corrupt_and_incompatible_checkpoints_raise(tmp_path):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(DepthModelError, match="bad.pt"):
        read_checkpoint(bad)
    with pytest.raises(DepthModelError, match="does not exist"):
        read_checkpoint(tmp_path / "missing.pt")
    model = build_model("student")
    path = tmp_path / "mismatch.pt"
    save_checkpoint(path, "teacher", model, epoch=0, metrics={})  # student weights labelled teacher
    with pytest.raises(DepthModelError, match="mismatch.pt"):
        load_model(path)


@pytest.mark.slow
@pytest.mark.timeout(90)
def test_a_few_training_steps_reduce_the_loss():
    torch.manual_seed(0)
    model = build_model("student", {"widths": (8, 8, 16, 16)})
    rgb, raw = _inputs(48, 64, batch=2, seed=3)
    gt = torch.where(raw > 0, raw, torch.full_like(raw, 0.6))
    mask = raw == 0
    loss_fn = DepthLoss()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(25):
        result = loss_fn(predict_depth(model, rgb, raw)[0], gt, mask)
        opt.zero_grad()
        result["loss"].backward()
        opt.step()
        losses.append(float(result["loss"].detach()))
    assert losses[-1] < 0.7 * losses[0]
