"""A student started from its teacher's channels (slim_init): exact where the dropped channels carry
nothing, closer to the released GG-CNN than a random start on real Cornell views, and used by fit."""

from __future__ import annotations

import pytest
import torch
from grasp_test_scenes import tiny_distill_config, write_scenes
from torch import nn

from kd_grasp_ros.grasp.checkpoint import load_model, save_checkpoint
from kd_grasp_ros.grasp.errors import GraspModelError
from kd_grasp_ros.grasp.models import GGCNN, GGCNNConfig, build_model
from kd_grasp_ros.grasp.slim_init import CHAIN, init_from_teacher
from kd_grasp_ros.grasp.train import fit


def _depth(n=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = 0.7 + 0.02 * torch.randn(n, 1, 300, 300, generator=g)
    x[:, :, 100:200, 120:180] -= 0.06  # an object on the table
    return x


def _teacher_with_dead_channels() -> tuple[GGCNN, dict[str, list[int]]]:
    """A random GG-CNN whose every hidden layer has half its channels dead (zero weights, negative bias:
    always 0 after the ReLU) and positive weights elsewhere; the live ones are the channels a 16-8-4
    student must keep."""
    torch.manual_seed(1)
    teacher = build_model("ggcnn")
    live = {}
    with torch.no_grad():
        for writer, _ in CHAIN:
            layer = getattr(teacher, writer)
            n = layer.bias.shape[0]
            alive = sorted(torch.randperm(n)[: n // 2].tolist())
            dead = [c for c in range(n) if c not in alive]
            if isinstance(layer, nn.ConvTranspose2d):
                layer.weight[:, dead] = 0.0
            else:
                layer.weight[dead] = 0.0
            layer.weight.abs_()  # with a large bias every live channel fires on any (centred) depth
            layer.bias[alive] = 2.0
            layer.bias[dead] = -1.0
            live[writer] = alive
    return teacher.eval(), live


def test_the_student_keeps_exactly_the_live_channels_and_computes_the_teachers_maps():
    teacher, live = _teacher_with_dead_channels()
    student = build_model("student_v1")
    kept = init_from_teacher(student, teacher, _depth())
    assert kept == live
    x = _depth(2, seed=5)
    with torch.no_grad():
        torch.testing.assert_close(student.eval()(x), teacher(x), atol=1e-4, rtol=1e-3)


def test_a_student_as_wide_as_the_teacher_is_the_teacher():
    torch.manual_seed(2)
    teacher = build_model("ggcnn").eval()
    student = build_model("ggcnn")
    init_from_teacher(student, teacher, _depth())
    for key, value in teacher.state_dict().items():
        torch.testing.assert_close(student.state_dict()[key], value)


def test_a_wider_student_or_a_ggcnn2_teacher_is_refused():
    with pytest.raises(GraspModelError, match="must not exceed"):
        init_from_teacher(
            GGCNN(GGCNNConfig(name="ggcnn", filters=(48, 16, 8))), build_model("ggcnn"), _depth(1)
        )
    with pytest.raises(GraspModelError, match="GG-CNN-shaped"):
        init_from_teacher(build_model("student_v1"), build_model("ggcnn2"), _depth(1))


def test_from_the_released_ggcnn_the_start_is_closer_to_it_than_a_random_one(shared_dir):
    from kd_grasp_ros.grasp.data import load_cornell_scenes
    from kd_grasp_ros.grasp.torch_data import ViewDataset

    teacher, _ = load_model(shared_dir / "weights/ggcnn-cornell-official/ggcnn_epoch_23_cornell_statedict.pt")
    scenes = load_cornell_scenes(shared_dir / "data/cornell-01")
    views = ViewDataset(scenes[:12], views_per_scene=1, seed=0)
    fit_views = torch.stack([views[i]["depth"] for i in range(8)])
    test_views = torch.stack([views[i]["depth"] for i in range(8, 12)])  # other scenes
    with torch.no_grad():
        target = teacher(test_views)
    for name in ("student_v1", "student_v2"):
        torch.manual_seed(0)
        started = build_model(name)
        init_from_teacher(started, teacher, fit_views)
        with torch.no_grad():
            random_mse = float(((build_model(name).eval()(test_views) - target) ** 2).mean())
            started_mse = float(((started.eval()(test_views) - target) ** 2).mean())
        assert started_mse < 0.25 * random_mse, (name, started_mse, random_mse)


@pytest.mark.slow
def test_fit_starts_from_the_teacher_and_records_the_kept_channels(tmp_path):
    scenes = write_scenes(tmp_path / "data", n=2)
    teacher_model, live = _teacher_with_dead_channels()
    teacher = str(save_checkpoint(tmp_path / "t.pt", teacher_model))
    cfg = tiny_distill_config(teacher, alpha=1.0, lr=1e-9, init_from_teacher=True)  # lr: weights stay
    fit(cfg, scenes, scenes[:1], tmp_path / "run", progress=False)
    student, info = load_model(tmp_path / "run" / "last.pt")
    assert info["training"]["extra"]["kept_teacher_channels"] == live
    x = _depth(1, seed=7)
    with torch.no_grad():
        torch.testing.assert_close(student(x), teacher_model(x), atol=1e-4, rtol=1e-3)
