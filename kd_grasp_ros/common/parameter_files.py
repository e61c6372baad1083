"""The nodes' parameter files (config/<node>.yaml) as the one source of every parameter's default.

Each node's parameters are the fields of one or more dataclasses. A field carries no default in code,
only what describes it, once (`parameter()`: description, range, read_only, constraints); its default
is its value in the `<section>: ros__parameters:` mapping of config/<parameter_file> (the class's two
ClassVars; the package's installed copy, found through kd_grasp_ros.common.resources). The section is the
node's default name, so a renamed node still starts from it. The node declares every field from
there (nodes/parameters.py), so `ros2 run` without a params file behaves like `ros2 launch` with the
shipped ones. ROS-free: plain code that needs a node's default (the offline replay, the executor core,
tests) reads it here, and config dataclasses built without ROS get their defaults through
`defaults_from_parameter_file`.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import typing
from pathlib import Path
from typing import Any

import yaml

from kd_grasp_ros.common.errors import KdGraspError
from kd_grasp_ros.common.resources import config_path

# Field metadata keys.
DESCRIPTION = "description"
RANGE = "range"  # (low, high), inclusive; enforced by rclpy
READ_ONLY = "read_only"  # fixed at start-up
CONSTRAINTS = "constraints"  # free text shown by `ros2 param describe`, e.g. "one of a, b"
NO_DEFAULT = "no_default"  # declared without a value (the user must give one); absent from the YAML


class ParameterFileError(KdGraspError, ValueError):
    """A parameter file lacks a node's section, a parameter, or holds one of the wrong type."""


def parameter(
    description: str,
    *,
    range: tuple[float, float] | None = None,
    read_only: bool = False,
    constraints: str = "",
    no_default: bool = False,
    **field_kwargs,
) -> Any:
    """A dataclass field of a node parameter: its description and limits, no default (that is in the
    parameter file). `field_kwargs` go to dataclasses.field (only a no_default field needs a default)."""
    metadata = {
        DESCRIPTION: description,
        READ_ONLY: read_only,
        CONSTRAINTS: constraints,
        NO_DEFAULT: no_default,
    }
    if range is not None:
        metadata[RANGE] = (range[0], range[1])
    return dataclasses.field(metadata=metadata, **field_kwargs)


@functools.cache
def _load(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ParameterFileError(f"cannot read parameter file {path}: {exc}") from exc
    return data if isinstance(data, dict) else {}


def section(file_name: str, section_name: str) -> dict[str, Any]:
    """The `<section_name>: ros__parameters:` mapping of config/<file_name> (a copy)."""
    path = config_path(file_name)
    node = _load(path).get(section_name)
    params = node.get("ros__parameters") if isinstance(node, dict) else None
    if not isinstance(params, dict):
        raise ParameterFileError(f"{path} has no '{section_name}: ros__parameters:' mapping")
    return copy.deepcopy(params)


def source(*classes: type) -> tuple[str, str]:
    """(parameter file, section) that the parameter dataclasses `classes` are declared from."""
    sources = {(cls.parameter_file, cls.section) for cls in classes}
    if len(sources) != 1:
        names = [c.__name__ for c in classes]
        raise ParameterFileError(f"{names} are declared from more than one parameter file: {sorted(sources)}")
    return sources.pop()


def fields(cls: type) -> dict[str, tuple[Any, dataclasses.Field]]:
    """name: (resolved type annotation, Field) of every parameter of `cls`: a dataclass, or a class about
    to become one (then its own Field attributes; see defaults_from_parameter_file)."""
    hints = typing.get_type_hints(cls)
    if dataclasses.is_dataclass(cls):
        found = {f.name: f for f in dataclasses.fields(cls)}
    else:
        found = {name: value for name, value in vars(cls).items() if isinstance(value, dataclasses.Field)}
    return {name: (hints[name], f) for name, f in found.items()}


def _conforms(value: Any, hint: Any) -> bool:
    """Whether a YAML value has the field's type exactly, as rclpy's declared types require (a YAML 1
    for a float field would be declared an integer, and a params file's 1.0 then refused)."""
    origin = typing.get_origin(hint)
    if origin in (list, tuple):
        item = typing.get_args(hint)[0] if typing.get_args(hint) else Any
        return isinstance(value, list) and bool(value) and all(_conforms(v, item) for v in value)
    return hint is Any or type(value) is hint


def shipped_defaults(*classes: type, whole_section: bool = True) -> dict[str, Any]:
    """Default of every parameter of `classes` from their parameter file's section, type-checked (lists
    stay lists, as ROS declares them). ParameterFileError when the section misses a parameter, has one
    no class knows (unless not `whole_section`: then other keys are left out), gives one declared
    without a default, or holds a value of another type."""
    file_name, section_name = source(*classes)
    values = section(file_name, section_name)
    specs = {name: spec for cls in classes for name, spec in fields(cls).items()}
    no_default = {name for name, (_, f) in specs.items() if f.metadata.get(NO_DEFAULT)}
    where = f"config/{file_name} ({section_name})"
    if not whole_section:
        values = {name: value for name, value in values.items() if name in specs}
    unknown = sorted(set(values) - set(specs))
    missing = sorted(set(specs) - no_default - set(values))
    if unknown or missing:
        raise ParameterFileError(f"{where}: unknown parameters {unknown}, missing parameters {missing}")
    if no_default & set(values):
        raise ParameterFileError(f"{where}: {sorted(no_default & set(values))} have no default on purpose")
    for name, value in values.items():
        if not _conforms(value, specs[name][0]):
            raise ParameterFileError(
                f"{where}: {name} is {value!r} ({type(value).__name__}), expected {specs[name][0]}"
            )
    return values


def defaults_from_parameter_file(cls: type) -> type:
    """Class decorator, applied before @dataclass: every parameter without a default gets its value in
    the class's parameter file (lists as tuples), so ROS-free code can build the config from keywords
    while the numbers stay in the file once. The section may hold other classes' parameters too (a
    node's own settings beside this config)."""
    for name, value in shipped_defaults(cls, whole_section=False).items():
        vars(cls)[name].default = tuple(value) if isinstance(value, list) else value
    return cls
