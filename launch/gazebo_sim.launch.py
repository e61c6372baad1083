"""For ur_simulation_gz users: Gazebo UR10e (ur_sim_control.launch.py) + the grasp pipeline + executor.

ros2 launch kd_grasp_ros gazebo_sim.launch.py [ur_type:=ur10e] [gazebo_gui:=false]
    [world_file:=my_cell.sdf] [color_topic:=/camera/image] [depth_topic:=/camera/depth_image]
    [camera_info_topic:=/camera/camera_info]

Gazebo's depth camera gives 32FC1 metres (the nodes read either unit). ur_rtde cannot drive Gazebo,
so the executor runs dry (planning against an emulated controller on emulator_ip) and its planned
trajectory (~/planned_trajectory, trajectory_msgs/JointTrajectory) is remapped to the
joint_trajectory_controller's topic interface, which executes it in Gazebo.
"""
from launch.actions import DeclareLaunchArgument, ExecuteProcess, IncludeLaunchDescription
from launch.launch_description_sources import PythonLaunchDescriptionSource
from launch.substitutions import LaunchConfiguration, PathJoinSubstitution
from launch_ros.actions import Node
from launch_ros.substitutions import FindPackageShare

from launch import LaunchDescription

PACKAGE = "kd_grasp_ros"
BOOL_CHOICES = ["true", "false"]
UR_TYPES = ["ur3e", "ur5e", "ur10e", "ur16e", "ur20", "ur30"]
TRAJECTORY_TOPIC = "/joint_trajectory_controller/joint_trajectory"


def generate_launch_description():
    share = FindPackageShare(PACKAGE)
    config = PathJoinSubstitution([share, "config"])
    emulator_ip = LaunchConfiguration("emulator_ip")
    pipeline_args = {name: LaunchConfiguration(name)
                     for name in ("depth_completion", "use_composition", "use_sim_time", "device",
                                  "input_qos", "color_topic", "depth_topic", "camera_info_topic")}
    return LaunchDescription([
        DeclareLaunchArgument("ur_type", default_value="ur10e", choices=UR_TYPES,
                              description="UR model simulated by ur_simulation_gz"),
        DeclareLaunchArgument("gazebo_gui", default_value="true", choices=BOOL_CHOICES,
                              description="show the Gazebo window"),
        DeclareLaunchArgument("world_file", default_value="empty.sdf",
                              description="Gazebo world (with your table, objects and depth camera)"),
        DeclareLaunchArgument("launch_rviz", default_value="true", choices=BOOL_CHOICES,
                              description="start ur_simulation_gz's RViz"),
        DeclareLaunchArgument("use_sim_time", default_value="true", choices=BOOL_CHOICES,
                              description="use Gazebo's /clock"),
        DeclareLaunchArgument("color_topic", default_value="/camera/image",
                              description="Gazebo colour camera topic (bridged with ros_gz_bridge)"),
        DeclareLaunchArgument("depth_topic", default_value="/camera/depth_image",
                              description="Gazebo depth camera topic (32FC1 metres)"),
        DeclareLaunchArgument("camera_info_topic", default_value="/camera/camera_info",
                              description="Gazebo camera_info topic"),
        DeclareLaunchArgument("depth_completion", default_value="false", choices=BOOL_CHOICES,
                              description="complete the depth (Gazebo depth has no transparency holes)"),
        DeclareLaunchArgument("use_composition", default_value="true", choices=BOOL_CHOICES,
                              description="run the pipeline nodes in one process"),
        DeclareLaunchArgument("device", default_value="cpu", description="torch device (cpu, cuda)"),
        DeclareLaunchArgument("input_qos", default_value="reliable", choices=["sensor_data", "reliable"],
                              description="pipeline image subscriptions: reliable (the images come from "
                                          "reliable publishers) or sensor_data (best effort)"),
        DeclareLaunchArgument("emulator_ip", default_value="127.0.0.2",
                              description="loopback address of the emulated controller the dry-run "
                                          "executor plans against"),
        IncludeLaunchDescription(
            PythonLaunchDescriptionSource(PathJoinSubstitution(
                [FindPackageShare("ur_simulation_gz"), "launch", "ur_sim_control.launch.py"])),
            launch_arguments={"ur_type": LaunchConfiguration("ur_type"),
                              "gazebo_gui": LaunchConfiguration("gazebo_gui"),
                              "world_file": LaunchConfiguration("world_file"),
                              "launch_rviz": LaunchConfiguration("launch_rviz")}.items()),
        IncludeLaunchDescription(
            PythonLaunchDescriptionSource(PathJoinSubstitution([share, "launch", "pipeline.launch.py"])),
            launch_arguments=pipeline_args.items()),
        ExecuteProcess(cmd=["kd-grasp", "ur-emulator", "--host", emulator_ip], name="ur_emulator",
                       output="screen"),
        Node(package=PACKAGE, executable="ur_executor_node", name="ur_executor", output="screen",
             parameters=[PathJoinSubstitution([config, "ur_executor.yaml"]),
                         {"robot_ip": emulator_ip, "dry_run": True, "autostart": True,
                          "use_sim_time": LaunchConfiguration("use_sim_time")}],
             remappings=[("~/planned_trajectory", TRAJECTORY_TOPIC)]),
    ])
