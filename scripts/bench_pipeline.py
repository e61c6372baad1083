"""Camera-to-grasp, in-process and through the shipped node graph: the pipeline part of `kd-grasp bench`.

    .venv/bin/python scripts/bench_pipeline.py --out reports/pipeline_bench.json [--seconds 20]

Runs the same two measurements as `kd-grasp bench` (kd_grasp_ros/bench/pipeline.py and node_graph.py):
the in-process pipeline (depth student + grasp student + poses, 1 thread per network as the nodes are
configured) and the node graph fed 640x480 frames at 30 Hz, composed and as separate processes. Writes
`stages.pipeline_ms`, `nodes.end_to_end_ms` {median, p90} and `nodes.composed_output_fps`, the whole
measurement beside them.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from kd_grasp_ros.bench.node_graph import bench_node_graph
from kd_grasp_ros.bench.pipeline import bench_pipeline
from kd_grasp_ros.depth.constants import STUDENT_WEIGHTS
from kd_grasp_ros.pipeline.grasp_stage import DEFAULT_GRASP_MODEL

SHIPPED_THREADS_PER_NETWORK = 1


def run(args: argparse.Namespace) -> dict:
    pipeline = bench_pipeline(
        DEFAULT_GRASP_MODEL, STUDENT_WEIGHTS, SHIPPED_THREADS_PER_NETWORK, args.repeats, args.warmup
    )
    nodes = bench_node_graph(seconds=args.seconds)
    lat = pipeline["latency"]
    return {
        "command": "scripts/bench_pipeline.py " + " ".join(sys.argv[1:]),
        "stages": {
            "pipeline_ms": {"median": lat["median_ms"], "p90": lat["p90_ms"]},
            "stage_medians_ms": pipeline["stages_median_ms"],
            "in_process": pipeline,
        },
        "nodes": {
            "end_to_end_ms": nodes["composed"]["end_to_end_ms"],
            "composed_output_fps": nodes["composed"]["output_fps"],
            "separate_output_fps": nodes["separate"]["output_fps"],
            "separate_end_to_end_ms": nodes["separate"]["end_to_end_ms"],
            **nodes,
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--seconds", type=float, default=20.0, help="seconds of 30 Hz input per node graph form"
    )
    parser.add_argument("--repeats", type=int, default=50, help="timed in-process frames")
    parser.add_argument("--warmup", type=int, default=5, help="untimed in-process frames first")
    parser.add_argument("--out", type=Path, help="write the results as JSON here")
    args = parser.parse_args(argv)
    text = json.dumps(run(args), indent=1)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
