"""press_control: ROS 2 integration of a laboratory hydraulic press."""
