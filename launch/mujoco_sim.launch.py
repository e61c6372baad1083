"""The whole system in simulation: emulated UR controller + MuJoCo cell + grasp pipeline + executor.

ros2 launch kd_grasp_ros mujoco_sim.launch.py [emulator_ip:=127.0.0.2] [depth_completion:=false]
    [dry_run:=false] [launch_rviz:=true]

`ur_emulator` (= `kd-grasp ur-emulator`) serves the UR controller protocols on emulator_ip;
sim_world_node renders the MuJoCo cell on the realsense-ros topics and mirrors the emulated arm
(actual_q) and gripper (tool digital output); the executor drives the emulator through ur_rtde exactly
as it would a real UR10e, calibrated with the simulated camera's true pose (computed from the installed
config/sim.yaml, the one source of the camera's placement).

Arguments: ur_type, emulator_ip, autostart (default true), dry_run (default true); the pipeline's
depth_completion, use_composition, use_sim_time (default false), input_qos (default reliable), device;
launch_rviz (default false). The shared ones are declared in kd_grasp_ros/launch_arguments.py.
"""
from launch.actions import DeclareLaunchArgument
from launch.substitutions import LaunchConfiguration, PathJoinSubstitution
from launch_ros.actions import Node
from launch_ros.substitutions import FindPackageShare

from kd_grasp_ros.demo.sim_frames import sim_camera_calibration
from kd_grasp_ros.launch_arguments import (
    EMULATOR_IP,
    PACKAGE,
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
    emulator_ip, sim_time = LaunchConfiguration("emulator_ip"), LaunchConfiguration("use_sim_time")
    return LaunchDescription([
        dds_profile_action(),
        ur_type_argument("UR model; the simulated cell and the emulator model a UR10e"),
        DeclareLaunchArgument("emulator_ip", default_value=EMULATOR_IP,
                              description="loopback address the emulated UR controller listens on"),
        *executor_arguments(autostart=True),
        *pipeline_arguments(input_qos="reliable"),
        rviz_argument(False),
        emulator_process(emulator_ip),
        Node(package=PACKAGE, executable="sim_world_node", name="sim_world_node", output="screen",
             parameters=[PathJoinSubstitution([config, "sim_world_node.yaml"]),
                         {"robot_ip": emulator_ip, "use_sim_time": sim_time}]),
        include_pipeline(),
        executor_node(emulator_ip, sim_camera_calibration()),
        rviz_node(),
    ])
