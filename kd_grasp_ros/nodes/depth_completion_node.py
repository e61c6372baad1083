"""depth_completion_node: fills the holes of raw depth (transparent objects) with the shipped student.

Subscribes (QoS: the input_qos parameter, see nodes/qos.py): `color/image_raw` (rgb8/bgr8/...),
`depth/image_raw` (16UC1 mm or 32FC1 m), `depth/camera_info`; colour and depth are paired by
approximate time. Publishes `depth_completed/image_raw` (32FC1 metres, the input's stamp and frame),
`depth_completed/confidence` (32FC1 in [0, 1], how much of the network's correction to the classical
fill was applied at each pixel; 0 = the classical fill), `depth_completed/camera_info` and per-frame
latency on `diagnostics`. Bad frames are logged and
counted, never published. The network runs on the node's worker thread on the newest pair only (see
nodes/frame_node.py); in pipeline_composed the completed depth also goes to the grasp node in memory and
the topics are published only while someone subscribes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from sensor_msgs.msg import CameraInfo, Image
from std_msgs.msg import Header

from kd_grasp_ros.common.parameter_files import parameter
from kd_grasp_ros.common.resources import ResourceNotFoundError, resolve_model
from kd_grasp_ros.depth.completer import DepthCompleter
from kd_grasp_ros.depth.errors import DepthInputError, DepthModelError
from kd_grasp_ros.nodes import topics
from kd_grasp_ros.nodes.clock import LOG_THROTTLE_S, now_seconds, stamp_seconds
from kd_grasp_ros.nodes.diagnostics import OK, WARN
from kd_grasp_ros.nodes.frame_node import FrameProcessingNode, NetworkFrameParams
from kd_grasp_ros.nodes.qos import IMAGE_PUBLISHER_QOS
from kd_grasp_ros.nodes.runner import NodeStartupError, run_node
from kd_grasp_ros.pipeline.frame_checks import FrameInputError
from kd_grasp_ros.pipeline.perception import complete_frame
from kd_grasp_ros.pipeline.sync import ApproximateTimeSynchronizer
from kd_grasp_ros.ros_image import (
    ImageConversionError,
    camera_info_to_intrinsics,
    depth_to_metres,
    image_to_rgb,
    metres_to_depth_image,
    numpy_to_image,
)

NODE_NAME = "depth_completion_node"
CAMERA_INFO_FIELDS = (
    "height",
    "width",
    "distortion_model",
    "d",
    "k",
    "r",
    "p",
    "binning_x",
    "binning_y",
    "roi",
)


@dataclass(frozen=True)
class DepthCompletionParams(NetworkFrameParams):
    """depth_completion_node's parameters; defaults in config/depth_completion.yaml."""

    parameter_file: ClassVar[str] = "depth_completion.yaml"
    section: ClassVar[str] = NODE_NAME

    input_width: int = parameter("network input width (pixels)", read_only=True, range=(16, 4096))
    input_height: int = parameter("network input height (pixels)", read_only=True, range=(16, 4096))
    depth_min_m: float = parameter(
        "nearest valid depth (m); nearer raw depth is treated as missing", read_only=True, range=(0.0, 10.0)
    )
    depth_max_m: float = parameter(
        "farthest valid depth (m); farther raw depth is treated as missing", read_only=True, range=(0.1, 20.0)
    )
    sync_queue_size: int = parameter(
        "colour/depth approximate-time queue (messages per stream)", read_only=True, range=(1, 100)
    )
    sync_slop_s: float = parameter(
        "largest colour/depth stamp difference paired (s)", read_only=True, range=(0.0, 1.0)
    )


class DepthCompletionNode(FrameProcessingNode):
    """Thin ROS shell around kd_grasp_ros.depth.completer.DepthCompleter."""

    def __init__(self, **kwargs):
        super().__init__(NODE_NAME, "depth completion", DepthCompletionParams, **kwargs)
        p = self.params
        model, device, backend = p.model_path, p.device, p.backend
        input_width, input_height = p.input_width, p.input_height
        depth_min, depth_max = p.depth_min_m, p.depth_max_m
        if depth_min >= depth_max:
            raise NodeStartupError(f"depth_min_m ({depth_min}) must be below depth_max_m ({depth_max})")
        self.completer = load_completer(
            model, device, backend, (input_width, input_height), (depth_min, depth_max), p.threads or None
        )
        self.add_on_set_parameters_callback(self.on_set_common_parameters)

        self.sync = ApproximateTimeSynchronizer(("color", "depth"), p.sync_queue_size, p.sync_slop_s)
        self.consumers: list[Callable[[Header, np.ndarray, CameraInfo], None]] = []
        self.start_worker(self._complete)
        self.pub_depth = self.create_publisher(Image, topics.COMPLETED_DEPTH, IMAGE_PUBLISHER_QOS)
        self.pub_info = self.create_publisher(CameraInfo, topics.COMPLETED_DEPTH_INFO, IMAGE_PUBLISHER_QOS)
        self.pub_confidence = self.create_publisher(
            Image, topics.COMPLETED_DEPTH_CONFIDENCE, IMAGE_PUBLISHER_QOS
        )
        self.create_subscription(Image, topics.COLOR_IN, self.guarded(self._on_color), self.input_qos)
        self.create_subscription(Image, topics.DEPTH_IN, self.guarded(self._on_depth), self.input_qos)
        self.create_subscription(CameraInfo, topics.DEPTH_INFO_IN, self.on_camera_info, self.input_qos)
        self.get_logger().info(
            f"depth completion ready: model {model} on {device} ({backend}), input "
            f"{input_width}x{input_height}, range {depth_min}-{depth_max} m; listening on "
            f"{self.resolve_topic_name(topics.COLOR_IN)} + {self.resolve_topic_name(topics.DEPTH_IN)}"
        )

    def _on_color(self, msg: Image) -> None:
        self._on_pair(self._add("color", msg))

    def _on_depth(self, msg: Image) -> None:
        self._on_pair(self._add("depth", msg))

    def _add(self, stream: str, msg: Image):
        """Queue a message for pairing; report (throttled) colour and depth that never pair up."""
        unmatched = self.sync.unmatched
        matched = self.sync.add(stream, stamp_seconds(msg.header.stamp), msg)
        if self.sync.unmatched > unmatched:
            reason = (
                f"colour and depth stamps are {self.sync.last_offset_s:.3f} s apart, more than "
                f"sync_slop_s {self.sync.slop_s}: no pair ({self.sync.unmatched} so far)"
            )
            self.get_logger().warn(reason, throttle_duration_sec=LOG_THROTTLE_S)
            self.publish_diagnostics(WARN, reason, {"sync_offset_s": self.sync.last_offset_s})
        return matched

    def _on_pair(self, matched) -> None:
        if matched is not None:
            self.submit((matched["color"].item, matched["depth"].item, self.camera_info))

    def add_consumer(self, consume: Callable[[Header, np.ndarray, CameraInfo], None]) -> None:
        """Also hand every completed frame to `consume(header, depth_m, camera_info)` in this process (the
        composed pipeline's grasp node: no serialisation); the topic is then published only while
        someone subscribes to it."""
        self.consumers.append(consume)

    def _complete(self, frame) -> None:
        """Worker thread: one colour/depth pair (and the camera_info current when it paired)."""
        received = time.perf_counter()
        color_msg, depth_msg, camera_info = frame
        stamp_s = stamp_seconds(depth_msg.header.stamp)
        if not self.is_fresh(depth_msg.header) or not self.has_camera_info(topics.DEPTH_INFO_IN, camera_info):
            return
        try:
            rgb = image_to_rgb(color_msg)
            depth = depth_to_metres(depth_msg)
            intrinsics = camera_info_to_intrinsics(camera_info)
            convert_ms = (time.perf_counter() - received) * 1000.0
            completed, confidence, valid = complete_frame(
                self.completer, rgb, depth, intrinsics, self.min_valid_fraction
            )
        except (ImageConversionError, FrameInputError, DepthInputError, DepthModelError) as exc:
            self.reject(f"frame refused: {exc}")
            return
        start = time.perf_counter()
        for consume in self.consumers:
            consume(depth_msg.header, completed, camera_info)
        if not self.consumers or self.pub_depth.get_subscription_count() > 0:
            info = CameraInfo(header=depth_msg.header)
            for field in CAMERA_INFO_FIELDS:
                setattr(info, field, getattr(camera_info, field))
            self.pub_info.publish(info)  # before the image, so the grasp node has it when the image comes
            self.pub_depth.publish(metres_to_depth_image(completed, "32FC1", depth_msg.header))
        if self.pub_confidence.get_subscription_count() > 0:
            self.pub_confidence.publish(numpy_to_image(confidence, "32FC1", depth_msg.header))
        self.frames_out += 1
        self.publish_diagnostics(
            OK,
            "frame completed",
            {
                "latency_ms": (time.perf_counter() - received) * 1000.0,
                "convert_ms": convert_ms,
                **{f"{k}_ms": float(v) for k, v in self.completer.last_timings_ms.items()},
                "publish_ms": (time.perf_counter() - start) * 1000.0,
                "age_at_publish_ms": (now_seconds(self) - stamp_s) * 1000.0,
                "valid_input_fraction": valid,
                "mean_confidence": float(confidence.mean()),
                "network_input": network_input(self.completer),
            },
        )

    def counters(self) -> dict:
        return {
            **super().counters(),
            "sync_matched": self.sync.matched,
            "sync_unmatched": self.sync.unmatched,
        }


def network_input(completer: DepthCompleter) -> str:
    """How the last frame reached the network, e.g. '320x180 of 320x240' (a 16:9 frame, letterboxed)."""
    (cw, ch), (nw, nh) = completer.last_letterbox.content, completer.input_size
    return f"{cw}x{ch} of {nw}x{nh}"


def load_completer(model: str, device: str, backend: str, input_size, depth_range, threads) -> DepthCompleter:
    """The DepthCompleter for the parameters; NodeStartupError if the model cannot be loaded."""
    try:
        return DepthCompleter(
            resolve_model(model),
            device=device,
            input_size=input_size,
            depth_range=depth_range,
            threads=threads,
            backend=backend,
        )
    except (ResourceNotFoundError, DepthModelError) as exc:
        raise NodeStartupError(f"{NODE_NAME}: cannot load depth model '{model}': {exc}") from exc


def main(args=None) -> int:
    return run_node(DepthCompletionNode, args, executor="events")


if __name__ == "__main__":
    raise SystemExit(main())
