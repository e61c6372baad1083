"""The shipped node graph under a camera's load: end-to-end latency and output rate over ROS.

The perception nodes run as the launch files start them, with the launch files' parameter files
(config/depth_completion.yaml, config/grasp_detection.yaml) and the same Fast DDS profile, either
composed (`pipeline_composed`, the default of every launch file) or as two processes. A driver node
publishes the sample bag's 640x480 frames, stamped when sent, at a camera's rate (30 Hz) for a while and
records when each frame's grasp_candidates come back:
- output_fps: answered frames per second of input time;
- end_to_end_ms: image stamp -> grasp_candidates received, per answered frame (median, p10, p90);
- closed_loop_ms: the same, sending the next frame only after the previous one was answered (the graph's
  latency without any queueing);
- driver_send_ms: the driver's own time from stamping a frame to its last publish call returning (inside
  end_to_end_ms: the camera driver's share, not the graph's);
- node_latency_ms: each node's own time per frame at 30 Hz (taken from its worker to published, from
  /diagnostics), to tell inference from transport;
- node_stage_ms: the medians of every other time the nodes report per frame (conversion, each
  inference stage, publishing, the frame's age when published), to tell where that time goes.
"""

from __future__ import annotations

import random
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from kd_grasp_ros.common.errors import KdGraspError
from kd_grasp_ros.common.resources import SOURCE_ROOT, resource_path
from kd_grasp_ros.launch_graph import (
    GraphStartError,
    graph_environment,
    joined_environment,
    pipeline_processes,
    start_graph,
)

SAMPLE_BAG = SOURCE_ROOT / "models" / "sample_bags" / "sim_cell"
MODES = ("composed", "separate")
START_TIMEOUT_S = 120.0
ANSWER_TIMEOUT_S = 3.0
REMAPS = {
    "color/image_raw": "/bench/color",
    "depth/image_raw": "/bench/depth",
    "depth/camera_info": "/bench/info",
}


class NodeGraphBenchError(KdGraspError, RuntimeError):
    """The node graph did not start or did not answer."""


@dataclass
class Driver:
    """The publishing and listening side of the benchmark (one rclpy node in this process)."""

    node: object
    executor: object
    publishers: dict
    arrivals: dict
    node_timings: dict  # {node name: {"latency_ms" or another *_ms key of its /diagnostics: [per frame]}}
    send_ms: list = field(default_factory=list)  # the driver's own time to publish each frame

    def spin_once(self, timeout_s: float) -> None:
        self.executor.spin_once(timeout_sec=timeout_s)

    def send(self, frame) -> int:
        """Publish one (colour, depth, info) frame stamped now; returns the stamp in ns."""
        color, depth, info = frame
        start = time.perf_counter()
        stamp = self.node.get_clock().now().to_msg()
        for msg in (color, depth, info):
            msg.header.stamp = stamp
        self.publishers["info"].publish(info)
        self.publishers["color"].publish(color)
        self.publishers["depth"].publish(depth)
        self.send_ms.append((time.perf_counter() - start) * 1e3)
        return stamp.sec * 10**9 + stamp.nanosec


def summary_ms(samples) -> dict | None:
    """Median and spread of milliseconds (None without samples)."""
    a = np.asarray(list(samples), dtype=float)
    if a.size == 0:
        return None
    return {
        "median": float(np.median(a)),
        "p10": float(np.percentile(a, 10)),
        "p90": float(np.percentile(a, 90)),
        "n": int(a.size),
    }


def load_frames(bag: Path) -> list:
    """(colour, depth, camera_info) messages of every frame of a bag (realsense-ros topics)."""
    from kd_grasp_ros.replay.offline import OfflineTopics, paired_frames

    return [(c, d, i) for _, c, d, i in paired_frames(bag, OfflineTopics())]


def shipped_parameter_files() -> list[Path]:
    """The parameter files the launch files give the perception nodes."""
    return [resource_path("config", "depth_completion.yaml"), resource_path("config", "grasp_detection.yaml")]


def _processes(mode: str) -> list:
    """The pipeline processes as pipeline.launch.py starts them, reading the driver's topics."""
    return pipeline_processes(
        depth_completion=True, composed=mode == "composed", overrides={}, camera_remaps=tuple(REMAPS.items())
    )


def _spin_until(driver: Driver, t_end: float) -> None:
    """Handle the driver's callbacks until t_end, sleeping in the executor's wait (as a camera driver
    waits for its next frame), never polling: the driver's own CPU time stays small beside the graph's."""
    while (left := t_end - time.perf_counter()) > 0:
        driver.spin_once(left)


def _measure(driver: Driver, frames: list, rate_hz: float, seconds: float, closed_loop_frames: int) -> dict:
    # The first inference loads the networks' kernels; a frame sent before discovery has matched every
    # subscription is lost, so the warm-up frame is sent again each second until one is answered.
    deadline, warm = time.perf_counter() + 30.0, set()
    while not warm & set(driver.arrivals):
        if time.perf_counter() > deadline:
            raise NodeGraphBenchError("the node graph never answered a frame in 30 s")
        warm.add(driver.send(frames[0]))
        resend = time.perf_counter() + 1.0
        while time.perf_counter() < resend and not warm & set(driver.arrivals):
            driver.spin_once(0.01)
    closed = []
    for k in tqdm(range(closed_loop_frames), desc="closed loop", unit="frame", leave=False):
        stamp, sent = driver.send(frames[k % len(frames)]), time.perf_counter()
        while stamp not in driver.arrivals and (left := sent + ANSWER_TIMEOUT_S - time.perf_counter()) > 0:
            driver.spin_once(left)
        if stamp in driver.arrivals:
            closed.append((driver.arrivals[stamp] - stamp) / 1e6)
    driver.arrivals.clear()
    driver.node_timings.clear()
    driver.send_ms.clear()
    sent_stamps = []
    start = time.perf_counter()
    for k in tqdm(range(int(seconds * rate_hz)), desc=f"{rate_hz:g} Hz input", unit="frame", leave=False):
        _spin_until(driver, start + k / rate_hz)
        sent_stamps.append(driver.send(frames[k % len(frames)]))
    _spin_until(driver, time.perf_counter() + ANSWER_TIMEOUT_S)  # answers still in flight
    answered = [s for s in sent_stamps if s in driver.arrivals]
    return {
        "input_hz": rate_hz,
        "seconds": seconds,
        "frames_sent": len(sent_stamps),
        "frames_answered": len(answered),
        "output_fps": len(answered) / seconds,
        "end_to_end_ms": summary_ms((driver.arrivals[s] - s) / 1e6 for s in answered),
        "closed_loop_ms": summary_ms(closed),
        "driver_send_ms": summary_ms(driver.send_ms),
        "node_latency_ms": {
            name: summary_ms(v.get("latency_ms", [])) for name, v in sorted(driver.node_timings.items())
        },
        "node_stage_ms": {
            name: {k: float(np.median(x)) for k, x in sorted(v.items()) if k != "latency_ms"}
            for name, v in sorted(driver.node_timings.items())
        },
    }


def bench_node_graph(
    modes=MODES,
    rate_hz: float = 30.0,
    seconds: float = 20.0,
    closed_loop_frames: int = 30,
    bag: Path = SAMPLE_BAG,
    seed: int = 0,
) -> dict:
    """{mode: measurement} for each mode, every process started fresh with the shipped parameters."""

    frames = load_frames(bag)
    domain = random.Random(seed).randint(101, 200)
    env = graph_environment(domain)
    results = {
        "bag": str(bag.relative_to(SOURCE_ROOT)) if bag.is_relative_to(SOURCE_ROOT) else str(bag),
        "frame_size": [frames[0][1].width, frames[0][1].height],
        "parameter_files": [p.name for p in shipped_parameter_files()],
    }
    with joined_environment(env):  # the driver joins the same domain with the same profile
        for mode in modes:
            with tempfile.TemporaryDirectory(prefix=f"kd-bench-{mode}-") as tmp:
                try:
                    graph = start_graph(_processes(mode), Path(tmp), env, START_TIMEOUT_S)
                except GraphStartError as err:
                    raise NodeGraphBenchError(f"the {mode} node graph did not start: {err}") from err
                with graph:
                    results[mode] = _with_driver(
                        lambda d: _measure(d, frames, rate_hz, seconds, closed_loop_frames)
                    )
    return results


def _with_driver(measure):
    import rclpy
    from diagnostic_msgs.msg import DiagnosticArray
    from geometry_msgs.msg import PoseArray
    from rclpy.executors import SingleThreadedExecutor
    from sensor_msgs.msg import CameraInfo, Image

    from kd_grasp_ros.nodes.qos import IMAGE_PUBLISHER_QOS

    context = rclpy.Context()
    rclpy.init(context=context)
    node = rclpy.create_node("node_graph_bench", context=context)
    executor = SingleThreadedExecutor(context=context)
    executor.add_node(node)
    try:
        arrivals: dict[int, int] = {}
        node.create_subscription(
            PoseArray,
            "/grasp_candidates",
            lambda m: arrivals.setdefault(
                m.header.stamp.sec * 10**9 + m.header.stamp.nanosec, time.time_ns()
            ),
            50,
        )
        node_timings: dict[str, dict[str, list[float]]] = {}

        def on_diagnostics(msg) -> None:
            values = {kv.key: kv.value for kv in msg.status[0].values}
            if "latency_ms" in values:  # a processed frame's report
                timings = node_timings.setdefault(msg.status[0].name.split(":")[0], {})
                for key, value in values.items():
                    if key.endswith("_ms"):
                        timings.setdefault(key, []).append(float(value))

        node.create_subscription(DiagnosticArray, "/diagnostics", on_diagnostics, 100)
        pubs = {
            name: node.create_publisher(kind, f"/bench/{name}", IMAGE_PUBLISHER_QOS)
            for name, kind in (("color", Image), ("depth", Image), ("info", CameraInfo))
        }
        deadline = time.monotonic() + 30.0
        while min(p.get_subscription_count() for p in pubs.values()) == 0:
            if time.monotonic() > deadline:
                raise NodeGraphBenchError("the node graph never subscribed to the driver's topics")
            executor.spin_once(timeout_sec=0.1)
        return measure(Driver(node, executor, pubs, arrivals, node_timings))
    finally:
        executor.shutdown()
        node.destroy_node()
        context.try_shutdown()
