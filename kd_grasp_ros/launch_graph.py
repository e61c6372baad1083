"""The processes a launch file starts, described once: the launch files build their actions from these
descriptions, and the demo, the trials and the benchmark start the very same processes themselves.

A GraphProcess names an executable of this package, its node name, parameter files (config/ names),
parameter overrides, arguments and remappings. `pipeline_processes` is the perception pipeline of
pipeline.launch.py (composed, or one process per node); `sim_graph` is everything mujoco_sim.launch.py
starts. `start_graph` runs a list of them as child processes (logs in a folder, ready when each has
printed its ready line) and `RunningGraph.stop()` ends them, as `ros2 launch` would on Ctrl-C.

`launch` itself is not imported here (launch_arguments.process_action converts): this module is used
where ROS 2 launch is not installed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from kd_grasp_ros.common.errors import KdGraspError
from kd_grasp_ros.common.resources import resource_path
from kd_grasp_ros.nodes import topics

DEPTH_PARAMS = "depth_completion.yaml"
GRASP_PARAMS = "grasp_detection.yaml"
SIM_WORLD_PARAMS = "sim_world_node.yaml"
EXECUTOR_PARAMS = "ur_executor.yaml"
EXECUTOR_SIM_PARAMS = "ur_executor_sim.yaml"  # the simulated hardware's settings (its gripper's speed)
DDS_PROFILE_VARIABLE = "FASTDDS_DEFAULT_PROFILES_FILE"
DDS_PROFILE_FILE = "fastdds_large_images.xml"  # in config/: buffers big enough for 640x480 images
READY_TIMEOUT_S = 180.0
STOP_TIMEOUT_S = 15.0


class GraphStartError(KdGraspError, RuntimeError):
    """A process of the graph exited or did not print its ready line in time (the message has its log)."""


@dataclass(frozen=True)
class GraphProcess:
    """One process of a launch file. Values may be launch substitutions where a launch file builds it."""

    executable: str  # console script of this package
    name: str  # node name (ROS nodes) or process name
    parameter_files: tuple = ()  # config/ file names (or launch substitutions of paths)
    parameters: dict = field(default_factory=dict)  # overrides, applied after the files
    arguments: tuple = ()
    remappings: tuple = ()  # (from, to) pairs
    ready_line: str = ""  # printed once the process serves its purpose
    ros_node: bool = True  # False: a plain process (no --ros-args)

    @property
    def node_name(self) -> str | None:
        """The name given to the process's one node (None for a process of several, e.g. composed)."""
        return self.name if self.ros_node and self.executable.endswith("_node") else None


def pipeline_processes(
    *,
    depth_completion: bool,
    composed: bool,
    overrides: dict,
    depth_params=DEPTH_PARAMS,
    grasp_params=GRASP_PARAMS,
    camera_remaps: tuple = (),
) -> list[GraphProcess]:
    """The perception nodes: one composed process, or one per node. Without completion the grasp node
    reads the camera's aligned depth (remapped from depth_completed/*)."""
    remapped = dict(camera_remaps)
    raw_depth = remapped.get(topics.DEPTH_IN, topics.REALSENSE_ALIGNED_DEPTH)
    raw_info = remapped.get(topics.DEPTH_INFO_IN, topics.REALSENSE_ALIGNED_DEPTH_INFO)
    grasp_remaps = (
        ()
        if depth_completion
        else ((topics.COMPLETED_DEPTH, raw_depth), (topics.COMPLETED_DEPTH_INFO, raw_info))
    )
    if composed:
        return [
            GraphProcess(
                "pipeline_composed",
                "pipeline_composed",
                (depth_params, grasp_params),
                overrides,
                () if depth_completion else ("--no-depth-completion",),
                tuple(camera_remaps) + grasp_remaps,
                "composed pipeline running",
            )
        ]
    processes = []
    if depth_completion:
        processes.append(
            GraphProcess(
                "depth_completion_node",
                "depth_completion_node",
                (depth_params,),
                overrides,
                (),
                tuple(camera_remaps),
                "depth completion ready",
            )
        )
    processes.append(
        GraphProcess(
            "grasp_detection_node",
            "grasp_detection_node",
            (grasp_params,),
            overrides,
            (),
            grasp_remaps,
            "grasp detection ready",
        )
    )
    return processes


SIM_CAMERA_REMAPS = (
    (topics.COLOR_IN, "/" + topics.REALSENSE_COLOR),
    (topics.DEPTH_IN, "/" + topics.REALSENSE_ALIGNED_DEPTH),
    (topics.DEPTH_INFO_IN, "/" + topics.REALSENSE_ALIGNED_DEPTH_INFO),
)


def sim_graph(
    emulator_ip: str,
    *,
    depth_completion: bool = True,
    composed: bool = True,
    dry_run: bool = True,
    autostart: bool = True,
    pipeline_overrides: dict | None = None,
    pipeline_parameter_files: tuple = (),
    calibration: dict | None = None,
    use_sim_time: bool = False,
) -> list[GraphProcess]:
    """What mujoco_sim.launch.py starts: the emulated controller, the simulated cell, the perception
    pipeline and the executor calibrated with the simulated camera's true pose (`calibration`: None =
    computed from the package's config/sim.yaml). `pipeline_parameter_files` (absolute paths) are read
    after the pipeline's shipped files (the demo's model choice)."""
    from kd_grasp_ros.robot.emulator_cli import READY_LINE
    from kd_grasp_ros.sim.calibration import sim_camera_calibration

    camera = calibration if calibration is not None else sim_camera_calibration()
    executor = {
        "robot_ip": emulator_ip,
        "dry_run": dry_run,
        "autostart": autostart,
        "use_sim_time": use_sim_time,
        **{k: list(v) if isinstance(v, tuple) else v for k, v in camera.items()},
    }
    overrides = {"use_sim_time": use_sim_time, "input_qos": "reliable", **(pipeline_overrides or {})}
    return [
        GraphProcess(
            "ur_emulator",
            "ur_emulator",
            arguments=("--host", emulator_ip),
            ready_line=READY_LINE,
            ros_node=False,
        ),
        GraphProcess(
            "sim_world_node",
            "sim_world_node",
            (SIM_WORLD_PARAMS,),
            {"robot_ip": emulator_ip, "use_sim_time": use_sim_time},
            ready_line="published the first simulated camera frame",
        ),
        *[
            dataclasses.replace(p, parameter_files=p.parameter_files + tuple(pipeline_parameter_files))
            for p in pipeline_processes(
                depth_completion=depth_completion,
                composed=composed,
                overrides=overrides,
                camera_remaps=SIM_CAMERA_REMAPS,
            )
        ],
        GraphProcess(
            "ur_executor_node",
            "ur_executor",
            (EXECUTOR_PARAMS, EXECUTOR_SIM_PARAMS),
            executor,
            ready_line="armed" if autostart else "ur_executor",
        ),
    ]


def _ros_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_ros_value(v) for v in value) + "]"
    if isinstance(value, str):
        return value if value else "''"
    return repr(value)


def command_line(process: GraphProcess, bin_dir: Path | None = None) -> list[str]:
    """The argv that starts `process` as `ros2 launch` would (parameter files from the package's config/)."""
    bin_dir = bin_dir or Path(sys.executable).parent
    cmd = [str(bin_dir / process.executable), *process.arguments]
    if not process.ros_node:
        return cmd
    cmd += ["--ros-args"] + (["-r", f"__node:={process.node_name}"] if process.node_name else [])
    for name in process.parameter_files:
        path = Path(name)
        cmd += ["--params-file", str(path if path.is_absolute() else resource_path("config", name))]
    for key, value in process.parameters.items():
        cmd += ["-p", f"{key}:={_ros_value(value)}"]
    for src, dst in process.remappings:
        cmd += ["-r", f"{src}:={dst}"]
    return cmd


def graph_environment(domain_id: int | None = None) -> dict:
    """This process's environment with the shipped Fast DDS profile (unless one is set), as the launch
    files' dds_profile_action; localhost-only discovery; ROS_DOMAIN_ID when given."""
    env = dict(os.environ)
    env.setdefault(DDS_PROFILE_VARIABLE, str(resource_path("config", DDS_PROFILE_FILE)))
    env.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
    if domain_id is not None:
        env["ROS_DOMAIN_ID"] = str(domain_id)
    return env


@contextlib.contextmanager
def joined_environment(env: dict):
    """os.environ updated with `env` meanwhile, then restored: this process's own ROS node joins the
    graph's domain with the same DDS profile."""
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@dataclass
class RunningGraph:
    """Child processes started by start_graph; stop() ends them (SIGINT, then SIGKILL after a grace)."""

    processes: list[GraphProcess]
    popens: list[subprocess.Popen]
    logs: list[Path]

    def log_text(self, index: int) -> str:
        try:
            return self.logs[index].read_text(errors="replace")
        except OSError:
            return ""

    def check_alive(self) -> None:
        """GraphStartError naming the first process that has exited, with the end of its log."""
        for k, popen in enumerate(self.popens):
            if popen.poll() is not None:
                raise GraphStartError(
                    f"{self.processes[k].name} exited with {popen.returncode}:\n{self.log_text(k)[-3000:]}"
                )

    def stop(self) -> list[int | None]:
        """Stop in reverse start order (the executor first, the emulator last); the exit codes."""
        for popen in reversed(self.popens):
            if popen.poll() is None:
                popen.send_signal(signal.SIGINT)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for popen in self.popens:
            try:
                popen.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                popen.kill()
                popen.wait()
        return [p.returncode for p in self.popens]

    def __enter__(self) -> RunningGraph:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def start_graph(
    processes: list[GraphProcess], log_dir: Path, env: dict | None = None, timeout_s: float = READY_TIMEOUT_S
) -> RunningGraph:
    """Start every process (in order, each one's output in log_dir/<name>.log) and wait until all have
    printed their ready lines; GraphStartError (all stopped) if one exits or the time runs out."""
    log_dir.mkdir(parents=True, exist_ok=True)
    graph = RunningGraph(list(processes), [], [])
    try:
        for process in processes:
            log = log_dir / f"{process.name}.log"
            with open(log, "w") as out:
                graph.popens.append(
                    subprocess.Popen(
                        command_line(process),
                        stdout=out,
                        stderr=subprocess.STDOUT,
                        env=env if env is not None else graph_environment(),
                    )
                )
            graph.logs.append(log)
        deadline = time.monotonic() + timeout_s
        waiting = list(range(len(processes)))
        while waiting:
            graph.check_alive()
            waiting = [k for k in waiting if processes[k].ready_line not in graph.log_text(k)]
            if waiting and time.monotonic() > deadline:
                names = [processes[k].name for k in waiting]
                tails = "\n".join(f"--- {processes[k].name}:\n{graph.log_text(k)[-1500:]}" for k in waiting)
                raise GraphStartError(f"not ready after {timeout_s:.0f} s: {names}\n{tails}")
            time.sleep(0.2)
    except BaseException:
        graph.stop()
        raise
    return graph
