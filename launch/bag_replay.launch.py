"""Replay a recorded bag through the grasp pipeline, on the bag's clock.

ros2 launch kd_grasp_ros bag_replay.launch.py bag_path:=/path/to/bag [rate:=0.5] [loop:=false]
    [depth_completion:=false] [launch_rviz:=true] [player:=kd_grasp]

player:=ros2 runs `ros2 bag play BAG --clock` (needs rosbag2: checked before anything starts);
player:=kd_grasp runs `bag_player BAG` (= `kd-grasp replay BAG`: same topics and /clock, and needs no
rosbag2 tools). Image topics are the realsense-ros names.

Arguments: bag_path (required), rate, loop, player; the pipeline's depth_completion, use_composition,
use_sim_time (default true: the bag's /clock), input_qos (default reliable), device; launch_rviz
(default false). The shared ones are declared in kd_grasp_ros/launch_arguments.py.
"""

from launch.actions import DeclareLaunchArgument, ExecuteProcess, OpaqueFunction
from launch.substitutions import LaunchConfiguration

from kd_grasp_ros.launch_arguments import (
    bool_argument,
    dds_profile_action,
    include_pipeline,
    package_process,
    pipeline_arguments,
    rviz_argument,
    rviz_node,
)
from kd_grasp_ros.launch_dependencies import require_packages
from launch import LaunchDescription

ROSBAG2_PACKAGE = "ros2bag"  # the `ros2 bag` verb


def player_setup(context):
    """The bag player process for the chosen player."""
    bag = LaunchConfiguration("bag_path").perform(context)
    rate = LaunchConfiguration("rate").perform(context)
    loop = LaunchConfiguration("loop").perform(context) == "true"
    loop_flag = ["--loop"] if loop else []
    if LaunchConfiguration("player").perform(context) == "ros2":
        return [
            ExecuteProcess(
                cmd=["ros2", "bag", "play", bag, "--clock", "--rate", rate, *loop_flag],
                name="bag_player",
                output="screen",
            )
        ]
    return [package_process("bag_player", [bag, "--rate", rate, *loop_flag], "bag_player")]


def needed_packages(context) -> dict[str, str]:
    """rosbag2's `ros2 bag` when player:=ros2."""
    if LaunchConfiguration("player").perform(context) == "ros2":
        return {ROSBAG2_PACKAGE: "player:=ros2 (`ros2 bag play`); player:=kd_grasp needs no rosbag2"}
    return {}


def generate_launch_description():
    return LaunchDescription(
        [
            dds_profile_action(),
            DeclareLaunchArgument("bag_path", description="rosbag2 directory to play (sqlite3 or MCAP)"),
            DeclareLaunchArgument("rate", default_value="1.0", description="playback speed factor"),
            bool_argument("loop", True, "start the bag again when it ends"),
            DeclareLaunchArgument(
                "player",
                default_value="ros2",
                choices=["ros2", "kd_grasp"],
                description="ros2 = `ros2 bag play --clock` (needs rosbag2), "
                "kd_grasp = `bag_player` (= `kd-grasp replay`, no rosbag2 needed)",
            ),
            *pipeline_arguments(
                use_sim_time=True,
                sim_time_description="run the pipeline on the bag's /clock",
                input_qos="reliable",
            ),
            rviz_argument(False),
            require_packages(needed_packages),
            OpaqueFunction(function=player_setup),
            include_pipeline(),
            rviz_node(follow_sim_time=True),
        ]
    )
