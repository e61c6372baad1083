"""Declaring a node's parameters from its parameter dataclasses, and reading them back.

Defaults come from the package's parameter file (config/<node>.yaml, see common/parameter_files.py),
descriptions and ranges from the dataclass fields: `declare_all(node, Params)` declares every field
and returns the Params filled with the values the node starts with (overrides included).
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

from rcl_interfaces.msg import FloatingPointRange, IntegerRange, ParameterDescriptor
from rclpy.node import Node
from rclpy.parameter import Parameter

from kd_grasp_ros.common.parameter_files import (
    CONSTRAINTS,
    DESCRIPTION,
    NO_DEFAULT,
    RANGE,
    READ_ONLY,
    fields,
    shipped_defaults,
)

T = TypeVar("T")
# The ROS type a parameter declared without a default (NO_DEFAULT) has, by its field's type.
_UNSET_TYPES = {str: Parameter.Type.STRING, int: Parameter.Type.INTEGER, float: Parameter.Type.DOUBLE}


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


def declare_values(node: Node, *classes: type) -> dict[str, Any]:
    """Declare every field of the parameter dataclasses `classes` (which share one parameter file
    section), defaults from the file; returns name: value at start-up (None: no value given to a field
    declared without a default)."""
    defaults = shipped_defaults(*classes)
    values = {}
    for cls in classes:
        for name, (hint, f) in fields(cls).items():
            meta = f.metadata
            low_high = meta.get(RANGE)
            values[name] = declare(
                node,
                name,
                _UNSET_TYPES[hint] if meta[NO_DEFAULT] else defaults[name],
                meta[DESCRIPTION],
                read_only=meta[READ_ONLY],
                float_range=low_high if low_high is not None and hint is float else None,
                int_range=low_high if low_high is not None and hint is int else None,
                constraints=meta[CONSTRAINTS],
            )
    return values


def declare_all(node: Node, cls: type[T]) -> T:
    """Declare every field of the parameter dataclass `cls`; the dataclass of the start-up values."""
    return from_values(cls, declare_values(node, cls))


def from_values(cls: type[T], values: dict[str, Any]) -> T:
    """The parameter dataclass `cls` of its fields' values in `values` (other keys are left out)."""
    return cls(**{name: _plain(values[name]) for name in parameter_names(cls)})


def _plain(value):
    """ROS array values (array.array) as lists."""
    return value if isinstance(value, str | bool | int | float) or value is None else list(value)


def parameter_names(*classes: type) -> list[str]:
    """The parameter names of `classes`, in declaration order."""
    return [f.name for cls in classes for f in dataclasses.fields(cls)]


def values(node: Node, names: list[str], overrides=()) -> dict:
    """Current values of `names`, with pending changes (rclpy Parameter objects) applied on top."""
    current = {name: node.get_parameter(name).value for name in names}
    for param in overrides:
        if param.name in current:
            current[param.name] = param.value
    return current
