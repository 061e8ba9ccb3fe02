"""The world around the simulated press, driven by what the press and the arm do."""
from press_control.control.handshake import LOADED
from press_control.control.profiles import ANODE_ATTACH_BELOW_MPA, HOLD, REGULATE, SEGMENT_TYPES


class SimWorld:
    """The simulated cell's world: loads, the Li anode, cycling.

    A fresh cell arrives with each load, Li foil goes on before a low-pressure hold that
    follows densification, and the cell cycles (breathes) while its stack pressure is
    regulated.

    `inject(fault, value=None)` reaches the simulator (SimulatorProcess.inject); segment
    types are indices of SEGMENT_TYPES, as in the action's feedback.
    """

    def __init__(self, inject):
        self.inject = inject
        self.cell_id = ""
        self.cycling = False
        self.pressed_above_mpa = 0.0
        self.anode_attached = False

    def on_handling(self, state: int, cell_id: str) -> None:
        if state == LOADED and cell_id != self.cell_id:
            self.cell_id = cell_id
            self.inject("new_cell")
            self.pressed_above_mpa, self.anode_attached = 0.0, False

    def on_feedback(self, segment_type: int, setpoint_mpa: float) -> bool:
        """Follow one feedback; True when the cell started or stopped cycling."""
        kind = SEGMENT_TYPES[segment_type] if segment_type < len(SEGMENT_TYPES) else ""
        self.pressed_above_mpa = max(self.pressed_above_mpa, setpoint_mpa)
        if kind == HOLD and not self.anode_attached and \
                setpoint_mpa < ANODE_ATTACH_BELOW_MPA < self.pressed_above_mpa:
            self.inject("attach_anode")
            self.anode_attached = True
        regulating = kind == REGULATE
        if regulating == self.cycling:
            return False
        self.inject("cycling", "on" if regulating else "off")
        self.cycling = regulating
        return True
