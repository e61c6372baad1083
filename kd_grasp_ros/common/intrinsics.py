"""Pinhole camera intrinsics shared by the simulation, the networks' geometry and the ROS nodes."""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from kd_grasp_ros.common.errors import KdGraspError

# CameraInfo distortion models whose coefficients OpenCV's pinhole model takes as they are
# (plumb_bob = Brown-Conrady k1 k2 p1 p2 k3; rational_polynomial adds k4 k5 k6).
OPENCV_PINHOLE_MODELS = ("plumb_bob", "rational_polynomial")
# Undistortion is an iteration (OpenCV's undistortPointsIter); these bound it.
UNDISTORT_MAX_ITERATIONS = 100
UNDISTORT_EPS = 1e-12


class DistortionModelError(KdGraspError, ValueError):
    """A CameraInfo distortion model this package cannot invert, with non-zero coefficients."""


@dataclass(frozen=True)
class CameraIntrinsics:
    """A pinhole camera: focal lengths and principal point in pixels, plus distortion.

    Pixel (u, v) = (column, row). The optical frame follows REP-103: x right, y down, z forward.
    """

    width: int
    height: int
    fx: float
    fy: float
    cx: float
    cy: float
    distortion_model: str = "plumb_bob"
    distortion: tuple[float, ...] = field(default=(0.0, 0.0, 0.0, 0.0, 0.0))
    frame_id: str = "camera_color_optical_frame"

    @property
    def matrix(self) -> np.ndarray:
        """The 3x3 camera matrix K."""
        return np.array([[self.fx, 0.0, self.cx], [0.0, self.fy, self.cy], [0.0, 0.0, 1.0]])

    def scaled(self, width: int, height: int) -> CameraIntrinsics:
        """The same camera seen at another resolution (images resized, not cropped)."""
        sx, sy = width / self.width, height / self.height
        return CameraIntrinsics(
            width=width,
            height=height,
            fx=self.fx * sx,
            fy=self.fy * sy,
            cx=(self.cx + 0.5) * sx - 0.5,
            cy=(self.cy + 0.5) * sy - 0.5,
            distortion_model=self.distortion_model,
            distortion=self.distortion,
            frame_id=self.frame_id,
        )

    @property
    def is_distorted(self) -> bool:
        return any(float(c) != 0.0 for c in self.distortion)

    def undistort_pixel(self, u: float, v: float) -> tuple[float, float]:
        """The pixel an ideal pinhole camera with the same K would see for the ray of the measured pixel
        (u, v). Brown-Conrady (plumb_bob) and rational_polynomial are inverted by OpenCV's iteration,
        equidistant by cv2.fisheye; another model with non-zero coefficients is a DistortionModelError."""
        if not self.is_distorted:
            return float(u), float(v)
        pts = np.array([[[u, v]]], dtype=np.float64)
        coeffs = np.asarray(self.distortion, dtype=np.float64)
        if self.distortion_model in OPENCV_PINHOLE_MODELS:
            stop = cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS
            criteria = (stop, UNDISTORT_MAX_ITERATIONS, UNDISTORT_EPS)
            out = cv2.undistortPointsIter(pts, self.matrix, coeffs, None, self.matrix, criteria)
        elif self.distortion_model == "equidistant":
            out = cv2.fisheye.undistortPoints(pts, self.matrix, coeffs[:4], P=self.matrix)
        else:
            raise DistortionModelError(
                f"cannot undistort pixels of distortion model {self.distortion_model!r} "
                f"(coefficients {self.distortion}); supported: {OPENCV_PINHOLE_MODELS + ('equidistant',)}"
            )
        return float(out[0, 0, 0]), float(out[0, 0, 1])

    def deproject(self, u: float, v: float, depth_m: float) -> np.ndarray:
        """The 3-D point (metres, optical frame) seen at pixel (u, v) of the (distorted) image with the
        given depth (z): the pixel is undistorted first, then back-projected through K."""
        u, v = self.undistort_pixel(u, v)
        return np.array([(u - self.cx) * depth_m / self.fx, (v - self.cy) * depth_m / self.fy, depth_m])

    def project(self, point: np.ndarray) -> tuple[float, float]:
        """The pixel (u, v) at which a 3-D point in the optical frame is seen (distortion applied)."""
        x, y, z = (float(c) for c in point)
        if not self.is_distorted:
            return self.fx * x / z + self.cx, self.fy * y / z + self.cy
        obj = np.array([[[x, y, z]]], dtype=np.float64)
        coeffs = np.asarray(self.distortion, dtype=np.float64)
        if self.distortion_model == "equidistant":
            img, _ = cv2.fisheye.projectPoints(obj, np.zeros(3), np.zeros(3), self.matrix, coeffs[:4])
        elif self.distortion_model in OPENCV_PINHOLE_MODELS:
            img, _ = cv2.projectPoints(obj, np.zeros(3), np.zeros(3), self.matrix, coeffs)
        else:
            raise DistortionModelError(f"cannot project with distortion model {self.distortion_model!r}")
        return float(img.reshape(2)[0]), float(img.reshape(2)[1])

    def sensor_mode(self, width: int, height: int) -> CameraIntrinsics:
        """This calibration in another output mode of the same sensor, as RealSense colour streams are
        made: the largest centred crop with the mode's aspect ratio, scaled to width x height (so a
        1280x720 calibration gives 640x480 from a 960x720 crop, 848x480 from 1272x720)."""
        scale = max(width / self.width, height / self.height)
        crop_w, crop_h = width / scale, height / scale
        x0, y0 = (self.width - crop_w) / 2.0, (self.height - crop_h) / 2.0
        return CameraIntrinsics(
            width=width,
            height=height,
            fx=self.fx * scale,
            fy=self.fy * scale,
            cx=(self.cx - x0 + 0.5) * scale - 0.5,
            cy=(self.cy - y0 + 0.5) * scale - 0.5,
            distortion_model=self.distortion_model,
            distortion=self.distortion,
            frame_id=self.frame_id,
        )

    @classmethod
    def from_fov(cls, width: int, height: int, fovy_deg: float, **kwargs) -> CameraIntrinsics:
        """A distortion-free camera from its vertical field of view (as MuJoCo and ClearGrasp give it)."""
        fy = 0.5 * height / np.tan(np.deg2rad(fovy_deg) / 2.0)
        cx, cy = (width - 1) / 2.0, (height - 1) / 2.0
        return cls(width=width, height=height, fx=fy, fy=fy, cx=cx, cy=cy, **kwargs)


# A RealSense D435 colour stream at 640x480 (typical factory calibration).
D435_640X480 = CameraIntrinsics(width=640, height=480, fx=615.0, fy=615.0, cx=319.5, cy=239.5)
