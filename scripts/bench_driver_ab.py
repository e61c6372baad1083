"""A/B of the node-graph benchmark's publishing side: `wait` (the shipped driver, which sleeps in its
executor until the next frame is due) against `poll` (the driver before session 8, spin_once every
2 ms). One run per call: the in-process pipeline on the bag's frames, then the composed node graph at
30 Hz for 20 s; prints the medians. Run the two alternately, several times: on the 2-core machine the
run-to-run spread is larger than the difference (docs/demo-trials-bench.md).

Usage: python scripts/bench_driver_ab.py wait|poll
"""

from __future__ import annotations

import argparse
import time

import kd_grasp_ros.bench.node_graph as node_graph
from kd_grasp_ros.bench.pipeline import bench_pipeline


def polling_spin_until(driver, t_end: float) -> None:
    """The driver's wait before session 8: poll the executor every 2 ms."""
    while time.perf_counter() < t_end:
        driver.spin_once(0.002)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("driver", choices=("wait", "poll"))
    args = parser.parse_args()
    if args.driver == "poll":
        node_graph._spin_until = polling_spin_until
    pipe = bench_pipeline("grasp_student_v1.pt", "depth_student.pt", 1, 50, 5)
    run = node_graph.bench_node_graph(modes=("composed",), seconds=20.0)["composed"]
    e2e = {k: round(v, 1) for k, v in run["end_to_end_ms"].items()}
    print(
        f"{args.driver}: in-process median {pipe['latency']['median_ms']:.1f} ms; composed "
        f"{run['output_fps']:.1f} frames/s, end to end {e2e}, one frame at a time "
        f"{run['closed_loop_ms']['median']:.1f} ms"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
