"""grasp_detection_node: depth image -> GG-CNN grasp maps -> best grasps as 3-D poses.

Subscribes (QoS: the input_qos parameter, see nodes/qos.py): `depth_completed/image_raw` (32FC1 m or
16UC1 mm; remap it to the raw aligned depth to run without depth completion), `depth_completed/camera_info`.
Publishes, all with the depth image's stamp and frame (camera optical frame):
  grasp_pose (PoseStamped, best grasp), grasp_width (Float32, m), grasp_quality (Float32, 0-1),
  grasp_candidates (PoseArray, best first), grasp_candidates_info (Float32MultiArray,
  [quality, width_m] per candidate), grasp_markers (MarkerArray), grasp_quality_image (rgb8 heat map),
  diagnostics (per-stage latency, counters).
Gripper frame of the poses: z = approach direction, y = closing direction, x = y cross z.
Frames older than max_age_s are dropped and counted; bad frames are logged and counted; a frame without
grasps publishes empty candidates and no grasp_pose.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import ClassVar

import numpy as np
from geometry_msgs.msg import PoseArray, PoseStamped
from rcl_interfaces.msg import SetParametersResult
from sensor_msgs.msg import CameraInfo, Image
from std_msgs.msg import Float32, Float32MultiArray, Header
from visualization_msgs.msg import MarkerArray

from kd_grasp_ros.common.parameter_files import parameter
from kd_grasp_ros.common.resources import ResourceNotFoundError, resolve_model
from kd_grasp_ros.grasp.constants import NETWORK_INPUT_SIZE
from kd_grasp_ros.grasp.detector import GraspDetector
from kd_grasp_ros.grasp.errors import GraspInputError, GraspModelError
from kd_grasp_ros.grasp.grasp_pose import image_grasp_to_pose
from kd_grasp_ros.nodes import topics
from kd_grasp_ros.nodes.clock import LOG_THROTTLE_S, now_seconds, stamp_seconds
from kd_grasp_ros.nodes.diagnostics import OK
from kd_grasp_ros.nodes.frame_node import FrameProcessingNode, NetworkFrameParams
from kd_grasp_ros.nodes.grasp_messages import candidates_info_msg, grasp_markers, pose_to_msg
from kd_grasp_ros.nodes.parameters import values
from kd_grasp_ros.nodes.qos import IMAGE_PUBLISHER_QOS
from kd_grasp_ros.nodes.runner import NodeStartupError, run_node
from kd_grasp_ros.pipeline.frame_checks import FrameInputError
from kd_grasp_ros.pipeline.grasp_stage import GraspFilterConfig, GraspStageConfigError, jaw_clearance
from kd_grasp_ros.pipeline.perception import detect_frame
from kd_grasp_ros.pipeline.visualize import quality_heatmap
from kd_grasp_ros.ros_image import (
    ImageConversionError,
    camera_info_to_intrinsics,
    depth_to_metres,
    numpy_to_image,
)

NODE_NAME = "grasp_detection_node"
FILTER_PARAMETERS = [
    "top_k",
    "min_quality",
    "workspace_min",
    "workspace_max",
    "crop_center",
    "jaw_clearance_m",
    "centre_jaws",
    "centre_across",
    "turn_to_fit",
]


@dataclass
class DepthFrame:
    """One depth frame for the worker: a message from the topic (converted on the worker thread) or
    metres handed over in-process, with the camera_info current when it arrived."""

    header: Header
    camera_info: CameraInfo | None
    image: Image | None = None
    depth_m: np.ndarray | None = None


@dataclass(frozen=True)
class GraspDetectionParams(NetworkFrameParams):
    """grasp_detection_node's parameters; defaults in config/grasp_detection.yaml."""

    parameter_file: ClassVar[str] = "grasp_detection.yaml"
    section: ClassVar[str] = NODE_NAME

    crop_size: int = parameter(
        f"square depth crop around crop_center, resized to the network's {NETWORK_INPUT_SIZE} px (pixels)",
        read_only=True,
        range=(32, 2048),
    )
    crop_center: list[int] = parameter("[row, col] centre of the network crop (pixels; -1 = image centre)")
    top_k: int = parameter("most grasp candidates published per frame", range=(1, 100))
    min_quality: float = parameter(
        "grasps with a lower predicted quality are discarded (0-1)", range=(0.0, 1.0)
    )
    workspace_min: list[float] = parameter(
        "[x, y, z] lower corner of the accepted grasp positions, camera optical frame (m)"
    )
    workspace_max: list[float] = parameter(
        "[x, y, z] upper corner of the accepted grasp positions, camera optical frame (m)"
    )
    jaw_clearance_m: float = parameter(
        "jaw opening = the object's width measured in the depth across the jaws + this on each side (m); "
        "negative = the network's predicted width",
        range=(-1.0, 0.05),
    )
    centre_jaws: bool = parameter(
        "with a jaw clearance: move each grasp along its jaw axis to midway between the object's edges "
        "measured in the depth, so that both jaws get the same room"
    )
    centre_across: bool = parameter(
        "with a jaw clearance: then move each grasp across its jaw axis to midway between the object's "
        "edges there (objects no longer than the stroke), so that the pads close on the object's centre line"
    )
    turn_to_fit: bool = parameter(
        "with a jaw clearance: a grasp whose object is wider than the gripper stroke along its jaws is "
        "turned about its centre (30 degree steps) to the narrowest opening that fits; false: dropped, "
        "as is one that fits at no angle"
    )
    publish_quality_image: bool = parameter("publish the colour-mapped quality map on grasp_quality_image")


class GraspDetectionNode(FrameProcessingNode):
    """Thin ROS shell around GraspDetector + kd_grasp_ros.pipeline.grasp_stage."""

    def __init__(self, subscribe_depth: bool = True, **kwargs):
        """subscribe_depth False: depth only through submit_completed() (pipeline_composed)."""
        super().__init__(NODE_NAME, "grasp detection", GraspDetectionParams, **kwargs)
        p = self.params
        model, device, backend, crop_size = p.model_path, p.device, p.backend, p.crop_size
        self.publish_quality_image = p.publish_quality_image
        try:
            self.filter_cfg = filter_config(values(self, FILTER_PARAMETERS))
        except GraspStageConfigError as exc:
            raise NodeStartupError(f"{NODE_NAME}: {exc}") from exc
        self.detector = load_detector(model, device, backend, crop_size, p.threads or None)
        self.add_on_set_parameters_callback(self._on_set_parameters)

        self.frames_without_grasp = 0
        self.pub_pose = self.create_publisher(PoseStamped, topics.GRASP_POSE, 10)
        self.pub_width = self.create_publisher(Float32, topics.GRASP_WIDTH, 10)
        self.pub_quality = self.create_publisher(Float32, topics.GRASP_QUALITY, 10)
        self.pub_candidates = self.create_publisher(PoseArray, topics.GRASP_CANDIDATES, 10)
        self.pub_info = self.create_publisher(Float32MultiArray, topics.GRASP_CANDIDATES_INFO, 10)
        self.pub_markers = self.create_publisher(MarkerArray, topics.GRASP_MARKERS, 10)
        self.pub_heatmap = self.create_publisher(Image, topics.GRASP_QUALITY_IMAGE, IMAGE_PUBLISHER_QOS)
        self.start_worker(self._detect)
        if subscribe_depth:
            self.create_subscription(Image, topics.COMPLETED_DEPTH, self._on_depth, self.input_qos)
            self.create_subscription(
                CameraInfo, topics.COMPLETED_DEPTH_INFO, self.on_camera_info, self.input_qos
            )
        self.get_logger().info(
            f"grasp detection ready: model {model} on {device} ({backend}), crop {crop_size} px, top_k "
            f"{self.filter_cfg.top_k}, min_quality {self.filter_cfg.min_quality}; listening on "
            f"{self.resolve_topic_name(topics.COMPLETED_DEPTH)}"
        )

    def _on_set_parameters(self, params) -> SetParametersResult:
        try:
            cfg = filter_config(values(self, FILTER_PARAMETERS, params))
        except (GraspStageConfigError, TypeError, ValueError) as exc:
            return SetParametersResult(successful=False, reason=str(exc))
        self.filter_cfg = cfg
        for param in params:
            if param.name == "publish_quality_image":
                self.publish_quality_image = bool(param.value)
        return self.on_set_common_parameters(params)

    def _on_depth(self, msg: Image) -> None:
        self.submit(DepthFrame(msg.header, self.camera_info, image=msg))

    def submit_completed(self, header: Header, depth_m: np.ndarray, camera_info: CameraInfo) -> None:
        """In-process input (pipeline_composed): completed depth from depth_completion_node."""
        self.submit(DepthFrame(header, camera_info, depth_m=depth_m))

    def _detect(self, frame: DepthFrame) -> None:
        """Worker thread: one depth frame -> grasps, published."""
        received = time.perf_counter()
        header = frame.header
        stamp_s = stamp_seconds(header.stamp)
        if not self.is_fresh(header) or not self.has_camera_info(
            topics.COMPLETED_DEPTH_INFO, frame.camera_info
        ):
            return
        try:
            depth = frame.depth_m if frame.depth_m is not None else depth_to_metres(frame.image)
            intrinsics = replace(camera_info_to_intrinsics(frame.camera_info), frame_id=header.frame_id)
            convert_ms = (time.perf_counter() - received) * 1000.0
            result = detect_frame(
                self.detector,
                image_grasp_to_pose,
                depth,
                intrinsics,
                stamp_s,
                self.filter_cfg,
                self.min_valid_fraction,
            )
        except (ImageConversionError, FrameInputError, GraspInputError) as exc:
            self.reject(f"frame refused: {exc}")
            return
        start = time.perf_counter()
        self._publish(header, result)
        self.frames_out += 1
        best = result.best
        if best is None:
            self.frames_without_grasp += 1
            self.get_logger().info(
                f"no grasp above min_quality {self.filter_cfg.min_quality} in this frame",
                throttle_duration_sec=LOG_THROTTLE_S,
            )
        self.publish_diagnostics(
            OK,
            "frame processed",
            {
                "latency_ms": (time.perf_counter() - received) * 1000.0,
                "convert_ms": convert_ms,
                **{f"{k}_ms": float(v) for k, v in result.timings_ms.items()},
                "publish_ms": (time.perf_counter() - start) * 1000.0,
                "age_at_publish_ms": (now_seconds(self) - stamp_s) * 1000.0,
                "grasps": len(result.poses),
                "best_quality": float(best.quality) if best else 0.0,
                "outside_workspace": result.outside_workspace,
                "without_depth": result.without_depth,
                "too_wide": result.too_wide,
                "turned": result.turned,
                "crop_px": result.crop[2],
            },
        )
        if result.crop[2] != self.detector.crop_size:
            self.get_logger().info(
                f"{depth.shape[1]}x{depth.shape[0]} frames: crop {result.crop[2]} px instead of crop_size "
                f"{self.detector.crop_size} (the shorter image side)",
                throttle_duration_sec=60.0,
            )

    def _publish(self, header, result) -> None:
        if result.best is not None:
            best = result.best
            self.pub_width.publish(Float32(data=float(best.width_m)))
            self.pub_quality.publish(Float32(data=float(best.quality)))
            self.pub_pose.publish(PoseStamped(header=header, pose=pose_to_msg(best)))
        self.pub_candidates.publish(PoseArray(header=header, poses=[pose_to_msg(p) for p in result.poses]))
        self.pub_info.publish(candidates_info_msg(result.poses))
        self.pub_markers.publish(grasp_markers(result.poses, header))
        if self.publish_quality_image and self.pub_heatmap.get_subscription_count() > 0:  # on demand only
            self.pub_heatmap.publish(numpy_to_image(quality_heatmap(result.quality_map), "rgb8", header))

    def counters(self) -> dict:
        return {**super().counters(), "frames_without_grasp": self.frames_without_grasp}


def filter_config(params: dict) -> GraspFilterConfig:
    """GraspFilterConfig from the node's parameter values (crop_center [-1, -1] = image centre)."""
    crop = [int(v) for v in params["crop_center"]]
    if len(crop) != 2:
        raise GraspStageConfigError(f"crop_center must be [row, col], got {crop}")
    return GraspFilterConfig(
        top_k=int(params["top_k"]),
        min_quality=float(params["min_quality"]),
        workspace_min=tuple(float(v) for v in params["workspace_min"]),
        workspace_max=tuple(float(v) for v in params["workspace_max"]),
        crop_center=None if min(crop) < 0 else (crop[0], crop[1]),
        jaw_clearance_m=jaw_clearance(params["jaw_clearance_m"]),
        centre_jaws=bool(params["centre_jaws"]),
        centre_across=bool(params["centre_across"]),
        turn_to_fit=bool(params["turn_to_fit"]),
    )


def load_detector(model: str, device: str, backend: str, crop_size: int, threads) -> GraspDetector:
    """The GraspDetector for the parameters; NodeStartupError if the model cannot be loaded."""
    try:
        return GraspDetector(
            resolve_model(model), device=device, crop_size=crop_size, threads=threads, backend=backend
        )
    except (ResourceNotFoundError, GraspModelError) as exc:
        raise NodeStartupError(f"{NODE_NAME}: cannot load grasp model '{model}': {exc}") from exc


def main(args=None) -> int:
    return run_node(GraspDetectionNode, args, executor="events")


if __name__ == "__main__":
    raise SystemExit(main())
