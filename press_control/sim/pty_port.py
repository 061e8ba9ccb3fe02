"""A device end of a serial line: a pseudo-terminal whose slave side has a stable path.

The simulated device serves the pty master; the driver opens the symlink exactly as it
would open /dev/ttyUSB0. Unplugging closes the pty and removes the path; plugging back
creates a fresh pty behind the same path.
"""
import os
import select
import termios
import time
import tty


class PtyPort:
    """Device side of one simulated serial cable."""

    def __init__(self, link_path: str):
        self.link_path = link_path
        self.master_fd = None
        self.slave_fd = None
        self.plug()

    @property
    def plugged(self) -> bool:
        return self.master_fd is not None

    def plug(self) -> None:
        if self.plugged:
            return
        master, slave = os.openpty()
        tty.setraw(slave, termios.TCSANOW)
        attributes = termios.tcgetattr(slave)
        attributes[3] &= ~termios.ECHO
        termios.tcsetattr(slave, termios.TCSANOW, attributes)
        self.master_fd, self.slave_fd = master, slave
        temporary = f"{self.link_path}.{os.getpid()}.tmp"
        if os.path.lexists(temporary):
            os.unlink(temporary)
        os.symlink(os.ttyname(slave), temporary)
        os.replace(temporary, self.link_path)

    def unplug(self) -> None:
        if not self.plugged:
            return
        if os.path.lexists(self.link_path):
            os.unlink(self.link_path)
        for fd in (self.master_fd, self.slave_fd):
            try:
                os.close(fd)
            except OSError:
                pass
        self.master_fd = self.slave_fd = None

    def read(self, timeout_s: float) -> bytes:
        """Bytes that arrived within timeout_s (b'' if none, or if unplugged)."""
        fd = self.master_fd
        if fd is None:
            time.sleep(timeout_s)
            return b""
        try:
            ready, _, _ = select.select([fd], [], [], timeout_s)
            return os.read(fd, 4096) if ready else b""
        except OSError:
            return b""

    def write(self, data: bytes) -> None:
        fd = self.master_fd
        if fd is None:
            return
        try:
            os.write(fd, data)
        except OSError:
            pass

    def close(self) -> None:
        self.unplug()
