"""Replay a recorded bag through the grasp pipeline, on the bag's clock.

ros2 launch kd_grasp_ros bag_replay.launch.py bag_path:=/path/to/bag [rate:=0.5] [loop:=false]
    [depth_completion:=false] [launch_rviz:=true] [player:=kd_grasp]

player:=ros2 runs `ros2 bag play BAG --clock`; player:=kd_grasp runs `kd-grasp replay BAG` (same
topics and /clock, and needs no rosbag2 tools). Image topics are the realsense-ros names.

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
    pipeline_arguments,
    rviz_argument,
    rviz_node,
)
from launch import LaunchDescription


def player_setup(context):
    """The bag player process for the chosen player."""
    bag = LaunchConfiguration("bag_path").perform(context)
    rate = LaunchConfiguration("rate").perform(context)
    loop = LaunchConfiguration("loop").perform(context) == "true"
    if LaunchConfiguration("player").perform(context) == "ros2":
        cmd = ["ros2", "bag", "play", bag, "--clock", "--rate", rate]
    else:
        cmd = ["kd-grasp", "replay", bag, "--rate", rate]
    return [ExecuteProcess(cmd=cmd + (["--loop"] if loop else []), name="bag_player", output="screen")]


def generate_launch_description():
    return LaunchDescription([
        dds_profile_action(),
        DeclareLaunchArgument("bag_path", description="rosbag2 directory to play (sqlite3 or MCAP)"),
        DeclareLaunchArgument("rate", default_value="1.0", description="playback speed factor"),
        bool_argument("loop", True, "start the bag again when it ends"),
        DeclareLaunchArgument("player", default_value="ros2", choices=["ros2", "kd_grasp"],
                              description="ros2 = `ros2 bag play --clock`, kd_grasp = `kd-grasp replay`"),
        *pipeline_arguments(use_sim_time=True, sim_time_description="run the pipeline on the bag's /clock",
                            input_qos="reliable"),
        rviz_argument(False),
        OpaqueFunction(function=player_setup),
        include_pipeline(),
        rviz_node(follow_sim_time=True),
    ])
