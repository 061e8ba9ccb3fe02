"""Fixtures of the core tests."""
import pytest

from press_control.sim.simulator import Simulator, SimulatorConfig
from waiting import wait_for


@pytest.fixture
def analyzer_sim(tmp_path):
    """The simulator in this process, its cell densified at 392 MPa and its Li attached.

    The cell is prepared under the controller's lock and handed over only once the physics
    has stepped it at the press's own pressure (none): from then on its impedance holds
    still, so a truth read before or after a measurement is the measured cell's.
    """
    with Simulator(SimulatorConfig(directory=str(tmp_path), seed=9)) as simulator:
        with simulator.controller.lock:
            simulator.cell.step(0.1, 392.0)
            for _ in range(3000):
                simulator.cell.step(0.2, 25.0)
            prepared_at_s = simulator.cell.time_s
        wait_for(lambda: simulator.cell.time_s > prepared_at_s, timeout=10.0,
                 message="the physics stepping the prepared cell")
        yield simulator
