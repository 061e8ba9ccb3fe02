"""No exception in a callback ends a node: wrap callbacks so failures are logged instead."""
import functools
import traceback


def guarded(node, callback, on_error=None):
    """callback, except that an exception is logged and on_error(error, *args) answers.

    Without on_error the callback returns None after a failure (subscriptions, timers).
    """
    @functools.wraps(callback)
    def run(*args):
        try:
            return callback(*args)
        except Exception as error:      # noqa: B902 - the node must outlive any bug
            node.get_logger().error(f"{callback.__name__} failed: {type(error).__name__}: "
                                    f"{error}\n{traceback.format_exc()}")
            return on_error(error, *args) if on_error is not None else None
    return run


def guarded_service(node, callback, fill):
    """A guarded service callback; fill(response, text) marks the response as failed."""
    def failed(error, request, response):
        fill(response, f"internal error in {callback.__name__}: {type(error).__name__}: "
                       f"{error}")
        return response
    return guarded(node, callback, failed)
