"""Wire formats without ROS: Modbus RTU framing and client, the press register map, SCPI."""
