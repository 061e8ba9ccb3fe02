"""Interface analytics without ROS: circuit fits, densification, events."""
