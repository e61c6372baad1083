"""kd_grasp_ros.ros_image: every encoding round-trips, bad messages raise ImageConversionError."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from processes.image_sender import big_endian_padded_16uc1
from sensor_msgs.msg import CameraInfo, Image

from kd_grasp_ros.common.intrinsics import D435_640X480, CameraIntrinsics
from kd_grasp_ros.ros_image import (
    ENCODINGS,
    ImageConversionError,
    camera_info_to_intrinsics,
    depth_to_metres,
    image_to_numpy,
    image_to_rgb,
    intrinsics_to_camera_info,
    metres_to_depth_image,
    numpy_to_image,
)


def random_array(encoding: str, height: int, width: int, seed: int = 0) -> np.ndarray:
    dtype, channels = ENCODINGS[encoding]
    rng = np.random.default_rng(seed)
    shape = (height, width) if channels == 1 else (height, width, channels)
    if dtype.kind == "f":
        return rng.uniform(-5, 5, shape).astype(dtype)
    return rng.integers(0, np.iinfo(dtype).max, shape, dtype=dtype, endpoint=True)


@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
def test_round_trip_every_encoding(encoding):
    array = random_array(encoding, 7, 5)
    msg = numpy_to_image(array, encoding)
    assert msg.step == 5 * ENCODINGS[encoding][1] * ENCODINGS[encoding][0].itemsize
    back = image_to_numpy(msg)
    assert back.dtype == array.dtype and back.shape == array.shape
    np.testing.assert_array_equal(back, array)


@settings(max_examples=40, deadline=None)
@given(
    encoding=st.sampled_from(sorted(ENCODINGS)),
    height=st.integers(1, 9),
    width=st.integers(1, 9),
    padding=st.integers(0, 7),
    bigendian=st.booleans(),
    seed=st.integers(0, 1000),
)
def test_step_padding_and_byte_order_are_honoured(encoding, height, width, padding, bigendian, seed):
    array = random_array(encoding, height, width, seed)
    dtype, channels = ENCODINGS[encoding]
    wire = array.astype(dtype.newbyteorder(">" if bigendian else "<"))
    row_bytes = width * channels * dtype.itemsize
    raw = wire.tobytes()
    data = b"".join(raw[r * row_bytes : (r + 1) * row_bytes] + bytes(padding) for r in range(height))
    msg = Image(
        height=height, width=width, encoding=encoding, is_bigendian=int(bigendian), step=row_bytes + padding
    )
    msg.data = data
    np.testing.assert_array_equal(image_to_numpy(msg), array)


def test_last_row_padding_may_be_omitted():
    msg = big_endian_padded_16uc1(np.arange(12, dtype=np.uint16).reshape(3, 4))
    msg.data = bytes(msg.data)[:-6]
    np.testing.assert_array_equal(image_to_numpy(msg), np.arange(12).reshape(3, 4))


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda m: setattr(m, "encoding", "yuv422"), "unsupported image encoding 'yuv422'"),
        (lambda m: setattr(m, "step", 7), "step 7 is smaller than"),
        (lambda m: setattr(m, "data", bytes(m.data)[:-3]), "truncated 16UC1 image"),
        (lambda m: setattr(m, "height", 0), "no pixels"),
    ],
)
def test_malformed_messages_raise_named_error(mutate, message):
    msg = numpy_to_image(np.ones((4, 5), np.uint16), "16UC1")
    mutate(msg)
    with pytest.raises(ImageConversionError, match=message):
        image_to_numpy(msg)


def test_numpy_to_image_checks_dtype_and_channels():
    with pytest.raises(ImageConversionError, match="needs dtype uint16"):
        numpy_to_image(np.ones((2, 2), np.float32), "16UC1")
    with pytest.raises(ImageConversionError, match=r"shape \(H, W, 3\)"):
        numpy_to_image(np.ones((2, 2, 4), np.uint8), "rgb8")


def test_depth_in_millimetres_and_metres_gives_the_same_metres():
    metres = np.array([[0.5, 1.234], [0.0, 2.0]], np.float32)
    from_mm = depth_to_metres(metres_to_depth_image(metres, "16UC1"))
    from_m = depth_to_metres(metres_to_depth_image(metres, "32FC1"))
    np.testing.assert_allclose(from_mm, metres, atol=5e-4)
    np.testing.assert_array_equal(from_m, metres)
    assert from_mm.dtype == np.float32 and from_m.dtype == np.float32


def test_non_finite_and_negative_depth_become_missing():
    raw = np.array([[np.nan, np.inf], [-1.0, 0.7]], np.float32)
    depth = depth_to_metres(numpy_to_image(raw, "32FC1"))
    np.testing.assert_array_equal(depth, np.array([[0, 0], [0, 0.7]], np.float32))


def test_depth_rejects_colour_encodings():
    with pytest.raises(ImageConversionError, match="expected 16UC1 .mm. or 32FC1 .m."):
        depth_to_metres(numpy_to_image(np.zeros((2, 2, 3), np.uint8), "rgb8"))


@pytest.mark.parametrize(
    "encoding, to_wire",
    [
        ("rgb8", lambda rgb: rgb),
        ("bgr8", lambda rgb: rgb[:, :, ::-1]),
        ("rgba8", lambda rgb: np.dstack([rgb, np.full(rgb.shape[:2], 7, np.uint8)])),
        ("bgra8", lambda rgb: np.dstack([rgb[:, :, ::-1], np.full(rgb.shape[:2], 7, np.uint8)])),
    ],
)
def test_colour_images_come_back_as_rgb(encoding, to_wire):
    rgb = random_array("rgb8", 6, 4, seed=3)
    msg = numpy_to_image(np.ascontiguousarray(to_wire(rgb)), encoding)
    np.testing.assert_array_equal(image_to_rgb(msg), rgb)


def test_camera_info_round_trip():
    intr = CameraIntrinsics(
        width=640,
        height=480,
        fx=610.5,
        fy=611.0,
        cx=320.2,
        cy=241.7,
        distortion=(0.1, -0.2, 0.0, 0.001, 0.0),
        frame_id="cam_optical",
    )
    msg = intrinsics_to_camera_info(intr)
    assert msg.header.frame_id == "cam_optical"
    assert list(msg.p)[:3] == [610.5, 0.0, 320.2]
    assert camera_info_to_intrinsics(msg) == intr


def test_camera_info_without_calibration_is_rejected():
    with pytest.raises(ImageConversionError, match="no valid K matrix"):
        camera_info_to_intrinsics(CameraInfo(width=640, height=480))
    msg = intrinsics_to_camera_info(D435_640X480)
    msg.width = 0
    with pytest.raises(ImageConversionError, match="no image size"):
        camera_info_to_intrinsics(msg)


def test_a_huge_declared_step_is_refused_without_allocating_it():
    """2.5 kB declaring height 1 and step 2^32-1: before, the padding of the last row allocated 4 GB."""
    import tracemalloc

    msg = Image(height=2, width=1250, encoding="mono8", step=2**32 - 1, data=bytes(2500))
    tracemalloc.start()
    with pytest.raises(ImageConversionError, match="truncated"):
        image_to_numpy(msg)  # two rows 4 GB apart cannot be in 2.5 kB
    msg.height = 1  # one row: valid, whatever the declared step
    assert image_to_numpy(msg).shape == (1, 1250)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 100_000  # at most the received bytes and a row, never the declared step
