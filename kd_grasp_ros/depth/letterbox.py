"""Any camera resolution on a fixed-size network without stretching: scale uniformly, pad, crop back.

A WxH frame is scaled by s = min(net_w / W, net_h / H) (the same factor on both axes), placed at the
top-left of the net_w x net_h network input and the rest is padded by repeating the edge pixels. The
network's output is cropped to that content and resized back to WxH. So 1280x720, 848x480, 640x480 and
640x360 all reach a 320x240 network undistorted: the aspect ratio of the content differs from the
frame's by at most half a pixel of rounding.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class Letterbox:
    """The mapping between a frame (width, height) and a network input (width, height)."""

    frame: tuple[int, int]
    network: tuple[int, int]

    @property
    def scale(self) -> float:
        return min(self.network[0] / self.frame[0], self.network[1] / self.frame[1])

    @property
    def content(self) -> tuple[int, int]:
        """(width, height) of the frame inside the network input."""
        s = self.scale
        return (
            min(self.network[0], max(1, round(self.frame[0] * s))),
            min(self.network[1], max(1, round(self.frame[1] * s))),
        )

    def to_network(self, image: np.ndarray, interpolation: int) -> np.ndarray:
        """The frame-sized image scaled into the content area and edge-padded to the network size."""
        cw, ch = self.content
        scaled = cv2.resize(image, (cw, ch), interpolation=interpolation)
        pad_x, pad_y = self.network[0] - cw, self.network[1] - ch
        if pad_x or pad_y:
            scaled = cv2.copyMakeBorder(scaled, 0, pad_y, 0, pad_x, cv2.BORDER_REPLICATE)
        return scaled

    def crop(self, image: np.ndarray) -> np.ndarray:
        """The content area of a network-sized image."""
        cw, ch = self.content
        return image[:ch, :cw]

    def to_frame(self, image: np.ndarray, interpolation: int) -> np.ndarray:
        """A network-sized image cropped to the content and resized to the frame size."""
        return cv2.resize(np.ascontiguousarray(self.crop(image)), self.frame, interpolation=interpolation)
