"""For ur_simulation_gz users: Gazebo UR10e (ur_sim_control.launch.py) + the grasp pipeline + executor.

ros2 launch kd_grasp_ros gazebo_sim.launch.py [ur_type:=ur10e] [gazebo_gui:=false]
    [world_file:=my_cell.sdf] [color_topic:=/camera/image] [depth_topic:=/camera/depth_image]
    [camera_info_topic:=/camera/camera_info]

Gazebo's depth camera gives 32FC1 metres (the nodes read either unit). ur_rtde cannot drive Gazebo,
so the executor runs with trajectory_execution: it plans from Gazebo's joint_states and, only when it
is armed (active) and dry_run is false, sends the attempt's trajectory on ~/execute_trajectory, which
is remapped to the joint_trajectory_controller's topic interface; a cancel, a deactivate or a change
of its safety parameters sends an empty trajectory (the controller holds position). With the default
dry_run:=true nothing moves: plans appear on ~/planned_trajectory and ~/target_pose only.

Arguments: ur_type, gazebo_gui, world_file, launch_rviz (default true), color_topic, depth_topic,
camera_info_topic, dry_run (default true), autostart (default true); the pipeline's depth_completion
(default false), use_composition, use_sim_time (default true: Gazebo's /clock), input_qos (default
reliable), device. The shared ones are declared in kd_grasp_ros/launch_arguments.py.
"""

from launch.actions import DeclareLaunchArgument, IncludeLaunchDescription
from launch.launch_description_sources import PythonLaunchDescriptionSource
from launch.substitutions import LaunchConfiguration, PathJoinSubstitution
from launch_ros.actions import Node
from launch_ros.substitutions import FindPackageShare

from kd_grasp_ros.launch_arguments import (
    PACKAGE,
    bool_argument,
    dds_profile_action,
    executor_arguments,
    include_pipeline,
    pipeline_arguments,
    rviz_argument,
    ur_type_argument,
)
from kd_grasp_ros.launch_dependencies import require_packages
from launch import LaunchDescription

TRAJECTORY_TOPIC = "/joint_trajectory_controller/joint_trajectory"


def generate_launch_description():
    config = PathJoinSubstitution([FindPackageShare(PACKAGE), "config"])
    return LaunchDescription(
        [
            dds_profile_action(),
            ur_type_argument("UR model simulated by ur_simulation_gz"),
            bool_argument("gazebo_gui", True, "show the Gazebo window"),
            DeclareLaunchArgument(
                "world_file",
                default_value="empty.sdf",
                description="Gazebo world (with your table, objects and depth camera)",
            ),
            rviz_argument(True, "start ur_simulation_gz's RViz"),
            DeclareLaunchArgument(
                "color_topic",
                default_value="/camera/image",
                description="Gazebo colour camera topic (bridged with ros_gz_bridge)",
            ),
            DeclareLaunchArgument(
                "depth_topic",
                default_value="/camera/depth_image",
                description="Gazebo depth camera topic (32FC1 metres)",
            ),
            DeclareLaunchArgument(
                "camera_info_topic",
                default_value="/camera/camera_info",
                description="Gazebo camera_info topic",
            ),
            *pipeline_arguments(
                depth_completion=False,
                depth_completion_description="complete the depth (Gazebo depth has no transparency holes)",
                use_sim_time=True,
                sim_time_description="use Gazebo's /clock",
                input_qos="reliable",
            ),
            *executor_arguments(autostart=True),
            require_packages({"ur_simulation_gz": "the Gazebo UR simulation (ur_sim_control.launch.py)"}),
            IncludeLaunchDescription(
                PythonLaunchDescriptionSource(
                    PathJoinSubstitution(
                        [FindPackageShare("ur_simulation_gz"), "launch", "ur_sim_control.launch.py"]
                    )
                ),
                launch_arguments={
                    "ur_type": LaunchConfiguration("ur_type"),
                    "gazebo_gui": LaunchConfiguration("gazebo_gui"),
                    "world_file": LaunchConfiguration("world_file"),
                    "launch_rviz": LaunchConfiguration("launch_rviz"),
                }.items(),
            ),
            include_pipeline("color_topic", "depth_topic", "camera_info_topic"),
            Node(
                package=PACKAGE,
                executable="ur_executor_node",
                name="ur_executor",
                output="screen",
                parameters=[
                    PathJoinSubstitution([config, "ur_executor.yaml"]),
                    {
                        "robot_ip": "gazebo",
                        "trajectory_execution": True,
                        "dry_run": LaunchConfiguration("dry_run"),
                        "autostart": LaunchConfiguration("autostart"),
                        "use_sim_time": LaunchConfiguration("use_sim_time"),
                    },
                ],
                remappings=[("~/execute_trajectory", TRAJECTORY_TOPIC)],
            ),
        ]
    )
