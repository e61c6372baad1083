"""diagnostic_msgs/DiagnosticArray for a node's per-frame latency and frame counters."""

from __future__ import annotations

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue

OK = DiagnosticStatus.OK
WARN = DiagnosticStatus.WARN
ERROR = DiagnosticStatus.ERROR


def diagnostic_array(
    stamp, name: str, hardware_id: str, level: bytes, message: str, values: dict
) -> DiagnosticArray:
    """One status named `name`; float values are written with 3 decimals (latencies in ms)."""
    status = DiagnosticStatus(level=level, name=name, message=message, hardware_id=hardware_id)
    status.values = [
        KeyValue(key=k, value=f"{v:.3f}" if isinstance(v, float) else str(v)) for k, v in values.items()
    ]
    array = DiagnosticArray()
    array.header.stamp = stamp
    array.status = [status]
    return array


def diagnostic_values(array: DiagnosticArray) -> dict[str, str]:
    """The key/value pairs of the first status (for tests and tools)."""
    return {kv.key: kv.value for kv in array.status[0].values} if array.status else {}
