"""Replay a recorded bag through the grasp pipeline, on the bag's clock.

ros2 launch kd_grasp_ros bag_replay.launch.py bag_path:=/path/to/bag [rate:=0.5] [loop:=false]
    [depth_completion:=false] [launch_rviz:=true] [player:=kd_grasp]

player:=ros2 runs `ros2 bag play BAG --clock`; player:=kd_grasp runs `kd-grasp replay BAG` (same
topics and /clock, and needs no rosbag2 tools). Image topics are the realsense-ros names.
"""
from launch.actions import DeclareLaunchArgument, ExecuteProcess, IncludeLaunchDescription, OpaqueFunction
from launch.conditions import IfCondition
from launch.launch_description_sources import PythonLaunchDescriptionSource
from launch.substitutions import LaunchConfiguration, PathJoinSubstitution
from launch_ros.actions import Node
from launch_ros.substitutions import FindPackageShare

from launch import LaunchDescription

PACKAGE = "kd_grasp_ros"
BOOL_CHOICES = ["true", "false"]


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
    share = FindPackageShare(PACKAGE)
    pipeline_args = {name: LaunchConfiguration(name)
                     for name in ("depth_completion", "use_composition", "use_sim_time", "device",
                                  "input_qos")}
    return LaunchDescription([
        DeclareLaunchArgument("bag_path", description="rosbag2 directory to play (sqlite3 or MCAP)"),
        DeclareLaunchArgument("rate", default_value="1.0", description="playback speed factor"),
        DeclareLaunchArgument("loop", default_value="true", choices=BOOL_CHOICES,
                              description="start the bag again when it ends"),
        DeclareLaunchArgument("player", default_value="ros2", choices=["ros2", "kd_grasp"],
                              description="ros2 = `ros2 bag play --clock`, kd_grasp = `kd-grasp replay`"),
        DeclareLaunchArgument("use_sim_time", default_value="true", choices=BOOL_CHOICES,
                              description="run the pipeline on the bag's /clock"),
        DeclareLaunchArgument("depth_completion", default_value="true", choices=BOOL_CHOICES,
                              description="complete the depth before grasp detection"),
        DeclareLaunchArgument("use_composition", default_value="true", choices=BOOL_CHOICES,
                              description="run the pipeline nodes in one process"),
        DeclareLaunchArgument("device", default_value="cpu", description="torch device (cpu, cuda)"),
        DeclareLaunchArgument("input_qos", default_value="reliable", choices=["sensor_data", "reliable"],
                              description="pipeline image subscriptions: reliable (the images come from "
                                          "reliable publishers) or sensor_data (best effort)"),
        DeclareLaunchArgument("launch_rviz", default_value="false", choices=BOOL_CHOICES,
                              description="start RViz with config/kd_grasp.rviz"),
        OpaqueFunction(function=player_setup),
        IncludeLaunchDescription(
            PythonLaunchDescriptionSource(PathJoinSubstitution([share, "launch", "pipeline.launch.py"])),
            launch_arguments=pipeline_args.items()),
        Node(package="rviz2", executable="rviz2", name="rviz2", output="log",
             arguments=["-d", PathJoinSubstitution([share, "config", "kd_grasp.rviz"])],
             parameters=[{"use_sim_time": LaunchConfiguration("use_sim_time")}],
             condition=IfCondition(LaunchConfiguration("launch_rviz"))),
    ])
