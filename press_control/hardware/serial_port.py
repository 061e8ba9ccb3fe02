"""Serial-port helpers shared by the instrument clients."""
import termios

import serial


def close_quietly(port) -> None:
    """Close a serial port that may already be gone (unplugged device, dead pty)."""
    if port is None:
        return
    try:
        port.close()
    except (serial.SerialException, OSError, termios.error):
        pass
