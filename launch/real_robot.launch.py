"""The real cell: RealSense camera + grasp pipeline + UR10e executor (dry_run unless told otherwise).

ros2 launch kd_grasp_ros real_robot.launch.py robot_ip:=192.168.1.102 [dry_run:=false]
    [serial_number:=123456789012] [depth_completion:=false] [launch_rviz:=false]
    [use_mock_hardware:=true]     # no arm: an emulated UR controller is started on robot_ip

robot_ip has no default on purpose: the executor must never talk to a robot nobody named.

Arguments: ur_type, robot_ip (required), use_mock_hardware, autostart (default false), dry_run
(default true), serial_number; the pipeline's depth_completion, use_composition, use_sim_time (default
false), input_qos (default sensor_data), device; launch_rviz (default true; skipped with a warning when
rviz2 is not installed). The shared ones are declared in kd_grasp_ros/launch_arguments.py.
"""

from launch.actions import DeclareLaunchArgument
from launch.conditions import IfCondition
from launch.substitutions import LaunchConfiguration, PathJoinSubstitution
from launch_ros.actions import Node
from launch_ros.parameter_descriptions import ParameterValue
from launch_ros.substitutions import FindPackageShare

from kd_grasp_ros.launch_arguments import (
    PACKAGE,
    bool_argument,
    dds_profile_action,
    emulator_process,
    executor_arguments,
    executor_node,
    include_pipeline,
    pipeline_arguments,
    rviz_argument,
    rviz_node,
    ur_type_argument,
)
from launch import LaunchDescription


def generate_launch_description():
    config = PathJoinSubstitution([FindPackageShare(PACKAGE), "config"])
    robot_ip, sim_time = LaunchConfiguration("robot_ip"), LaunchConfiguration("use_sim_time")
    serial = LaunchConfiguration("serial_number")
    return LaunchDescription(
        [
            dds_profile_action(),
            ur_type_argument("UR model (the executor's kinematics are the UR10e's)"),
            DeclareLaunchArgument("robot_ip", description="IP address of the UR controller (no default)"),
            bool_argument(
                "use_mock_hardware",
                False,
                "no arm: start an emulated UR controller on robot_ip (a loopback address such as 127.0.0.2)",
            ),
            *executor_arguments(autostart=False),
            DeclareLaunchArgument(
                "serial_number",
                default_value="",
                description="RealSense serial number, e.g. serial_number:=123456789012 "
                "(kept a string; empty = the first camera found)",
            ),
            *pipeline_arguments(input_qos="sensor_data"),
            rviz_argument(True),
            emulator_process(robot_ip, condition=IfCondition(LaunchConfiguration("use_mock_hardware"))),
            Node(
                package=PACKAGE,
                executable="camera_node",
                name="camera_node",
                output="screen",
                parameters=[
                    PathJoinSubstitution([config, "camera.yaml"]),
                    {"serial_number": ParameterValue(serial, value_type=str), "use_sim_time": sim_time},
                ],
            ),
            include_pipeline(),
            executor_node(robot_ip),
            rviz_node(),
        ]
    )
