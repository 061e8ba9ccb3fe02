"""How run records turn ROS messages into MCAP payloads: ros2msg schema text and CDR."""
import dataclasses

from rclpy.serialization import serialize_message

from press_control.ros.ros_schema import message_definition, type_name_of


@dataclasses.dataclass(frozen=True)
class Serialized:
    """A message as taken off the wire (CDR bytes) with its type: recorded as it came."""

    message_type: type
    data: bytes


class RosMessageCodec:
    """The codec RunRecord writes messages with (schemas for stock readers, CDR bytes)."""

    def schema(self, message):
        if isinstance(message, Serialized):
            message = message.message_type()
        type_name = type_name_of(message)
        return type_name, message_definition(type_name)

    def serialize(self, message) -> bytes:
        if isinstance(message, Serialized):
            return message.data
        return serialize_message(message)
