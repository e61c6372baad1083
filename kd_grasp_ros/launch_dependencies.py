"""Optional dependencies of the launch files, checked before anything is started.

A launch file that needs a package we do not depend on (ur_simulation_gz, rosbag2's `ros2 bag`)
checks it first, with `require_packages`, and stops with MissingDependencyError naming what to install
before any process starts; RViz, which only shows things, is skipped with a warning when rviz2 is not
installed (`optional_node`). Packages are looked up in the ament index, as `ros2 launch` does.

`launch` is imported inside the functions (see kd_grasp_ros/launch_arguments.py).
"""

from __future__ import annotations

from collections.abc import Callable

from kd_grasp_ros.common.errors import KdGraspError

__all__ = [
    "MissingDependencyError",
    "missing_packages",
    "optional_node",
    "package_available",
    "require_packages",
]


class MissingDependencyError(KdGraspError, RuntimeError):
    """A launch file needs a ROS 2 package that is not installed (the message says which, and why)."""


def package_available(package: str) -> bool:
    """Whether `package` is in the ament index (AMENT_PREFIX_PATH)."""
    from ament_index_python.packages import PackageNotFoundError, get_package_prefix

    try:
        get_package_prefix(package)
    except (PackageNotFoundError, ValueError, OSError):  # OSError: no AMENT_PREFIX_PATH at all
        return False
    return True


def missing_packages(needed: dict[str, str]) -> dict[str, str]:
    """The entries of {package: what it is needed for} whose package is not installed."""
    return {package: why for package, why in needed.items() if not package_available(package)}


def require_packages(needed: Callable[[object], dict[str, str]] | dict[str, str]):
    """An action that raises MissingDependencyError when a package of `needed` ({package: what for},
    or a function of the launch context returning it) is missing. Put it before every process."""
    from launch.actions import OpaqueFunction

    def check(context):
        wanted = needed(context) if callable(needed) else needed
        missing = missing_packages(wanted)
        if missing:
            raise MissingDependencyError(
                "not installed: "
                + "; ".join(f"{package} (needed for {why})" for package, why in missing.items())
            )
        return []

    return OpaqueFunction(function=check)


def optional_node(package: str, what: str, make_node: Callable[[], object], condition=None):
    """An action that starts the node `make_node()` builds when `package` is installed, and otherwise
    logs a warning that `what` is skipped (nothing else depends on it)."""
    from launch.actions import LogInfo, OpaqueFunction

    def start(context):
        if package_available(package):
            return [make_node()]
        return [LogInfo(msg=f"WARNING: {package} is not installed: {what} skipped")]

    return OpaqueFunction(function=start, condition=condition)
