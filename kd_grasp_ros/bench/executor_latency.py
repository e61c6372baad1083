"""The executor part of `kd-grasp bench` (--executor-attempts N): the emulated controller's RTDE stream
rate and the executor's command latency.

Starts `kd-grasp ur-emulator` in its own process on a free loopback address, then
1. stream rate: samples rtde_receive's controller timestamp for a few seconds and reports the number of
   distinct samples per second and the spacing between them (median, p99);
2. latency: runs `attempts` grasp attempts (one warm-up first) and reports, per attempt, the time from
   `GraspExecutor.execute()` being called (grasp received) to the first motion command sent, and to the
   first joint motion seen on a separate rtde_receive connection: median, min, max.
"""

from __future__ import annotations

import sys
import threading
import time

import numpy as np

from kd_grasp_ros.common.grasp_types import GraspPose
from kd_grasp_ros.common.transforms import rot_z
from kd_grasp_ros.executor.config import ExecutorConfig
from kd_grasp_ros.executor.executor import GraspExecutor
from kd_grasp_ros.robot.emulator_process import EmulatorProcess

MOTION_THRESHOLD_RAD = 1e-6
POLL_S = 0.0002
SETTLE_S = 0.1


def measure_stream(receive, seconds: float) -> dict:
    stamps = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        t = receive.getTimestamp()
        if not stamps or t != stamps[-1]:
            stamps.append(t)
        time.sleep(POLL_S)
    gaps = np.diff(stamps) * 1e3
    return {
        "rate_hz": (len(stamps) - 1) / (stamps[-1] - stamps[0]),
        "gap_median_ms": float(np.median(gaps)),
        "gap_p99_ms": float(np.percentile(gaps, 99)),
        "samples": len(stamps),
    }


def first_motion_after(receive, q0: np.ndarray, timeout_s: float = 10.0) -> float | None:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if np.max(np.abs(np.array(receive.getActualQ()) - q0)) > MOTION_THRESHOLD_RAD:
            return time.monotonic()
        time.sleep(POLL_S)
    return None


def bench_executor(attempts: int, stream_seconds: float = 3.0, seed: int = 0) -> dict:
    """{'stream': rate and spacing, 'latency_ms': {'to_command'|'to_motion': median, min, max, n}}."""
    import rtde_receive

    rng = np.random.default_rng(seed)
    with EmulatorProcess() as emu:
        receive = rtde_receive.RTDEReceiveInterface(emu.host)
        stream = measure_stream(receive, stream_seconds)
        cfg = ExecutorConfig(
            robot_ip=emu.host,
            dry_run=False,
            linear_speed_mps=0.5,
            linear_accel_mps2=1.5,
            joint_speed_radps=1.5,
            joint_accel_radps2=3.0,
            gripper_settle_s=0.02,
        )
        executor = GraspExecutor(cfg)
        executor.connect()
        to_command, to_motion = [], []
        try:
            for i in range(attempts + 1):
                xy = rng.uniform(-0.1, 0.1, 2)
                grasp = GraspPose(
                    position=np.array([xy[0], xy[1], 0.85]),
                    rotation=rot_z(rng.uniform(-1.5, 1.5)),
                    width_m=0.04,
                    quality=0.9,
                    frame_id=cfg.camera_frame,
                    stamp_s=time.time(),
                )
                time.sleep(SETTLE_S)  # let the previous attempt's last samples reach rtde_receive
                q0 = np.array(receive.getActualQ())
                seen = {}
                watcher = threading.Thread(
                    target=lambda q=q0, s=seen: s.update(t=first_motion_after(receive, q))
                )
                watcher.start()
                report = executor.execute(grasp)
                watcher.join()
                if i == 0:
                    continue  # warm-up
                to_command.append((report.t_first_motion_s - report.t_received_s) * 1e3)
                to_motion.append((seen["t"] - report.t_received_s) * 1e3)
        except Exception:
            print("\n".join(emu.output), file=sys.stderr)  # the emulator's own account of what happened
            raise
        finally:
            executor.disconnect()
            receive.disconnect()
    latency = {}
    for name, values in (("to_command", to_command), ("to_motion", to_motion)):
        v = np.array(values)
        latency[name] = {
            "median": float(np.median(v)),
            "min": float(v.min()),
            "max": float(v.max()),
            "n": len(v),
        }
    return {"stream": stream, "latency_ms": latency}


def format_executor(result: dict) -> str:
    """Lines for people: the stream, then grasp -> first command and -> first joint motion."""
    s, lat = result["stream"], result["latency_ms"]
    lines = [
        f"stream: {s['rate_hz']:.1f} Hz ({s['samples']} samples), spacing median "
        f"{s['gap_median_ms']:.2f} ms, p99 {s['gap_p99_ms']:.2f} ms"
    ]
    for key, name in (("to_command", "first motion command"), ("to_motion", "first joint motion")):
        v = lat[key]
        lines.append(
            f"grasp -> {name}: median {v['median']:.1f} ms, min {v['min']:.1f}, "
            f"max {v['max']:.1f} (n={v['n']})"
        )
    return "\n".join(lines)
