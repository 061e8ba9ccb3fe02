"""The `metadata.yaml` that makes a folder with an MCAP file a rosbag2 bag.

`ros2 bag info/play` and the rosbags library open a bag folder through this file; rosbag2
writes it when a recording closes. A run record rewrites it at every flush, so a run that
was killed still has one (with the counts of its last flush); its torn MCAP file, without
the closing summary, is read by records.bag_reader (rosbags wants a finished file). Format:
rosbag2 metadata version 8 (Jazzy reads up to 9), QoS profiles as rosbag2 stores them.
"""
import functools
import os

import yaml

METADATA_VERSION = 8
RELIABLE, BEST_EFFORT = 1, 2
TRANSIENT_LOCAL, VOLATILE = 1, 2
_INFINITE = {"sec": 2147483647, "nsec": 4294967295}


# metadata.yaml is rewritten at every flush of a record: libyaml's emitter when present.
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


@functools.lru_cache(maxsize=2)
def offered_qos_yaml(latched: bool = False) -> str:
    """rosbag2's text for the QoS a topic was offered with (reliable, depth unknown)."""
    profile = {"history": 3, "depth": 0, "reliability": RELIABLE,
               "durability": TRANSIENT_LOCAL if latched else VOLATILE,
               "deadline": dict(_INFINITE), "lifespan": dict(_INFINITE), "liveliness": 1,
               "liveliness_lease_duration": dict(_INFINITE),
               "avoid_ros_namespace_conventions": False}
    return yaml.dump([profile], Dumper=_DUMPER, sort_keys=False)


class TopicTally:
    """What metadata.yaml says of one topic: its type, QoS and message count."""

    def __init__(self, name: str, type_name: str, latched: bool = False):
        self.name, self.type_name, self.latched = name, type_name, latched
        self.count = 0


def metadata(file_name: str, topics, first_ns: int, last_ns: int,
             ros_distro: str = "jazzy") -> dict:
    """The metadata document of a one-file MCAP bag."""
    total = sum(topic.count for topic in topics)
    first_ns = first_ns if total else 0
    duration = max(0, last_ns - first_ns) if total else 0
    return {"rosbag2_bagfile_information": {
        "version": METADATA_VERSION,
        "storage_identifier": "mcap",
        "duration": {"nanoseconds": duration},
        "starting_time": {"nanoseconds_since_epoch": first_ns},
        "message_count": total,
        "topics_with_message_count": [
            {"topic_metadata": {"name": topic.name, "type": topic.type_name,
                                "serialization_format": "cdr",
                                "offered_qos_profiles": offered_qos_yaml(topic.latched),
                                "type_description_hash": ""},
             "message_count": topic.count} for topic in topics],
        "compression_format": "",
        "compression_mode": "",
        "relative_file_paths": [file_name],
        "files": [{"path": file_name, "starting_time": {"nanoseconds_since_epoch": first_ns},
                   "duration": {"nanoseconds": duration}, "message_count": total}],
        "custom_data": {},
        "ros_distro": ros_distro}}


def write_metadata(folder: str, document: dict) -> None:
    """Write metadata.yaml atomically (a reader never sees half of it)."""
    temporary = os.path.join(folder, "metadata.yaml.tmp")
    with open(temporary, "w") as stream:
        yaml.dump(document, stream, Dumper=_DUMPER, sort_keys=False)
    os.replace(temporary, os.path.join(folder, "metadata.yaml"))
