"""pipeline_composed: depth completion + grasp detection (+ optionally the camera) in one process.

The nodes keep their own names, parameters and topics (pass one params file with a section per node
name), and run side by side on a MultiThreadedExecutor, each node's callbacks in its own group.
Usage: pipeline_composed [--with-camera] [--no-depth-completion] [--threads N] --ros-args ...
Without depth completion, remap depth_completed/image_raw and depth_completed/camera_info to the raw
aligned depth.
"""
from __future__ import annotations

import argparse

from rclpy.executors import MultiThreadedExecutor
from rclpy.utilities import remove_ros_args

from kd_grasp_ros.nodes.runner import run_nodes

# One thread per node keeps their callbacks apart; inference releases the GIL inside torch.
MIN_EXECUTOR_THREADS = 2


def get_args_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pipeline_composed", description=__doc__.splitlines()[0])
    parser.add_argument("--with-camera", action="store_true", help="also run camera_node in this process")
    parser.add_argument("--no-depth-completion", action="store_true",
                        help="run only grasp detection (on remapped raw depth)")
    parser.add_argument("--threads", type=int, default=0,
                        help="executor threads (0 = one per node, at least 2)")
    return parser


def build_nodes(with_camera: bool, depth_completion: bool) -> list:
    """The node objects of the composed pipeline, in data-flow order."""
    from kd_grasp_ros.nodes.grasp_detection_node import GraspDetectionNode

    nodes = []
    if with_camera:
        from kd_grasp_ros.nodes.camera_node import CameraNode

        nodes.append(CameraNode())
    if depth_completion:
        from kd_grasp_ros.nodes.depth_completion_node import DepthCompletionNode

        nodes.append(DepthCompletionNode())
    nodes.append(GraspDetectionNode())
    return nodes


def main(args=None) -> int:
    options = get_args_parser().parse_args(remove_ros_args(args=args)[1:])

    def make_executor(nodes: list) -> MultiThreadedExecutor:
        threads = options.threads or max(MIN_EXECUTOR_THREADS, len(nodes))
        nodes[-1].get_logger().info(f"composed pipeline running: {', '.join(n.get_name() for n in nodes)}")
        return MultiThreadedExecutor(num_threads=threads)

    return run_nodes(lambda: build_nodes(options.with_camera, not options.no_depth_completion), args,
                     logger_name="pipeline_composed", make_executor=make_executor)


if __name__ == "__main__":
    raise SystemExit(main())
