"""The grasp as it travels between modules: in the image, and as a 3-D pose.

Gripper frame convention (documented for users in docs/nodes.md): z = approach direction (into the scene),
y = closing direction of the jaws, x = z cross y. Width is the jaw opening in metres.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# The values per candidate, in order, of the flat grasp_candidates_info message (Float32MultiArray).
CANDIDATE_INFO_FIELDS = ("quality", "width_m")


@dataclass(frozen=True)
class ImageGrasp:
    """A planar grasp in image pixels: centre (row, col), angle, opening, quality.

    angle is the jaw axis angle in radians in the image, measured like the GG-CNN reference code
    (counter-clockwise from the image x axis, with image rows pointing down: angle = -atan2(dy, dx)),
    within (-pi/2, pi/2]. width_px is the rectangle length along the jaw axis (pixels).
    """

    row: float
    col: float
    angle: float
    width_px: float
    quality: float
    length_px: float = 0.0


@dataclass(frozen=True)
class GraspPose:
    """A 3-D grasp in a named frame: position (m), rotation matrix (gripper axes as columns), width (m)."""

    position: np.ndarray
    rotation: np.ndarray
    width_m: float
    quality: float
    frame_id: str
    stamp_s: float = 0.0

    @property
    def approach(self) -> np.ndarray:
        return self.rotation[:, 2]

    @property
    def closing(self) -> np.ndarray:
        return self.rotation[:, 1]
