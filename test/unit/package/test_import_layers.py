"""Imports only point down the layers: common -> robot/camera/ros_image -> grasp/depth/executor/sim ->
pipeline -> nodes -> launch/replay -> demo/bench -> cli. An area may import itself; nothing imports an
area on its own level or above (read from every module's import statements, lazy imports included)."""

import ast

from ros_helpers import REPO_ROOT

PACKAGE = REPO_ROOT / "kd_grasp_ros"
LEVELS = {
    "common": 0,
    "robot": 1,
    "camera": 1,
    "ros_image": 1,
    "grasp": 2,
    "depth": 2,
    "executor": 2,
    "sim": 2,
    "pipeline": 3,
    "nodes": 4,
    "launch": 5,  # launch_graph, launch_arguments, launch_dependencies
    "replay": 5,
    "demo": 6,
    "bench": 6,
    "cli": 7,
}


def area(module: str) -> str:
    """kd_grasp_ros.<area>[...] -> area; the launch_* modules are one area."""
    name = module.split(".")[1]
    return "launch" if name.startswith("launch_") else name


def imports_of(path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("kd_grasp_ros."):
            found.add(node.module)
        elif isinstance(node, ast.ImportFrom) and node.module == "kd_grasp_ros":
            found |= {f"kd_grasp_ros.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("kd_grasp_ros.")}
    return found


def test_every_area_has_a_level():
    areas = {area(f"kd_grasp_ros.{p.stem}") for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    areas |= {area(f"kd_grasp_ros.{p.name}") for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    assert areas == set(LEVELS)


def test_imports_only_point_down():
    upward = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(REPO_ROOT).with_suffix("")
        if rel.name == "__init__" and len(rel.parts) == 2:
            continue
        source = area(".".join(rel.parts))
        for target in sorted(area(m) for m in imports_of(path)):
            if target != source and LEVELS[target] >= LEVELS[source]:
                upward.append(f"{rel} ({source}) imports {target}")
    assert not upward, "\n".join(upward)
