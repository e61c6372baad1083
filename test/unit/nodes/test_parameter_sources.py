"""config/*.yaml is the one source of node defaults: for every node, the keys of its section, the fields
of its parameter dataclasses (where the descriptions and ranges are) and the parameters the node
declares are the same names; each declared parameter is described and starts at the file's value."""

from __future__ import annotations

import dataclasses
import importlib
from pathlib import Path

import pytest
import yaml

from kd_grasp_ros.common import parameter_files
from kd_grasp_ros.common.parameter_files import (
    DESCRIPTION,
    NO_DEFAULT,
    ParameterFileError,
    parameter,
    section,
    shipped_defaults,
    source,
)
from kd_grasp_ros.common.resources import config_path

# Each node by its default name: (module, node class, its parameter dataclasses as "module:Class").
NODES = {
    "camera_node": (
        "kd_grasp_ros.nodes.camera_node:CameraNode",
        ("kd_grasp_ros.camera.realsense:CameraConfig", "kd_grasp_ros.nodes.camera_node:CameraNodeParams"),
    ),
    "depth_completion_node": (
        "kd_grasp_ros.nodes.depth_completion_node:DepthCompletionNode",
        ("kd_grasp_ros.nodes.depth_completion_node:DepthCompletionParams",),
    ),
    "grasp_detection_node": (
        "kd_grasp_ros.nodes.grasp_detection_node:GraspDetectionNode",
        ("kd_grasp_ros.nodes.grasp_detection_node:GraspDetectionParams",),
    ),
    "sim_world_node": (
        "kd_grasp_ros.nodes.sim_world_node:SimWorldNode",
        ("kd_grasp_ros.nodes.sim_world_node:SimWorldParams",),
    ),
    "ur_executor": (
        "kd_grasp_ros.nodes.ur_executor_node:URExecutorNode",
        ("kd_grasp_ros.executor.config:ExecutorConfig", "kd_grasp_ros.executor.config:ExecutorNodeSettings"),
    ),
}
# Parameter files that only overlay a node's shipped file (section: the overlaid file).
OVERLAYS = {("ur_executor_sim.yaml", "ur_executor"): "ur_executor.yaml"}


def _load(target: str):
    module, name = target.split(":")
    return getattr(importlib.import_module(module), name)


def _classes(node_name: str) -> tuple[type, ...]:
    return tuple(_load(c) for c in NODES[node_name][1])


def _fields(node_name: str) -> dict[str, dataclasses.Field]:
    return {f.name: f for cls in _classes(node_name) for f in dataclasses.fields(cls)}


def _plain(value):
    return value if isinstance(value, str | bool | int | float) or value is None else list(value)


@pytest.mark.parametrize("node_name", sorted(NODES))
def test_the_section_holds_every_described_field(node_name):
    classes = _classes(node_name)
    file_name, section_name = source(*classes)
    assert section_name == node_name
    fields = _fields(node_name)
    no_default = {name for name, f in fields.items() if f.metadata[NO_DEFAULT]}
    assert set(section(file_name, section_name)) == set(fields) - no_default
    assert all(f.metadata[DESCRIPTION].strip() for f in fields.values())
    assert shipped_defaults(*classes)  # and every value has its field's type


def test_every_node_section_of_the_parameter_files_belongs_to_a_node():
    declared = {source(*_classes(name)) for name in NODES}
    found = set()
    for path in sorted(Path(config_path("camera.yaml")).parent.glob("*.yaml")):
        data = yaml.safe_load(path.read_text()) or {}
        found |= {(path.name, k) for k, v in data.items() if isinstance(v, dict) and "ros__parameters" in v}
    assert found == declared | set(OVERLAYS)


@pytest.mark.parametrize("overlay", sorted(OVERLAYS))
def test_an_overlay_sets_only_parameters_of_its_node(overlay):
    file_name, section_name = overlay
    base = section(OVERLAYS[overlay], section_name)
    values = section(file_name, section_name)
    assert set(values) <= set(base), set(values) - set(base)
    assert all(type(values[k]) is type(base[k]) for k in values)


def test_plain_code_defaults_are_the_shipped_ones():
    from kd_grasp_ros.camera.realsense import CameraConfig
    from kd_grasp_ros.executor.config import ExecutorConfig
    from kd_grasp_ros.pipeline import frame_checks, grasp_stage, perception, sync

    for config in (CameraConfig(), ExecutorConfig()):
        shipped = section(type(config).parameter_file, type(config).section)
        for f in dataclasses.fields(config):
            if not f.metadata[NO_DEFAULT]:
                assert _plain(getattr(config, f.name)) == shipped[f.name], f.name
    depth = section("depth_completion.yaml", "depth_completion_node")
    grasp = section("grasp_detection.yaml", "grasp_detection_node")
    assert (frame_checks.DEFAULT_MIN_VALID_FRACTION, sync.DEFAULT_SLOP_S) == (
        depth["min_valid_fraction"],
        depth["sync_slop_s"],
    )
    assert (
        perception.GRASP_MIN_VALID_FRACTION,
        grasp_stage.DEFAULT_TOP_K,
        grasp_stage.DEFAULT_GRASP_MODEL,
    ) == (
        grasp["min_valid_fraction"],
        grasp["top_k"],
        grasp["model_path"],
    )
    cfg = grasp_stage.GraspFilterConfig()
    assert (cfg.min_quality, list(cfg.workspace_min), list(cfg.workspace_max)) == (
        grasp["min_quality"],
        grasp["workspace_min"],
        grasp["workspace_max"],
    )


def test_a_parameter_file_that_disagrees_with_its_fields_is_refused(tmp_path, monkeypatch):
    @dataclasses.dataclass(frozen=True)
    class Params:
        parameter_file = "params.yaml"
        section = "some_node"
        rate_hz: float = parameter("a rate (Hz)")
        address: str = parameter("an address", no_default=True, default="")

    def write(values: dict) -> None:
        path = tmp_path / f"params{len(list(tmp_path.iterdir()))}.yaml"
        path.write_text(yaml.safe_dump({"some_node": {"ros__parameters": values}}))
        monkeypatch.setattr(parameter_files, "config_path", lambda name: path)

    write({"rate_hz": 2.0})
    assert shipped_defaults(Params) == {"rate_hz": 2.0}
    for bad, message in (
        ({"rate_hz": 2}, "rate_hz is 2 .int., expected <class 'float'>"),
        ({}, r"missing parameters \['rate_hz'\]"),
        ({"rate_hz": 2.0, "rate": 1.0}, r"unknown parameters \['rate'\]"),
        ({"rate_hz": 2.0, "address": "x"}, "no default on purpose"),
    ):
        write(bad)
        with pytest.raises(ParameterFileError, match=message):
            shipped_defaults(Params)


# ---- the nodes themselves (in this process, each in an isolated rclpy context) ---------------------


def _declared_in_a_fresh_process(builder: str, kwargs: dict) -> dict:
    """{node name: {parameter: (value, is_set, description)}} of the nodes `builder` makes, each without the
    parameters rclpy declares on any node. Runs in a spawned process (see _declared): the nodes start
    native threads (ONNX Runtime, librealsense, MuJoCo) that must not live on in the pytest process,
    where later tests fork DataLoader workers."""
    import rclpy
    from rclpy.parameter import Parameter

    context = rclpy.Context()
    rclpy.init(context=context)
    try:
        bare = rclpy.create_node("bare_node", context=context)
        baseline = set(bare.get_parameters_by_prefix(""))
        bare.destroy_node()
        built = _load(builder)(context=context, **kwargs)
        nodes = built if isinstance(built, list) else [built]
        out = {}
        for node in nodes:
            params = {n: p for n, p in node.get_parameters_by_prefix("").items() if n not in baseline}
            descriptions = {d.name: d.description for d in node.describe_parameters(sorted(params))}
            out[node.get_name()] = {
                n: (_plain(p.value), p.type_ != Parameter.Type.NOT_SET, descriptions[n])
                for n, p in params.items()
            }
            node.destroy_node()
        return out
    finally:
        context.try_shutdown()


def _declared(builder: str, **kwargs) -> dict:
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(_declared_in_a_fresh_process, (builder, kwargs))


def _check_declared(declared: dict, node_name: str) -> None:
    fields = _fields(node_name)
    assert set(declared) == set(fields), (
        sorted(set(declared) - set(fields)),
        sorted(set(fields) - set(declared)),
    )
    assert all(d.strip() for _, _, d in declared.values()), [n for n, (_, _, d) in declared.items() if not d]
    shipped = section(*source(*_classes(node_name)))
    for name, (value, is_set, _) in declared.items():
        if fields[name].metadata[NO_DEFAULT]:
            assert not is_set, name
        else:
            assert value == shipped[name] and type(value) is type(shipped[name]), (name, value, shipped[name])


@pytest.mark.slow
@pytest.mark.ros
@pytest.mark.timeout(300)
@pytest.mark.parametrize("node_name", sorted(NODES))
def test_a_node_declares_exactly_its_shipped_parameters(ros_domain, node_name):
    (declared,) = _declared(NODES[node_name][0]).items()
    assert declared[0] == node_name
    _check_declared(declared[1], node_name)


@pytest.mark.slow
@pytest.mark.ros
@pytest.mark.timeout(300)
def test_the_composed_pipeline_declares_each_node_from_its_own_file(ros_domain):
    declared = _declared(
        "kd_grasp_ros.nodes.pipeline_composed:build_nodes", with_camera=True, depth_completion=True
    )
    assert list(declared) == ["camera_node", "depth_completion_node", "grasp_detection_node"]
    for name, parameters in declared.items():
        _check_declared(parameters, name)


@pytest.mark.slow
@pytest.mark.ros
@pytest.mark.timeout(120)
def test_a_renamed_node_still_starts_from_its_section(ros_domain):
    declared = _declared(
        "kd_grasp_ros.nodes.ur_executor_node:URExecutorNode",
        cli_args=["--ros-args", "-r", "__node:=left_arm"],
    )
    assert list(declared) == ["left_arm"]
    _check_declared(declared["left_arm"], "ur_executor")
