"""Shared by the depth-completion and grasp nodes: camera_info cache, stale gate, refusals, diagnostics,
and the inference worker.

Subscription callbacks only hand frames to the node's FrameWorker (latest frame wins, see
pipeline/latest_frame.py) and return at once; the worker thread checks the frame's age when it takes it,
so a frame that waited too long is dropped before inference, and runs the network. The executor thread
therefore never waits for a network, and a node never works on a frame older than the newest one.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from diagnostic_msgs.msg import DiagnosticArray
from rcl_interfaces.msg import SetParametersResult
from rclpy.node import Node
from sensor_msgs.msg import CameraInfo

from kd_grasp_ros.common.inference import BACKENDS
from kd_grasp_ros.common.parameter_files import parameter
from kd_grasp_ros.nodes import topics
from kd_grasp_ros.nodes.clock import LOG_THROTTLE_S, now_seconds, stamp_seconds
from kd_grasp_ros.nodes.diagnostics import ERROR, WARN, diagnostic_array
from kd_grasp_ros.nodes.parameters import declare_all
from kd_grasp_ros.nodes.qos import INPUT_QOS_CHOICES, QoSChoiceError, input_qos
from kd_grasp_ros.nodes.runner import NodeStartupError
from kd_grasp_ros.pipeline.frame_checks import StaleFrameFilter
from kd_grasp_ros.pipeline.latest_frame import FrameWorker

# How long destroy_node waits for the frame being inferred (the process's exit deadline bounds it too).
WORKER_STOP_TIMEOUT_S = 3.0


@dataclass(frozen=True)
class FrameParams:
    """Parameters of every frame-processing node (defaults: its parameter file; see parameter_files)."""

    max_age_s: float = parameter(
        "frames older than this vs. the node clock are dropped (s, 0 = never)", range=(0.0, 60.0)
    )
    max_future_s: float = parameter(
        "frames stamped further ahead of the node clock are refused (s)", range=(0.0, 60.0)
    )
    min_valid_fraction: float = parameter(
        "frames with fewer valid depth pixels are refused (0-1)", range=(0.0, 1.0)
    )
    input_qos: str = parameter(
        "QoS of the image subscriptions: sensor_data (best effort, matches any "
        "publisher) or reliable (no drops, needs reliable publishers)",
        read_only=True,
        constraints=f"one of {', '.join(INPUT_QOS_CHOICES)}",
    )


@dataclass(frozen=True)
class NetworkFrameParams(FrameParams):
    """Parameters of a frame-processing node that runs a network."""

    model_path: str = parameter(
        "network checkpoint: a path or a file name in the package's models/", read_only=True
    )
    device: str = parameter("device for inference (cpu; cuda, cuda:0 need backend torch)", read_only=True)
    backend: str = parameter(
        "inference backend: onnxruntime (CPU; its own thread budget) or torch",
        read_only=True,
        constraints=f"one of {', '.join(BACKENDS)}",
    )
    threads: int = parameter(
        "CPU threads of this node's network (0 = one per core); "
        "onnxruntime keeps them per node, torch's count is process-wide",
        read_only=True,
        range=(0, 64),
    )


class FrameProcessingNode(Node):
    """A node that turns camera frames into results; subclasses add models, inputs and outputs."""

    def __init__(self, node_name: str, purpose: str, params_class: type[FrameParams], **kwargs):
        """Declares every parameter of `params_class` (a FrameParams) into `self.params`."""
        super().__init__(node_name, **kwargs)
        self.purpose = purpose
        self.params = declare_all(self, params_class)
        self.max_age_s = self.params.max_age_s
        self.max_future_s = self.params.max_future_s
        self.min_valid_fraction = self.params.min_valid_fraction
        qos_choice = self.params.input_qos
        try:
            self.input_qos = input_qos(qos_choice)
        except QoSChoiceError as exc:
            raise NodeStartupError(f"{node_name}: {exc}") from exc
        self.stale = StaleFrameFilter(self.max_age_s, self.max_future_s)
        self.camera_info: CameraInfo | None = None
        self.frames_out = 0
        self.rejected = 0
        self.internal_errors = 0
        self.pub_diag = self.create_publisher(DiagnosticArray, topics.DIAGNOSTICS, 10)
        self.worker: FrameWorker | None = None

    def start_worker(self, process: Callable[[Any], None]) -> None:
        """Run `process(frame)` (guarded) on a worker thread for the newest frame given to submit()."""
        self.worker = FrameWorker(self.guarded(process), name=f"{self.get_name()}-inference")

    def submit(self, frame: Any) -> None:
        """Hand a frame to the worker; one it has not started yet is replaced (counted as superseded)."""
        self.worker.offer(frame)

    def destroy_node(self) -> None:
        if self.worker is not None and not self.worker.stop(WORKER_STOP_TIMEOUT_S):
            self.get_logger().warn(f"inference still running after {WORKER_STOP_TIMEOUT_S} s at shutdown")
        super().destroy_node()

    def on_set_common_parameters(self, params) -> SetParametersResult:
        """Apply changes of max_age_s and min_valid_fraction (ranges are checked by rclpy)."""
        for param in params:
            if param.name == "max_age_s":
                self.max_age_s = self.stale.max_age_s = float(param.value)
            elif param.name == "max_future_s":
                self.max_future_s = self.stale.max_future_s = float(param.value)
            elif param.name == "min_valid_fraction":
                self.min_valid_fraction = float(param.value)
        return SetParametersResult(successful=True)

    def on_camera_info(self, msg: CameraInfo) -> None:
        self.camera_info = msg

    def is_fresh(self, header) -> bool:
        """False (logged, counted, reported) unless the frame's header is usable now: a frame_id, a
        positive stamp, no older than max_age_s and no further ahead than max_future_s."""
        if not header.frame_id:
            self.reject("frame refused: empty header.frame_id (grasps would have no frame)")
            return False
        old = self.stale.dropped
        refusal = self.stale.refusal(stamp_seconds(header.stamp), now_seconds(self))
        if refusal is None:
            return True
        kind = "stale frame" if self.stale.dropped > old else "frame"
        self.get_logger().warn(
            f"dropped a {kind}: {refusal} ({self.dropped_total()} dropped so far)",
            throttle_duration_sec=LOG_THROTTLE_S,
        )
        self.publish_diagnostics(WARN, f"frame dropped: {refusal}", {})
        return False

    def dropped_total(self) -> int:
        return self.stale.dropped + self.stale.future_dropped + self.stale.unstamped

    def has_camera_info(self, topic: str, camera_info: CameraInfo | None) -> bool:
        """False (logged as an error) if no camera_info had arrived on `topic` with the frame."""
        if camera_info is None:
            self.reject(f"no camera_info received on {self.resolve_topic_name(topic)} yet")
            return False
        return True

    def reject(self, reason: str) -> None:
        """Log (throttled), count and report a frame that could not be processed."""
        self.rejected += 1
        self.get_logger().error(
            f"{reason} ({self.rejected} refused so far)", throttle_duration_sec=LOG_THROTTLE_S
        )
        self.publish_diagnostics(ERROR, reason, {})

    def guarded(self, callback):
        """`callback` that never lets an exception kill the node: a bug met by one frame is logged with
        its traceback (throttled), counted as internal_errors and reported; the next frame is tried."""

        def run(msg) -> None:
            try:
                callback(msg)
            except Exception as exc:  # noqa: BLE001 - the node must outlive any single frame
                self.internal_errors += 1
                self.get_logger().error(
                    f"internal error on a frame: {type(exc).__name__}: {exc}\n{traceback.format_exc()}",
                    throttle_duration_sec=LOG_THROTTLE_S,
                )
                self.publish_diagnostics(ERROR, f"internal error: {type(exc).__name__}: {exc}", {})

        return run

    def counters(self) -> dict:
        return {
            "frames_out": self.frames_out,
            "stale_dropped": self.stale.dropped,
            "future_dropped": self.stale.future_dropped,
            "unstamped": self.stale.unstamped,
            "rejected": self.rejected,
            "internal_errors": self.internal_errors,
            "received": self.worker.slot.offered if self.worker else 0,
            "superseded": self.worker.superseded if self.worker else 0,
        }

    def publish_diagnostics(self, level: bytes, message: str, values: dict) -> None:
        self.pub_diag.publish(
            diagnostic_array(
                self.get_clock().now().to_msg(),
                f"{self.get_name()}: {self.purpose}",
                self.get_fully_qualified_name(),
                level,
                message,
                {**values, **self.counters()},
            )
        )
