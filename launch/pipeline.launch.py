"""Depth completion + grasp detection on a camera's topics (included by the other launch files).

ros2 launch kd_grasp_ros pipeline.launch.py [depth_completion:=false] [use_composition:=false]
    [color_topic:=...] [depth_topic:=...] [camera_info_topic:=...] [use_sim_time:=true]

Arguments: depth_completion (default true), use_composition (default true), use_sim_time (default
false), input_qos (default sensor_data), device (default cpu), declared in
kd_grasp_ros/launch_arguments.py; color_topic, depth_topic, camera_info_topic (realsense-ros names by
default), depth_params_file, grasp_params_file.
"""

from launch.actions import DeclareLaunchArgument, OpaqueFunction
from launch.substitutions import LaunchConfiguration, PathJoinSubstitution
from launch_ros.substitutions import FindPackageShare

from kd_grasp_ros.launch_arguments import PACKAGE, dds_profile_action, pipeline_arguments, process_action
from kd_grasp_ros.launch_graph import pipeline_processes
from kd_grasp_ros.nodes import topics
from launch import LaunchDescription


def _flag(context, name: str) -> bool:
    return LaunchConfiguration(name).perform(context) == "true"


def launch_setup(context):
    """The pipeline nodes (kd_grasp_ros.launch_graph.pipeline_processes): one composed process, or one
    process per node."""
    color, depth, info = (LaunchConfiguration(n) for n in ("color_topic", "depth_topic", "camera_info_topic"))
    overrides = {
        "use_sim_time": _flag(context, "use_sim_time"),
        "device": LaunchConfiguration("device"),
        "backend": LaunchConfiguration("backend"),
        "input_qos": LaunchConfiguration("input_qos"),
    }
    processes = pipeline_processes(
        depth_completion=_flag(context, "depth_completion"),
        composed=_flag(context, "use_composition"),
        overrides=overrides,
        depth_params=LaunchConfiguration("depth_params_file"),
        grasp_params=LaunchConfiguration("grasp_params_file"),
        camera_remaps=((topics.COLOR_IN, color), (topics.DEPTH_IN, depth), (topics.DEPTH_INFO_IN, info)),
    )
    return [process_action(p) for p in processes]


def generate_launch_description():
    config = PathJoinSubstitution([FindPackageShare(PACKAGE), "config"])
    return LaunchDescription(
        [
            dds_profile_action(),
            *pipeline_arguments(),
            DeclareLaunchArgument(
                "color_topic",
                default_value="/" + topics.REALSENSE_COLOR,
                description="colour image topic (rgb8/bgr8)",
            ),
            DeclareLaunchArgument(
                "depth_topic",
                default_value="/" + topics.REALSENSE_ALIGNED_DEPTH,
                description="depth aligned to colour (16UC1 mm or 32FC1 m)",
            ),
            DeclareLaunchArgument(
                "camera_info_topic",
                default_value="/" + topics.REALSENSE_ALIGNED_DEPTH_INFO,
                description="camera_info of the aligned depth",
            ),
            DeclareLaunchArgument(
                "depth_params_file",
                default_value=PathJoinSubstitution([config, "depth_completion.yaml"]),
                description="parameters of depth_completion_node",
            ),
            DeclareLaunchArgument(
                "grasp_params_file",
                default_value=PathJoinSubstitution([config, "grasp_detection.yaml"]),
                description="parameters of grasp_detection_node",
            ),
            OpaqueFunction(function=launch_setup),
        ]
    )
