"""The whole system in simulation: emulated UR controller + MuJoCo cell + grasp pipeline + executor.

ros2 launch kd_grasp_ros mujoco_sim.launch.py [emulator_ip:=127.0.0.2] [depth_completion:=false]
    [dry_run:=false] [launch_rviz:=true]

`kd-grasp ur-emulator` serves the UR controller protocols on emulator_ip; sim_world_node renders the
MuJoCo cell on the realsense-ros topics and mirrors the emulated arm (actual_q) and gripper (tool
digital output); the executor drives the emulator through ur_rtde exactly as it would a real UR10e.
"""
from launch.actions import DeclareLaunchArgument, ExecuteProcess, IncludeLaunchDescription
from launch.conditions import IfCondition
from launch.launch_description_sources import PythonLaunchDescriptionSource
from launch.substitutions import LaunchConfiguration, PathJoinSubstitution
from launch_ros.actions import Node
from launch_ros.substitutions import FindPackageShare

from launch import LaunchDescription

PACKAGE = "kd_grasp_ros"
BOOL_CHOICES = ["true", "false"]
UR_TYPES = ["ur3e", "ur5e", "ur10e", "ur16e", "ur20", "ur30"]


def generate_launch_description():
    share = FindPackageShare(PACKAGE)
    config = PathJoinSubstitution([share, "config"])
    emulator_ip, sim_time = LaunchConfiguration("emulator_ip"), LaunchConfiguration("use_sim_time")
    pipeline_args = {name: LaunchConfiguration(name)
                     for name in ("depth_completion", "use_composition", "use_sim_time", "device",
                                  "input_qos")}
    return LaunchDescription([
        DeclareLaunchArgument("ur_type", default_value="ur10e", choices=UR_TYPES,
                              description="UR model; the simulated cell and the emulator model a UR10e"),
        DeclareLaunchArgument("emulator_ip", default_value="127.0.0.2",
                              description="loopback address the emulated UR controller listens on"),
        DeclareLaunchArgument("autostart", default_value="true", choices=BOOL_CHOICES,
                              description="configure and activate the lifecycle executor at start-up "
                                          "(false: use the lifecycle services); motion still needs "
                                          "dry_run:=false"),
        DeclareLaunchArgument("dry_run", default_value="true", choices=BOOL_CHOICES,
                              description="executor plans only (true) or moves the emulated arm (false)"),
        DeclareLaunchArgument("use_sim_time", default_value="false", choices=BOOL_CHOICES,
                              description="use /clock instead of the system clock"),
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
        ExecuteProcess(cmd=["kd-grasp", "ur-emulator", "--host", emulator_ip], name="ur_emulator",
                       output="screen"),
        Node(package=PACKAGE, executable="sim_world_node", name="sim_world_node", output="screen",
             parameters=[PathJoinSubstitution([config, "sim_world_node.yaml"]),
                         {"robot_ip": emulator_ip, "use_sim_time": sim_time}]),
        IncludeLaunchDescription(
            PythonLaunchDescriptionSource(PathJoinSubstitution([share, "launch", "pipeline.launch.py"])),
            launch_arguments=pipeline_args.items()),
        Node(package=PACKAGE, executable="ur_executor_node", name="ur_executor", output="screen",
             parameters=[PathJoinSubstitution([config, "ur_executor.yaml"]),
                         {"robot_ip": emulator_ip, "dry_run": LaunchConfiguration("dry_run"),
                          "autostart": LaunchConfiguration("autostart"),
                          "use_sim_time": sim_time}]),
        Node(package="rviz2", executable="rviz2", name="rviz2", output="log",
             arguments=["-d", PathJoinSubstitution([config, "kd_grasp.rviz"])],
             condition=IfCondition(LaunchConfiguration("launch_rviz"))),
    ])
