"""Hydraulic press physics in the force domain: pump and valve limits, lag, leak, capacity."""
import dataclasses
import math


@dataclasses.dataclass
class HydraulicParameters:
    """Physical constants of a 30 t class laboratory press (forces in kN, times in s)."""

    capacity_kn: float = 294.2            # 30 t frame; the relief valve caps the force here
    pump_rate_kn_s: float = 1.2           # force rise rate of the pump at zero load
    pump_half_rate_force_kn: float = 15.0  # load at which the pump rate has halved (P-Q curve)
    valve_rate_per_s: float = 0.5         # release valve: rate = this x force (orifice law)
    valve_min_rate_kn_s: float = 0.3      # release rate floor near zero force
    dump_rate_factor: float = 3.0         # fault dump opens the valve this much wider
    actuator_lag_s: float = 0.15          # first-order lag between commanded and actual rate
    leak_per_s: float = 2.0e-4            # leak-down: fraction of the force lost per second
    frame_stiffness_kn_mm: float = 800.0  # frame stretch under load, seen by the position sensor
    seating_mm: float = 0.004             # platens and punches settling in at low force...
    seating_force_kn: float = 1.5         # ...most of it below about this force

    def frame_deflection_mm(self, force_kn: float) -> float:
        """How much nearer the platens read than they are: stretch plus seating (not linear)."""
        return force_kn / self.frame_stiffness_kn_mm + \
            self.seating_mm * (1.0 - math.exp(-force_kn / self.seating_force_kn))

    def pump_limit(self, force_kn: float) -> float:
        return self.pump_rate_kn_s / (1.0 + force_kn / self.pump_half_rate_force_kn)

    def valve_limit(self, force_kn: float, dump: bool = False) -> float:
        rate = max(self.valve_min_rate_kn_s, self.valve_rate_per_s * force_kn)
        return rate * (self.dump_rate_factor if dump else 1.0)


class HydraulicPress:
    """Integrates the platen force under a commanded rate (kN/s) from the controller."""

    def __init__(self, parameters: HydraulicParameters = None):
        self.p = parameters or HydraulicParameters()
        self.force_kn = 0.0
        self.rate_kn_s = 0.0
        self.leak_multiplier = 1.0

    def step(self, dt: float, commanded_rate_kn_s: float, dump: bool = False,
             external_rate_kn_s: float = 0.0, pump_off: bool = False) -> None:
        """Advance dt seconds; external_rate is force change from the cell (breathing).

        pump_off: the controller is not pressing (idle, fault, e-stop), so no oil flows
        toward the platen whatever rate the lag still carries.
        """
        if dump:
            commanded = -self.p.valve_limit(self.force_kn, dump=True)
        else:
            commanded = min(max(commanded_rate_kn_s, -self.p.valve_limit(self.force_kn)),
                            self.p.pump_limit(self.force_kn))
        response = 1.0 - math.exp(-dt / self.p.actuator_lag_s)
        self.rate_kn_s += (commanded - self.rate_kn_s) * response
        if dump:
            self.rate_kn_s = min(self.rate_kn_s, commanded * 0.5)
        if pump_off:
            self.rate_kn_s = min(self.rate_kn_s, 0.0)
        leak = self.p.leak_per_s * self.leak_multiplier * self.force_kn
        self.force_kn += (self.rate_kn_s - leak + external_rate_kn_s) * dt
        if self.force_kn <= 0.0:
            self.force_kn = 0.0
            self.rate_kn_s = max(self.rate_kn_s, 0.0)
        elif self.force_kn > self.p.capacity_kn:
            self.force_kn = self.p.capacity_kn
            self.rate_kn_s = min(self.rate_kn_s, 0.0)
