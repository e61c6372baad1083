"""The nodes' default inference backend (ONNX Runtime) gives the shipped networks' torch outputs on real
frames (Cornell depth, ClearGrasp RealSense RGB-D), keeps its own thread budget, and refuses what it
cannot run."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from kd_grasp_ros.common.inference import InferenceBackendError, InferenceNetwork
from kd_grasp_ros.depth.completer import DepthCompleter
from kd_grasp_ros.depth.data import ClearGraspDataset
from kd_grasp_ros.grasp.constants import DEPLOYED_CROP_SIZE
from kd_grasp_ros.grasp.data import load_cornell_scenes, read_depth
from kd_grasp_ros.grasp.detector import GraspDetector
from kd_grasp_ros.grasp.errors import GraspModelError

pytestmark = pytest.mark.slow

QUALITY_TOLERANCE = 1e-4  # quality map, 0-1
DEPTH_TOLERANCE_M = 1e-4
SCENES = 3


@pytest.fixture(scope="module")
def cornell_depths(shared_dir) -> list[np.ndarray]:
    scenes = load_cornell_scenes(shared_dir / "data" / "cornell-01")[:SCENES]
    return [read_depth(s.depth_path) for s in scenes]


@pytest.mark.parametrize("model", ["grasp_student_v1.pt", "grasp_student_v2.pt"])
def test_grasp_students_give_the_same_grasps_on_both_backends(cornell_depths, model):
    onnx = GraspDetector(model, crop_size=DEPLOYED_CROP_SIZE, threads=1)
    plain = GraspDetector(model, crop_size=DEPLOYED_CROP_SIZE, threads=1, backend="torch")
    assert (onnx.backend, plain.backend) == ("onnxruntime", "torch")
    for depth in cornell_depths:
        a, b = (
            onnx.detect(depth, max_grasps=5, min_quality=0.05),
            plain.detect(depth, max_grasps=5, min_quality=0.05),
        )
        assert np.max(np.abs(a.quality - b.quality)) < QUALITY_TOLERANCE
        assert [(g.row, g.col) for g in a.grasps] == [(g.row, g.col) for g in b.grasps]
        assert np.allclose([g.angle for g in a.grasps], [g.angle for g in b.grasps], atol=1e-3)


def test_depth_student_completes_real_frames_alike_on_both_backends(shared_dir):
    frames = ClearGraspDataset(shared_dir / "data" / "cleargrasp-sample" / "real-val", layout="real")
    onnx = DepthCompleter("depth_student.pt", threads=1)
    plain = DepthCompleter("depth_student.pt", threads=1, backend="torch")
    for sample in (frames[0], frames[len(frames) - 1]):
        (a, conf_a), (b, conf_b) = (c.complete(sample.rgb, sample.raw_depth) for c in (onnx, plain))
        assert a.shape == conf_a.shape == sample.raw_depth.shape
        assert np.max(np.abs(a - b)) < DEPTH_TOLERANCE_M
        assert np.max(np.abs(conf_a - conf_b)) < 1e-3


def test_an_onnx_network_keeps_its_own_threads_and_leaves_torch_alone():
    before = torch.get_num_threads()
    detector = GraspDetector("grasp_student_v1.pt", threads=1)
    assert torch.get_num_threads() == before  # torch's count is process-wide; ORT's is per session
    assert detector.network.session.get_session_options().intra_op_num_threads == 1


def test_the_backend_refuses_what_it_cannot_run():
    with pytest.raises(GraspModelError, match="backend must be one of onnxruntime, torch"):
        GraspDetector("grasp_student_v1.pt", backend="tensorrt")
    with pytest.raises(GraspModelError, match="use backend 'torch' for device cuda"):
        GraspDetector("grasp_student_v1.pt", device="cuda")
    network = InferenceNetwork(torch.nn.Conv2d(1, 1, 3), (torch.zeros(1, 1, 8, 8),))
    assert network(torch.ones(1, 1, 8, 8)).shape == (1, 1, 6, 6)
    with pytest.raises(InferenceBackendError, match=r"prepared for inputs \[\(1, 1, 8, 8\)\]"):
        network(torch.ones(1, 1, 9, 9))
