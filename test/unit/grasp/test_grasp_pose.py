"""image_grasp_to_pose against hand-computed poses."""

from __future__ import annotations

import numpy as np
import pytest

from kd_grasp_ros.common.grasp_types import ImageGrasp
from kd_grasp_ros.common.intrinsics import CameraIntrinsics
from kd_grasp_ros.grasp.errors import GraspInputError
from kd_grasp_ros.grasp.grasp_pose import image_grasp_to_pose

CAM = CameraIntrinsics(width=640, height=480, fx=600.0, fy=600.0, cx=320.0, cy=240.0, frame_id="cam_optical")


def _grasp(row, col, angle, width_px=60.0):
    return ImageGrasp(row=row, col=col, angle=angle, width_px=width_px, quality=0.8, length_px=width_px / 2)


def test_horizontal_grasp_at_principal_point():
    depth = np.full((480, 640), 0.5, np.float32)
    pose = image_grasp_to_pose(_grasp(240, 320, 0.0), depth, CAM, stamp_s=12.5)
    np.testing.assert_allclose(pose.position, [0, 0, 0.5])
    np.testing.assert_allclose(pose.rotation, [[0, 1, 0], [-1, 0, 0], [0, 0, 1]], atol=1e-12)
    assert pose.width_m == pytest.approx(60 * 0.5 / 600) and pose.frame_id == "cam_optical"
    assert pose.stamp_s == 12.5 and pose.quality == pytest.approx(0.8)


def test_angled_grasp_off_centre_with_robust_depth():
    depth = np.full((480, 640), 0.8, np.float32)
    depth[100:105, 400:405] = [[0.6, 0.6, 0, 0.6, np.nan]] * 5  # centre window: missing pixels ignored
    depth[102, 402] = 5.0  # one outlier: the median ignores it
    pose = image_grasp_to_pose(_grasp(102, 402, np.pi / 2), depth, CAM)
    z = 0.6
    np.testing.assert_allclose(pose.position, [(402 - 320) * z / 600, (102 - 240) * z / 600, z])
    # θ = 90°: jaw axis points up the image (rows decrease) -> closing along camera -y
    np.testing.assert_allclose(pose.closing, [0, -1, 0], atol=1e-12)
    np.testing.assert_allclose(pose.approach, [0, 0, 1])
    np.testing.assert_allclose(pose.rotation[:, 0], [-1, 0, 0], atol=1e-12)  # x = y cross z
    theta = np.deg2rad(30)
    p30 = image_grasp_to_pose(_grasp(240, 320, theta), np.full((480, 640), 1.0, np.float32), CAM)
    np.testing.assert_allclose(p30.closing, [np.cos(theta), -np.sin(theta), 0], atol=1e-12)
    assert np.linalg.det(p30.rotation) == pytest.approx(1.0)
    np.testing.assert_allclose(p30.rotation.T @ p30.rotation, np.eye(3), atol=1e-12)


def test_no_valid_depth_or_outside_raises():
    depth = np.full((480, 640), 0.7, np.float32)
    depth[190:211, 290:311] = 0
    with pytest.raises(GraspInputError, match="no valid depth"):
        image_grasp_to_pose(_grasp(200, 300, 0.0), depth, CAM)
    with pytest.raises(GraspInputError, match="outside"):
        image_grasp_to_pose(_grasp(500, 300, 0.0), depth, CAM)
