"""The main() every node executable shares: init, spin, clean shutdown, startup errors as exit code 1.

Shutdown order, on SIGINT, SIGTERM or the death of the parent process (a `ros2 launch` that got SIGTERM
or SIGKILL, see kd_grasp_ros.common.process_lifetime): stop dispatching callbacks, wait for the running
ones, destroy the nodes (the executor stops the arm and disconnects), then shut rclpy down. rclpy's own
signal handlers are not installed: they shut the context down at once, under callbacks still running
("exception was never retrieved: ... context is invalid"). The clean-up is bounded by
SHUTDOWN_DEADLINE_S, after which the process exits regardless.
"""

from __future__ import annotations

from collections.abc import Callable

import rclpy
from rclpy.executors import Executor, ExternalShutdownException, SingleThreadedExecutor
from rclpy.node import Node
from rclpy.signals import SignalHandlerOptions

from kd_grasp_ros.common.errors import KdGraspError
from kd_grasp_ros.common.process_lifetime import exit_deadline, exit_with_parent, stop_on_signals

SPIN_PERIOD_S = 0.1  # how often the spin loop looks for a shutdown request


class NodeStartupError(KdGraspError, RuntimeError):
    """A node cannot start: its model, configuration or resource is unusable (message says which)."""


def _single_threaded(nodes: list[Node]) -> Executor:
    return SingleThreadedExecutor()


def _events(nodes: list[Node]) -> Executor:
    from rclpy.experimental import EventsExecutor

    return EventsExecutor()


# The perception nodes use "events": their callbacks only hand frames to a worker thread, and the
# C++ EventsExecutor does not rebuild a wait set in Python for every message.
EXECUTORS: dict[str, Callable[[list[Node]], Executor]] = {"events": _events, "single": _single_threaded}


def run_nodes(
    make_nodes: Callable[[], list[Node]],
    args=None,
    logger_name: str = "kd_grasp_ros",
    make_executor: Callable[[list[Node]], Executor] = _single_threaded,
) -> int:
    """Create the nodes with `make_nodes` and spin them on `make_executor(nodes)` until SIGINT, SIGTERM
    or rclpy shutdown, then destroy them; 1 (the error logged as fatal on `logger_name`) if they could
    not start."""
    exit_with_parent()
    stop = stop_on_signals()
    rclpy.init(args=args, signal_handler_options=SignalHandlerOptions.NO)
    nodes: list[Node] = []
    executor: Executor | None = None
    try:
        nodes = make_nodes()
        executor = make_executor(nodes)
        for node in nodes:
            executor.add_node(node)
        while not stop.is_set() and rclpy.ok():
            executor.spin_once(timeout_sec=SPIN_PERIOD_S)
    except NodeStartupError as exc:
        rclpy.logging.get_logger(logger_name).fatal(str(exc))
        return 1
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        with exit_deadline(logger_name):
            if executor is not None:
                # wait for the running callbacks however long (an inference on a busy CPU can take
                # seconds): the executor's guard condition is destroyed after this wait, under any
                # callback still running. exit_deadline bounds it.
                executor.shutdown(timeout_sec=None)
            for node in nodes:
                node.destroy_node()
            rclpy.try_shutdown()
    return 0


def run_node(make_node: Callable[[], Node], args=None, executor: str = "single") -> int:
    """Create the node with `make_node`, spin it on EXECUTORS[executor] until SIGINT, SIGTERM or
    shutdown; 1 if it could not start."""
    return run_nodes(lambda: [make_node()], args, make_executor=EXECUTORS[executor])
