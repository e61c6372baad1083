"""The whole system in simulation: emulated UR controller + MuJoCo cell + grasp pipeline + executor.

ros2 launch kd_grasp_ros mujoco_sim.launch.py [emulator_ip:=127.0.0.2] [depth_completion:=false]
    [dry_run:=false] [launch_rviz:=true]

`ur_emulator` (= `kd-grasp ur-emulator`) serves the UR controller protocols on emulator_ip;
sim_world_node renders the MuJoCo cell on the realsense-ros topics and mirrors the emulated arm
(actual_q) and gripper (tool digital output); the executor drives the emulator through ur_rtde exactly
as it would a real UR10e, calibrated with the simulated camera's true pose (computed from the installed
config/sim.yaml, the one source of the camera's placement), with config/ur_executor.yaml and
config/ur_executor_sim.yaml (the simulated gripper's settle time). The processes and their parameters
are kd_grasp_ros.launch_graph.sim_graph: `kd-grasp demo` and the trials start exactly these.

Arguments: ur_type, emulator_ip, autostart (default true), dry_run (default true); the pipeline's
depth_completion, use_composition, use_sim_time (default false), input_qos (default reliable), device,
backend; launch_rviz (default false). The shared ones are declared in kd_grasp_ros/launch_arguments.py.
"""

from launch.actions import DeclareLaunchArgument, OpaqueFunction
from launch.substitutions import LaunchConfiguration

from kd_grasp_ros.launch_arguments import (
    EMULATOR_IP,
    dds_profile_action,
    executor_arguments,
    pipeline_arguments,
    process_action,
    rviz_argument,
    rviz_node,
    ur_type_argument,
)
from kd_grasp_ros.launch_graph import sim_graph
from launch import LaunchDescription


def launch_setup(context):
    """sim_graph with the launch arguments' values."""

    def value(name: str) -> str:
        return LaunchConfiguration(name).perform(context)

    def flag(name: str) -> bool:
        return value(name) == "true"

    processes = sim_graph(
        value("emulator_ip"),
        depth_completion=flag("depth_completion"),
        composed=flag("use_composition"),
        dry_run=flag("dry_run"),
        autostart=flag("autostart"),
        use_sim_time=flag("use_sim_time"),
        pipeline_overrides={name: value(name) for name in ("device", "backend", "input_qos")},
    )
    return [process_action(p) for p in processes]


def generate_launch_description():
    return LaunchDescription(
        [
            dds_profile_action(),
            ur_type_argument("UR model; the simulated cell and the emulator model a UR10e"),
            DeclareLaunchArgument(
                "emulator_ip",
                default_value=EMULATOR_IP,
                description="loopback address the emulated UR controller listens on",
            ),
            *executor_arguments(autostart=True),
            *pipeline_arguments(input_qos="reliable"),
            rviz_argument(False),
            OpaqueFunction(function=launch_setup),
            rviz_node(),
        ]
    )
