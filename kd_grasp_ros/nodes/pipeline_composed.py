"""pipeline_composed: depth completion + grasp detection (+ optionally the camera) in one process.

The nodes keep their own names, parameters and topics (pass one params file with a section per node
name). Completed depth goes from depth_completion_node to grasp_detection_node in memory (rclpy has no
intra-process transport; the depth_completed topics are still published while anyone subscribes), so a
frame is serialised once, on its way in. Each perception node infers on its own worker thread (latest
frame wins, see nodes/frame_node.py); one EventsExecutor thread only receives messages and serves
parameters, so it never waits for a network.
Usage: pipeline_composed [--with-camera] [--no-depth-completion] [--executor events|single] --ros-args ...
Without depth completion, remap depth_completed/image_raw and depth_completed/camera_info to the raw
aligned depth.
"""

from __future__ import annotations

import argparse

from rclpy.utilities import remove_ros_args

from kd_grasp_ros.nodes.runner import EXECUTORS, run_nodes


def get_args_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pipeline_composed", description=__doc__.splitlines()[0])
    parser.add_argument("--with-camera", action="store_true", help="also run camera_node in this process")
    parser.add_argument(
        "--no-depth-completion", action="store_true", help="run only grasp detection (on remapped raw depth)"
    )
    parser.add_argument(
        "--executor",
        choices=sorted(EXECUTORS),
        default="events",
        help="rclpy executor that receives the messages (default events)",
    )
    return parser


def build_nodes(with_camera: bool, depth_completion: bool, **node_kwargs) -> list:
    """The node objects of the composed pipeline, in data-flow order, the depth handed over in memory
    (`node_kwargs`, e.g. context, go to every node)."""
    from kd_grasp_ros.nodes.grasp_detection_node import GraspDetectionNode

    nodes = []
    if with_camera:
        from kd_grasp_ros.nodes.camera_node import CameraNode

        nodes.append(CameraNode(**node_kwargs))
    grasp = GraspDetectionNode(subscribe_depth=not depth_completion, **node_kwargs)
    if depth_completion:
        from kd_grasp_ros.nodes.depth_completion_node import DepthCompletionNode

        depth = DepthCompletionNode(**node_kwargs)
        depth.add_consumer(grasp.submit_completed)
        nodes.append(depth)
    nodes.append(grasp)
    return nodes


def main(args=None) -> int:
    options = get_args_parser().parse_args(remove_ros_args(args=args)[1:])

    def make_executor(nodes: list):
        nodes[-1].get_logger().info(f"composed pipeline running: {', '.join(n.get_name() for n in nodes)}")
        return EXECUTORS[options.executor](nodes)

    return run_nodes(
        lambda: build_nodes(options.with_camera, not options.no_depth_completion),
        args,
        logger_name="pipeline_composed",
        make_executor=make_executor,
    )


if __name__ == "__main__":
    raise SystemExit(main())
