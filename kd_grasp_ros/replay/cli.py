"""`kd-grasp replay BAG`: publish a rosbag2 with /clock, or (--offline) run the pipeline over it.

kd-grasp replay models/sample_bags/sim_cell                     # recorded speed, with /clock
kd-grasp replay BAG --rate 0.5 --loop                           # half speed, forever
kd-grasp replay BAG --flat-out                                  # as fast as possible
kd-grasp replay BAG --offline --out-dir runs/replay             # no ROS graph: JSON, CSV, PNGs
kd-grasp replay BAG --offline --out-dir runs/replay --write-bag # ... plus a bag of grasp topics
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from kd_grasp_ros.common.parameter_files import section

REPLAY_NODE_NAME = "kd_grasp_replay"


# The offline pipeline's defaults are the nodes' (their parameter files).
DEPTH_NODE = section("depth_completion.yaml", "depth_completion_node")
GRASP_NODE = section("grasp_detection.yaml", "grasp_detection_node")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("bag", type=Path, help="rosbag2 directory (sqlite3 or MCAP), or a file inside it")
    timing = parser.add_argument_group("publishing on a ROS graph")
    timing.add_argument("--rate", type=float, default=1.0, help="speed factor of the recorded timing")
    timing.add_argument("--flat-out", action="store_true", help="publish as fast as possible")
    timing.add_argument("--loop", action="store_true", help="start again at the end")
    timing.add_argument("--no-clock", action="store_true", help="do not publish /clock")
    timing.add_argument(
        "--restamp",
        action="store_true",
        help="stamp headers with the current time (for nodes without use_sim_time)",
    )
    timing.add_argument("--topics", nargs="+", help="only these topics (default: all)")
    timing.add_argument(
        "--start-delay",
        type=float,
        default=1.0,
        help="seconds to wait for subscribers to connect before publishing",
    )
    timing.add_argument(
        "--ros-args",
        dest="ros_args",
        nargs=argparse.REMAINDER,
        default=None,
        help="everything after it goes to rclpy (remappings, parameters, namespace)",
    )
    offline = parser.add_argument_group("offline processing (--offline)")
    offline.add_argument(
        "--offline", action="store_true", help="run the pipeline without ROS and write results"
    )
    offline.add_argument("--out-dir", type=Path, help="output directory of --offline")
    offline.add_argument(
        "--write-bag", action="store_true", help="also write OUT_DIR/grasps_bag with the grasp topics"
    )
    offline.add_argument("--no-depth-completion", action="store_true", help="detect grasps on the raw depth")
    offline.add_argument(
        "--depth-model", default=DEPTH_NODE["model_path"], help="depth completion checkpoint"
    )
    offline.add_argument("--grasp-model", default=GRASP_NODE["model_path"], help="grasp network checkpoint")
    offline.add_argument("--threads", type=int, default=1, help="torch CPU threads (1 = deterministic)")
    offline.add_argument(
        "--crop-size",
        type=int,
        default=GRASP_NODE["crop_size"],
        help="grasp network crop around the image centre (px), resized to the network input",
    )
    offline.add_argument("--top-k", type=int, default=GRASP_NODE["top_k"], help="grasps kept per frame")
    offline.add_argument(
        "--min-quality", type=float, default=GRASP_NODE["min_quality"], help="lowest grasp quality kept"
    )
    offline.add_argument("--color-topic", default=None, help="colour topic (default: realsense-ros name)")
    offline.add_argument("--depth-topic", default=None, help="aligned depth topic")
    offline.add_argument("--camera-info-topic", default=None, help="camera_info of the depth topic")
    offline.add_argument("--seed", type=int, default=0, help="torch seed (inference is deterministic anyway)")


def run(args: argparse.Namespace) -> int:
    if args.offline and args.out_dir is None:
        print("kd-grasp replay: --offline needs --out-dir DIR", file=sys.stderr)
        return 2
    if not args.offline and (args.out_dir is not None or args.write_bag):
        print("kd-grasp replay: --out-dir and --write-bag belong to --offline", file=sys.stderr)
        return 2
    return run_offline(args) if args.offline else run_publisher(args)


def run_offline(args: argparse.Namespace) -> int:
    import torch

    from kd_grasp_ros.depth.completer import DepthCompleter
    from kd_grasp_ros.grasp.detector import GraspDetector
    from kd_grasp_ros.grasp.grasp_pose import image_grasp_to_pose
    from kd_grasp_ros.pipeline.grasp_stage import GraspFilterConfig
    from kd_grasp_ros.replay.offline import OfflineTopics
    from kd_grasp_ros.replay.offline import run_offline as process

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    completer = (
        None
        if args.no_depth_completion
        else DepthCompleter(
            args.depth_model,
            input_size=(DEPTH_NODE["input_width"], DEPTH_NODE["input_height"]),
            depth_range=(DEPTH_NODE["depth_min_m"], DEPTH_NODE["depth_max_m"]),
        )
    )
    detector = GraspDetector(args.grasp_model, crop_size=args.crop_size)
    defaults = OfflineTopics()
    bag_topics = OfflineTopics(
        color=args.color_topic or defaults.color,
        depth=args.depth_topic or defaults.depth,
        camera_info=args.camera_info_topic or defaults.camera_info,
    )
    summary = process(
        args.bag,
        args.out_dir,
        completer,
        detector,
        image_grasp_to_pose,
        GraspFilterConfig(top_k=args.top_k, min_quality=args.min_quality),
        bag_topics,
        write_bag=args.write_bag,
    )
    print(json.dumps({k: v for k, v in summary.items() if k != "results"}))
    return 0


def run_publisher(args: argparse.Namespace) -> int:
    import time

    import rclpy
    from rclpy.executors import ExternalShutdownException

    from kd_grasp_ros.replay.player import BagPlayer, PlayOptions

    options = PlayOptions(
        rate=args.rate,
        flat_out=args.flat_out,
        loop=args.loop,
        publish_clock=not args.no_clock,
        restamp=args.restamp,
        topics=tuple(args.topics) if args.topics else None,
    )
    rclpy.init(args=None if args.ros_args is None else ["kd-grasp-replay", "--ros-args", *args.ros_args])
    node = rclpy.create_node(REPLAY_NODE_NAME)
    try:
        player = BagPlayer(node, str(args.bag), options)
        node.get_logger().info(f"replaying {args.bag}: {', '.join(player.publishers)}")
        time.sleep(args.start_delay)
        count = player.play(rclpy.ok)
        node.get_logger().info(f"published {count} messages")
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        node.destroy_node()
        rclpy.try_shutdown()
    return 0


def player_main(argv: list[str] | None = None) -> int:
    """The `bag_player` executable (lib/kd_grasp_ros, started by bag_replay.launch.py): `kd-grasp replay`."""
    from kd_grasp_ros.common.process_lifetime import exit_with_parent

    parser = argparse.ArgumentParser(prog="bag_player", description=__doc__.splitlines()[0])
    add_arguments(parser)
    args = parser.parse_args(argv)
    exit_with_parent()  # never outlive the launcher (see kd_grasp_ros.common.process_lifetime)
    return run(args)
