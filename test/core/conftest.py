"""Fixtures of the core tests."""
import pytest

from press_control.sim.simulator import Simulator, SimulatorConfig


@pytest.fixture
def analyzer_sim(tmp_path):
    """The simulator in this process, its cell densified at 392 MPa and its Li attached."""
    with Simulator(SimulatorConfig(directory=str(tmp_path), seed=9)) as simulator:
        simulator.cell.step(0.1, 392.0)
        for _ in range(3000):
            simulator.cell.step(0.2, 25.0)
        yield simulator
