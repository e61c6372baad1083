"""Launch arguments shared by the launch files in launch/, and the shared actions that read them.

Every launch file that starts the grasp pipeline declares the same pipeline arguments
(depth_completion, use_composition, use_sim_time, device, backend, input_qos) and passes them on to
pipeline.launch.py; the robot launch files also share ur_type, autostart, dry_run and launch_rviz.
They are declared here once, with the values that differ between files (defaults, and descriptions
where the context matters, e.g. which /clock use_sim_time means) as parameters, next to the actions
that read them: the pipeline include, the executor node and RViz.

`launch` is imported inside the functions, not at module level: it is only installed with ROS 2, and
this module is imported (for its constants) where ROS 2 launch is not installed.
"""

from __future__ import annotations

from kd_grasp_ros.common.inference import BACKENDS
from kd_grasp_ros.common.resources import PACKAGE
from kd_grasp_ros.launch_graph import DDS_PROFILE_FILE, DDS_PROFILE_VARIABLE, GraphProcess

BOOL_CHOICES = ["true", "false"]
UR_TYPES = ["ur3e", "ur5e", "ur10e", "ur16e", "ur20", "ur30"]
DEFAULT_UR_TYPE = "ur10e"
QOS_CHOICES = ["sensor_data", "reliable"]
EMULATOR_IP = "127.0.0.2"  # loopback address the emulated UR controller listens on by default
PIPELINE_ARGUMENT_NAMES = (
    "depth_completion",
    "use_composition",
    "use_sim_time",
    "device",
    "backend",
    "input_qos",
)

__all__ = [
    "BOOL_CHOICES",
    "DDS_PROFILE_FILE",
    "DDS_PROFILE_VARIABLE",
    "DEFAULT_UR_TYPE",
    "EMULATOR_IP",
    "PACKAGE",
    "PIPELINE_ARGUMENT_NAMES",
    "QOS_CHOICES",
    "UR_TYPES",
    "bool_argument",
    "dds_profile_action",
    "emulator_process",
    "executor_arguments",
    "executor_node",
    "include_pipeline",
    "package_process",
    "pipeline_arguments",
    "process_action",
    "rviz_argument",
    "rviz_node",
    "ur_type_argument",
]


def _launch_bool(value: bool) -> str:
    return "true" if value else "false"


def bool_argument(name: str, default: bool, description: str):
    """A true/false launch argument (choices true, false)."""
    from launch.actions import DeclareLaunchArgument

    return DeclareLaunchArgument(
        name, default_value=_launch_bool(default), choices=BOOL_CHOICES, description=description
    )


def dds_profile_action():
    """Point every process started after it at config/fastdds_large_images.xml, unless the environment
    already names a Fast DDS profile file (that one is kept). Without it, 640x480 images between
    processes are mostly dropped (best effort) or delayed by seconds (reliable)."""
    from launch.actions import SetEnvironmentVariable
    from launch.substitutions import EnvironmentVariable, PathJoinSubstitution
    from launch_ros.substitutions import FindPackageShare

    shipped = PathJoinSubstitution([FindPackageShare(PACKAGE), "config", DDS_PROFILE_FILE])
    return SetEnvironmentVariable(
        DDS_PROFILE_VARIABLE, EnvironmentVariable(DDS_PROFILE_VARIABLE, default_value=shipped)
    )


def ur_type_argument(description: str):
    """ur_type: the UR model (default ur10e; the executor's kinematics are the UR10e's)."""
    from launch.actions import DeclareLaunchArgument

    return DeclareLaunchArgument(
        "ur_type", default_value=DEFAULT_UR_TYPE, choices=UR_TYPES, description=description
    )


def rviz_argument(default: bool, description: str = "start RViz with config/kd_grasp.rviz"):
    """launch_rviz: start RViz (true/false)."""
    return bool_argument("launch_rviz", default, description)


def pipeline_arguments(
    *,
    depth_completion: bool = True,
    use_sim_time: bool = False,
    input_qos: str = "sensor_data",
    depth_completion_description: str = "complete the depth (transparent objects) before grasp detection",
    sim_time_description: str = "use /clock (bag replay, simulation) instead of the system clock",
) -> list:
    """The arguments of pipeline.launch.py that every launch file starting the pipeline declares:
    depth_completion, use_composition (default true), use_sim_time, input_qos, device (default cpu),
    backend (default onnxruntime)."""
    from launch.actions import DeclareLaunchArgument

    from kd_grasp_ros.common.parameter_files import section

    shipped = section("grasp_detection.yaml", "grasp_detection_node")  # both nodes ship the same two
    if input_qos not in QOS_CHOICES:
        raise ValueError(f"input_qos default must be one of {QOS_CHOICES}, got {input_qos!r}")
    return [
        bool_argument("depth_completion", depth_completion, depth_completion_description),
        bool_argument("use_composition", True, "run the pipeline nodes in one process (pipeline_composed)"),
        bool_argument("use_sim_time", use_sim_time, sim_time_description),
        DeclareLaunchArgument(
            "input_qos",
            default_value=input_qos,
            choices=QOS_CHOICES,
            description="pipeline image subscriptions: sensor_data (best effort, matches "
            "any publisher) or reliable (no drops; needs reliable publishers)",
        ),
        DeclareLaunchArgument(
            "device",
            default_value=shipped["device"],
            description="device of both networks (cpu; cuda, cuda:0 need backend:=torch)",
        ),
        DeclareLaunchArgument(
            "backend",
            default_value=shipped["backend"],
            choices=list(BACKENDS),
            description="inference backend of both networks: onnxruntime (CPU, a thread "
            "budget per node) or torch",
        ),
    ]


def executor_arguments(*, autostart: bool) -> list:
    """autostart (lifecycle executor configured and activated at start-up) and dry_run (default true)."""
    return [
        bool_argument(
            "autostart",
            autostart,
            "configure and activate the lifecycle executor at start-up (false: use the lifecycle "
            "services); motion still needs dry_run:=false",
        ),
        bool_argument("dry_run", True, "executor only plans (true) or moves the arm (false)"),
    ]


def include_pipeline(*extra_arguments: str):
    """Include pipeline.launch.py, passing on the pipeline arguments (and `extra_arguments`) by name."""
    from launch.actions import IncludeLaunchDescription
    from launch.launch_description_sources import PythonLaunchDescriptionSource
    from launch.substitutions import LaunchConfiguration, PathJoinSubstitution
    from launch_ros.substitutions import FindPackageShare

    names = PIPELINE_ARGUMENT_NAMES + extra_arguments
    return IncludeLaunchDescription(
        PythonLaunchDescriptionSource(
            PathJoinSubstitution([FindPackageShare(PACKAGE), "launch", "pipeline.launch.py"])
        ),
        launch_arguments=[(name, LaunchConfiguration(name)) for name in names],
    )


def executor_node(robot_ip):
    """ur_executor_node on `robot_ip` with config/ur_executor.yaml and the dry_run, autostart and
    use_sim_time arguments."""
    from launch.substitutions import LaunchConfiguration, PathJoinSubstitution
    from launch_ros.actions import Node
    from launch_ros.substitutions import FindPackageShare

    return Node(
        package=PACKAGE,
        executable="ur_executor_node",
        name="ur_executor",
        output="screen",
        parameters=[
            PathJoinSubstitution([FindPackageShare(PACKAGE), "config", "ur_executor.yaml"]),
            {
                "robot_ip": robot_ip,
                "dry_run": LaunchConfiguration("dry_run"),
                "autostart": LaunchConfiguration("autostart"),
                "use_sim_time": LaunchConfiguration("use_sim_time"),
            },
        ],
    )


def rviz_node(*, follow_sim_time: bool = False):
    """RViz with config/kd_grasp.rviz when launch_rviz is true (skipped with a warning when rviz2 is not
    installed); on the use_sim_time clock if `follow_sim_time`, else on its own default."""
    from launch.conditions import IfCondition
    from launch.substitutions import LaunchConfiguration, PathJoinSubstitution
    from launch_ros.actions import Node
    from launch_ros.substitutions import FindPackageShare

    from kd_grasp_ros.launch_dependencies import optional_node

    rviz_config = PathJoinSubstitution([FindPackageShare(PACKAGE), "config", "kd_grasp.rviz"])
    parameters = [{"use_sim_time": LaunchConfiguration("use_sim_time")}] if follow_sim_time else []
    return optional_node(
        "rviz2",
        "RViz (launch_rviz:=true)",
        lambda: Node(
            package="rviz2",
            executable="rviz2",
            name="rviz2",
            output="log",
            arguments=["-d", rviz_config],
            parameters=parameters,
        ),
        condition=IfCondition(LaunchConfiguration("launch_rviz")),
    )


def package_process(executable: str, arguments: list, name: str, condition=None):
    """A process running `executable` of lib/kd_grasp_ros (a console script of setup.py), found through
    the ament index like a Node's executable: the same in a colcon install and a development install,
    never through PATH."""
    from launch.actions import ExecuteProcess
    from launch_ros.substitutions import ExecutableInPackage

    return ExecuteProcess(
        cmd=[ExecutableInPackage(executable, PACKAGE), *arguments],
        name=name,
        output="screen",
        condition=condition,
    )


def emulator_process(host, condition=None):
    """The emulated UR controller (`ur_emulator`, = `kd-grasp ur-emulator`) listening on `host`."""
    return package_process("ur_emulator", ["--host", host], "ur_emulator", condition)


def process_action(process: GraphProcess, config_dir=None):
    """The launch action of a GraphProcess (kd_grasp_ros.launch_graph): a Node with its parameter files
    (config/ names, found in `config_dir`, default the package share's config/; or paths/substitutions
    given as such) and overrides, or a package process."""
    from launch.substitutions import PathJoinSubstitution
    from launch_ros.actions import Node
    from launch_ros.substitutions import FindPackageShare

    if not process.ros_node:
        return package_process(process.executable, list(process.arguments), process.name)
    config_dir = config_dir or PathJoinSubstitution([FindPackageShare(PACKAGE), "config"])
    files = [
        PathJoinSubstitution([config_dir, f]) if isinstance(f, str) else f for f in process.parameter_files
    ]
    return Node(
        package=PACKAGE,
        executable=process.executable,
        name=process.node_name,
        output="screen",
        arguments=list(process.arguments),
        parameters=[*files, dict(process.parameters)],
        remappings=list(process.remappings),
    )
