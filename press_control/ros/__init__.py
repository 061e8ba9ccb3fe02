"""Thin rclpy nodes over the pure core."""
