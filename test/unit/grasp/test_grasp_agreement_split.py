"""The agreement evaluation and the object-wise 5-fold split of Cornell-01."""

from __future__ import annotations

import numpy as np
import pytest
import tifffile
import torch

from kd_grasp_ros.grasp.agreement import measure_agreement
from kd_grasp_ros.grasp.cornell_objects import CORNELL_01_OBJECTS, cornell_object_id, object_fold
from kd_grasp_ros.grasp.data import Scene, load_cornell_scenes, split_scenes
from kd_grasp_ros.grasp.errors import GraspDataError
from kd_grasp_ros.grasp.models import build_model
from kd_grasp_ros.grasp.rectangles import GraspRectangle


def test_object_table_covers_every_scene_once():
    numbers = [n for first, last, _ in CORNELL_01_OBJECTS for n in range(first, last + 1)]
    assert numbers == list(range(100, 200))
    with pytest.raises(GraspDataError, match="pcd0200"):
        cornell_object_id("pcd0200")


def test_objectwise_folds_partition_scenes_and_never_split_an_object():
    scenes = [Scene(f"pcd{n:04d}", depth_path=None) for n in range(100, 200)]
    tests = [split_scenes(scenes, "objectwise", fold=k)[1] for k in range(5)]
    assert sorted(s.name for t in tests for s in t) == [s.name for s in scenes]  # n = 100 over the folds
    assert [len(t) for t in tests] == [22, 19, 20, 20, 19]
    for k, test in enumerate(tests):
        train, _ = split_scenes(scenes, "objectwise", fold=k)
        assert not {cornell_object_id(s.name) for s in train} & {cornell_object_id(s.name) for s in test}
        assert all(object_fold(s.name) == k for s in test)
    with pytest.raises(GraspDataError, match="fold"):
        split_scenes(scenes, "objectwise", fold=5)


def test_objectwise_split_on_the_shared_data(shared_dir):
    scenes = load_cornell_scenes(shared_dir / "data/cornell-01")
    train, test = split_scenes(scenes, "objectwise", fold=2)
    assert len(train) + len(test) == 100 and len(test) == 20


def _scene(tmp_path):
    depth = np.full((320, 360), 0.7, np.float32)
    depth[130:190, 140:230] = 0.64
    tifffile.imwrite(tmp_path / "pcd0001d.tiff", depth)
    return Scene(
        "pcd0001",
        tmp_path / "pcd0001d.tiff",
        positives=[GraspRectangle.from_grasp((160, 185), 0.0, 80.0, 20.0)],
    )


def test_agreement_of_a_model_with_itself_is_perfect(tmp_path):
    torch.manual_seed(0)
    teacher = build_model("student_v1").eval()
    with torch.no_grad():  # make sure the teacher proposes a grasp (quality peak above the threshold)
        teacher.pos_output.bias.fill_(0.5)
    result = measure_agreement(teacher, teacher, [_scene(tmp_path)], views=3, progress=False)
    for kind, views in (("reference", 1), ("augmented", 3)):
        r = result[kind]
        assert r["views"] == views and r["mse_total"] == 0.0
        assert r["top1_agreement"] == 1.0 and r["top1_scored"] == views


def test_agreement_of_an_unrelated_student_is_imperfect(tmp_path):
    torch.manual_seed(0)
    teacher = build_model("student_v1").eval()
    student = build_model("student_v2").eval()
    with torch.no_grad():
        teacher.pos_output.bias.fill_(0.5)
    result = measure_agreement(student, teacher, [_scene(tmp_path)], views=2, progress=False)
    assert result["augmented"]["mse_total"] > 1e-4


def test_agreement_with_teacher_range_input_compares_range_teacher_and_z_student(tmp_path):
    torch.manual_seed(0)
    model = build_model("student_v1").eval()
    scene = _scene(tmp_path)
    same = measure_agreement(model, model, [scene], views=1, progress=False)
    split = measure_agreement(model, model, [scene], views=1, progress=False, teacher_range_input=True)
    assert same["augmented"]["mse_total"] == 0.0
    assert split["augmented"]["mse_total"] > 0.0  # the two inputs differ by the range bowl


def test_reference_raster_iou_agrees_with_polygon_iou():
    from kd_grasp_ros.grasp.protocol_check import raster_iou

    a = GraspRectangle.from_grasp((100, 100), 0.3, 60.0, 30.0)
    b = GraspRectangle.from_grasp((105, 110), 0.1, 60.0, 30.0)
    far = GraspRectangle.from_grasp((300, 300), 0.0, 20.0, 10.0)
    assert raster_iou(a, a) == 1.0 and raster_iou(a, far) == 0.0
    assert raster_iou(a, b) == pytest.approx(a.iou(b), abs=0.05)
