"""What a test reads about a terminal without the code under test: bytes queued to read."""
import array
import fcntl
import termios


def queued(fd: int) -> int:
    """Bytes the kernel holds for reading on fd (FIONREAD)."""
    count = array.array("i", [0])
    fcntl.ioctl(fd, termios.FIONREAD, count)
    return count[0]
