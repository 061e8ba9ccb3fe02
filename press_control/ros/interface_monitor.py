"""interface_monitor: impedance, EIS fits, densification and interface events.

Publishes interface/health (InterfaceHealth) at health_rate_hz, interface/events
(InterfaceEvent), every EIS sweep on interface/spectrum (ImpedanceSpectrum, latched) and
/diagnostics; service interface/sweep (std_srvs/Trigger) runs an EIS
sweep now. A missing or misbehaving analyzer keeps the node running: it says so on
/diagnostics, raises instrument_fault and retries.
"""
import math
import sys
import threading
import time

from rclpy.callback_groups import ReentrantCallbackGroup
from rclpy.node import Node
from std_msgs.msg import Bool
from std_srvs.srv import Trigger

from press_control.ros.qos import LATCHED
from press_control.analysis.eis_fit import SpectrumFitter, area_specific_ohm_cm2
from press_control.analysis.densification import Sample, heckel_fit
from press_control.analysis.die_calibration import DieCalibrations
from press_control.analysis.events import EventDetector, EventThresholds, Inputs
from press_control.control.materials import elastic_modulus_mpa
from press_control.hardware.transports import line_for
from press_control.hardware.impedance_analyzer import (APERTURE_S, AnalyzerError,
                                                       ImpedanceAnalyzer, log_frequencies,
                                                       magnitude_phase)
from press_control.ros.diagnostics import LEVEL_ERROR, LEVEL_OK, DiagnosticsPort
from press_control.ros.hot_input import HotInputs
from press_control.pacing import ThreadTimer
from press_control.ros.guard import guarded, guarded_service
from press_control.ros.parameters import MONITOR_PARAMETERS, ConfigError, declare
from press_control.ros.spin import spin_node
from press_control_interfaces.msg import (CellStack, HandlingState, ImpedanceSpectrum,
                                          InterfaceEvent, InterfaceHealth, PressState)

# How often each topic goes out (docs/interfaces.md shows this table).
PUBLISH_RATES = {"interface/health": "`health_rate_hz`",
                 "interface/events": "when an event is raised or cleared",
                 "interface/spectrum": "after every EIS sweep (`sweep_period_s`, and on request)",
                 "/diagnostics": "1 Hz"}
MAX_PHYSICAL_OHM = 1.0e9


INTERNAL_FAULT_HOLD_S = 5.0      # an unexpected loop failure shows as a fault this long


def _fill_failed_sweep(response, text):
    response.success, response.message = False, text


class InterfaceMonitorNode(Node):
    """Watches the electrode/electrolyte interface of the cell in the press."""

    def __init__(self, **kwargs):
        super().__init__("interface_monitor", **kwargs)
        self.config = declare(self, MONITOR_PARAMETERS)
        if self.config.sweep_aperture not in APERTURE_S:
            raise ConfigError(f"sweep_aperture '{self.config.sweep_aperture}' is not one of "
                              f"{', '.join(APERTURE_S)}")
        self.analyzer = ImpedanceAnalyzer(line_for(self.config.lcr_port, self.config.lcr_baud),
                                          self.config.lcr_timeout_s)
        self.detector = EventDetector(EventThresholds(
            contact_below_ohm=self.config.contact_below_ohm,
            contact_clear_above_ohm=1.5 * self.config.contact_below_ohm,
            short_below_ohm=self.config.short_below_ohm,
            short_clear_above_ohm=2 * self.config.short_below_ohm,
            debounce_s=self.config.event_debounce_s))
        self.lock = threading.Lock()
        self.state = None
        self.stack = None
        self.cell_id = self.config.cell_id
        self.cycling = self.config.cycling
        self.z = math.nan + 0j
        self.fitter = SpectrumFitter()
        self._new_cell = threading.Event()
        self.fit = None
        self.fit_stamp = None
        self.fit_began_s = math.nan      # time.monotonic() when the fit's sweep began
        self.fit_time_s = math.nan
        self.heckel = None
        self._ramp = []
        self.die_calibrations = DieCalibrations(self.config.die_calibration_dir)
        self.non_physical = 0
        self.unfitted = 0                # sweeps whose interface resistance was not determined
        self.loop_errors = 0             # unexpected exceptions in the instrument loop
        self._faulted_until = 0.0
        self._last_error = ""
        self.sweeps = 0
        self._sweep_requested = threading.Event()
        self._stop = threading.Event()
        group = ReentrantCallbackGroup()
        self.health_publisher = self.create_publisher(InterfaceHealth, "interface/health", 10)
        self.event_publisher = self.create_publisher(InterfaceEvent, "interface/events", 50)
        self.spectrum_publisher = self.create_publisher(ImpedanceSpectrum, "interface/spectrum",
                                                        LATCHED)
        self.diagnostics = DiagnosticsPort(self, "analyzer")
        # The press state is sampled at 20 Hz, the latest message only: health goes out at
        # 2 Hz and a Heckel fit needs tens of points per ramp, not the driver's 100 Hz.
        self.hot_inputs = HotInputs(self, period_s=0.05)
        self.hot_inputs.add(PressState, "state", guarded(self, self.on_state), depth=1)
        self.hot_inputs.add(HandlingState, "handling/state", guarded(self, self.on_handling),
                            qos=LATCHED)
        self.hot_inputs.add(Bool, "interface/cycling", guarded(self, self.on_cycling), depth=10)
        self.hot_inputs.add(CellStack, "cell/stack", guarded(self, self.on_stack), qos=LATCHED)
        self.create_service(Trigger, "interface/sweep", guarded_service(
            self, self.on_sweep, _fill_failed_sweep), callback_group=group)
        # Periodic output on threads of their own: the executor then wakes only for the
        # sweep service (and parameter services), not five times a second.
        self.periodic = [
            ThreadTimer(1.0 / self.config.health_rate_hz, guarded(self, self.publish_health),
                        "monitor-health", alive=self.context.ok),
            ThreadTimer(1.0, guarded(self, self.publish_diagnostics), "monitor-diagnostics",
                        alive=self.context.ok)]
        self._thread = threading.Thread(target=self._instrument_loop, name="lcr", daemon=True)
        self._thread.start()

    def destroy_node(self):
        for timer in self.periodic:
            timer.close()
        self.hot_inputs.close()
        self._stop.set()
        self._thread.join(timeout=5.0)
        self.analyzer.close()
        super().destroy_node()

    # ---- inputs ------------------------------------------------------------------------
    def on_state(self, message: PressState) -> None:
        with self.lock:
            self.state = message
            density = self.density_of(message)
            if message.mode == PressState.MODE_RAMP and math.isfinite(density):
                self._ramp.append((message.pressure_mpa, density))
            elif len(self._ramp) >= 10:
                pressures, densities = zip(*self._ramp)
                self.heckel = heckel_fit(pressures, densities) or self.heckel
                self._ramp = []

    def on_handling(self, message: HandlingState) -> None:
        if message.cell_id and message.cell_id != self.cell_id:
            self.cell_id = message.cell_id
            self.detector.reset_cell()
            self.fit = None                  # the last cell's fit is not this cell's
            self._new_cell.set()

    def on_stack(self, message: CellStack) -> None:
        """The running goal's electrolyte mass and density: the density needs them."""
        self.stack = message

    def on_cycling(self, message: Bool) -> None:
        self.cycling = message.data

    def on_sweep(self, request, response):
        if not self.analyzer.connected:
            response.success, response.message = False, "impedance analyzer not connected"
            return response
        self._sweep_requested.set()
        response.success, response.message = True, "sweep queued"
        return response

    def thickness_of(self, state) -> float:
        """The sample's thickness through the installed die's calibration (NaN without)."""
        if state is None or not state.connected or not state.die_id:
            return math.nan
        calibration, _ = self.die_calibrations.get(state.die_id)
        if calibration is None:
            return math.nan
        return calibration.thickness_mm(state.platen_position_mm, state.force_kn)

    def density_of(self, state) -> float:
        if state is None or not state.connected or not state.die_area_mm2:
            return math.nan
        stack = self.stack
        if stack is None or not (stack.electrolyte_mass_mg > 0 and
                                 stack.true_density_g_cm3 > 0):
            return math.nan                   # the goal did not say what is in the die
        modulus = self.config.elastic_modulus_mpa or elastic_modulus_mpa(stack.electrolyte)
        sample = Sample(stack.electrolyte_mass_mg, stack.true_density_g_cm3,
                        state.die_area_mm2, modulus)
        return sample.relative_density(sample.plastic_thickness_mm(self.thickness_of(state),
                                                                   state.force_kn))

    # ---- the instrument ----------------------------------------------------------------
    def _instrument_loop(self) -> None:
        next_sweep = time.monotonic()
        while not self._stop.is_set():
            if not self.analyzer.connected:
                try:
                    identity = self.analyzer.connect(self.config.test_level_v)
                    self.get_logger().info(f"impedance analyzer: {identity}")
                except AnalyzerError as error:
                    self._last_error = str(error)
                    self._stop.wait(self.config.reconnect_backoff_s)
                    continue
            try:
                period = self.config.sweep_period_s
                if self._sweep_requested.is_set() or (period > 0 and
                                                      time.monotonic() >= next_sweep):
                    self._sweep_requested.clear()
                    self._sweep()
                    next_sweep = time.monotonic() + period
                self._single()
            except AnalyzerError as error:
                self._last_error = str(error)
                self.get_logger().warning(f"impedance analyzer: {error}")
                if not self.analyzer.connected:
                    self.z = math.nan + 0j
            except Exception as error:      # noqa: B902 - report it and carry on
                self.loop_errors += 1
                self._last_error = f"{type(error).__name__}: {error}"
                self._faulted_until = time.monotonic() + INTERNAL_FAULT_HOLD_S
                self.get_logger().error(f"instrument loop: {self._last_error}")
            self._stop.wait(self.config.single_period_s)

    def _single(self) -> None:
        z = self.analyzer.measure(self.config.frequency_hz)
        if not (math.isfinite(abs(z)) and 0 < z.real < MAX_PHYSICAL_OHM):
            self.non_physical += 1
            return
        self.z = z

    def _sweep(self) -> None:
        frequencies = log_frequencies(self.config.sweep_start_hz, self.config.sweep_stop_hz,
                                      self.config.points_per_decade)
        sweep_began = self.get_clock().now().to_msg()    # what a fit shows is no newer
        began_s = time.monotonic()
        impedances = self.analyzer.sweep(frequencies, self.config.sweep_aperture)
        if self._new_cell.is_set():
            self._new_cell.clear()
            self.fitter.forget()
        area_mm2 = self._die_area_mm2()
        started = time.perf_counter()
        fit = self.fitter.fit(frequencies, impedances,
                              area_mm2 / 100.0 if math.isfinite(area_mm2) else 1.0)
        self.fit_time_s = time.perf_counter() - started
        if fit.ok:
            self.fit, self.fit_stamp, self.fit_began_s = fit, sweep_began, began_s
        else:
            self.unfitted += 1
            self.get_logger().warning(f"EIS sweep {self.sweeps + 1}: no interface resistance: "
                                      f"{fit.reason}")
        self.spectrum_publisher.publish(self._spectrum_message(
            sweep_began, frequencies, impedances, fit, area_mm2))
        self.sweeps += 1          # last: whoever sees the count also sees this sweep's fit

    def _die_area_mm2(self) -> float:
        """The installed die's area; NaN before the driver has said (capacitances per cm^2)."""
        with self.lock:
            state = self.state
        return state.die_area_mm2 if state and state.die_area_mm2 > 0 else math.nan

    # ---- outputs -----------------------------------------------------------------------
    def _spectrum_message(self, began, frequencies, impedances, fit, area_mm2):
        message = ImpedanceSpectrum(cell_id=self.cell_id, fit_ok=bool(fit.ok),
                                    model=fit.model, fit_reason=fit.reason,
                                    frequency_hz=[float(f) for f in frequencies],
                                    z_real_ohm=[float(z.real) for z in impedances],
                                    z_imag_ohm=[float(z.imag) for z in impedances])
        message.header.stamp = began
        message.interface_resistance_ohm = float(fit.interface_ohm)
        message.interface_resistance_std_ohm = float(fit.interface_std_ohm)
        message.interface_asr_ohm_cm2 = float(area_specific_ohm_cm2(fit.interface_ohm,
                                                                    area_mm2))
        message.interface_capacitance_f = float(fit.interface_capacitance_f)
        message.bulk_resistance_ohm = float(fit.bulk_ohm)
        message.grain_boundary_resistance_ohm = float(fit.grain_boundary_ohm)
        message.rms_relative_residual = float(fit.rms_relative_residual)
        message.chi_squared = float(fit.chi_squared)
        return message

    def publish_health(self) -> None:
        with self.lock:
            state = self.state
        now = self.get_clock().now()
        health = InterfaceHealth(cell_id=self.cell_id,
                                 instrument_connected=self.instrument_ok(),
                                 frequency_hz=self.config.frequency_hz)
        health.header.stamp = now.to_msg()
        magnitude, phase = magnitude_phase(self.z) if math.isfinite(abs(self.z)) \
            else (math.nan, math.nan)
        health.impedance_ohm, health.phase_deg = magnitude, phase
        began_s = self.fit_began_s       # read first: never newer than the fit read next
        fit = self.fit
        health.interface_resistance_ohm = fit.interface_ohm if fit else math.nan
        health.interface_resistance_std_ohm = fit.interface_std_ohm if fit else math.nan
        health.interface_asr_ohm_cm2 = area_specific_ohm_cm2(
            health.interface_resistance_ohm, state.die_area_mm2 if state else math.nan)
        health.bulk_resistance_ohm = fit.bulk_ohm if fit else math.nan
        if self.fit_stamp is not None:
            health.fit_stamp = self.fit_stamp
        density = self.density_of(state)
        health.relative_density = density
        health.porosity = 1.0 - density if math.isfinite(density) else math.nan
        health.thickness_mm = self.thickness_of(state)
        heckel = self.heckel
        health.heckel_k_per_mpa = heckel.k_per_mpa if heckel else math.nan
        health.heckel_a = heckel.a if heckel else math.nan
        health.heckel_r2 = heckel.r2 if heckel else math.nan
        health.stack_pressure_mpa = state.pressure_mpa if state else math.nan
        events = self.detector.update(Inputs(
            time_s=time.monotonic(), impedance_ohm=magnitude,
            interface_resistance_ohm=health.interface_resistance_ohm,
            stack_pressure_mpa=health.stack_pressure_mpa,
            setpoint_mpa=state.setpoint_mpa if state else math.nan,
            holding=bool(state and state.mode == PressState.MODE_HOLD), cycling=self.cycling,
            relative_density=density, instrument_ok=self.instrument_ok(),
            interface_measured_s=began_s if fit else math.nan))
        health.active_events = self.detector.active
        self.health_publisher.publish(health)
        for event in events:
            message = InterfaceEvent(cell_id=self.cell_id, event=event.name,
                                     active=event.active, detail=event.detail,
                                     value=float(event.value))
            message.header.stamp = now.to_msg()
            self.event_publisher.publish(message)
            self.get_logger().info(f"cell {self.cell_id}: {event.name} "
                                   f"{'raised' if event.active else 'cleared'}: {event.detail}")

    def instrument_ok(self) -> bool:
        """Connected, and no unexpected failure in the instrument loop lately."""
        return self.analyzer.connected and time.monotonic() >= self._faulted_until

    def publish_diagnostics(self) -> None:
        connected = self.instrument_ok()
        message = "ok" if connected else \
            f"{'faulted' if self.analyzer.connected else 'disconnected'}: {self._last_error}"
        values = {"port": self.config.lcr_port, "connected": connected,
                  "sweeps": self.sweeps, "loop_errors": self.loop_errors,
                  "last_error": self._last_error,
                  "fit_time_ms": f"{self.fit_time_s * 1e3:.1f}"
                  if math.isfinite(self.fit_time_s) else "",
                  "fit_model": self.fit.model if self.fit else "",
                  "sweeps_without_interface": self.unfitted,
                  "malformed_replies": self.analyzer.malformed_replies,
                  "timeouts": self.analyzer.timeouts, "non_physical_values": self.non_physical,
                  "active_events": ",".join(self.detector.active)}
        state = self.state
        if state is not None and state.die_id:
            calibration, problem = self.die_calibrations.get(state.die_id)
            values["die_calibration"] = problem or (
                f"{calibration.source} (measured {calibration.measured or '?'}, "
                f"{calibration.describe()['compliance_um']} um over "
                f"{calibration.force_kn[-1]:g} kN)")
        self.diagnostics.publish(LEVEL_OK if connected else LEVEL_ERROR, message, values,
                                 self.analyzer.identity)


def main(args=None) -> int:
    return spin_node(InterfaceMonitorNode, args)


if __name__ == "__main__":
    sys.exit(main())
