"""/diagnostics from our nodes: one status per device, key-value pairs as text."""
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue

LEVEL_OK, LEVEL_WARN, LEVEL_ERROR = (DiagnosticStatus.OK, DiagnosticStatus.WARN,
                                     DiagnosticStatus.ERROR)


class DiagnosticsPort:
    """Publishes a node's device status on /diagnostics as `<node full name>: <device>`."""

    def __init__(self, node, device: str):
        self.node = node
        self.device = device
        self.publisher = node.create_publisher(DiagnosticArray, "/diagnostics", 10)

    def publish(self, level: int, message: str, values: dict, hardware_id: str = "") -> None:
        status = DiagnosticStatus(name=f"{self.node.get_fully_qualified_name()}: {self.device}",
                                  hardware_id=hardware_id, level=level, message=message)
        status.values = [KeyValue(key=key, value=str(value)) for key, value in values.items()]
        array = DiagnosticArray(status=[status])
        array.header.stamp = self.node.get_clock().now().to_msg()
        self.publisher.publish(array)
