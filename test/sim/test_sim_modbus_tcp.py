"""The simulated controller on Modbus TCP, read and commanded by pymodbus's TCP client."""
import pytest
from pymodbus.client import ModbusTcpClient

from press_control.sim.simulator import Simulator, SimulatorConfig
from waiting import wait_for


@pytest.fixture
def sim(tmp_path):
    with Simulator(SimulatorConfig(directory=str(tmp_path), seed=5)) as simulator:
        yield simulator


@pytest.fixture
def modbus(sim):
    address = open(sim.config.press_tcp_path).read().strip()
    assert address.startswith("tcp://127.0.0.1:")
    client = ModbusTcpClient("127.0.0.1", port=int(address.rsplit(":", 1)[1]), timeout=2,
                             retries=0)
    assert client.connect()
    yield client
    client.close()


def test_identity_and_poll_block_over_tcp(sim, modbus):
    reply = modbus.read_holding_registers(0, count=4, device_id=1)
    assert not reply.isError()
    assert reply.registers[0] == sim.register_map.magic
    assert reply.registers[3] == sim.register_map.map_version
    codec = sim.register_map
    block = modbus.read_holding_registers(codec.poll_start, count=codec.poll_count, device_id=1)
    assert not block.isError() and len(block.registers) == codec.poll_count


def test_a_setpoint_written_over_tcp_moves_the_press(sim, modbus):
    codec = sim.register_map

    def write(name, value):
        assert not modbus.write_registers(codec[name].address, codec.encode(name, value),
                                          device_id=1).isError()
    write("motion_permit", 1)
    write("heartbeat", 1)
    write("ramp_rate_kn_s", 2.0)
    write("force_setpoint_kn", 2.0)
    write("mode_command", codec.modes["RAMP"])
    wait_for(lambda: write("heartbeat", 2) or sim.hydraulics.force_kn > 1.5,
             message="force to rise", interval=0.1)
    assert modbus.write_register(codec["force_kn"].address, 5, device_id=1).isError()
