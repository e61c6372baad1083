"""Write a RealSense recording from numpy frames (pyrealsense2 software_device + recorder).

Used by tests and demos to make a `.db3` that `RealSenseCamera` plays back exactly as a real
recording: a depth sensor (z16, depth_units set) and a colour sensor (rgb8) with identity extrinsics,
so rs.align leaves the depth where it is. pyrealsense2 2.59 writes rosbag2 sqlite and needs `.db3`.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from kd_grasp_ros.camera.realsense import CameraError, _import_realsense
from kd_grasp_ros.common.intrinsics import CameraIntrinsics

DEPTH_UNITS_M = 0.001  # one z16 step is one millimetre
RECORDING_FPS = 30
# pyrealsense2 hands frames to the recorder on its own threads; give each pair time to be written.
FRAME_SETTLE_S = 0.02


def _rs_intrinsics(rs, intr: CameraIntrinsics):
    out = rs.intrinsics()
    out.width, out.height = intr.width, intr.height
    out.fx, out.fy, out.ppx, out.ppy = intr.fx, intr.fy, intr.cx, intr.cy
    out.model = rs.distortion.brown_conrady
    out.coeffs = [float(c) for c in intr.distortion][:5] + [0.0] * (5 - len(intr.distortion[:5]))
    return out


def _video_stream(rs, kind, uid: int, fmt, bpp: int, intr: CameraIntrinsics):
    stream = rs.video_stream()
    stream.type, stream.index, stream.uid = kind, 0, uid
    stream.width, stream.height, stream.fps = intr.width, intr.height, RECORDING_FPS
    stream.bpp, stream.fmt = bpp, fmt
    stream.intrinsics = _rs_intrinsics(rs, intr)
    return stream


def write_recording(
    path: str | Path, intrinsics: CameraIntrinsics, frames: Iterable[tuple[np.ndarray, np.ndarray]]
) -> int:
    """Record (rgb uint8 HxWx3, depth_mm uint16 HxW) pairs to `path` (.db3); returns the frame count."""
    rs = _import_realsense()
    path = Path(path)
    if path.suffix != ".db3":
        raise CameraError(f"pyrealsense2 records rosbag2 sqlite files; {path} must end in .db3")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    device = rs.software_device()
    depth_sensor, color_sensor = device.add_sensor("Depth"), device.add_sensor("Color")
    depth_profile = depth_sensor.add_video_stream(
        _video_stream(rs, rs.stream.depth, 0, rs.format.z16, 2, intrinsics)
    )
    depth_sensor.add_read_only_option(rs.option.depth_units, DEPTH_UNITS_M)
    color_profile = color_sensor.add_video_stream(
        _video_stream(rs, rs.stream.color, 1, rs.format.rgb8, 3, intrinsics)
    )
    identity = rs.extrinsics()
    identity.rotation, identity.translation = [1.0, 0, 0, 0, 1.0, 0, 0, 0, 1.0], [0.0, 0.0, 0.0]
    depth_profile.register_extrinsics_to(color_profile, identity)
    device.create_matcher(rs.matchers.default)
    recorder = rs.recorder(str(path), device)
    count = 0
    try:
        for sensor, profile in ((depth_sensor, depth_profile), (color_sensor, color_profile)):
            sensor.open(profile)
            sensor.start(lambda frame: None)
        for count, (rgb, depth_mm) in enumerate(frames, start=1):
            _check_pair(rgb, depth_mm, intrinsics)
            stamp_ms = 1000.0 * (count - 1) / RECORDING_FPS
            for sensor, profile, pixels, bpp in (
                (color_sensor, color_profile, rgb, 3),
                (depth_sensor, depth_profile, depth_mm, 2),
            ):
                frame = rs.software_video_frame()
                frame.pixels = np.ascontiguousarray(pixels).tobytes()
                frame.bpp, frame.stride = bpp, intrinsics.width * bpp
                frame.timestamp, frame.domain = stamp_ms, rs.timestamp_domain.hardware_clock
                frame.frame_number, frame.profile = count, profile.as_video_stream_profile()
                sensor.on_video_frame(frame)
            time.sleep(FRAME_SETTLE_S)
    finally:
        for sensor in (depth_sensor, color_sensor):
            sensor.stop()
            sensor.close()
        del recorder
    return count


def _check_pair(rgb: np.ndarray, depth_mm: np.ndarray, intr: CameraIntrinsics) -> None:
    if rgb.shape != (intr.height, intr.width, 3) or rgb.dtype != np.uint8:
        raise CameraError(f"colour must be {intr.height}x{intr.width}x3 uint8, got {rgb.shape} {rgb.dtype}")
    if depth_mm.shape != (intr.height, intr.width) or depth_mm.dtype != np.uint16:
        raise CameraError(
            f"depth must be {intr.height}x{intr.width} uint16 mm, got {depth_mm.shape} {depth_mm.dtype}"
        )
