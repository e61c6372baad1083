"""GraspDetector on a synthetic depth image (a box on a table plane) and on bad input."""
from __future__ import annotations

import numpy as np
import pytest

from kd_grasp_ros.grasp.detector import GraspDetector
from kd_grasp_ros.grasp.errors import GraspInputError, GraspModelError

RELEASED = "weights/ggcnn-cornell-official/ggcnn_epoch_23_cornell_statedict.pt"
SHIPPED = ["grasp_ggcnn_teacher.pt", "grasp_student_v1.pt", "grasp_student_v2.pt"]
BOX = (225, 255, 280, 380)  # rows 225..255, cols 280..380: 30 x 100 px, 4 cm above the table


def _scene() -> np.ndarray:
    depth = np.full((480, 640), 0.70, np.float32)
    r0, r1, c0, c1 = BOX
    depth[r0:r1, c0:c1] = 0.66
    depth[:20, :] = 0.0          # missing rows, as a RealSense gives at the border
    depth[300:304, 100:110] = np.nan
    return depth


@pytest.mark.timeout(120)
def test_box_on_plane_with_released_weights(shared_dir):
    detector = GraspDetector(shared_dir / RELEASED, threads=1)
    det = detector.detect(_scene(), max_grasps=3)
    assert det.grasps, "no grasp found on a box"
    best = det.grasps[0]
    r0, r1, c0, c1 = BOX
    assert r0 - 5 <= best.row <= r1 + 5 and c0 - 5 <= best.col <= c1 + 5
    assert abs(best.angle) > np.deg2rad(60), "jaws should close across the 30 px side (vertical axis)"
    assert [g.quality for g in det.grasps] == sorted((g.quality for g in det.grasps), reverse=True)
    assert det.quality[int(best.row), int(best.col)] == pytest.approx(best.quality, abs=0.05)

    big = GraspDetector(shared_dir / RELEASED, crop_size=400).detect(_scene(), crop_center=(240, 330))
    assert big.crop_box == (40, 130, 400)
    g = big.grasps[0]
    assert r0 - 10 <= g.row <= r1 + 10 and c0 - 10 <= g.col <= c1 + 10


@pytest.mark.timeout(120)
@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_models_give_full_image_maps(name):
    det = GraspDetector(name, threads=1).detect(_scene(), max_grasps=4, min_quality=0.0)
    assert det.quality.shape == det.angle.shape == det.width_px.shape == (480, 640)
    top, left, size = det.crop_box
    assert (top, left, size) == (90, 170, 300)
    assert det.quality[:top].max() == 0 and det.quality[:, left + size:].max() == 0
    assert det.width_px[:, :left].max() == 0
    assert 1 <= len(det.grasps) <= 4
    for g in det.grasps:
        assert top <= g.row < top + size and left <= g.col < left + size and -np.pi / 2 < g.angle <= np.pi / 2
    assert [g.quality for g in det.grasps] == sorted((g.quality for g in det.grasps), reverse=True)
    assert set(det.timings_ms) == {"preprocess", "network", "postprocess"}


def test_bad_input_raises_named_errors():
    detector = GraspDetector("grasp_student_v1.pt")
    with pytest.raises(GraspInputError, match="HxW"):
        detector.detect(np.zeros((480, 640, 1), np.float32))
    with pytest.raises(GraspInputError, match="dtype uint16"):
        detector.detect(np.full((480, 640), 700, np.uint16))
    with pytest.raises(GraspInputError, match="no valid pixel"):
        detector.detect(np.zeros((480, 640), np.float32))
    with pytest.raises(GraspInputError, match="no valid pixel"):
        detector.detect(np.full((480, 640), np.nan, np.float32))
    with pytest.raises(GraspInputError, match="bigger than the depth image"):
        detector.detect(np.full((240, 320), 0.7, np.float32))
    partial = np.zeros((480, 640), np.float32)
    partial[:, :50] = 0.7
    with pytest.raises(GraspInputError, match="no valid depth in the 300x300 crop"):
        detector.detect(partial, crop_center=(240, 500))
    with pytest.raises(GraspInputError, match="max_grasps"):
        detector.detect(_scene(), max_grasps=0)


def test_bad_model_files(tmp_path):
    with pytest.raises(GraspModelError, match="no_such_model.pt"):
        GraspDetector(tmp_path / "no_such_model.pt")
    corrupt = tmp_path / "corrupt.pt"
    corrupt.write_bytes(b"\x00" * 100)
    with pytest.raises(GraspModelError, match="corrupt.pt"):
        GraspDetector(corrupt)
