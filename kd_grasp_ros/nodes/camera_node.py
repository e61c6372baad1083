"""camera_node: a RealSense camera (or a recording of one) on the realsense-ros topics.

Publishes (reliable, see nodes/qos.py) `camera/camera/color/image_raw` (rgb8),
`camera/camera/color/camera_info`, `camera/camera/aligned_depth_to_color/image_raw` (16UC1 mm,
aligned to colour) and its camera_info, all stamped with the frame's capture time: the device
timestamp (librealsense global time where the device offers it) mapped to the node clock by
kd_grasp_ros.camera.timestamps.DeviceClock (offset estimated once, re-checked every frame, re-estimated
after a clock jump), framed `camera_color_optical_frame`. With no device (or an unreadable
recording) it logs the reason and retries every retry_period_s.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import ClassVar

from diagnostic_msgs.msg import DiagnosticArray
from rclpy.node import Node
from rclpy.time import Time
from sensor_msgs.msg import CameraInfo, Image
from std_msgs.msg import Header

from kd_grasp_ros.camera.realsense import CameraConfig, CameraError, RealSenseCamera
from kd_grasp_ros.camera.timestamps import DeviceClock
from kd_grasp_ros.common.parameter_files import parameter
from kd_grasp_ros.nodes import topics
from kd_grasp_ros.nodes.clock import now_seconds
from kd_grasp_ros.nodes.diagnostics import ERROR, OK, diagnostic_array
from kd_grasp_ros.nodes.parameters import declare_values, from_values
from kd_grasp_ros.nodes.qos import IMAGE_PUBLISHER_QOS
from kd_grasp_ros.nodes.runner import run_node
from kd_grasp_ros.ros_image import intrinsics_to_camera_info, numpy_to_image

NODE_NAME = "camera_node"
# The stream is polled this many times per frame period, so a frame waits at most half a period.
POLLS_PER_FRAME = 2


@dataclass(frozen=True)
class CameraNodeParams:
    """camera_node's own parameters, beside the camera's (CameraConfig); defaults in config/camera.yaml."""

    parameter_file: ClassVar[str] = CameraConfig.parameter_file
    section: ClassVar[str] = NODE_NAME

    stall_timeout_s: float = parameter(
        "no frame for this long (s) while streaming: close and reopen the stream (a stalled USB link or "
        "recording playback)",
        read_only=True,
        range=(0.5, 60.0),
    )
    retry_period_s: float = parameter(
        "wait between attempts to open the camera (s)", read_only=True, range=(0.1, 60.0)
    )


class CameraNode(Node):
    """Thin ROS shell around kd_grasp_ros.camera.realsense.RealSenseCamera."""

    def __init__(self, **kwargs):
        super().__init__(NODE_NAME, **kwargs)
        values = declare_values(self, CameraConfig, CameraNodeParams)
        config, own = from_values(CameraConfig, values), from_values(CameraNodeParams, values)
        self.retry_period_s = own.retry_period_s
        self.stall_timeout_s = own.stall_timeout_s
        self.last_frame_s = time.monotonic()
        self.camera = RealSenseCamera(config)
        self.device_clock = DeviceClock()
        sensor = IMAGE_PUBLISHER_QOS
        self.pub_color = self.create_publisher(Image, topics.REALSENSE_COLOR, sensor)
        self.pub_color_info = self.create_publisher(CameraInfo, topics.REALSENSE_COLOR_INFO, sensor)
        self.pub_depth = self.create_publisher(Image, topics.REALSENSE_ALIGNED_DEPTH, sensor)
        self.pub_depth_info = self.create_publisher(CameraInfo, topics.REALSENSE_ALIGNED_DEPTH_INFO, sensor)
        self.pub_diag = self.create_publisher(DiagnosticArray, topics.DIAGNOSTICS, 10)
        self.frames_out = 0
        self.open_attempts = 0
        self.poll_timer = self.create_timer(1.0 / (config.fps * POLLS_PER_FRAME), self._poll)
        self.poll_timer.cancel()
        self.retry_timer = self.create_timer(self.retry_period_s, self._try_open)
        self._try_open()

    def _try_open(self) -> None:
        self.open_attempts += 1
        try:
            self.camera.open()
        except CameraError as exc:
            self.get_logger().error(
                f"camera not available (attempt {self.open_attempts}): {exc}; "
                f"retrying in {self.retry_period_s} s"
            )
            self._report(ERROR, f"camera not available: {exc}")
            return
        self.retry_timer.cancel()
        self.last_frame_s = time.monotonic()
        self.poll_timer.reset()
        self.get_logger().info(f"streaming from {self.camera.source}")
        self._report(OK, f"streaming from {self.camera.source}")

    def _poll(self) -> None:
        try:
            frame = self.camera.poll()
            silent_s = time.monotonic() - self.last_frame_s
            if frame is None and silent_s > self.stall_timeout_s:
                raise CameraError(f"{self.camera.source} delivered no frame for {silent_s:.1f} s")
        except CameraError as exc:
            self.get_logger().error(f"{exc}; reopening in {self.retry_period_s} s")
            self.camera.close()
            self.poll_timer.cancel()
            self.retry_timer.reset()
            self._report(ERROR, str(exc))
            return
        if frame is None:
            return
        self.last_frame_s = time.monotonic()
        resets = self.device_clock.resets
        stamp_s = self.device_clock.stamp(frame.timestamp_ms, now_seconds(self))
        if self.device_clock.resets != resets:
            self.get_logger().warning(
                f"device clock ({frame.timestamp_domain}) jumped; re-estimating its offset to the ROS clock"
            )
        stamp = Time(nanoseconds=int(round(stamp_s * 1e9)), clock_type=self.get_clock().clock_type).to_msg()
        header = Header(stamp=stamp, frame_id=frame.intrinsics.frame_id)
        info = intrinsics_to_camera_info(frame.intrinsics, header)
        self.pub_color.publish(numpy_to_image(frame.rgb, "rgb8", header))
        self.pub_color_info.publish(info)
        self.pub_depth.publish(numpy_to_image(frame.depth_mm, "16UC1", header))
        self.pub_depth_info.publish(info)
        self.frames_out += 1

    def _report(self, level: bytes, message: str) -> None:
        self.pub_diag.publish(
            diagnostic_array(
                self.get_clock().now().to_msg(),
                f"{self.get_name()}: camera",
                self.get_fully_qualified_name(),
                level,
                message,
                {"frames_out": self.frames_out, "open_attempts": self.open_attempts},
            )
        )

    def destroy_node(self) -> None:
        self.camera.close()
        super().destroy_node()


def main(args=None) -> int:
    return run_node(CameraNode, args)


if __name__ == "__main__":
    raise SystemExit(main())
