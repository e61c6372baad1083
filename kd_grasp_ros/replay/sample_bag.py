"""(Re)create the sample bag: camera frames on the realsense-ros topics, from the MuJoCo cell or a box.

    python -m kd_grasp_ros.replay.sample_bag --out-dir models/sample_bags/sim_cell            # MuJoCo cell
    python -m kd_grasp_ros.replay.sample_bag --source box --out-dir models/sample_bags/box    # box on table

Deterministic: the same arguments give the same messages. `sim`: one scene per frame (seeds
seed, seed+1, ...; opaque and transparent objects, the sensor model's raw depth with holes). `box`:
a box moving and turning over the table, transparent (no depth on it) in every other frame.
Colour is rgb8, depth 16UC1 millimetres aligned to colour, camera_info for both, header stamps equal
to the bag's log times (starting at START_TIME_NS), frame camera_color_optical_frame.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

from std_msgs.msg import Header

from kd_grasp_ros.common.intrinsics import D435_640X480
from kd_grasp_ros.nodes import topics
from kd_grasp_ros.pipeline.synthetic_scene import BoxScene, render_box_scene
from kd_grasp_ros.replay.bag_io import BagWriter
from kd_grasp_ros.ros_image import intrinsics_to_camera_info, metres_to_depth_image, numpy_to_image

START_TIME_NS = 1_700_000_000 * 10**9
DEFAULT_FRAMES = 4
DEFAULT_RATE_HZ = 5.0
DEPTH_NOISE_M = 0.001
# Where the box goes over the frames (camera frame, metres / radians).
BOX_PATH_XY_M = ((-0.03, 0.02), (0.03, -0.02))
BOX_PATH_YAW_RAD = (0.0, 0.6)

SAMPLE_TOPICS = {
    "color": "/" + topics.REALSENSE_COLOR,
    "color_info": "/" + topics.REALSENSE_COLOR_INFO,
    "depth": "/" + topics.REALSENSE_ALIGNED_DEPTH,
    "depth_info": "/" + topics.REALSENSE_ALIGNED_DEPTH_INFO,
}


def sample_scene(index: int, frames: int) -> BoxScene:
    """The scene of frame `index` of `frames`."""
    s = index / max(frames - 1, 1)
    (x0, y0), (x1, y1) = BOX_PATH_XY_M
    return BoxScene(
        box_centre_xy_m=(x0 + s * (x1 - x0), y0 + s * (y1 - y0)),
        box_yaw_rad=BOX_PATH_YAW_RAD[0] + s * (BOX_PATH_YAW_RAD[1] - BOX_PATH_YAW_RAD[0]),
    )


def box_frames(frames: int, seed: int):
    """(intrinsics, rgb, depth_m) of the moving box scene."""
    intrinsics = replace(D435_640X480, frame_id=topics.REALSENSE_COLOR_FRAME)
    for i in range(frames):
        frame = render_box_scene(
            intrinsics,
            sample_scene(i, frames),
            transparent_box=i % 2 == 1,
            noise_m=DEPTH_NOISE_M,
            seed=seed + i,
        )
        yield intrinsics, frame.rgb, frame.depth_m


def sim_frames(frames: int, seed: int):
    """(intrinsics, rgb, raw depth_m) of the MuJoCo cell, one scene per frame."""
    from kd_grasp_ros.sim.world import SimWorld

    world = SimWorld()
    try:
        for i in range(frames):
            world.reset(seed=seed + i)
            frame = world.render()
            yield frame.intrinsics, frame.rgb, frame.depth_raw
    finally:
        world.close()


SOURCES = {"sim": sim_frames, "box": box_frames}


def write_sample_bag(
    out: str | Path,
    source: str = "sim",
    frames: int = DEFAULT_FRAMES,
    rate_hz: float = DEFAULT_RATE_HZ,
    storage: str = "sqlite3",
    seed: int = 0,
) -> Path:
    """Write the sample bag directory `out` from `source` ('sim' or 'box'); returns it."""
    if source not in SOURCES:
        raise ValueError(f"source must be one of {sorted(SOURCES)}, got '{source}'")
    with BagWriter(out, storage) as writer:
        for i, (intrinsics, rgb, depth_m) in enumerate(SOURCES[source](frames, seed)):
            t_ns = START_TIME_NS + int(round(i * 1e9 / rate_hz))
            header = Header(frame_id=intrinsics.frame_id)
            header.stamp.sec, header.stamp.nanosec = divmod(t_ns, 10**9)
            info = intrinsics_to_camera_info(intrinsics, header)
            writer.write(SAMPLE_TOPICS["color_info"], info, t_ns)
            writer.write(SAMPLE_TOPICS["depth_info"], info, t_ns)
            writer.write(SAMPLE_TOPICS["color"], numpy_to_image(rgb, "rgb8", header), t_ns)
            writer.write(SAMPLE_TOPICS["depth"], metres_to_depth_image(depth_m, "16UC1", header), t_ns)
    return Path(out)


def get_args_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, required=True, help="new bag directory to write")
    parser.add_argument("--source", choices=sorted(SOURCES), default="sim", help="where the frames come from")
    parser.add_argument("--frames", type=int, default=DEFAULT_FRAMES, help="number of frames")
    parser.add_argument("--rate", type=float, default=DEFAULT_RATE_HZ, help="frame rate (Hz)")
    parser.add_argument("--storage", choices=("sqlite3", "mcap"), default="sqlite3", help="bag storage")
    parser.add_argument(
        "--seed", type=int, default=0, help="first scene seed (sim) or depth noise seed (box)"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = get_args_parser().parse_args(argv)
    out = write_sample_bag(args.out_dir, args.source, args.frames, args.rate, args.storage, args.seed)
    size_mb = sum(f.stat().st_size for f in out.iterdir()) / 1e6
    print(f"wrote {args.frames} frames to {out} ({size_mb:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
