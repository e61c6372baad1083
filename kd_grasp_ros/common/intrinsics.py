"""Pinhole camera intrinsics shared by the simulation, the networks' geometry and the ROS nodes."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


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
            width=width, height=height, fx=self.fx * sx, fy=self.fy * sy,
            cx=(self.cx + 0.5) * sx - 0.5, cy=(self.cy + 0.5) * sy - 0.5,
            distortion_model=self.distortion_model, distortion=self.distortion, frame_id=self.frame_id,
        )

    def deproject(self, u: float, v: float, depth_m: float) -> np.ndarray:
        """The 3-D point (metres, optical frame) seen at pixel (u, v) with the given depth."""
        return np.array([(u - self.cx) * depth_m / self.fx, (v - self.cy) * depth_m / self.fy, depth_m])

    def project(self, point: np.ndarray) -> tuple[float, float]:
        """The pixel (u, v) at which a 3-D point in the optical frame is seen."""
        x, y, z = (float(c) for c in point)
        return self.fx * x / z + self.cx, self.fy * y / z + self.cy

    @classmethod
    def from_fov(cls, width: int, height: int, fovy_deg: float, **kwargs) -> CameraIntrinsics:
        """A distortion-free camera from its vertical field of view (as MuJoCo and ClearGrasp give it)."""
        fy = 0.5 * height / np.tan(np.deg2rad(fovy_deg) / 2.0)
        cx, cy = (width - 1) / 2.0, (height - 1) / 2.0
        return cls(width=width, height=height, fx=fy, fy=fy, cx=cx, cy=cy, **kwargs)


# A RealSense D435 colour stream at 640x480 (typical factory calibration).
D435_640X480 = CameraIntrinsics(width=640, height=480, fx=615.0, fy=615.0, cx=319.5, cy=239.5)
