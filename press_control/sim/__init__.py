"""Simulated press and cell on real pseudo-terminals; physics models without ROS."""
