"""The main() every node executable shares: init, spin, clean shutdown, startup errors as exit code 1."""
from __future__ import annotations

from collections.abc import Callable

import rclpy
from rclpy.executors import ExternalShutdownException
from rclpy.node import Node


class NodeStartupError(RuntimeError):
    """A node cannot start: its model, configuration or resource is unusable (message says which)."""


def run_node(make_node: Callable[[], Node], args=None) -> int:
    """Create the node with `make_node`, spin it until Ctrl-C or shutdown; 1 if it could not start."""
    rclpy.init(args=args)
    node = None
    try:
        node = make_node()
        rclpy.spin(node)
    except NodeStartupError as exc:
        rclpy.logging.get_logger("kd_grasp_ros").fatal(str(exc))
        return 1
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        if node is not None:
            node.destroy_node()
        rclpy.try_shutdown()
    return 0
