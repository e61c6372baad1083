"""Measure the emulated controller's RTDE stream rate and the executor's command latency.

    python -m kd_grasp_ros.robot.latency_bench --attempts 5

Starts `kd-grasp ur-emulator` in its own process on a free loopback address, then
1. stream rate: samples rtde_receive's controller timestamp for --stream-seconds and reports the
   number of distinct samples per second and the spacing between them (median, p99);
2. latency: runs --attempts grasp attempts (one warm-up first) and reports, per attempt, the time from
   `GraspExecutor.execute()` being called (grasp received) to the first motion command sent, and to the
   first joint motion seen on a separate rtde_receive connection. Medians and spread are printed.
"""

from __future__ import annotations

import argparse
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


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--attempts", type=int, default=5, help="timed grasp attempts (after one warm-up)")
    parser.add_argument("--stream-seconds", type=float, default=3.0, help="stream sampling duration (s)")
    parser.add_argument("--seed", type=int, default=0, help="seed for the grasp positions")


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


def run(args: argparse.Namespace) -> int:
    import rtde_receive

    rng = np.random.default_rng(args.seed)
    with EmulatorProcess() as emu:
        receive = rtde_receive.RTDEReceiveInterface(emu.host)
        stream = measure_stream(receive, args.stream_seconds)
        print(
            f"stream: {stream['rate_hz']:.1f} Hz ({stream['samples']} samples), spacing median "
            f"{stream['gap_median_ms']:.2f} ms, p99 {stream['gap_p99_ms']:.2f} ms"
        )
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
            for i in range(args.attempts + 1):
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
    for name, values in (
        ("grasp -> first motion command", to_command),
        ("grasp -> first joint motion", to_motion),
    ):
        v = np.array(values)
        print(f"{name}: median {np.median(v):.1f} ms, min {v.min():.1f}, max {v.max():.1f} (n={len(v)})")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    sys.exit(run(parser.parse_args()))
