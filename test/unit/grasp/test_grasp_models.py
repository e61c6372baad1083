"""GG-CNN variants: parameter counts, shapes, registry, released weights, checkpoint round trip."""

from __future__ import annotations

import pytest
import torch

from kd_grasp_ros.common.network_stats import count_parameters
from kd_grasp_ros.grasp.checkpoint import RELEASED_GGCNN_KEYS, load_model, save_checkpoint
from kd_grasp_ros.grasp.errors import GraspModelError
from kd_grasp_ros.grasp.models import GGCNN, GGCNNConfig, build_model

RELEASED = "weights/ggcnn-cornell-official/ggcnn_epoch_23_cornell_statedict.pt"


@pytest.mark.parametrize("name, params", [("ggcnn", 62_420), ("student_v1", 16_412), ("student_v2", 35_716)])
def test_parameter_counts_and_300_in_300_out(name, params):
    model = build_model(name)
    assert count_parameters(model) == params
    with torch.no_grad():
        assert model(torch.zeros(2, 1, 300, 300)).shape == (2, 4, 300, 300)


def test_unknown_model_name_fails_loudly():
    with pytest.raises(GraspModelError, match="unknown grasp model 'ggcnn3'"):
        build_model("ggcnn3")


def test_released_state_dict_loads_unchanged(shared_dir):
    path = shared_dir / RELEASED
    state = torch.load(path, map_location="cpu", weights_only=True)
    assert set(state) == RELEASED_GGCNN_KEYS
    model = build_model("ggcnn")
    model.load_state_dict(state, strict=True)
    loaded, info = load_model(path)
    assert info["source"] == "released_state_dict" and loaded.cfg.name == "ggcnn"
    assert torch.equal(loaded.convt3.weight, state["convt3.weight"])


def test_checkpoint_round_trip(tmp_path):
    torch.manual_seed(0)
    model = build_model("student_v2")
    path = save_checkpoint(tmp_path / "ckpt.pt", model, epoch=3, metrics={"val_accuracy": 0.5})
    ckpt = torch.load(path, map_location="cpu", weights_only=True)
    rebuilt = GGCNN(GGCNNConfig(**ckpt["model_cfg"]))
    rebuilt.load_state_dict(ckpt["model"])
    x = torch.randn(1, 1, 300, 300)
    with torch.no_grad():
        assert torch.equal(model.eval()(x), rebuilt.eval()(x))
    loaded, info = load_model(path)
    assert info["epoch"] == 3 and loaded.cfg == model.cfg


def test_bad_model_files_raise_named_error(tmp_path):
    with pytest.raises(GraspModelError, match="not found.*nothing.pt"):
        load_model(tmp_path / "nothing.pt")
    corrupt = tmp_path / "corrupt.pt"
    corrupt.write_bytes(b"not a torch file")
    with pytest.raises(GraspModelError, match="corrupt.pt"):
        load_model(corrupt)
    foreign = tmp_path / "foreign.pt"
    torch.save({"weights": torch.zeros(3)}, foreign)
    with pytest.raises(GraspModelError, match="foreign.pt"):
        load_model(foreign)
    wrong = tmp_path / "wrong.pt"
    torch.save(
        {
            "model": build_model("student_v1").state_dict(),
            "model_cfg": {"name": "ggcnn", "filters": (32, 16, 8), "input_channels": 1},
        },
        wrong,
    )
    with pytest.raises(GraspModelError, match="do not fit"):
        load_model(wrong)
