"""The real cell: RealSense camera + grasp pipeline + UR10e executor (dry_run unless told otherwise).

ros2 launch kd_grasp_ros real_robot.launch.py robot_ip:=192.168.1.102 [dry_run:=false]
    [serial_number:="'123456789012'"] [depth_completion:=false] [launch_rviz:=true]
    [use_mock_hardware:=true]     # no arm: an emulated UR controller is started on robot_ip

robot_ip has no default on purpose: the executor must never talk to a robot nobody named.
"""
from launch.actions import DeclareLaunchArgument, ExecuteProcess, IncludeLaunchDescription
from launch.conditions import IfCondition
from launch.launch_description_sources import PythonLaunchDescriptionSource
from launch.substitutions import LaunchConfiguration, PathJoinSubstitution
from launch_ros.actions import Node
from launch_ros.parameter_descriptions import ParameterValue
from launch_ros.substitutions import FindPackageShare

from launch import LaunchDescription

PACKAGE = "kd_grasp_ros"
BOOL_CHOICES = ["true", "false"]
UR_TYPES = ["ur3e", "ur5e", "ur10e", "ur16e", "ur20", "ur30"]


def generate_launch_description():
    share = FindPackageShare(PACKAGE)
    config = PathJoinSubstitution([share, "config"])
    robot_ip, sim_time = LaunchConfiguration("robot_ip"), LaunchConfiguration("use_sim_time")
    serial = LaunchConfiguration("serial_number")
    pipeline_args = {name: LaunchConfiguration(name)
                     for name in ("depth_completion", "use_composition", "use_sim_time", "device",
                                  "input_qos")}
    return LaunchDescription([
        DeclareLaunchArgument("ur_type", default_value="ur10e", choices=UR_TYPES,
                              description="UR model (the executor's kinematics are the UR10e's)"),
        DeclareLaunchArgument("robot_ip", description="IP address of the UR controller (no default)"),
        DeclareLaunchArgument("use_mock_hardware", default_value="false", choices=BOOL_CHOICES,
                              description="no arm: start an emulated UR controller on robot_ip (a loopback "
                                          "address such as 127.0.0.2)"),
        DeclareLaunchArgument("autostart", default_value="false", choices=BOOL_CHOICES,
                              description="configure and activate the lifecycle executor at start-up "
                                          "(false: use the lifecycle services); motion still needs "
                                          "dry_run:=false"),
        DeclareLaunchArgument("dry_run", default_value="true", choices=BOOL_CHOICES,
                              description="executor only plans (true) or moves the arm (false)"),
        DeclareLaunchArgument("serial_number", default_value="",
                              description="RealSense serial number ('' = the first camera found)"),
        DeclareLaunchArgument("use_sim_time", default_value="false", choices=BOOL_CHOICES,
                              description="use /clock instead of the system clock"),
        DeclareLaunchArgument("depth_completion", default_value="true", choices=BOOL_CHOICES,
                              description="complete the depth before grasp detection"),
        DeclareLaunchArgument("use_composition", default_value="true", choices=BOOL_CHOICES,
                              description="run the pipeline nodes in one process"),
        DeclareLaunchArgument("device", default_value="cpu", description="torch device (cpu, cuda)"),
        DeclareLaunchArgument("input_qos", default_value="sensor_data", choices=["sensor_data", "reliable"],
                              description="pipeline image subscriptions: sensor_data (best effort) matches "
                                          "any camera driver; reliable avoids drops"),
        DeclareLaunchArgument("launch_rviz", default_value="true", choices=BOOL_CHOICES,
                              description="start RViz with config/kd_grasp.rviz"),
        ExecuteProcess(cmd=["kd-grasp", "ur-emulator", "--host", robot_ip], name="ur_emulator",
                       output="screen", condition=IfCondition(LaunchConfiguration("use_mock_hardware"))),
        Node(package=PACKAGE, executable="camera_node", name="camera_node", output="screen",
             parameters=[PathJoinSubstitution([config, "camera.yaml"]),
                         {"serial_number": ParameterValue(serial, value_type=str),
                          "use_sim_time": sim_time}]),
        IncludeLaunchDescription(
            PythonLaunchDescriptionSource(PathJoinSubstitution([share, "launch", "pipeline.launch.py"])),
            launch_arguments=pipeline_args.items()),
        Node(package=PACKAGE, executable="ur_executor_node", name="ur_executor", output="screen",
             parameters=[PathJoinSubstitution([config, "ur_executor.yaml"]),
                         {"robot_ip": robot_ip, "dry_run": LaunchConfiguration("dry_run"),
                          "autostart": LaunchConfiguration("autostart"),
                          "use_sim_time": sim_time}]),
        Node(package="rviz2", executable="rviz2", name="rviz2", output="log",
             arguments=["-d", PathJoinSubstitution([config, "kd_grasp.rviz"])],
             condition=IfCondition(LaunchConfiguration("launch_rviz"))),
    ])
