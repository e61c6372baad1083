"""Declaring described parameters in one line each, and reading them back."""

from __future__ import annotations

from rcl_interfaces.msg import FloatingPointRange, IntegerRange, ParameterDescriptor
from rclpy.node import Node


def declare(
    node: Node,
    name: str,
    default,
    description: str,
    *,
    read_only: bool = False,
    float_range: tuple[float, float] | None = None,
    int_range: tuple[int, int] | None = None,
    constraints: str = "",
):
    """Declare `name` with a ParameterDescriptor (ranges are enforced by rclpy); returns its value."""
    descriptor = ParameterDescriptor(
        description=description, read_only=read_only, additional_constraints=constraints
    )
    if float_range is not None:
        descriptor.floating_point_range = [
            FloatingPointRange(from_value=float(float_range[0]), to_value=float(float_range[1]), step=0.0)
        ]
    if int_range is not None:
        descriptor.integer_range = [
            IntegerRange(from_value=int(int_range[0]), to_value=int(int_range[1]), step=1)
        ]
    return node.declare_parameter(name, default, descriptor).value


def values(node: Node, names: list[str], overrides=()) -> dict:
    """Current values of `names`, with pending changes (rclpy Parameter objects) applied on top."""
    current = {name: node.get_parameter(name).value for name in names}
    for param in overrides:
        if param.name in current:
            current[param.name] = param.value
    return current
