"""Transforms and intrinsics against hand-computed values and round trips."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kd_grasp_ros.common.intrinsics import D435_640X480, CameraIntrinsics
from kd_grasp_ros.common.transforms import (
    axis_angle_to_matrix,
    invert_transform,
    make_transform,
    matrix_to_axis_angle,
    matrix_to_quat,
    pose_to_transform,
    quat_to_matrix,
    rot_x,
    rot_y,
    rot_z,
    transform_to_pose,
)
from kd_grasp_ros.robot.ur10e_params import BASE_LINK_FROM_BASE

unit_vectors = st.tuples(*[st.floats(-1, 1)] * 3).filter(lambda v: np.linalg.norm(v) > 0.1)


def test_hand_computed_rotations():
    np.testing.assert_allclose(rot_z(np.pi / 2) @ [1, 0, 0], [0, 1, 0], atol=1e-12)
    np.testing.assert_allclose(rot_x(np.pi / 2) @ [0, 1, 0], [0, 0, 1], atol=1e-12)
    np.testing.assert_allclose(rot_y(np.pi / 2) @ [0, 0, 1], [1, 0, 0], atol=1e-12)
    np.testing.assert_allclose(axis_angle_to_matrix([0, 0, np.pi / 2]), rot_z(np.pi / 2), atol=1e-12)
    np.testing.assert_allclose(matrix_to_quat(rot_z(np.pi / 2)), [0, 0, np.sqrt(0.5), np.sqrt(0.5)])
    # a tool pointing straight down, as UR users write it: rx = pi
    np.testing.assert_allclose(axis_angle_to_matrix([np.pi, 0, 0]) @ [0, 0, 1], [0, 0, -1], atol=1e-12)


def test_base_link_is_base_turned_half_a_turn():
    np.testing.assert_allclose(BASE_LINK_FROM_BASE @ [0.5, 0.2, 0.3], [-0.5, -0.2, 0.3], atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(axis=unit_vectors, angle=st.floats(0.0, np.pi - 1e-6))
def test_rotation_representations_round_trip(axis, angle):
    rv = np.asarray(axis) / np.linalg.norm(axis) * angle
    r = axis_angle_to_matrix(rv)
    np.testing.assert_allclose(r @ r.T, np.eye(3), atol=1e-9)
    np.testing.assert_allclose(quat_to_matrix(matrix_to_quat(r)), r, atol=1e-9)
    np.testing.assert_allclose(axis_angle_to_matrix(matrix_to_axis_angle(r)), r, atol=1e-9)


@settings(max_examples=30, deadline=None)
@given(axis=unit_vectors, angle=st.floats(0.0, 3.0), t=st.tuples(*[st.floats(-2, 2)] * 3))
def test_pose_and_transform_round_trip(axis, angle, t):
    pose = [*t, *(np.asarray(axis) / np.linalg.norm(axis) * angle)]
    tf = pose_to_transform(pose)
    np.testing.assert_allclose(pose_to_transform(transform_to_pose(tf)), tf, atol=1e-9)
    np.testing.assert_allclose(invert_transform(tf) @ tf, np.eye(4), atol=1e-9)


def test_make_transform_moves_points():
    tf = make_transform(rot_z(np.pi), [1.0, 2.0, 3.0])
    np.testing.assert_allclose((tf @ [1, 0, 0, 1])[:3], [0, 2, 3], atol=1e-12)


def test_deproject_and_project_are_inverse():
    p = D435_640X480.deproject(400.0, 100.0, 0.8)
    assert p[2] == 0.8
    assert D435_640X480.project(p) == pytest.approx((400.0, 100.0))
    centre = D435_640X480.deproject(D435_640X480.cx, D435_640X480.cy, 1.0)
    np.testing.assert_allclose(centre, [0, 0, 1])


def test_scaled_intrinsics_keep_rays():
    half = D435_640X480.scaled(320, 240)
    assert (half.fx, half.width) == (307.5, 320)
    # the ray through the centre of full-res pixel (639, 479) passes through half-res pixel (319.25, 239.25)
    ray_full = D435_640X480.deproject(639, 479, 1.0)
    assert half.project(ray_full) == pytest.approx((319.25, 239.25))


def test_intrinsics_from_field_of_view():
    intr = CameraIntrinsics.from_fov(640, 480, 90.0)
    assert intr.fy == pytest.approx(240.0) and intr.cx == 319.5
