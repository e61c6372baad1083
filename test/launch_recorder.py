"""Evaluate our launch files without ROS 2 launch installed, and record what they would start.

`launch` and `launch_ros` cannot be installed here, so this module provides minimal stand-ins for the
parts of their API our launch files use, injected into sys.modules only while a launch file is
evaluated (they are not our code; everything of ours runs for real). Semantics follow launch:
arguments without a default must be given, values must be among the choices, conditions accept
true/false/1/0, included launch files see the arguments passed to them, substitutions inside Node
parameter dicts are YAML-parsed unless wrapped in ParameterValue(value_type=str), FindPackageShare
of our package is the source tree (its launch/, config/, models/ mirror share/kd_grasp_ros).
"""
from __future__ import annotations

import contextlib
import importlib.util
import os
import sys
import types
from dataclasses import dataclass, field
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "kd_grasp_ros"
FOREIGN_SHARE = Path("/opt/ros/share")  # where other packages would be; only recorded, never read


class LaunchEvaluationError(RuntimeError):
    """A launch file is wrong: a missing argument, a value outside its choices, a bad condition."""


# ---------------------------------------------------------------- stand-ins of launch / launch_ros


class Context:
    """The launch context: launch configurations (argument values) by name, and the environment the
    processes will get (launch's own starts as a copy of os.environ)."""

    def __init__(self, arguments: dict[str, str]):
        self.launch_configurations = dict(arguments)
        self.environment = dict(os.environ)


def perform(value, context: Context) -> str:
    """A substitution, text, or list of them (concatenated, as launch does) as a string."""
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        return "".join(perform(v, context) for v in value)
    if hasattr(value, "perform"):
        return value.perform(context)
    raise LaunchEvaluationError(f"cannot substitute {value!r}")


class LaunchConfiguration:
    def __init__(self, variable_name, default=None):
        self.name, self.default = variable_name, default

    def perform(self, context: Context) -> str:
        if self.name in context.launch_configurations:
            return context.launch_configurations[self.name]
        if self.default is not None:
            return perform(self.default, context)
        raise LaunchEvaluationError(f"launch configuration '{self.name}' does not exist")


class TextSubstitution:
    def __init__(self, *, text: str):
        self.text = text

    def perform(self, context: Context) -> str:
        return self.text


class EnvironmentVariable:
    def __init__(self, name, *, default_value=""):
        self.name, self.default_value = name, default_value

    def perform(self, context: Context) -> str:
        name = perform(self.name, context)
        if name in context.environment:
            return context.environment[name]
        return perform(self.default_value, context)


class PathJoinSubstitution:
    def __init__(self, substitutions):
        self.parts = list(substitutions)

    def perform(self, context: Context) -> str:
        return os.path.join(*(perform(p, context) for p in self.parts))


class FindPackageShare:
    def __init__(self, package):
        self.package = package

    def perform(self, context: Context) -> str:
        package = perform(self.package, context)
        return str(REPO_ROOT if package == PACKAGE else FOREIGN_SHARE / package)


class Condition:
    def __init__(self, predicate_expression):
        self.expression = predicate_expression

    def truth(self, context: Context) -> bool:
        text = perform(self.expression, context).strip().lower()
        if text in ("true", "1"):
            return True
        if text in ("false", "0"):
            return False
        raise LaunchEvaluationError(f"condition expects true/false/1/0, got '{text}'")


class IfCondition(Condition):
    def evaluate(self, context: Context) -> bool:
        return self.truth(context)


class UnlessCondition(Condition):
    def evaluate(self, context: Context) -> bool:
        return not self.truth(context)


class Action:
    def __init__(self, condition=None):
        self.condition = condition


class LaunchDescription:
    def __init__(self, initial_entities=None):
        self.entities = list(initial_entities or [])

    def add_action(self, action) -> None:
        self.entities.append(action)


class DeclareLaunchArgument(Action):
    def __init__(self, name, *, default_value=None, description=None, choices=None, condition=None):
        super().__init__(condition)
        self.name, self.default_value, self.description = name, default_value, description
        self.choices = list(choices) if choices is not None else None


class OpaqueFunction(Action):
    def __init__(self, *, function, args=None, kwargs=None, condition=None):
        super().__init__(condition)
        self.function, self.args, self.kwargs = function, args or [], kwargs or {}


class ExecuteProcess(Action):
    def __init__(self, *, cmd, name=None, output=None, condition=None, additional_env=None, **_):
        super().__init__(condition)
        self.cmd, self.name, self.additional_env = list(cmd), name, additional_env or {}


class SetEnvironmentVariable(Action):
    def __init__(self, name, value, *, condition=None):
        super().__init__(condition)
        self.name, self.value = name, value


class PythonLaunchDescriptionSource:
    def __init__(self, launch_file_path):
        self.path = launch_file_path


class IncludeLaunchDescription(Action):
    def __init__(self, launch_description_source, *, launch_arguments=None, condition=None):
        super().__init__(condition)
        self.source, self.arguments = launch_description_source, list(launch_arguments or [])


class ParameterValue:
    def __init__(self, value, *, value_type=None):
        self.value, self.value_type = value, value_type


class Node(Action):
    def __init__(self, *, package, executable, name=None, namespace=None, parameters=None, remappings=None,
                 arguments=None, output=None, condition=None, **_):
        super().__init__(condition)
        self.package, self.executable, self.name, self.namespace = package, executable, name, namespace
        self.parameters, self.remappings = list(parameters or []), list(remappings or [])
        self.arguments = list(arguments or [])


def _fake_modules() -> dict[str, types.ModuleType]:
    def module(name: str, **attrs) -> types.ModuleType:
        m = types.ModuleType(name)
        m.__dict__.update(attrs)
        return m

    substitutions = dict(EnvironmentVariable=EnvironmentVariable, LaunchConfiguration=LaunchConfiguration,
                         PathJoinSubstitution=PathJoinSubstitution, TextSubstitution=TextSubstitution)
    return {
        "launch": module("launch", LaunchDescription=LaunchDescription, LaunchContext=Context),
        "launch.actions": module("launch.actions", DeclareLaunchArgument=DeclareLaunchArgument,
                                 ExecuteProcess=ExecuteProcess, OpaqueFunction=OpaqueFunction,
                                 IncludeLaunchDescription=IncludeLaunchDescription,
                                 SetEnvironmentVariable=SetEnvironmentVariable),
        "launch.conditions": module("launch.conditions", IfCondition=IfCondition,
                                    UnlessCondition=UnlessCondition),
        "launch.substitutions": module("launch.substitutions", **substitutions),
        "launch.launch_description_sources": module("launch.launch_description_sources",
                                                    PythonLaunchDescriptionSource=PythonLaunchDescriptionSource),
        "launch_ros": module("launch_ros"),
        "launch_ros.actions": module("launch_ros.actions", Node=Node),
        "launch_ros.substitutions": module("launch_ros.substitutions", FindPackageShare=FindPackageShare),
        "launch_ros.parameter_descriptions": module("launch_ros.parameter_descriptions",
                                                    ParameterValue=ParameterValue),
    }


@contextlib.contextmanager
def fake_launch_modules():
    """Install the stand-ins in sys.modules (refusing to shadow a real launch install), then remove them."""
    fakes = _fake_modules()
    clashes = [name for name in fakes if name in sys.modules]
    if clashes:
        raise RuntimeError(f"modules already imported, will not replace them: {clashes}")
    sys.modules.update(fakes)
    try:
        yield
    finally:
        for name in fakes:
            sys.modules.pop(name, None)


# ---------------------------------------------------------------- the record


@dataclass
class RecordedArgument:
    name: str
    default: str | None
    description: str | None
    choices: list[str] | None
    launch_file: str


@dataclass
class RecordedNode:
    package: str
    executable: str
    name: str | None
    param_files: list[Path]
    param_overrides: dict
    remappings: dict[str, str]
    arguments: list[str]
    param_order: list = field(default_factory=list)  # files and override dicts, in launch order


@dataclass
class RecordedProcess:
    cmd: list[str]
    name: str | None


@dataclass
class RecordedInclude:
    path: str
    arguments: dict[str, str]


@dataclass
class LaunchRecord:
    arguments: list[RecordedArgument] = field(default_factory=list)
    nodes: list[RecordedNode] = field(default_factory=list)
    processes: list[RecordedProcess] = field(default_factory=list)
    foreign_includes: list[RecordedInclude] = field(default_factory=list)
    environment: dict[str, str] = field(default_factory=dict)  # set by SetEnvironmentVariable actions

    def node(self, executable: str) -> RecordedNode:
        found = [n for n in self.nodes if n.executable == executable]
        if len(found) != 1:
            raise LookupError(f"expected one node running {executable}, got {len(found)}: "
                              f"{[n.executable for n in self.nodes]}")
        return found[0]


def _parameter_value(value, context: Context):
    if isinstance(value, ParameterValue):
        text = perform(value.value, context)
        return value.value_type(text) if value.value_type else yaml.safe_load(text)
    if isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)) and all(isinstance(v, (bool, int, float, str)) for v in value):
        return list(value)
    return yaml.safe_load(perform(value, context))


def _load_description(path: Path):
    spec = importlib.util.spec_from_file_location(f"launch_file_{path.stem.replace('.', '_')}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.generate_launch_description()


def _visit(entities, context: Context, record: LaunchRecord, launch_file: str) -> None:
    for entity in entities:
        if isinstance(entity, LaunchDescription):
            _visit(entity.entities, context, record, launch_file)
            continue
        if entity.condition is not None and not entity.condition.evaluate(context):
            continue
        if isinstance(entity, DeclareLaunchArgument):
            record.arguments.append(RecordedArgument(
                entity.name, None if entity.default_value is None else perform(entity.default_value, context),
                entity.description, entity.choices, launch_file))
            if entity.name not in context.launch_configurations:
                if entity.default_value is None:
                    raise LaunchEvaluationError(f"{launch_file}: required argument '{entity.name}' not given")
                context.launch_configurations[entity.name] = perform(entity.default_value, context)
            value = context.launch_configurations[entity.name]
            if entity.choices is not None and value not in entity.choices:
                raise LaunchEvaluationError(f"{launch_file}: {entity.name}:={value} not in {entity.choices}")
        elif isinstance(entity, OpaqueFunction):
            produced = entity.function(context, *entity.args, **entity.kwargs) or []
            _visit(produced, context, record, launch_file)
        elif isinstance(entity, IncludeLaunchDescription):
            path = perform(entity.source.path, context)
            arguments = {perform(k, context): perform(v, context) for k, v in entity.arguments}
            if Path(path).is_relative_to(REPO_ROOT):
                context.launch_configurations.update(arguments)
                _visit([_load_description(Path(path))], context, record, Path(path).name)
            else:
                record.foreign_includes.append(RecordedInclude(path, arguments))
        elif isinstance(entity, SetEnvironmentVariable):
            name, value = perform(entity.name, context), perform(entity.value, context)
            context.environment[name] = record.environment[name] = value
        elif isinstance(entity, ExecuteProcess):
            record.processes.append(RecordedProcess([perform(c, context) for c in entity.cmd], entity.name))
        elif isinstance(entity, Node):
            files, overrides, order = [], {}, []
            for item in entity.parameters:
                if isinstance(item, dict):
                    resolved = {perform(k, context): _parameter_value(v, context) for k, v in item.items()}
                    overrides.update(resolved)
                    order.append(resolved)
                else:
                    files.append(Path(perform(item, context)))
                    order.append(files[-1])
            record.nodes.append(RecordedNode(
                package=perform(entity.package, context), executable=perform(entity.executable, context),
                name=None if entity.name is None else perform(entity.name, context), param_files=files,
                param_overrides=overrides,
                remappings={perform(a, context): perform(b, context) for a, b in entity.remappings},
                arguments=[perform(a, context) for a in entity.arguments], param_order=order))
        else:
            raise LaunchEvaluationError(f"{launch_file}: the recorder does not know {type(entity).__name__}")


def evaluate_launch_file(path: str | Path, arguments: dict[str, str] | None = None) -> LaunchRecord:
    """Run generate_launch_description() of `path` with `arguments` (name -> string) and record it."""
    path = Path(path)
    record = LaunchRecord()
    with fake_launch_modules():
        _visit([_load_description(path)], Context(arguments or {}), record, path.name)
    return record
