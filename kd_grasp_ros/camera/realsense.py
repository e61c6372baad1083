"""An Intel RealSense camera (live by serial number, or a recording played back) as numpy frames.

Depth is aligned to the colour stream (rs.align) and returned in millimetres (uint16, 0 = missing),
colour as RGB uint8, with the colour intrinsics. No ROS here; camera_node publishes what this reads.
Recordings: `.db3` (rosbag2, written by pyrealsense2 >= 2.56) or `.bag` (ROS 1, older SDKs).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np

from kd_grasp_ros.common.errors import KdGraspError
from kd_grasp_ros.common.intrinsics import CameraIntrinsics
from kd_grasp_ros.common.parameter_files import defaults_from_parameter_file, parameter

RECORDING_SUFFIXES = (".db3", ".bag")
MILLIMETRES_PER_METRE = 1000.0


class CameraError(KdGraspError, RuntimeError):
    """The camera or recording could not be opened or stopped delivering frames."""


class NoDeviceError(CameraError):
    """No RealSense device (with the requested serial number) is connected."""


@dataclass(frozen=True)
@defaults_from_parameter_file
class CameraConfig:
    """What to open and how: a live device (serial '' = the first one) or a recording. camera_node's
    parameters; the defaults (of keywords left out, too) are config/camera.yaml's."""

    parameter_file: ClassVar[str] = "camera.yaml"
    section: ClassVar[str] = "camera_node"

    serial_number: str = parameter("RealSense serial number ('' = first device)", read_only=True)
    playback_path: str = parameter(
        "play this recording (.db3 from pyrealsense2 >= 2.56, .bag from older SDKs) instead of a live "
        "device ('' = live)",
        read_only=True,
    )
    width: int = parameter(
        "stream width, colour and aligned depth (pixels)", read_only=True, range=(64, 1920)
    )
    height: int = parameter("stream height (pixels)", read_only=True, range=(48, 1080))
    fps: int = parameter("stream rate (Hz)", read_only=True, range=(1, 90))
    repeat_playback: bool = parameter("loop the recording", read_only=True)
    real_time_playback: bool = parameter(
        "play the recording at its recorded rate (false: as fast as read)", read_only=True
    )
    frame_id: str = parameter("optical frame of colour and aligned depth", read_only=True)


@dataclass(frozen=True)
class CameraFrame:
    """One colour + depth pair: RGB uint8 (H, W, 3), depth uint16 mm (H, W) on the colour grid."""

    rgb: np.ndarray
    depth_mm: np.ndarray
    intrinsics: CameraIntrinsics
    timestamp_ms: float
    frame_number: int
    timestamp_domain: str = "hardware_clock"  # of timestamp_ms; see camera/timestamps.py


def _import_realsense():
    try:
        import pyrealsense2 as rs
    except ImportError as exc:
        raise CameraError(
            f"pyrealsense2 cannot be imported ({exc}); install it and Debian's libusb-1.0-0"
        ) from exc
    return rs


def intrinsics_from_realsense(intr, frame_id: str) -> CameraIntrinsics:
    """CameraIntrinsics from a pyrealsense2 intrinsics object."""
    model = "plumb_bob" if len(intr.coeffs) == 5 else "rational_polynomial"
    return CameraIntrinsics(
        width=intr.width,
        height=intr.height,
        fx=intr.fx,
        fy=intr.fy,
        cx=intr.ppx,
        cy=intr.ppy,
        distortion_model=model,
        distortion=tuple(float(c) for c in intr.coeffs),
        frame_id=frame_id,
    )


def _enable_global_time(rs, device) -> None:
    """Frame timestamps in librealsense's global time (hardware clock mapped to host time) where the
    sensor offers it; otherwise they stay in the hardware clock and DeviceClock maps them."""
    for sensor in device.query_sensors():
        if sensor.supports(rs.option.global_time_enabled):
            sensor.set_option(rs.option.global_time_enabled, 1.0)


def _domain_name(domain) -> str:
    """'hardware_clock', 'system_time' or 'global_time' from an rs.timestamp_domain."""
    return str(domain).rsplit(".", 1)[-1]


class RealSenseCamera:
    """open() / poll() / close() around an rs.pipeline; every failure is a CameraError."""

    def __init__(self, config: CameraConfig):
        self.config = config
        self._rs = None
        self._pipeline = None
        self._align = None
        self._depth_scale_mm = MILLIMETRES_PER_METRE * 0.001
        self.source = ""

    @property
    def is_open(self) -> bool:
        return self._pipeline is not None

    def open(self) -> None:
        """Start the stream; NoDeviceError when nothing is connected, CameraError for the rest."""
        rs = self._rs = _import_realsense()
        cfg = self.config
        rs_config = rs.config()
        if cfg.playback_path:
            path = Path(cfg.playback_path).expanduser()
            if path.suffix not in RECORDING_SUFFIXES:
                raise CameraError(f"recording {path} must end in {' or '.join(RECORDING_SUFFIXES)}")
            if not path.is_file():
                raise CameraError(f"recording {path} does not exist")
            rs_config.enable_device_from_file(str(path), repeat_playback=cfg.repeat_playback)
            self.source = f"recording {path}"
        else:
            serials = [d.get_info(rs.camera_info.serial_number) for d in rs.context().query_devices()]
            if not serials:
                raise NoDeviceError("no RealSense device connected (check the USB 3 cable and udev rules)")
            if cfg.serial_number and cfg.serial_number not in serials:
                raise NoDeviceError(
                    f"no RealSense device with serial {cfg.serial_number}; connected: {serials}"
                )
            if cfg.serial_number:
                rs_config.enable_device(cfg.serial_number)
            rs_config.enable_stream(rs.stream.color, cfg.width, cfg.height, rs.format.rgb8, cfg.fps)
            rs_config.enable_stream(rs.stream.depth, cfg.width, cfg.height, rs.format.z16, cfg.fps)
            self.source = f"device {cfg.serial_number or serials[0]}"
        pipeline = rs.pipeline()
        try:
            profile = pipeline.start(rs_config)
        except RuntimeError as exc:
            raise CameraError(f"cannot start the RealSense stream from {self.source}: {exc}") from exc
        device = profile.get_device()
        if cfg.playback_path:
            device.as_playback().set_real_time(cfg.real_time_playback)
        else:
            _enable_global_time(rs, device)
        depth_scale_m = device.first_depth_sensor().get_depth_scale()
        self._depth_scale_mm = depth_scale_m * MILLIMETRES_PER_METRE
        self._align = rs.align(rs.stream.color)
        self._pipeline = pipeline

    def poll(self) -> CameraFrame | None:
        """The next colour + depth pair if one is ready, else None (never blocks)."""
        if self._pipeline is None:
            raise CameraError("camera is not open; call open() first")
        try:
            frames = self._pipeline.poll_for_frames()
        except RuntimeError as exc:
            raise CameraError(f"{self.source} stopped delivering frames: {exc}") from exc
        if not frames:
            return None
        frames = self._align.process(frames)
        color, depth = frames.get_color_frame(), frames.get_depth_frame()
        if not color or not depth:
            return None
        color_profile = color.profile.as_video_stream_profile()
        intrinsics = intrinsics_from_realsense(color_profile.intrinsics, self.config.frame_id)
        rgb = np.asanyarray(color.get_data()).copy()
        if color_profile.format() == self._rs.format.bgr8:
            rgb = np.ascontiguousarray(rgb[:, :, ::-1])
        elif color_profile.format() != self._rs.format.rgb8:
            raise CameraError(f"colour stream format {color_profile.format()} is not rgb8 or bgr8")
        raw = np.asanyarray(depth.get_data())
        depth_mm = (
            raw.copy()
            if abs(self._depth_scale_mm - 1.0) < 1e-6
            else np.clip(
                np.rint(raw.astype(np.float64) * self._depth_scale_mm), 0, np.iinfo(np.uint16).max
            ).astype(np.uint16)
        )
        return CameraFrame(
            rgb=rgb,
            depth_mm=depth_mm,
            intrinsics=intrinsics,
            timestamp_ms=float(frames.get_timestamp()),
            frame_number=int(color.get_frame_number()),
            timestamp_domain=_domain_name(color.get_frame_timestamp_domain()),
        )

    def close(self) -> None:
        if self._pipeline is not None:
            try:
                self._pipeline.stop()
            except RuntimeError:
                pass  # already stopped (end of a recording); nothing left to release
            self._pipeline = None
