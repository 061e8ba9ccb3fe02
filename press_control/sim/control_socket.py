"""The simulator's control socket: inject faults, read the true state (JSON over a Unix socket).

Tests and the bench use the true state as their oracle; `press_sim inject` uses the client.
"""
import json
import os
import socket
import threading

CONTROL_SOCKET = "control.sock"
CLIENT_TIMEOUT_S = 5.0      # a client that connects and sends nothing is dropped after it


def serve_control(simulator, path: str, stop: threading.Event) -> None:
    """Answer inject and truth requests on the Unix socket at path until stop is set."""
    if os.path.exists(path):
        os.unlink(path)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(4)
    server.settimeout(0.2)
    while not stop.is_set():
        try:
            connection, _ = server.accept()
        except socket.timeout:
            continue
        with connection:
            connection.settimeout(CLIENT_TIMEOUT_S)
            try:
                _answer(simulator, connection)
            except OSError:
                pass            # the client hung up or went quiet: it gets no reply
    server.close()
    os.unlink(path)


def _answer(simulator, connection) -> None:
    try:
        request = json.loads(connection.recv(4096).decode())
        if request.get("fault") == "truth":
            reply = {"ok": True, "truth": simulator.truth()}
        else:
            reply = {"ok": True, "done": simulator.inject(request["fault"],
                                                          request.get("value"))}
    except (KeyError, ValueError, TypeError, AttributeError) as error:
        reply = {"ok": False, "error": str(error)}
    connection.sendall(json.dumps(reply).encode())


def inject(directory: str, fault: str, value=None) -> dict:
    """Send one fault to the simulator running in `directory`."""
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.connect(os.path.join(directory, CONTROL_SOCKET))
    with client:
        client.sendall(json.dumps({"fault": fault, "value": value}).encode())
        reply = b""
        while not reply.endswith(b"}"):
            chunk = client.recv(65536)
            if not chunk:
                break
            reply += chunk
        return json.loads(reply.decode())
