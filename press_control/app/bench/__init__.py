"""`pressctl bench`: figures of speed, accuracy and safety against the simulator."""
