"""Grasp rectangles in image pixels: geometry, transforms, polygon IoU.

Points are (row, col). As in the Cornell files and the GG-CNN reference, edge p0 -> p1 runs along the
jaw axis (its length is the grasp width the network predicts) and edge p1 -> p2 across it (jaw size).
The angle follows ImageGrasp: counter-clockwise from the image x axis with rows pointing down,
angle = atan2(-d_row, d_col) of p0 -> p1, wrapped to (-pi/2, pi/2].
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from shapely.geometry import Polygon


def wrap_angle(angle: float | np.ndarray) -> float | np.ndarray:
    """An undirected axis angle wrapped to (-pi/2, pi/2]: shifted by the multiple of pi that brings it
    there (ceil rather than np.mod, whose float remainder costs 25x more on a 300x300 map)."""
    return angle - np.pi * np.ceil((angle - np.pi / 2) / np.pi)


def angle_difference(a: float, b: float) -> float:
    """Smallest difference between two undirected axis angles (modulo pi), in [0, pi/2]."""
    d = abs(float(np.mod(a - b, np.pi)))
    return min(d, np.pi - d)


@dataclass(frozen=True)
class GraspRectangle:
    """Four corners (row, col), shape (4, 2), float."""

    points: np.ndarray

    def __post_init__(self):
        pts = np.asarray(self.points, dtype=np.float64)
        if pts.shape != (4, 2) or not np.all(np.isfinite(pts)):
            raise ValueError(f"a grasp rectangle needs 4 finite (row, col) corners, got {pts.tolist()}")
        object.__setattr__(self, "points", pts)

    @classmethod
    def from_grasp(cls, center: tuple[float, float], angle: float, length: float, width: float):
        """Rectangle of a grasp centred at (row, col): `length` along the jaw axis, `width` across."""
        cy, cx = center
        c, s = np.cos(angle), np.sin(angle)
        axis = np.array([-s, c]) * length / 2.0  # (d_row, d_col) along the jaw axis
        across = np.array([c, s]) * width / 2.0  # perpendicular to it
        ctr = np.array([cy, cx], dtype=np.float64)
        corners = [ctr - axis - across, ctr + axis - across, ctr + axis + across, ctr - axis + across]
        return cls(np.array(corners))

    @property
    def center(self) -> np.ndarray:
        return self.points.mean(axis=0)

    @property
    def angle(self) -> float:
        d = self.points[1] - self.points[0]
        return float(wrap_angle(np.arctan2(-d[0], d[1])))

    @property
    def length(self) -> float:
        return float(np.linalg.norm(self.points[1] - self.points[0]))

    @property
    def width(self) -> float:
        return float(np.linalg.norm(self.points[2] - self.points[1]))

    def transformed(self, affine_xy: np.ndarray) -> GraspRectangle:
        """Apply a 2x3 affine written for (x, y) = (col, row) pixels, as OpenCV's warpAffine uses."""
        xy = self.points[:, ::-1]
        out = xy @ np.asarray(affine_xy)[:, :2].T + np.asarray(affine_xy)[:, 2]
        return GraspRectangle(out[:, ::-1])

    def shrunk_along_axis(self, factor: float) -> GraspRectangle:
        """The same rectangle with its jaw-axis length multiplied by factor (centre kept)."""
        return GraspRectangle.from_grasp(tuple(self.center), self.angle, self.length * factor, self.width)

    def polygon(self) -> Polygon:
        return Polygon(self.points[:, ::-1])

    def iou(self, other: GraspRectangle) -> float:
        a, b = self.polygon(), other.polygon()
        if not a.is_valid or not b.is_valid:
            a, b = a.buffer(0), b.buffer(0)
        union = a.union(b).area
        return float(a.intersection(b).area / union) if union > 0 else 0.0
