"""Lifting pixels to 3-D honours the CameraInfo distortion model: against OpenCV's projectPoints."""

import cv2
import numpy as np
import pytest

from kd_grasp_ros.common.grasp_types import ImageGrasp
from kd_grasp_ros.common.intrinsics import CameraIntrinsics, DistortionModelError
from kd_grasp_ros.grasp.grasp_pose import image_grasp_to_pose

# A wide-angle Brown-Conrady calibration (strong enough that ignoring it moves points by many pixels).
PLUMB_BOB = CameraIntrinsics(
    width=640,
    height=480,
    fx=610.0,
    fy=606.0,
    cx=322.0,
    cy=236.0,
    distortion_model="plumb_bob",
    distortion=(-0.28, 0.09, 0.0012, -0.0008, -0.01),
)
RATIONAL = CameraIntrinsics(
    width=640,
    height=480,
    fx=610.0,
    fy=606.0,
    cx=322.0,
    cy=236.0,
    distortion_model="rational_polynomial",
    distortion=(0.35, -0.12, 0.001, 0.0005, 0.02, 0.6, -0.05, 0.03),
)


def _points(n=50, seed=0):
    rng = np.random.default_rng(seed)
    z = rng.uniform(0.4, 1.2, n)
    x = rng.uniform(-0.35, 0.35, n) * z
    y = rng.uniform(-0.25, 0.25, n) * z
    return np.column_stack([x, y, z])


@pytest.mark.parametrize("intr", [PLUMB_BOB, RATIONAL], ids=["plumb_bob", "rational_polynomial"])
def test_deproject_inverts_opencv_projectpoints(intr):
    pts = _points()
    pixels, _ = cv2.projectPoints(pts, np.zeros(3), np.zeros(3), intr.matrix, np.asarray(intr.distortion))
    pixels = pixels.reshape(-1, 2)
    lifted = np.array([intr.deproject(u, v, z) for (u, v), z in zip(pixels, pts[:, 2], strict=True)])
    np.testing.assert_allclose(lifted, pts, atol=1e-7)
    # ignoring the distortion would have been wrong by far more than that
    pinhole = CameraIntrinsics(intr.width, intr.height, intr.fx, intr.fy, intr.cx, intr.cy)
    naive = np.array([pinhole.deproject(u, v, z) for (u, v), z in zip(pixels, pts[:, 2], strict=True)])
    assert np.abs(naive - pts).max() > 5e-3
    # project() applies the same model as OpenCV
    np.testing.assert_allclose([intr.project(p) for p in pts], pixels, atol=1e-9)


def test_equidistant_round_trip_with_cv2_fisheye():
    intr = CameraIntrinsics(
        width=640,
        height=480,
        fx=380.0,
        fy=380.0,
        cx=320.0,
        cy=240.0,
        distortion_model="equidistant",
        distortion=(0.05, -0.01, 0.002, -0.0005),
    )
    pts = _points(20, seed=1)
    pixels, _ = cv2.fisheye.projectPoints(
        pts.reshape(-1, 1, 3), np.zeros(3), np.zeros(3), intr.matrix, np.asarray(intr.distortion)
    )
    pixels = pixels.reshape(-1, 2)
    lifted = np.array([intr.deproject(u, v, z) for (u, v), z in zip(pixels, pts[:, 2], strict=True)])
    np.testing.assert_allclose(lifted, pts, atol=1e-6)


def test_unknown_model_with_coefficients_is_a_named_error_and_zero_coefficients_are_pinhole():
    odd = CameraIntrinsics(
        640,
        480,
        600.0,
        600.0,
        320.0,
        240.0,
        distortion_model="kannala_brandt_x",
        distortion=(0.1, 0.0, 0.0, 0.0),
    )
    with pytest.raises(DistortionModelError, match="kannala_brandt_x"):
        odd.deproject(100.0, 100.0, 1.0)
    flat = CameraIntrinsics(
        640,
        480,
        600.0,
        600.0,
        320.0,
        240.0,
        distortion_model="kannala_brandt_x",
        distortion=(0.0, 0.0, 0.0, 0.0),
    )
    np.testing.assert_allclose(flat.deproject(920.0, 240.0, 2.0), [2.0, 0.0, 2.0])


def test_grasp_pose_lifts_the_centre_and_the_jaw_axis_through_the_distortion():
    """A grasp whose centre and jaw tips are the distorted images of known 3-D points on a plane."""
    z = 0.7
    centre, tip_a, tip_b = np.array([0.21, -0.12, z]), np.array([0.25, -0.10, z]), np.array([0.17, -0.14, z])
    (u, v), (ua, va), (ub, vb) = (PLUMB_BOB.project(p) for p in (centre, tip_a, tip_b))
    # the image grasp: centre pixel, angle of the (distorted) jaw axis, tips symmetric about the centre
    angle = float(np.arctan2(-(va - vb), ua - ub))
    width_px = float(np.hypot(ua - ub, va - vb))
    depth = np.full((480, 640), z, np.float32)
    grasp = ImageGrasp(row=v, col=u, angle=angle, width_px=width_px, quality=0.9)
    pose = image_grasp_to_pose(grasp, depth, PLUMB_BOB)
    np.testing.assert_allclose(pose.position, centre, atol=1e-7)
    true_axis = (tip_a - tip_b) / np.linalg.norm(tip_a - tip_b)
    # the tips are not exactly symmetric about the centre in the distorted image: a small residual
    assert np.degrees(np.arccos(abs(pose.rotation[:, 1] @ true_axis))) < 1.0
    pinhole = CameraIntrinsics(640, 480, PLUMB_BOB.fx, PLUMB_BOB.fy, PLUMB_BOB.cx, PLUMB_BOB.cy)
    assert np.linalg.norm(image_grasp_to_pose(grasp, depth, pinhole).position - centre) > 5e-3
