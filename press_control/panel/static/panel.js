// press panel: live state over a WebSocket, charts with uPlot, two token-guarded controls.
"use strict";

const $ = (id) => document.getElementById(id);
const WINDOW_S = 300;
const trace = { t: [], p: [], sp: [], seg: [] };
let traceChart = null;
let nyquistChart = null;
let socket = null;

function fmt(value, digits) {
  return value === null || value === undefined ? "–" : Number(value).toFixed(digits);
}

function setText(id, text) {
  const element = $(id);
  if (element.textContent !== text) element.textContent = text;
}

// ---- charts -------------------------------------------------------------------------
function chartWidth(element) {
  return Math.max(280, element.clientWidth - 10);
}

function segmentBands(u) {
  const ctx = u.ctx;
  const { left, top, width, height } = u.bbox;
  let start = 0;
  for (let i = 1; i <= trace.t.length; i++) {
    if (i < trace.t.length && trace.seg[i] === trace.seg[start]) continue;
    const segment = trace.seg[start];
    if (segment !== null && segment !== undefined) {
      const x0 = Math.max(left, u.valToPos(trace.t[start], "x", true));
      const x1 = Math.min(left + width, u.valToPos(trace.t[i - 1], "x", true));
      if (x1 > x0) {
        ctx.fillStyle = segment % 2 ? "rgba(255,152,0,0.18)" : "rgba(255,152,0,0.08)";
        ctx.fillRect(x0, top, x1 - x0, height);
        ctx.fillStyle = "#7a4a00";
        ctx.font = `${Math.round(11 * devicePixelRatio)}px sans-serif`;
        ctx.fillText(`${segment + 1}`, x0 + 3, top + 14 * devicePixelRatio);
      }
    }
    start = i;
  }
}

function makeTraceChart() {
  const element = $("trace");
  traceChart = new uPlot({
    width: chartWidth(element), height: 260,
    scales: { x: { time: false } },
    series: [
      { label: "t [s]" },
      { label: "pressure [MPa]", stroke: "#1565c0", width: 2 },
      { label: "setpoint [MPa]", stroke: "#757575", dash: [6, 4] },
    ],
    axes: [{ label: "time [s]" }, { label: "MPa" }],
    hooks: { drawClear: [segmentBands] },
  }, [trace.t, trace.p, trace.sp], element);
}

function makeNyquistChart() {
  const element = $("nyquist");
  nyquistChart = new uPlot({
    mode: 2, width: chartWidth(element), height: 260,
    scales: { x: { time: false }, y: {} },
    legend: { live: false },
    series: [
      {},
      { label: "-Z'' vs Z'", stroke: "#c62828", width: 1.5, points: { show: true, size: 5 },
        facets: [{ scale: "x", auto: true }, { scale: "y", auto: true }] },
    ],
    axes: [{ label: "Z' [Ω]" }, { label: "-Z'' [Ω]" }],
  }, [null, [[], []]], element);
}

function addTrace(rows) {
  for (const [t, p, sp, seg] of rows) {
    trace.t.push(t); trace.p.push(p); trace.sp.push(sp); trace.seg.push(seg);
  }
  const newest = trace.t.length ? trace.t[trace.t.length - 1] : 0;
  let drop = 0;
  while (drop < trace.t.length && trace.t[drop] < newest - WINDOW_S) drop++;
  if (drop) for (const key of Object.keys(trace)) trace[key].splice(0, drop);
  if (traceChart && rows.length) traceChart.setData([trace.t, trace.p, trace.sp]);
}

function showSpectrum(spectrum) {
  const xs = spectrum.z_real_ohm;
  const ys = spectrum.z_imag_ohm.map((z) => (z === null ? null : -z));
  if (nyquistChart) nyquistChart.setData([null, [xs, ys]]);
  $("nyquist").dataset.points = String(xs.length);
  const fit = spectrum.fit_ok
    ? `R_interface ${fmt(spectrum.interface_resistance_ohm, 1)} ± ` +
      `${fmt(spectrum.interface_resistance_std_ohm, 1)} Ω (${spectrum.model})`
    : `no interface resistance: ${spectrum.fit_reason || "no fit"}`;
  setText("nyquist-caption", `cell ${spectrum.cell_id || "–"}: ${xs.length} points, ` +
          `${fmt(spectrum.frequency_hz[0], 0)} Hz to ` +
          `${fmt(spectrum.frequency_hz[xs.length - 1], 2)} Hz; ${fit}`);
}

// ---- campaign -----------------------------------------------------------------------
let campaignObjectiveChart = null;
let campaignParetoChart = null;

function makeCampaignCharts() {
  const objective = $("campaign-objective");
  campaignObjectiveChart = new uPlot({
    width: chartWidth(objective), height: 220, scales: { x: { time: false } },
    series: [
      { label: "cell" },
      { label: "objective", stroke: "#1565c0", width: 0, points: { show: true, size: 6 } },
      { label: "best so far", stroke: "#000", width: 1.5, points: { show: false } },
    ],
    axes: [{ label: "cell" }, { label: "first objective" }],
  }, [[], [], []], objective);
  const pareto = $("campaign-pareto");
  campaignParetoChart = new uPlot({
    mode: 2, width: chartWidth(pareto), height: 220,
    scales: { x: { time: false }, y: {} }, legend: { live: false },
    series: [
      {},
      { label: "cells", stroke: "#1565c0", width: 0, points: { show: true, size: 5 },
        facets: [{ scale: "x", auto: true }, { scale: "y", auto: true }] },
      { label: "Pareto front", stroke: "#000", width: 1.5, points: { show: true, size: 7 },
        facets: [{ scale: "x", auto: true }, { scale: "y", auto: true }] },
    ],
    axes: [{ label: "objective 1" }, { label: "objective 2" }],
  }, [null, [[], []], [[], []]], pareto);
}

function describe(names, values, digits) {
  return names.map((n, i) => `${n} ${fmt(values[i], digits)}`).join(", ");
}

function showCampaign(campaign) {
  const cells = (campaign && campaign.cells) || [];
  if (!cells.length) return;
  const told = cells.filter((c) => c.state !== "RUNNING");
  const running = cells.filter((c) => c.state === "RUNNING");
  setText("campaign-progress", `${told.length} of ${campaign.planned} cells`);
  const next = running[running.length - 1];
  setText("campaign-next", next ? `${next.cell_id}: ` +
          describe(next.parameter_names, next.parameters, 4) : "–");
  const best = new Set(campaign.best || []);
  const rows = cells.map((c) => {
    const verdict = c.state === "RUNNING" ? "in the press" : c.state === "FAIL" ? "failed"
      : c.feasible ? (best.has(c.cell_id) ? "feasible, best" : "feasible") : "infeasible";
    return `<tr><td>${escapeHtml(c.cell_id)}</td><td>${escapeHtml(c.press)}</td>` +
      `<td>${escapeHtml(describe(c.parameter_names, c.parameters, 4))}</td>` +
      `<td>${escapeHtml(describe(c.objective_names, c.objectives, 4))}</td>` +
      `<td title="${escapeHtml(c.reason || "")}">${verdict}</td></tr>`;
  });
  const body = $("campaign-cells").querySelector("tbody");
  const html = rows.join("");
  if (body.innerHTML !== html) body.innerHTML = html;
  const measured = told.filter((c) => c.objectives.length);
  const xs = [], ys = [], bestLine = [];
  let bestSoFar = null;
  told.forEach((c, i) => {
    xs.push(i + 1);
    ys.push(c.objectives.length ? c.objectives[0] : null);
    if (c.feasible && c.objectives.length &&
        (bestSoFar === null || c.objectives[0] < bestSoFar)) bestSoFar = c.objectives[0];
    bestLine.push(bestSoFar);
  });
  if (campaignObjectiveChart) campaignObjectiveChart.setData([xs, ys, bestLine]);
  $("campaign-objective").dataset.points = String(measured.length);
  if (campaignParetoChart && measured.length && measured[0].objectives.length >= 2) {
    const front = measured.filter((c) => best.has(c.cell_id))
      .sort((a, b) => a.objectives[0] - b.objectives[0]);
    campaignParetoChart.setData([null, [measured.map((c) => c.objectives[0]),
                                        measured.map((c) => c.objectives[1])],
                                 [front.map((c) => c.objectives[0]),
                                  front.map((c) => c.objectives[1])]]);
    $("campaign-pareto").dataset.points = String(front.length);
  }
}

// ---- cards --------------------------------------------------------------------------
function showState(s) {
  const press = s.press || {};
  setText("pressure", fmt(press.pressure_mpa, 1));
  setText("setpoint", fmt(press.setpoint_mpa, 1));
  setText("mode", press.mode_name || "–");
  setText("die", press.die_id || "–");
  setText("force", fmt(press.force_kn, 1));
  setText("temperature", fmt(press.platen_temperature_c, 1));
  setText("press-fault", press.fault_code ? `fault ${press.fault_code}: ${press.fault_text}` :
          (press.connected === false ? "press not connected" : ""));

  const goal = s.goal || {};
  if (goal.active) {
    setText("goal-cell", goal.cell_id || "–");
    setText("goal-preset", goal.preset || "custom");
    setText("goal-segment", `${goal.segment_index + 1} of ${goal.segment_count} ` +
            `(${goal.segment_type_name})`);
    setText("goal-phase", goal.phase || "");
    setText("goal-remaining", fmt(goal.remaining_s, 0));
    setText("goal-elapsed", fmt(goal.elapsed_s, 0));
  } else {
    for (const id of ["goal-cell", "goal-preset", "goal-segment", "goal-remaining",
                      "goal-elapsed"]) setText(id, "–");
    setText("goal-phase", "no goal running");
  }
  const last = s.last_result || {};
  setText("goal-last", last.outcome ? `last: ${last.cell_id || ""} ${last.outcome}` +
          (last.reason ? ` – ${last.reason}` : "") : "");

  const handling = s.handling || {};
  setText("handshake-state", handling.state_name || "–");
  setText("handshake-cell", handling.cell_id || "–");
  setText("handshake-reason", handling.reason || "");
  const arm = s.arm || {};
  setText("arm", arm.arm_id ? `${arm.arm_id}: ${arm.in_workspace ? "IN workspace" : "clear"}` +
          `, heartbeat ${fmt(s.now_s - arm.received_s, 1)} s ago` : "no heartbeat");

  const health = s.interface || {};
  setText("impedance", fmt(health.impedance_ohm, 1));
  setText("r-interface", health.interface_resistance_ohm === null ||
          health.interface_resistance_ohm === undefined ? "–" :
          `${fmt(health.interface_resistance_ohm, 1)} ± ` +
          `${fmt(health.interface_resistance_std_ohm, 1)}`);
  setText("density", fmt(health.relative_density, 3));
  setText("events", (s.events || []).map((e) => e.name).join(", ") || "none");

  const list = $("diagnostics");
  const items = (s.diagnostics || []).map(
    (d) => `<li class="level-${d.level}">${escapeHtml(d.name)}: ${escapeHtml(d.message)}</li>`);
  const html = items.join("");
  if (list.innerHTML !== html) list.innerHTML = html;

  showCampaign(s.campaign);

  if (s.controls) {
    setText("controls-problem", s.controls.enabled ? "" :
            `controls disabled: ${s.controls.problem}`);
  }
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

async function loadRuns() {
  try {
    const reply = await fetch("/api/runs");
    const body = await reply.json();
    $("runs").querySelector("tbody").innerHTML = body.runs.map((r) => {
      const links = r.files.map(
        (f) => `<a href="/runs/${encodeURIComponent(r.run)}/${f}" target="_blank">${f}</a>`);
      return `<tr><td>${escapeHtml((r.started || "").slice(0, 19).replace("T", " "))}</td>` +
        `<td>${escapeHtml(r.cell_id)}</td><td>${escapeHtml(r.preset)}</td>` +
        `<td>${escapeHtml(r.status)}</td><td>${fmt(r.peak_mpa, 1)}</td>` +
        `<td>${fmt(r.final_interface_resistance_ohm, 1)}</td><td>${links.join(" ")}</td></tr>`;
    }).join("");
  } catch (error) {
    // the next refresh tries again
  }
}

// ---- live updates -------------------------------------------------------------------
function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  socket = new WebSocket(`${scheme}://${location.host}/ws`);
  socket.onopen = () => { $("link").textContent = "live"; $("link").className = "badge ok"; };
  socket.onclose = () => {
    $("link").textContent = "disconnected – retrying"; $("link").className = "badge bad";
    setTimeout(connect, 1000);
  };
  socket.onmessage = (event) => {
    const s = JSON.parse(event.data);
    if (s.full) for (const key of Object.keys(trace)) trace[key].length = 0;
    addTrace(s.trace || []);
    if (s.spectrum) showSpectrum(s.spectrum);
    showState(s);
    document.body.dataset.updates = String(Number(document.body.dataset.updates || 0) + 1);
  };
}

// ---- controls -----------------------------------------------------------------------
async function control(path) {
  const token = $("token").value.trim();
  sessionStorage.setItem("press_panel_token", token);
  const headers = token ? { Authorization: `Bearer ${token}` } : {};
  try {
    const reply = await fetch(path, { method: "POST", headers });
    const body = await reply.json();
    $("control-result").textContent = `${reply.status}: ${body.message}`;
  } catch (error) {
    $("control-result").textContent = `failed: ${error}`;
  }
}

function start() {
  const fromUrl = new URLSearchParams(location.hash.slice(1)).get("token");
  $("token").value = fromUrl || sessionStorage.getItem("press_panel_token") || "";
  if (fromUrl) history.replaceState(null, "", location.pathname);
  $("stop").onclick = () => control("/api/stop");
  $("reset").onclick = () => control("/api/reset_handshake");
  if (typeof uPlot === "undefined") {
    $("trace").textContent = "chart library missing (scripts/setup.sh installs uPlot)";
  } else {
    makeTraceChart();
    makeNyquistChart();
    makeCampaignCharts();
    window.addEventListener("resize", () => {
      traceChart.setSize({ width: chartWidth($("trace")), height: 260 });
      nyquistChart.setSize({ width: chartWidth($("nyquist")), height: 260 });
    });
  }
  connect();
  loadRuns();
  setInterval(loadRuns, 5000);
}

start();
