"""Header stamps (builtin_interfaces/Time or anything with `sec` and `nanosec`) as float seconds."""

from __future__ import annotations


def stamp_seconds(stamp) -> float:
    """sec + nanosec * 1e-9; never raises for negative or huge values (rclpy's Time.from_msg does)."""
    return float(stamp.sec) + float(stamp.nanosec) * 1e-9
