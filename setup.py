"""ament_python build of kd_grasp_ros; also installs with pip into a virtual environment."""

from glob import glob

from setuptools import find_packages, setup

PACKAGE = "kd_grasp_ros"

NODE_EXECUTABLES = {
    "camera_node": "kd_grasp_ros.nodes.camera_node:main",
    "depth_completion_node": "kd_grasp_ros.nodes.depth_completion_node:main",
    "grasp_detection_node": "kd_grasp_ros.nodes.grasp_detection_node:main",
    "ur_executor_node": "kd_grasp_ros.nodes.ur_executor_node:main",
    "sim_world_node": "kd_grasp_ros.nodes.sim_world_node:main",
    "pipeline_composed": "kd_grasp_ros.nodes.pipeline_composed:main",
}
# Tools the launch files start: installed to lib/kd_grasp_ros like the nodes, so `ros2 launch` finds them
# in a colcon install and a development install alike (never through PATH).
TOOL_EXECUTABLES = {
    "ur_emulator": "kd_grasp_ros.robot.emulator_cli:main",
    "bag_player": "kd_grasp_ros.replay.cli:player_main",
}

setup(
    name=PACKAGE,
    version="0.1.0",
    packages=find_packages(exclude=["test", "test.*"]),
    data_files=[
        ("share/ament_index/resource_index/packages", [f"resource/{PACKAGE}"]),
        (f"share/{PACKAGE}", ["package.xml"]),
        (f"share/{PACKAGE}/launch", glob("launch/*.py")),
        (f"share/{PACKAGE}/config", glob("config/*.yaml") + glob("config/*.rviz") + glob("config/*.xml")),
        (f"share/{PACKAGE}/models", glob("models/*.pt") + glob("models/*.json") + glob("models/*.md")),
        (f"share/{PACKAGE}/models/sample_bags/sim_cell", glob("models/sample_bags/sim_cell/*")),
    ],
    install_requires=["setuptools"],
    zip_safe=True,
    maintainer="kd_grasp_ros maintainers",
    maintainer_email="kd-grasp-ros@users.noreply.github.com",
    description="Distilled depth completion and GG-CNN grasping for a UR10e with a RealSense camera.",
    license="BSD-3-Clause",
    tests_require=["pytest"],
    entry_points={
        "console_scripts": [
            f"{name}={target}" for name, target in {**NODE_EXECUTABLES, **TOOL_EXECUTABLES}.items()
        ]
        + ["kd-grasp=kd_grasp_ros.cli:main"],
    },
)
