"""Spinning our nodes, in the foreground or in the background, and stopping them cleanly.

Foreground for a node's own process; background for a program that does its work beside
the node (pressctl, the demo arm, bringup).

rclpy 7.1's Executor.shutdown() destroys the executor's guard condition without waiting
for the callbacks it has handed out (its wait is skipped once it has marked itself shut
down). A callback that ends afterwards triggers the destroyed guard: "cannot use
Destroyable because destruction was requested", in a thread or as "exception was never
retrieved". So the spin loop is ours: it ends first, the callbacks already handed out
finish, and only then is the executor shut down.
"""
import os
import sys
import threading
import time

import rclpy
from rclpy.executors import ExternalShutdownException, MultiThreadedExecutor
from rclpy.signals import SignalHandlerOptions

from press_control.children import parent_death_signal, watch_parent
from press_control.ros.rclpy_internals import handed_out_tasks, spin_once_until
from press_control.stop_signals import call_on_signals


def finish_callbacks(executor, timeout_s: float = 5.0) -> bool:
    """Wait (up to timeout_s) for the callbacks an executor has handed out; then shut it down.

    Call only once nothing spins the executor any more. Returns whether all finished.
    """
    deadline = time.monotonic() + timeout_s
    pending = handed_out_tasks(executor)
    while any(not task.done() for task in pending) and time.monotonic() < deadline:
        time.sleep(0.01)
    finished = all(task.done() for task in pending)
    executor.shutdown(timeout_sec=0)
    return finished


class ExecutorThread:
    """An executor spun on a thread of its own; stop() ends it without racing shutdown."""

    def __init__(self, executor, name: str = "executor"):
        self.executor = executor
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._spin, name=name, daemon=True)

    def start(self) -> "ExecutorThread":
        self._thread.start()
        return self

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def join(self, timeout_s: float = None) -> None:
        """Wait for the spin loop to end (stop(), or the context shut down)."""
        self._thread.join(timeout_s)

    def _spin(self) -> None:
        executor, stopping = self.executor, self._stopping.is_set
        try:
            while not stopping() and executor.context.ok():
                spin_once_until(executor, stopping)
        except (ExternalShutdownException, KeyboardInterrupt):
            pass                                # the context is shutting down
        except Exception:                       # noqa: B902 - re-raised unless shutting down
            if executor.context.ok() and not self._stopping.is_set():
                raise

    def stop(self, timeout_s: float = 5.0) -> bool:
        """End the spin loop, let running callbacks finish, shut the executor down."""
        self._stopping.set()
        if self._thread.is_alive():
            try:
                self.executor.wake()            # out of its wait at once
            except Exception:                   # noqa: B902 - a shut-down context: no wait
                pass
            self._thread.join(timeout=timeout_s)
        return finish_callbacks(self.executor, timeout_s)


# Time a node's process has to end once its shutdown began (Ctrl-C, SIGTERM, its parent's
# death), besides its own bounded before_destroy step (profile_server waits for a running
# goal to release at the safe rate; the driver releases over its line).
SHUTDOWN_GRACE_S = 15.0


class ShutdownDeadline:
    """Ends the process (exit code 1, with a line on stderr) if its shutdown hangs.

    hold() stops the clock for a step with a time bound of its own; resume() restarts it.
    """

    def __init__(self, name: str, grace_s: float = None):
        self.name = name
        self.grace_s = SHUTDOWN_GRACE_S if grace_s is None else grace_s
        self._lock = threading.Lock()
        self._timer = None
        self._held = False

    def start(self) -> None:
        with self._lock:
            if self._timer is None and not self._held:
                self._timer = threading.Timer(self.grace_s, self._end)
                self._timer.daemon = True
                self._timer.start()

    def hold(self) -> None:
        with self._lock:
            self._held = True
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None

    def resume(self) -> None:
        with self._lock:
            self._held = False
        self.start()

    def _end(self) -> None:
        sys.stderr.write(f"{self.name}: shutdown did not finish within "
                         f"{self.grace_s:.0f} s; ending the process\n")
        sys.stderr.flush()
        os._exit(1)


def shut_down_on_signal(deadline: ShutdownDeadline, context) -> None:
    """SIGINT and SIGTERM start the deadline and shut the ROS context down, from a thread.

    rclpy's own handlers are not installed (spin_node inits with SignalHandlerOptions.NO):
    under load a spinning node twice let a Ctrl-C pass with nothing at all happening, not
    even the deadline that Python's handler, chained after rclpy's, was to start (the
    test's process was still there a minute later). stop_signals answers on a thread of its
    own and shuts the context down as a parent's death does; no KeyboardInterrupt lands in
    the middle of before_destroy. Call from the main thread.
    """
    call_on_signals(lambda _: _shut_down(deadline, context))


def _parent_gone(deadline: ShutdownDeadline, context, parent: int) -> None:
    """The parent that should have signalled this process is gone: shut down all the same.

    Through the context, as a Ctrl-C does, not a second SIGINT: that would raise
    KeyboardInterrupt in the main thread, perhaps in the middle of before_destroy.
    """
    _shut_down(deadline, context, f"parent process {parent} is gone")


def _shut_down(deadline: ShutdownDeadline, context, why: str = "") -> None:
    """Start the deadline and shut the context down (saying why, if it was up)."""
    deadline.start()
    if why and context.ok():
        sys.stderr.write(f"{deadline.name}: {why}; shutting down\n")
        sys.stderr.flush()
    context.try_shutdown()


def spin_node(node_factory, args=None, before_destroy=None, startup_problem=None,
              threads: int = None) -> int:
    """Create the node, spin it on a multi-threaded executor, shut down cleanly; exit code.

    startup_problem(node) -> "" or why the node cannot do its job: then the node is not
    spun and the exit code is 1. before_destroy(node) runs even when Ctrl-C has already
    shut the ROS context down, so it must not need ROS (the driver releases the press
    there over its serial line).
    """
    rclpy.init(args=args, signal_handler_options=SignalHandlerOptions.NO)
    context = rclpy.get_default_context()
    deadline = ShutdownDeadline(getattr(node_factory, "__name__", "node"))
    context.on_shutdown(deadline.start)
    shut_down_on_signal(deadline, context)
    if parent_death_signal():
        watch_parent(lambda parent: _parent_gone(deadline, context, parent))
    node = executor = None
    problem = ""
    try:                        # a Ctrl-C may come at any point, even while starting
        node = node_factory()
        deadline.name = node.get_name()
        problem = startup_problem(node) if startup_problem is not None else ""
        executor = MultiThreadedExecutor(num_threads=threads)
        executor.add_node(node)
        if problem:
            node.get_logger().fatal(f"cannot start: {problem}")
        else:
            executor.spin()
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    except Exception:               # noqa: B902 - re-raised unless the context is shut down
        # A Ctrl-C shuts the context down from the signal watcher while the main thread
        # may be inside rclpy (a wait set, a timer being made): RCLError "context is not
        # valid" there is the shutdown, not a failure (seen under load).
        if context.ok():
            raise
    finally:
        if node is not None and before_destroy is not None:
            deadline.hold()
            try:
                before_destroy(node)
            finally:
                deadline.resume()
        deadline.start()
        if executor is not None:
            finish_callbacks(executor, 2.0)
        if node is not None:
            node.destroy_node()
        rclpy.try_shutdown()
    return 1 if problem else 0


class SpinningNode:
    """A node spun in a background thread.

    close() stops the executor, joins the thread (no rclpy thread may outlive the
    interpreter), destroys the node and shuts ROS down.
    """

    def __init__(self, node_factory, args=None):
        rclpy.init(args=args)
        self.node = node_factory()
        self.executor = MultiThreadedExecutor()
        self.executor.add_node(self.node)
        self.spinner = ExecutorThread(self.executor).start()

    def alive(self) -> bool:
        return self.spinner.is_alive()

    def close(self) -> None:
        self.spinner.stop()
        self.node.destroy_node()
        rclpy.try_shutdown()
