"""Run records: folders, CSV, summary, MCAP and plot; no ROS import."""
