"""The hybrid loss: alpha extremes, unlabeled samples, a few training steps."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from kd_grasp_ros.grasp.labels import draw_label_maps
from kd_grasp_ros.grasp.loss import grasp_loss, peak_kd
from kd_grasp_ros.grasp.models import build_model
from kd_grasp_ros.grasp.rectangles import GraspRectangle


def _maps(seed):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(3, 4, 8, 8, generator=g)


def test_alpha_extremes_give_each_term():
    pred, target, teacher = _maps(0), _maps(1), _maps(2)
    gt_only = grasp_loss(pred, target, teacher_pred=teacher, alpha=0.0)
    kd_only = grasp_loss(pred, target, teacher_pred=teacher, alpha=1.0)
    mse = lambda a, b: float(((a - b) ** 2).mean(dim=(0, 2, 3)).sum())  # noqa: E731
    assert float(gt_only["loss"]) == pytest.approx(mse(pred, target), rel=1e-5)
    assert float(kd_only["loss"]) == pytest.approx(mse(pred, teacher), rel=1e-5)
    half = grasp_loss(pred, target, teacher_pred=teacher, alpha=0.25)
    expected = 0.75 * mse(pred, target) + 0.25 * mse(pred, teacher)
    assert float(half["loss"]) == pytest.approx(expected, rel=1e-5)
    assert set(half) == {"loss", "losses", "pred"} and half["pred"] is pred
    assert gt_only["losses"]["gt_quality"] == pytest.approx(float(((pred[:, 0] - target[:, 0]) ** 2).mean()))


def test_unlabeled_samples_contribute_kd_only():
    pred, target, teacher = _maps(0), _maps(1), _maps(2)
    labeled = torch.tensor([True, False, False])
    out = grasp_loss(pred, target, labeled, teacher, alpha=0.5)
    gt = float(((pred[:1] - target[:1]) ** 2).mean(dim=(0, 2, 3)).sum())
    kd = float(((pred - teacher) ** 2).mean(dim=(0, 2, 3)).sum())
    assert float(out["loss"]) == pytest.approx(0.5 * gt + 0.5 * kd, rel=1e-5)
    # changing an unlabeled sample's (meaningless) target changes nothing
    target2 = target.clone()
    target2[2] += 10
    again = grasp_loss(pred, target2, labeled, teacher, alpha=0.5)
    assert float(again["loss"]) == pytest.approx(float(out["loss"]))
    with pytest.raises(ValueError, match="teacher_pred"):
        grasp_loss(pred, target, alpha=0.5)
    with pytest.raises(ValueError, match="alpha"):
        grasp_loss(pred, target, alpha=1.5)


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_few_training_steps_reduce_loss():
    torch.manual_seed(0)
    model = build_model("student_v1")
    rect = GraspRectangle.from_grasp((150, 150), 0.5, 60.0, 20.0)
    target = torch.from_numpy(draw_label_maps([rect], (300, 300)))[None]
    depth = np.zeros((1, 1, 300, 300), np.float32)
    depth[0, 0, 140:160, 120:180] = -0.05
    x = torch.from_numpy(depth)
    teacher = build_model("student_v1").eval()
    with torch.no_grad():
        teacher_pred = teacher(x)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(8):
        out = grasp_loss(model(x), target, teacher_pred=teacher_pred, alpha=0.3)
        opt.zero_grad()
        out["loss"].backward()
        opt.step()
        losses.append(out["loss"].item())
    assert losses[-1] < 0.7 * losses[0]


def test_peak_term_pulls_the_students_best_pixel_to_the_teachers():
    """The opt-in peak term: zero for equal quality maps (or maps equal up to a constant), added to L_KD
    with its weight, and its gradient raises the student's quality where the teacher's peak is."""
    teacher = torch.zeros(2, 4, 16, 16)
    teacher[:, 0, 4, 11] = 0.9  # the teacher's best grasp
    same = teacher.clone()
    same[:, 0] += 0.3
    assert float(peak_kd(same, teacher)) == pytest.approx(0.0, abs=1e-6)

    student = torch.zeros(2, 4, 16, 16)
    student[:, 0, 12, 3] = 0.9  # a different pixel, equally high: same MSE as a near miss would have
    student.requires_grad_(True)
    plain = grasp_loss(student, teacher_pred=teacher, alpha=1.0)
    peaked = grasp_loss(student, teacher_pred=teacher, alpha=1.0, peak_weight=0.5)
    peak = float(peak_kd(student.detach(), teacher))
    assert peak > 1.0 and peaked["losses"]["kd_peak"] == pytest.approx(peak)
    assert float(peaked["loss"].detach()) == pytest.approx(
        float(plain["loss"].detach()) + 0.5 * peak, rel=1e-5
    )
    assert "kd_peak" not in plain["losses"]
    assert peaked["losses"]["kd"] == pytest.approx(plain["losses"]["kd"])  # "kd" stays the map MSEs
    peaked["loss"].backward()
    grad = student.grad[:, 0]
    assert bool((grad[:, 4, 11] < 0).all()) and bool((grad[:, 12, 3] > 0).all())  # descent: up, down
