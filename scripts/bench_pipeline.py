"""Benchmark the grasp pipeline: each stage in-process, then the composed node process over ROS.

    .venv/bin/python scripts/bench_pipeline.py --out reports/pipeline_bench.json [--frames 30] [--device cpu]

1. Stages (no ROS): DepthCompleter.complete and GraspDetector + grasp stage on the sample bag's
   frames; warm-up, then a timed loop; medians and 10th/90th percentiles in milliseconds.
2. Nodes (ROS): pipeline_composed runs as its own process; a driver publishes frames
   - closed loop: the next frame after the previous frame's grasp_candidates came back, giving the
     end-to-end latency (publish -> candidates) and the per-node latency_ms from /diagnostics;
   - open loop: frames at --open-loop-hz for --open-loop-s seconds, giving the composed pipeline's
     output frames per second (the nodes drop what they cannot keep up with).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml
from tqdm import tqdm

from kd_grasp_ros.depth.constants import STUDENT_WEIGHTS
from kd_grasp_ros.pipeline.grasp_stage import DEFAULT_GRASP_MODEL, GraspFilterConfig, detect_grasp_poses
from kd_grasp_ros.resources import SOURCE_ROOT

SAMPLE_BAG = SOURCE_ROOT / "models" / "sample_bags" / "sim_cell"
DDS_PROFILE = SOURCE_ROOT / "config" / "fastdds_large_images.xml"
NODE_READY_LINE = "composed pipeline running"
NODE_START_TIMEOUT_S = 120.0
RESULT_TIMEOUT_S = 3.0
LOG_TAIL_CHARS = 3000


def summary_ms(samples: list[float]) -> dict:
    """Median and spread of a list of milliseconds."""
    a = np.asarray(samples, dtype=float)
    return {"median": float(np.median(a)), "p10": float(np.percentile(a, 10)),
            "p90": float(np.percentile(a, 90)), "n": int(a.size)}


def load_frames(bag: Path) -> list:
    """(colour msg, depth msg, camera_info msg) of every frame of a bag (realsense-ros topics)."""
    from kd_grasp_ros.replay.offline import OfflineTopics, paired_frames

    return [(c, d, i) for _, c, d, i in paired_frames(bag, OfflineTopics())]


def bench_stages(frames: list, args) -> dict:
    """Per-stage milliseconds of the networks and the grasp stage, without ROS."""
    import torch

    from kd_grasp_ros.depth.completer import DepthCompleter
    from kd_grasp_ros.grasp.detector import GraspDetector
    from kd_grasp_ros.grasp.grasp_pose import image_grasp_to_pose
    from kd_grasp_ros.ros_image import camera_info_to_intrinsics, depth_to_metres, image_to_rgb

    torch.set_num_threads(args.threads)
    completer = DepthCompleter(args.depth_model, device=args.device)
    detector = GraspDetector(args.grasp_model, device=args.device)
    inputs = [(image_to_rgb(c), depth_to_metres(d), camera_info_to_intrinsics(i)) for c, d, i in frames]
    times: dict[str, list[float]] = {"depth_completion_ms": [], "grasp_detection_ms": [], "pipeline_ms": []}
    for k in tqdm(range(args.warmup + args.frames), desc="stages", unit="frame"):
        rgb, depth, intr = inputs[k % len(inputs)]
        t0 = time.perf_counter()
        completed = completer.complete(rgb, depth)
        t1 = time.perf_counter()
        detect_grasp_poses(detector, image_grasp_to_pose, completed, intr, 0.0, GraspFilterConfig())
        t2 = time.perf_counter()
        if k >= args.warmup:
            times["depth_completion_ms"].append((t1 - t0) * 1e3)
            times["grasp_detection_ms"].append((t2 - t1) * 1e3)
            times["pipeline_ms"].append((t2 - t0) * 1e3)
    return {name: summary_ms(v) for name, v in times.items()}


def _start_composed(args, workdir: Path, env: dict) -> subprocess.Popen:
    params = workdir / "bench_params.yaml"
    common = {"device": args.device, "threads": args.threads, "max_age_s": 0.0, "input_qos": "reliable"}
    params.write_text(yaml.safe_dump({
        "depth_completion_node": {"ros__parameters": {**common, "model_path": str(args.depth_model)}},
        "grasp_detection_node": {"ros__parameters": {**common, "model_path": str(args.grasp_model)}},
    }))
    remaps = {"color/image_raw": "/bench/color", "depth/image_raw": "/bench/depth",
              "depth/camera_info": "/bench/info"}
    cmd = [str(Path(sys.executable).parent / "pipeline_composed"), "--ros-args", "--params-file", str(params)]
    for src, dst in remaps.items():
        cmd += ["-r", f"{src}:={dst}"]
    log = open(workdir / "pipeline_composed.log", "w")  # noqa: SIM115 - closed after the process starts
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, text=True)
    log.close()
    deadline = time.monotonic() + NODE_START_TIMEOUT_S
    while NODE_READY_LINE not in (workdir / "pipeline_composed.log").read_text():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            log_text = (workdir / "pipeline_composed.log").read_text()
            raise RuntimeError(f"pipeline_composed did not start:\n{log_text}")
        time.sleep(0.2)
    return proc


def bench_nodes(frames: list, args) -> dict:
    """Closed-loop latency and open-loop frames per second of pipeline_composed over ROS."""
    env = dict(os.environ, ROS_DOMAIN_ID=str(random.randint(101, 200)),
               ROS_AUTOMATIC_DISCOVERY_RANGE="LOCALHOST")
    if args.dds_profile:
        env["FASTDDS_DEFAULT_PROFILES_FILE"] = str(args.dds_profile)
    else:
        env.pop("FASTDDS_DEFAULT_PROFILES_FILE", None)
        os.environ.pop("FASTDDS_DEFAULT_PROFILES_FILE", None)
    os.environ.update(env)
    import rclpy
    from diagnostic_msgs.msg import DiagnosticArray
    from geometry_msgs.msg import PoseArray
    from sensor_msgs.msg import CameraInfo, Image

    from kd_grasp_ros.nodes.qos import IMAGE_PUBLISHER_QOS

    lost = 0
    with tempfile.TemporaryDirectory() as tmp:
        proc = _start_composed(args, Path(tmp), env)
        rclpy.init()
        node = rclpy.create_node("pipeline_bench")
        try:
            pubs = {"color": node.create_publisher(Image, "/bench/color", IMAGE_PUBLISHER_QOS),
                    "depth": node.create_publisher(Image, "/bench/depth", IMAGE_PUBLISHER_QOS),
                    "info": node.create_publisher(CameraInfo, "/bench/info", IMAGE_PUBLISHER_QOS)}
            arrivals: dict[tuple[int, int], float] = {}
            node_latency: dict[str, list[float]] = {}
            node.create_subscription(PoseArray, "/grasp_candidates", lambda m: arrivals.setdefault(
                (m.header.stamp.sec, m.header.stamp.nanosec), time.perf_counter()), 10)

            def on_diag(msg):
                values = {kv.key: kv.value for kv in msg.status[0].values}
                if "latency_ms" in values:
                    name = msg.status[0].name.split(":")[0]
                    node_latency.setdefault(name, []).append(float(values["latency_ms"]))
            node.create_subscription(DiagnosticArray, "/diagnostics", on_diag, 100)

            def publish(k: int) -> tuple[int, int]:
                color, depth, info = frames[k % len(frames)]
                stamp = node.get_clock().now().to_msg()
                for msg in (color, depth, info):
                    msg.header.stamp = stamp
                pubs["info"].publish(info)
                pubs["color"].publish(color)
                pubs["depth"].publish(depth)
                return stamp.sec, stamp.nanosec

            while min(p.get_subscription_count() for p in pubs.values()) == 0:
                rclpy.spin_once(node, timeout_sec=0.1)
            end_to_end = []
            for k in tqdm(range(args.warmup + args.frames), desc="closed loop", unit="frame"):
                key, sent = publish(k), time.perf_counter()
                deadline = sent + RESULT_TIMEOUT_S
                while key not in arrivals and time.perf_counter() < deadline:
                    rclpy.spin_once(node, timeout_sec=0.01)
                if key not in arrivals:
                    lost += 1
                elif k >= args.warmup:
                    end_to_end.append((arrivals[key] - sent) * 1e3)
            per_node = {name: summary_ms(v[args.warmup:]) for name, v in node_latency.items()
                        if len(v) > args.warmup}
            arrivals.clear()
            start = time.perf_counter()
            next_send, sent_count = start, 0
            while time.perf_counter() - start < args.open_loop_s:
                if time.perf_counter() >= next_send:
                    publish(sent_count)
                    sent_count += 1
                    next_send += 1.0 / args.open_loop_hz
                rclpy.spin_once(node, timeout_sec=0.002)
            done = time.perf_counter()
            while time.perf_counter() - done < 2.0:  # the last frames in flight
                rclpy.spin_once(node, timeout_sec=0.01)
            fps = len(arrivals) / args.open_loop_s
        finally:
            node.destroy_node()
            rclpy.try_shutdown()
            proc.send_signal(2)
            proc.wait(15)
            if lost:
                log_text = (Path(tmp) / "pipeline_composed.log").read_text()
                print(f"{lost} closed-loop frames got no result; node log:\n{log_text[-LOG_TAIL_CHARS:]}",
                      file=sys.stderr)
    return {"end_to_end_ms": summary_ms(end_to_end) if end_to_end else None, "lost_closed_loop": lost,
            "node_latency_ms": per_node, "open_loop_input_hz": args.open_loop_hz,
            "open_loop_frames_sent": sent_count, "composed_output_fps": fps}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--bag", type=Path, default=SAMPLE_BAG,
                        help="frames to run on (realsense-ros topics)")
    parser.add_argument("--depth-model", default=STUDENT_WEIGHTS, help="depth completion checkpoint")
    parser.add_argument("--grasp-model", default=DEFAULT_GRASP_MODEL, help="grasp network checkpoint")
    parser.add_argument("--device", default="cpu", help="torch device")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch CPU threads (process-wide; more than the free cores thrashes)")
    parser.add_argument("--frames", type=int, default=30, help="timed frames per measurement")
    parser.add_argument("--warmup", type=int, default=3, help="untimed frames first")
    parser.add_argument("--open-loop-hz", type=float, default=30.0, help="input rate of the fps measurement")
    parser.add_argument("--open-loop-s", type=float, default=15.0, help="duration of the fps measurement")
    parser.add_argument("--skip-ros", action="store_true", help="only the in-process stage timings")
    parser.add_argument("--dds-profile", default=str(DDS_PROFILE),
                        help="Fast DDS profile for both processes ('' = the middleware's defaults)")
    parser.add_argument("--out", type=Path, help="write the results as JSON here")
    parser.add_argument("--seed", type=int, default=0, help="random seed (domain id choice)")


def run(args: argparse.Namespace) -> int:
    from kd_grasp_ros.resources import resolve_model

    random.seed(args.seed)
    args.depth_model, args.grasp_model = resolve_model(args.depth_model), resolve_model(args.grasp_model)
    frames = load_frames(args.bag)
    results = {"bag": str(args.bag), "device": args.device, "threads": args.threads, "cpus": os.cpu_count(),
               "dds_profile": args.dds_profile,
               "depth_model": str(args.depth_model), "grasp_model": str(args.grasp_model),
               "stages": bench_stages(frames, args)}
    if not args.skip_ros:
        results["nodes"] = bench_nodes(frames, args)
    text = json.dumps(results, indent=1)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
