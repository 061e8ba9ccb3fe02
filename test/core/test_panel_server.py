"""The panel's web server over real HTTP and WebSocket (aiohttp's own client as the peer)."""
import asyncio
import json
import os
import time

import aiohttp
import pytest

from press_control.panel.model import PanelModel
from press_control.panel.server import PanelServer
from press_control.records.run_record import RunRecord

TOKEN = "a-test-token-of-some-length"


class Actions:
    """Stands in for the ROS calls; counts what reached it."""

    def __init__(self):
        self.calls = []

    def stop_goal(self):
        self.calls.append("stop")
        return True, "goal canceled"

    def reset_handshake(self):
        self.calls.append("reset")
        return False, "nothing to reset"


@pytest.fixture
def served(tmp_path):
    servers = []

    def serve(token=TOKEN, problem=""):
        model, actions = PanelModel(), Actions()
        server = PanelServer(model, actions, port=0, record_dir=str(tmp_path / "runs"),
                             token=token, token_problem=problem, push_rate_hz=10.0)
        server.start()
        servers.append(server)
        return server, model, actions
    yield serve
    for server in servers:
        server.stop()


def _request(method, url, **kwargs):
    async def go():
        async with aiohttp.ClientSession() as session:
            async with session.request(method, url, **kwargs) as reply:
                return reply.status, await reply.read()
    return asyncio.run(go())


def test_controls_need_the_token_and_nothing_is_sent_without_it(served):
    server, _, actions = served()
    url = server.address + "api/stop"
    assert _request("POST", url)[0] == 401
    assert _request("POST", url, headers={"Authorization": "Bearer wrong-token"})[0] == 401
    assert actions.calls == []
    status, body = _request("POST", url, headers={"Authorization": f"Bearer {TOKEN}"})
    assert status == 200 and json.loads(body)["message"] == "goal canceled"
    status, body = _request("POST", server.address + "api/reset_handshake",
                            headers={"Authorization": f"Bearer {TOKEN}"})
    assert status == 409 and json.loads(body) == {"ok": False, "message": "nothing to reset"}
    assert actions.calls == ["stop", "reset"]


def test_without_a_usable_token_the_panel_is_read_only(served):
    server, _, actions = served(token="", problem="token file mode 644")
    status, body = _request("POST", server.address + "api/stop",
                            headers={"Authorization": "Bearer anything-at-all-here"})
    assert status == 403 and "mode 644" in json.loads(body)["message"]
    assert actions.calls == []
    state = json.loads(_request("GET", server.address + "api/state")[1])
    assert state["controls"] == {"enabled": False, "problem": "token file mode 644"}


def test_several_browsers_get_a_full_snapshot_then_pushed_updates(served):
    server, model, _ = served()

    async def watch(session, seconds):
        messages = []
        async with session.ws_connect(server.address.replace("http", "ws") + "ws") as socket:
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                message = await socket.receive(timeout=5)
                messages.append(json.loads(message.data))
        return messages

    async def run():
        async with aiohttp.ClientSession() as session:
            watchers = [asyncio.ensure_future(watch(session, 2.0)) for _ in range(3)]
            for step in range(40):
                model.on_press(pressure_mpa=float(step), setpoint_mpa=10.0)
                await asyncio.sleep(0.05)
            return await asyncio.gather(*watchers)
    for messages in asyncio.run(run()):
        assert messages[0]["full"] is True
        assert len(messages) >= 5                           # 10 Hz configured
        pressures = [row[1] for m in messages for row in m["trace"]]
        assert pressures == sorted(pressures) and len(set(pressures)) == len(pressures)
        assert messages[-1]["press"]["pressure_mpa"] >= 30.0


def test_runs_and_their_files_are_served_and_nothing_else(served, tmp_path):
    server, _, _ = served()
    record = RunRecord(str(tmp_path / "runs"), "cell-9", {"preset": "demo_cell"})
    record.finish({"outcome": "SUCCEEDED", "peak_mpa": 40.0})
    assert record.wait_for_plot()
    runs = json.loads(_request("GET", server.address + "api/runs")[1])["runs"]
    assert [r["cell_id"] for r in runs] == ["cell-9"]
    assert {"plot.png", "summary.json"} <= set(runs[0]["files"])
    status, body = _request("GET", f"{server.address}runs/{runs[0]['run']}/plot.png")
    assert status == 200 and body.startswith(b"\x89PNG")
    for path in (f"runs/{runs[0]['run']}/bag", "runs/..%2F..%2Fetc/passwd",
                 "runs/%2E%2E/summary.json"):
        assert _request("GET", server.address + path)[0] == 404, path
    assert os.path.isdir(record.folder)


def test_a_busy_port_is_an_error_at_start(served):
    server, _, _ = served()
    other = PanelServer(PanelModel(), Actions(), port=server.port)
    with pytest.raises(OSError):
        other.start()
