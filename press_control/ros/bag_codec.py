"""How run records turn ROS messages into MCAP payloads: ros2msg schema text and CDR."""
from rclpy.serialization import serialize_message

from press_control.ros.ros_schema import message_definition, type_name_of


class RosMessageCodec:
    """The codec RunRecord writes messages with (schemas for stock readers, CDR bytes)."""

    def schema(self, message):
        type_name = type_name_of(message)
        return type_name, message_definition(type_name)

    def serialize(self, message) -> bytes:
        return serialize_message(message)
