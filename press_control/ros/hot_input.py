"""High-rate inputs taken off the executors.

Profiled (py-spy, the bring-up process pressing demo_cell): about 60 % of its CPU went to
rclpy's executors: each message costs a wait-set rebuild in Python (1-2 ms here), and
press_driver publishes `state` at 100 Hz to two nodes of that process. A single-threaded
executor for the one subscription cut this by a tenth only; rclpy's experimental C++
EventsExecutor of Jazzy holds the interpreter lock while it waits, so it cannot serve from
a thread. HotInputs therefore take their subscriptions' messages themselves: the
subscriptions belong to the node (so `ros2 node info` lists them under it) but to a
callback group that no executor serves (`DrainedGroup`: an executor leaves out of its wait
set what the group says it cannot execute), and a thread drains their queues every
`period_s`, calling the callback for each message in order; or, without a period, a loop
that wakes anyway calls drain() (press_driver's I/O loop, which so needs no thread of its
own for its inputs). Callbacks run in the draining thread: they must be short and
thread-safe. The take itself is rclpy_internals.take (rclpy has no public one).
"""
import threading

from rclpy.callback_groups import CallbackGroup
from rclpy.qos import HistoryPolicy, QoSProfile

from press_control.pacing import StopFlag
from press_control.ros.rclpy_internals import take


class DrainedGroup(CallbackGroup):
    """A callback group no executor runs: HotInputs take its subscriptions' messages."""

    def can_execute(self, entity) -> bool:
        return False

    def beginning_execution(self, entity) -> bool:
        return False

    def ending_execution(self, entity) -> None:
        pass


class HotInputs:
    """Subscriptions of `node` drained by one thread of their own every period_s."""

    def __init__(self, node, period_s: float = 0.01):
        """period_s None: no thread; the owner calls drain() from a loop of its own."""
        self.node = node
        self.group = DrainedGroup()
        self.period_s = period_s
        self.inputs = ()                      # replaced whole: drains read it unlocked
        self._lock = threading.Lock()
        self._draining = threading.Lock()    # one drain at a time keeps arrival order
        self._stop = StopFlag()
        self.thread = None
        if period_s is not None:
            self.thread = threading.Thread(target=self._drain_periodically,
                                           name=f"{node.get_name()}-inputs", daemon=True)
            self.thread.start()

    def add(self, message_type, topic: str, callback, depth: int = 100, qos=None,
            raw: bool = False) -> None:
        """Take `topic` here; qos defaults to KEEP_LAST(depth), volatile.

        raw: the callback gets the CDR bytes as they came (no Python message is built).
        """
        subscription = self.node.create_subscription(
            message_type, topic, callback,
            qos or QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=depth),
            callback_group=self.group, raw=raw)
        with self._lock:
            self.inputs += ((subscription, callback),)

    def drain(self) -> None:
        """Call the callbacks of every message waiting, topic by topic, in arrival order.

        Any thread may call it (e.g. to judge a heartbeat's age only after taking what has
        arrived); drains run one at a time.
        """
        with self._draining:
            for subscription, callback in self.inputs:
                while (message := take(subscription)) is not None:
                    callback(message)

    def _drain_periodically(self) -> None:
        while not self._stop.wait(self.period_s):
            try:
                self.drain()
            except Exception:           # noqa: BLE001 - destroyed while shutting down
                if self._stop.is_set() or not self.node.context.ok():
                    return
                raise

    def close(self) -> None:
        """Stop draining and destroy the subscriptions (a second call does nothing)."""
        if self._stop.is_set():
            return
        self._stop.set()
        if self.thread is not None:
            self.thread.join(timeout=2.0)
        with self._draining, self._lock:
            inputs, self.inputs = self.inputs, ()
        for subscription, _ in inputs:
            self.node.destroy_subscription(subscription)
