"""Device classes over the wire protocols (no ROS): the press, the impedance analyzer."""
