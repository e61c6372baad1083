"""`kd-grasp`: one command-line tool; each area of the package contributes a subcommand.

Each subcommand module exposes `add_arguments(parser)` and `run(args) -> int`. Modules are imported
only when their subcommand runs, so `kd-grasp --help` stays fast and one broken area cannot hide
the others. The contract: a bad option or value exits 2 with argparse's one-line usage error; an
expected failure (any KdGraspError: a missing model, a bad config file, an unreachable controller)
exits 1 with one line `kd-grasp VERB: ErrorName: message`, no traceback.
"""

from __future__ import annotations

import argparse
import importlib
import shlex
import sys

from kd_grasp_ros.common.errors import KdGraspError

SUBCOMMANDS = {
    "grasp": (
        "kd_grasp_ros.grasp.cli",
        "GG-CNN distillation: train | distill | speed | eval | agreement | protocol | card",
    ),
    "depth": (
        "kd_grasp_ros.depth.cli",
        "DistillGrasp depth completion: train | distill | eval | card | sensor-stats",
    ),
    "sim": ("kd_grasp_ros.sim.cli", "MuJoCo UR10e cell: synth | check-labels | view"),
    "ur-emulator": ("kd_grasp_ros.robot.emulator_cli", "emulated UR e-Series controller (tests, simulation)"),
    "replay": ("kd_grasp_ros.replay.cli", "publish or process a recorded rosbag2"),
    "bench": ("kd_grasp_ros.bench.cli", "one benchmark table for every network and the pipeline"),
    "demo": ("kd_grasp_ros.demo.cli", "closed-loop demo through the node graph, with pictures"),
    "trials": (
        "kd_grasp_ros.demo.trials",
        "closed-loop grasp trials through the node graph: success rates with 95%% CIs",
    ),
}


def get_args_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kd-grasp", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (_, help_text) in SUBCOMMANDS.items():
        sub.add_parser(name, help=help_text, add_help=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = get_args_parser()
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in SUBCOMMANDS:
        parser.parse_args(argv)  # prints help or the unknown-command error and exits
        return 2
    module_name, help_text = SUBCOMMANDS[argv[0]]
    module = importlib.import_module(module_name)
    sub_parser = argparse.ArgumentParser(prog=f"kd-grasp {argv[0]}", description=help_text)
    module.add_arguments(sub_parser)
    args = sub_parser.parse_args(argv[1:])
    args.command_line = "kd-grasp " + shlex.join(argv)  # recorded by verbs that write results
    try:
        return int(module.run(args) or 0)
    except KdGraspError as err:
        print(f"kd-grasp {argv[0]}: {type(err).__name__}: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
