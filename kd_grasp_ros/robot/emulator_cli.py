"""`kd-grasp ur-emulator`: run an emulated UR e-Series controller (a test and simulation tool).

The emulator serves RTDE (30004), script upload (30003), dashboard (29999) and a Robotiq socket
(63352) on one IP address, drives a kinematic UR10e, and prints `ur-emulator ready on HOST` when it
accepts connections. Stop it with Ctrl-C / SIGTERM. Use a different loopback address per instance
(127.0.0.2, 127.0.0.3, ...) instead of different ports: the client hard-codes the ports.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from kd_grasp_ros.common.process_lifetime import exit_deadline, exit_with_parent, stop_on_signals
from kd_grasp_ros.robot.emulator import DEFAULT_FREQUENCY_HZ, URControllerEmulator
from kd_grasp_ros.robot.ur10e_params import HOME_Q

READY_LINE = "ur-emulator ready on"
STOP_POLL_S = 0.2  # how often the main thread looks for a stop request


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--host", default="127.0.0.2", help="IP address to bind (a loopback address of its own per emulator)"
    )
    parser.add_argument(
        "--initial-q",
        type=float,
        nargs=6,
        default=list(HOME_Q),
        metavar="RAD",
        help="initial joint angles (rad), default HOME_Q",
    )
    parser.add_argument(
        "--safety-plane-z",
        type=float,
        default=None,
        metavar="M",
        help="protective stop when the TCP goes below this z (m, base frame)",
    )
    parser.add_argument("--no-robotiq", action="store_true", help="do not serve the Robotiq socket (63352)")
    parser.add_argument(
        "--cycle-hz",
        type=float,
        default=DEFAULT_FREQUENCY_HZ,
        help="controller cycle / maximum stream rate (Hz)",
    )


def run(args: argparse.Namespace) -> int:
    try:
        emulator = URControllerEmulator(
            args.host,
            initial_q=np.array(args.initial_q),
            safety_plane_z=args.safety_plane_z,
            robotiq=not args.no_robotiq,
            cycle_hz=args.cycle_hz,
        ).start()
    except OSError as err:
        print(f"ur-emulator: cannot bind {args.host}: {err}", file=sys.stderr)
        return 1
    stop = stop_on_signals()
    print(f"{READY_LINE} {args.host}", flush=True)
    stop.wait(STOP_POLL_S)
    with exit_deadline("ur-emulator"):
        emulator.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    """`ur_emulator` (in lib/kd_grasp_ros, started by the launch files): `kd-grasp ur-emulator`."""
    parser = argparse.ArgumentParser(prog="ur_emulator", description=__doc__.splitlines()[0])
    add_arguments(parser)
    args = parser.parse_args(argv)
    exit_with_parent()  # never outlive the launcher (see kd_grasp_ros.common.process_lifetime)
    return run(args)


if __name__ == "__main__":
    raise SystemExit(main())
