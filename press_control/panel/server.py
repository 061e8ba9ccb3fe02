"""The press panel's web server (aiohttp): page, live updates over WebSocket, two controls.

Routes:
* `GET /` — the page; `/static/...` its script, style and the vendored chart library.
* `GET /ws` — WebSocket: a full snapshot on connect, then at `push_rate_hz` what changed
  (new trace points, the current values, a new spectrum).
* `GET /api/state` — one full snapshot as JSON (for scripts and curl).
* `GET /api/runs` — the latest run records; `GET /runs/<run>/<file>` — their files.
* `POST /api/stop`, `POST /api/reset_handshake` — need `Authorization: Bearer <token>`:
  401 without or with a wrong token, 403 while the panel has no usable token; nothing is
  sent to the press unless the token matches.

The server runs its own asyncio loop on a thread; `actions` are blocking calls into ROS,
run off the loop.
"""
import asyncio
import json
import os
import threading

from aiohttp import WSMsgType, web

from press_control.panel.token import token_matches
from press_control.records.run_index import list_runs

STATIC = os.path.join(os.path.dirname(__file__), "static")
RUN_FILES = ("plot.png", "plot.svg", "summary.json", "samples.csv")


class PanelServer:
    """Serves a PanelModel on host:port; start() raises OSError if it cannot bind."""

    def __init__(self, model, actions, host: str = "127.0.0.1", port: int = 8080,
                 record_dir: str = "", token: str = "", token_problem: str = "",
                 push_rate_hz: float = 10.0, runs_shown: int = 10, log=print):
        self.model, self.actions = model, actions
        self.host, self.port = host, port
        self.record_dir = os.path.abspath(os.path.expanduser(record_dir)) if record_dir else ""
        self.token, self.token_problem = token, token_problem
        self.push_period_s = 1.0 / push_rate_hz
        self.runs_shown = runs_shown
        self.log = log
        self.clients = 0
        self.loop = asyncio.new_event_loop()
        self._runner = None
        self._thread = None

    # ---- life -------------------------------------------------------------------------
    def start(self) -> str:
        """Bind and serve; returns the address (http://host:port/)."""
        app = web.Application()
        app.router.add_get("/", self.page)
        app.router.add_static("/static", STATIC)
        app.router.add_get("/ws", self.websocket)
        app.router.add_get("/api/state", self.state)
        app.router.add_get("/api/runs", self.runs)
        app.router.add_get("/runs/{run}/{name}", self.run_file)
        app.router.add_post("/api/stop", self.control(self.actions.stop_goal))
        app.router.add_post("/api/reset_handshake", self.control(self.actions.reset_handshake))
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        self.loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, self.host, self.port)
        try:
            self.loop.run_until_complete(site.start())
        except OSError:
            self.loop.run_until_complete(self._runner.cleanup())
            raise
        self.port = self._runner.addresses[0][1]
        self._thread = threading.Thread(target=self.loop.run_forever, name="press-panel-web",
                                        daemon=True)
        self._thread.start()
        return self.address

    @property
    def address(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    def stop(self) -> None:
        if self._thread is None:
            return
        future = asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self.loop)
        try:
            future.result(timeout=5.0)
        except Exception:         # noqa: BLE001 - shutting down: a slow client is dropped
            pass
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=5.0)
        self._thread = None

    # ---- handlers ---------------------------------------------------------------------
    async def page(self, request):
        return web.FileResponse(os.path.join(STATIC, "index.html"),
                                headers={"Cache-Control": "no-cache"})

    async def state(self, request):
        return web.json_response(self._full(), dumps=_dumps)

    def _full(self) -> dict:
        snapshot = self.model.snapshot()
        snapshot["controls"] = {"enabled": bool(self.token), "problem": self.token_problem}
        return snapshot

    async def websocket(self, request):
        socket = web.WebSocketResponse(heartbeat=10.0)
        await socket.prepare(request)
        self.clients += 1
        sender = asyncio.ensure_future(self._push(socket))
        try:
            async for message in socket:        # the page sends nothing; this sees the close
                if message.type == WSMsgType.ERROR:
                    break
        finally:
            sender.cancel()
            self.clients -= 1
        return socket

    async def _push(self, socket) -> None:
        snapshot = self._full()
        snapshot["full"] = True
        try:
            while not socket.closed:
                await socket.send_str(_dumps(snapshot))
                await asyncio.sleep(self.push_period_s)
                snapshot = self.model.snapshot(snapshot["trace_last"],
                                               snapshot["spectrum_sequence"])
        except (ConnectionError, RuntimeError):
            pass                                 # the browser went away

    async def runs(self, request):
        rows = []
        if self.record_dir:
            for folder, summary in list_runs(self.record_dir)[:self.runs_shown]:
                name = os.path.basename(folder)
                rows.append({
                    "run": name, "cell_id": summary.get("cell_id"),
                    "preset": (summary.get("goal") or {}).get("preset") or "custom",
                    "status": summary.get("status"), "started": summary.get("started"),
                    "peak_mpa": summary.get("peak_mpa"),
                    "final_interface_resistance_ohm":
                        summary.get("final_interface_resistance_ohm"),
                    "files": [f for f in RUN_FILES if os.path.exists(os.path.join(folder, f))]})
        return web.json_response({"record_dir": self.record_dir, "runs": rows}, dumps=_dumps)

    async def run_file(self, request):
        run, name = request.match_info["run"], request.match_info["name"]
        if not self.record_dir or name not in RUN_FILES or "/" in run or run.startswith("."):
            raise web.HTTPNotFound()
        path = os.path.join(self.record_dir, run, name)
        if not os.path.isfile(path):
            raise web.HTTPNotFound()
        return web.FileResponse(path)

    def control(self, action):
        async def handler(request):
            if not self.token:
                return web.json_response({"ok": False, "message": "controls are disabled: "
                                          + (self.token_problem or "no token")}, status=403)
            if not token_matches(self.token, request.headers.get("Authorization", "")):
                return web.json_response({"ok": False, "message": "a valid control token is "
                                          "needed (Authorization: Bearer <token>)"},
                                         status=401)
            ok, message = await self.loop.run_in_executor(None, action)
            self.log(f"panel control {request.path}: {'done' if ok else 'failed'}: {message}")
            return web.json_response({"ok": ok, "message": message},
                                     status=200 if ok else 409)
        return handler


def _dumps(value) -> str:
    return json.dumps(value, allow_nan=False, separators=(",", ":"))
