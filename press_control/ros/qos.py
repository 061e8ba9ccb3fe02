"""The QoS profiles the package's topics use, defined once."""
from rclpy.qos import DurabilityPolicy, QoSProfile

# Latched: the last message reaches subscribers that join later (handling/state,
# installed_die, run_profile/rejection, ...).
LATCHED = QoSProfile(depth=1, durability=DurabilityPolicy.TRANSIENT_LOCAL)
