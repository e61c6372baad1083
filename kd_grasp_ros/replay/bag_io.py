"""Read and write rosbag2 recordings (sqlite3 or MCAP) with `rosbags`, holding rclpy message objects.

Messages travel as CDR bytes: rosbags reads and writes the files, rclpy.serialization turns bytes into
the installed message classes and back, so the pipeline's conversions (kd_grasp_ros.ros_image) apply
unchanged and no ROS graph is needed.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from rclpy.serialization import deserialize_message, serialize_message
from rosbags.rosbag2 import Reader, StoragePlugin, Writer
from rosbags.typesys import Stores, get_typestore

from kd_grasp_ros.common.errors import KdGraspError

# Message definitions written into new bags come from this distribution's type store.
TYPESTORE = Stores.ROS2_KILTED
STORAGES = {"sqlite3": StoragePlugin.SQLITE3, "mcap": StoragePlugin.MCAP}
BAG_VERSION = 9


class BagError(KdGraspError, RuntimeError):
    """A bag is missing, unreadable, or lacks the topics asked for."""


@dataclass(frozen=True)
class BagMessage:
    """One recorded message: topic, type name ('sensor_msgs/msg/Image'), log time (ns), CDR bytes."""

    topic: str
    msgtype: str
    timestamp_ns: int
    rawdata: bytes


def message_class(msgtype: str):
    """The rclpy class of a type name like 'sensor_msgs/msg/Image'."""
    try:
        package, kind, name = msgtype.split("/")
        return getattr(importlib.import_module(f"{package}.{kind}"), name)
    except (ValueError, ImportError, AttributeError) as exc:
        raise BagError(f"message type '{msgtype}' is not installed as a Python package ({exc})") from exc


def deserialize(message: BagMessage):
    """The rclpy message object of a recorded message."""
    return deserialize_message(message.rawdata, message_class(message.msgtype))


def bag_directory(path: str | Path) -> Path:
    """The bag directory (holding metadata.yaml) for a directory or a file inside it."""
    path = Path(path).expanduser()
    if path.is_file():
        path = path.parent
    if not (path / "metadata.yaml").is_file():
        raise BagError(f"{path} is not a rosbag2 directory (no metadata.yaml)")
    return path


def bag_topics(path: str | Path) -> dict[str, str]:
    """{topic: message type} of a bag."""
    try:
        with Reader(bag_directory(path)) as reader:
            return {c.topic: c.msgtype for c in reader.connections}
    except BagError:
        raise
    except Exception as exc:  # rosbags raises several unrelated types for corrupt files
        raise BagError(f"cannot read bag {path}: {exc}") from exc


def read_messages(path: str | Path, topics: list[str] | None = None) -> Iterator[BagMessage]:
    """The bag's messages in log-time order, optionally only those on `topics`."""
    directory = bag_directory(path)
    try:
        with Reader(directory) as reader:
            connections = [c for c in reader.connections if topics is None or c.topic in topics]
            if topics is not None:
                missing = sorted(set(topics) - {c.topic for c in connections})
                if missing:
                    raise BagError(
                        f"bag {directory} has no topic(s) {missing}; it has "
                        f"{sorted(c.topic for c in reader.connections)}"
                    )
            for connection, timestamp, rawdata in reader.messages(connections=connections):
                yield BagMessage(connection.topic, connection.msgtype, int(timestamp), bytes(rawdata))
    except BagError:
        raise
    except Exception as exc:
        raise BagError(f"cannot read bag {directory}: {exc}") from exc


class BagWriter:
    """Write rclpy messages into a new rosbag2 directory.

    with BagWriter(directory) as writer: writer.write(topic, msg, timestamp_ns)
    """

    def __init__(self, path: str | Path, storage: str = "sqlite3"):
        if storage not in STORAGES:
            raise BagError(f"storage must be one of {sorted(STORAGES)}, got '{storage}'")
        self.path = Path(path)
        if self.path.exists():
            raise BagError(f"{self.path} exists; rosbag2 writes into a new directory")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = Writer(self.path, version=BAG_VERSION, storage_plugin=STORAGES[storage])
        self._typestore = get_typestore(TYPESTORE)
        self._connections: dict[str, object] = {}

    def __enter__(self) -> BagWriter:
        self._writer.open()
        return self

    def __exit__(self, *exc) -> None:
        self._writer.close()

    def write(self, topic: str, msg, timestamp_ns: int) -> None:
        msgtype = f"{type(msg).__module__.split('.')[0]}/msg/{type(msg).__name__}"
        if topic not in self._connections:
            self._connections[topic] = self._writer.add_connection(topic, msgtype, typestore=self._typestore)
        self._writer.write(self._connections[topic], int(timestamp_ns), serialize_message(msg))
