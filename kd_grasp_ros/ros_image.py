"""sensor_msgs/Image and CameraInfo <-> numpy, without cv_bridge.

Supported encodings (REP-118 for depth): 16UC1 (depth in millimetres), 32FC1 (depth in metres),
mono8, mono16, rgb8, bgr8, rgba8, bgra8. `step` (row stride, may include padding) and `is_bigendian`
are honoured on the way in; images we publish are packed (step = width * pixel size) in the host's
byte order. Every problem raises ImageConversionError saying what was expected and what came.
"""

from __future__ import annotations

import sys

import numpy as np
from sensor_msgs.msg import CameraInfo, Image

from kd_grasp_ros.common.errors import KdGraspError
from kd_grasp_ros.common.intrinsics import CameraIntrinsics

# encoding -> (numpy dtype, channels)
ENCODINGS: dict[str, tuple[np.dtype, int]] = {
    "16UC1": (np.dtype(np.uint16), 1),
    "32FC1": (np.dtype(np.float32), 1),
    "mono8": (np.dtype(np.uint8), 1),
    "mono16": (np.dtype(np.uint16), 1),
    "rgb8": (np.dtype(np.uint8), 3),
    "bgr8": (np.dtype(np.uint8), 3),
    "rgba8": (np.dtype(np.uint8), 4),
    "bgra8": (np.dtype(np.uint8), 4),
}
DEPTH_ENCODINGS = ("16UC1", "32FC1")
COLOUR_ENCODINGS = ("rgb8", "bgr8", "rgba8", "bgra8", "mono8")
MILLIMETRES_PER_METRE = 1000.0
HOST_IS_BIGENDIAN = sys.byteorder == "big"


class ImageConversionError(KdGraspError, ValueError):
    """An Image/CameraInfo message or array could not be converted as asked."""


def _layout(encoding: str) -> tuple[np.dtype, int]:
    try:
        return ENCODINGS[encoding]
    except KeyError:
        raise ImageConversionError(
            f"unsupported image encoding '{encoding}'; expected one of {', '.join(ENCODINGS)}"
        ) from None


def image_to_numpy(msg: Image) -> np.ndarray:
    """A copy of the image as an (H, W) or (H, W, C) array in the encoding's dtype, native byte order."""
    dtype, channels = _layout(msg.encoding)
    height, width, step = int(msg.height), int(msg.width), int(msg.step)
    if height <= 0 or width <= 0:
        raise ImageConversionError(f"image has no pixels: {width}x{height} ({msg.encoding})")
    row_bytes = width * channels * dtype.itemsize
    if step < row_bytes:
        raise ImageConversionError(
            f"step {step} is smaller than width {width} x {channels} channel(s) x {dtype.itemsize} bytes "
            f"= {row_bytes} for {msg.encoding}"
        )
    data = np.frombuffer(msg.data, dtype=np.uint8)
    needed = step * (height - 1) + row_bytes
    if data.size < needed:
        raise ImageConversionError(
            f"truncated {msg.encoding} image: {width}x{height} with step {step} needs {needed} bytes, "
            f"got {data.size}"
        )
    # A strided view over the received bytes (the last row may lack its padding): nothing is allocated
    # before the sizes are known to fit, and the copy below is at most the received data.
    rows = np.lib.stride_tricks.as_strided(
        data, shape=(height, row_bytes), strides=(step, 1), writeable=False
    )
    wire_dtype = dtype.newbyteorder(">" if msg.is_bigendian else "<")
    pixels = np.ascontiguousarray(rows).view(wire_dtype).astype(dtype, copy=False)
    shape = (height, width) if channels == 1 else (height, width, channels)
    return pixels.reshape(shape).copy()


def numpy_to_image(array: np.ndarray, encoding: str, header=None) -> Image:
    """An Image message holding `array`, which must already have the encoding's dtype and channels."""
    dtype, channels = _layout(encoding)
    array = np.asarray(array)
    expected_ndim = 2 if channels == 1 else 3
    if array.ndim == 3 and channels == 1 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim != expected_ndim or (channels > 1 and array.shape[2] != channels):
        raise ImageConversionError(
            f"{encoding} needs an array of shape (H, W{'' if channels == 1 else f', {channels}'}), "
            f"got {array.shape}"
        )
    if array.dtype != dtype:
        raise ImageConversionError(f"{encoding} needs dtype {dtype}, got {array.dtype}")
    msg = Image()
    if header is not None:
        msg.header = header
    msg.height, msg.width = int(array.shape[0]), int(array.shape[1])
    msg.encoding = encoding
    msg.is_bigendian = HOST_IS_BIGENDIAN
    msg.step = msg.width * channels * dtype.itemsize
    msg.data = np.ascontiguousarray(array).tobytes()
    return msg


def depth_to_metres(msg: Image) -> np.ndarray:
    """Depth as float32 metres, whatever the depth encoding; missing (0, NaN, inf, negative) -> 0."""
    if msg.encoding not in DEPTH_ENCODINGS:
        raise ImageConversionError(
            f"depth image has encoding '{msg.encoding}'; expected 16UC1 (mm) or 32FC1 (m)"
        )
    raw = image_to_numpy(msg)
    if msg.encoding == "16UC1":
        return raw.astype(np.float32) / np.float32(MILLIMETRES_PER_METRE)
    depth = raw.astype(np.float32, copy=True)
    depth[~np.isfinite(depth) | (depth < 0)] = 0.0
    return depth


def metres_to_depth_image(depth_m: np.ndarray, encoding: str = "32FC1", header=None) -> Image:
    """A depth Image from float metres (0 or non-finite = missing): 32FC1 metres or 16UC1 millimetres."""
    depth = np.asarray(depth_m, dtype=np.float32)
    if depth.ndim != 2:
        raise ImageConversionError(f"depth must be (H, W), got shape {depth.shape}")
    depth = np.where(np.isfinite(depth) & (depth > 0), depth, 0.0).astype(np.float32)
    if encoding == "32FC1":
        return numpy_to_image(depth, encoding, header)
    if encoding == "16UC1":
        mm = np.clip(np.rint(depth * MILLIMETRES_PER_METRE), 0, np.iinfo(np.uint16).max).astype(np.uint16)
        return numpy_to_image(mm, encoding, header)
    raise ImageConversionError(f"depth images are 16UC1 or 32FC1, not '{encoding}'")


def image_to_rgb(msg: Image) -> np.ndarray:
    """A colour image as (H, W, 3) uint8 in RGB order, from rgb8, bgr8, rgba8, bgra8 or mono8."""
    if msg.encoding not in COLOUR_ENCODINGS:
        raise ImageConversionError(
            f"colour image has encoding '{msg.encoding}'; expected one of {', '.join(COLOUR_ENCODINGS)}"
        )
    pixels = image_to_numpy(msg)
    if msg.encoding == "mono8":
        return np.repeat(pixels[:, :, None], 3, axis=2)
    if msg.encoding.startswith("bgr"):
        pixels = pixels[:, :, 2::-1]
    return np.ascontiguousarray(pixels[:, :, :3])


def camera_info_to_intrinsics(msg: CameraInfo) -> CameraIntrinsics:
    """The pinhole intrinsics in a CameraInfo (K matrix, distortion, size, frame)."""
    k = [float(v) for v in msg.k]
    if len(k) != 9 or not np.all(np.isfinite(k)) or not (k[0] > 0 and k[4] > 0):
        raise ImageConversionError(f"camera_info has no valid K matrix (finite, fx, fy > 0 expected): k={k}")
    if msg.width <= 0 or msg.height <= 0:
        raise ImageConversionError(f"camera_info has no image size: {msg.width}x{msg.height}")
    if not np.all(np.isfinite(np.asarray(msg.d, dtype=float))):
        raise ImageConversionError(f"camera_info distortion d is not finite: {list(msg.d)}")
    return CameraIntrinsics(
        width=int(msg.width),
        height=int(msg.height),
        fx=k[0],
        fy=k[4],
        cx=k[2],
        cy=k[5],
        distortion_model=msg.distortion_model or "plumb_bob",
        distortion=tuple(float(v) for v in msg.d),
        frame_id=msg.header.frame_id,
    )


def intrinsics_to_camera_info(intrinsics: CameraIntrinsics, header=None) -> CameraInfo:
    """A CameraInfo for the intrinsics (R identity, P = [K | 0]); frame from the header if given."""
    msg = CameraInfo()
    if header is not None:
        msg.header = header
    else:
        msg.header.frame_id = intrinsics.frame_id
    msg.width, msg.height = intrinsics.width, intrinsics.height
    msg.distortion_model = intrinsics.distortion_model
    msg.d = [float(v) for v in intrinsics.distortion]
    msg.k = [float(v) for v in intrinsics.matrix.ravel()]
    msg.r = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]
    p = np.zeros((3, 4))
    p[:, :3] = intrinsics.matrix
    msg.p = [float(v) for v in p.ravel()]
    return msg
