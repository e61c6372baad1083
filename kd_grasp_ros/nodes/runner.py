"""The main() every node executable shares: init, spin, clean shutdown, startup errors as exit code 1.

Shutdown: SIGINT and SIGTERM (rclpy's signal handlers) end the spin; so does the death of the parent
process (a `ros2 launch` that got SIGTERM or SIGKILL: kd_grasp_ros.common.process_lifetime). The nodes
are then destroyed (the executor stops the arm and disconnects) within SHUTDOWN_DEADLINE_S, after which
the process exits regardless.
"""
from __future__ import annotations

from collections.abc import Callable

import rclpy
from rclpy.executors import ExternalShutdownException
from rclpy.node import Node

from kd_grasp_ros.common.process_lifetime import exit_deadline, exit_with_parent


class NodeStartupError(RuntimeError):
    """A node cannot start: its model, configuration or resource is unusable (message says which)."""


def run_nodes(make_nodes: Callable[[], list[Node]], spin: Callable[[list[Node]], None], args=None,
              logger_name: str = "kd_grasp_ros") -> int:
    """Create the nodes with `make_nodes` and `spin` them until Ctrl-C or shutdown, then destroy them;
    1 (the error logged as fatal on `logger_name`) if they could not start."""
    exit_with_parent()
    rclpy.init(args=args)
    nodes: list[Node] = []
    try:
        nodes = make_nodes()
        spin(nodes)
    except NodeStartupError as exc:
        rclpy.logging.get_logger(logger_name).fatal(str(exc))
        return 1
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        with exit_deadline(logger_name):
            for node in nodes:
                node.destroy_node()
            rclpy.try_shutdown()
    return 0


def run_node(make_node: Callable[[], Node], args=None) -> int:
    """Create the node with `make_node`, spin it until Ctrl-C or shutdown; 1 if it could not start."""
    return run_nodes(lambda: [make_node()], lambda nodes: rclpy.spin(nodes[0]), args)
