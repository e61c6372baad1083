"""Camera geometry: optical frame (x right, y down, z forward) versus MuJoCo's camera frame.

MuJoCo cameras look along their -z axis with y up, so R_mujoco = R_optical @ diag(1, -1, -1); this
module is the one place that conversion happens. Intrinsics become MJCF camera attributes
(resolution, focalpixel, principalpixel); MuJoCo's principal-point offset is measured from the image
centre ((W-1)/2, (H-1)/2) with the opposite sign of (cx, cy).
"""

from __future__ import annotations

import numpy as np

from kd_grasp_ros.common.errors import KdGraspError
from kd_grasp_ros.common.intrinsics import CameraIntrinsics
from kd_grasp_ros.common.transforms import make_transform

OPTICAL_FROM_MUJOCO_CAMERA = np.diag([1.0, -1.0, -1.0])
PIXEL_PITCH_M = 3.0e-6  # nominal sensor pixel size; only the ratio focal/pitch matters


class CameraGeometryError(KdGraspError, ValueError):
    """A camera placement is degenerate (target at the camera, or the down hint along the axis)."""


def look_at_optical(position, target, down_hint) -> np.ndarray:
    """Rotation (columns = optical x, y, z in the parent frame) looking from position at target.

    down_hint: a parent-frame direction that should point down in the image.
    """
    z = np.asarray(target, float) - np.asarray(position, float)
    if np.linalg.norm(z) < 1e-9:
        raise CameraGeometryError(f"camera target {target} equals its position {position}")
    z /= np.linalg.norm(z)
    y = np.asarray(down_hint, float) - np.dot(down_hint, z) * z
    if np.linalg.norm(y) < 1e-6:
        raise CameraGeometryError(f"down hint {down_hint} is parallel to the optical axis {z}")
    y /= np.linalg.norm(y)
    x = np.cross(y, z)
    return np.column_stack([x, y, z])


def mujoco_camera_rotation(r_optical: np.ndarray) -> np.ndarray:
    """MuJoCo camera frame (x right, y up, looking along -z) of an optical-frame rotation."""
    return r_optical @ OPTICAL_FROM_MUJOCO_CAMERA


def optical_transform(cam_pos: np.ndarray, cam_xmat: np.ndarray) -> np.ndarray:
    """4x4 pose of the optical frame from a MuJoCo camera's world position and 3x3 (or 9-vector) matrix."""
    r_mj = np.asarray(cam_xmat, float).reshape(3, 3)
    return make_transform(r_mj @ OPTICAL_FROM_MUJOCO_CAMERA, cam_pos)


def camera_xml(name: str, position, r_optical: np.ndarray, intr: CameraIntrinsics) -> str:
    """An MJCF <camera> placed at position with the given optical rotation and intrinsics."""
    r_mj = mujoco_camera_rotation(r_optical)
    xyaxes = " ".join(f"{v:.9g}" for v in np.concatenate([r_mj[:, 0], r_mj[:, 1]]))
    pos = " ".join(f"{v:.9g}" for v in position)
    ppx = (intr.width - 1) / 2.0 - intr.cx
    ppy = (intr.height - 1) / 2.0 - intr.cy
    return (
        f'<camera name="{name}" pos="{pos}" xyaxes="{xyaxes}" resolution="{intr.width} {intr.height}"'
        f' sensorsize="{intr.width * PIXEL_PITCH_M:.9g} {intr.height * PIXEL_PITCH_M:.9g}"'
        f' focalpixel="{intr.fx:.9g} {intr.fy:.9g}" principalpixel="{ppx:.9g} {ppy:.9g}"/>'
    )


def project_points(points_base: np.ndarray, t_base_camera: np.ndarray, intr: CameraIntrinsics) -> np.ndarray:
    """Pixel coordinates (N x 2, columns x = column, y = row) of base-frame points."""
    pts = np.atleast_2d(np.asarray(points_base, float))
    t_cam_base = np.linalg.inv(t_base_camera)
    cam = pts @ t_cam_base[:3, :3].T + t_cam_base[:3, 3]
    if np.any(cam[:, 2] <= 0):
        raise CameraGeometryError("a projected point lies behind the camera")
    u = intr.fx * cam[:, 0] / cam[:, 2] + intr.cx
    v = intr.fy * cam[:, 1] / cam[:, 2] + intr.cy
    return np.column_stack([u, v])
