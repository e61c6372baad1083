"""The one-slot mailbox between a node's executor and its inference worker (real threads)."""

from __future__ import annotations

import threading

from kd_grasp_ros.pipeline.latest_frame import FrameWorker, LatestFrameSlot


def test_the_slot_keeps_only_the_newest_item_and_counts_the_replaced():
    slot = LatestFrameSlot()
    assert slot.take(0.0) == (False, None)
    assert [slot.offer(i) for i in range(4)] == [False, True, True, True]
    assert slot.take(0.0) == (True, 3)
    assert (slot.offered, slot.superseded) == (4, 3)
    assert slot.take(0.01) == (False, None)
    slot.offer(5)
    slot.close()
    assert slot.take(None) == (False, None)  # closed: the waiting item is discarded, nobody blocks


def test_stopping_the_worker_discards_the_waiting_frame_and_waits_for_the_running_one():
    started, release, seen = threading.Event(), threading.Event(), []

    def process(item):
        seen.append(item)
        started.set()
        release.wait(5.0)

    worker = FrameWorker(process, "test-worker")
    worker.offer(0)
    assert started.wait(5.0)
    worker.offer(1)  # waits behind frame 0
    assert worker.stop(0.05) is False  # frame 0 still running
    release.set()
    assert worker.stop(5.0) and seen == [0]


def test_the_worker_takes_the_newest_after_the_running_frame_and_stops_cleanly():
    started, gate, done, seen = threading.Event(), threading.Event(), threading.Event(), []

    def process(item):
        seen.append(item)
        if item == 0:
            started.set()
            gate.wait(5.0)
        if item == 9:
            done.set()

    worker = FrameWorker(process, "test-worker")
    worker.offer(0)
    assert started.wait(5.0)
    for i in range(1, 10):
        worker.offer(i)
    gate.set()
    assert done.wait(5.0)
    assert seen == [0, 9] and worker.superseded == 8
    assert worker.stop(5.0) and worker.processed == 2
