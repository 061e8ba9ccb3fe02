"""The simulator's devices with independent clients: pymodbus as the Modbus RTU master on
the pseudo-terminal and as the Modbus TCP client on the controller's TCP port, and raw
SCPI lines over pyserial."""
import os
import re
import time

import pytest
import serial
from pymodbus.client import ModbusSerialClient, ModbusTcpClient
from pymodbus.exceptions import ModbusException

from press_control.protocol.modbus_rtu import char_time_s
from press_control.sim import simulator as simulator_module
from press_control.sim.simulator import Simulator, SimulatorConfig
from waiting import wait_for

NR3 = r"[+-]\d\.\d{5}E[+-]\d{2}"


@pytest.fixture
def sim(tmp_path):
    with Simulator(SimulatorConfig(directory=str(tmp_path), seed=3)) as simulator:
        yield simulator


@pytest.fixture
def modbus(sim):
    client = ModbusSerialClient(port=sim.config.press_path, baudrate=115200, timeout=1,
                                retries=0)
    assert client.connect()
    yield client
    client.close()


@pytest.fixture(params=["rtu", "tcp"])
def any_modbus(request, sim):
    """pymodbus on the serial line, or on the controller's Modbus TCP port."""
    if request.param == "rtu":
        client = ModbusSerialClient(port=sim.config.press_path, baudrate=115200, timeout=1,
                                    retries=0)
    else:
        address = open(sim.config.press_tcp_path).read().strip()
        assert address.startswith("tcp://127.0.0.1:")
        client = ModbusTcpClient("127.0.0.1", port=int(address.rsplit(":", 1)[1]), timeout=2,
                                 retries=0)
    assert client.connect()
    yield client
    client.close()


@pytest.fixture
def lcr(sim):
    port = serial.Serial(sim.config.analyzer_path, 115200, timeout=3)
    yield port
    port.close()


def _fails(request) -> bool:
    """True when a pymodbus request errs or gets no (valid) answer."""
    try:
        return request().isError()
    except ModbusException:
        return True


def _query(port, line):
    port.write((line + "\n").encode())
    return port.readline().decode().strip()


def test_identity_registers_read_by_pymodbus(sim, any_modbus):
    reply = any_modbus.read_holding_registers(0, count=4, device_id=1)
    assert not reply.isError()
    assert reply.registers[0] == sim.register_map.magic
    assert reply.registers[3] == sim.register_map.map_version


def test_pymodbus_writes_a_setpoint_and_the_press_follows(sim, any_modbus):
    codec, modbus = sim.register_map, any_modbus

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
    reply = modbus.read_holding_registers(codec.poll_start, count=codec.poll_count, device_id=1)
    assert codec.decode_poll_block(reply.registers)["force_setpoint_readback_kn"] == 2.0


def test_a_request_sees_the_world_at_its_own_time(tmp_path, monkeypatch):
    """The physics thread only keeps the world moving; each request scans up to its time.

    A gap longer than MAX_STALL_S (a stalled process) pauses the world instead.
    """
    monkeypatch.setattr(simulator_module, "PHYSICS_WAKE_S", 3600.0)
    step_s, stall_s = SimulatorConfig.step_s, simulator_module.MAX_STALL_S
    with Simulator(SimulatorConfig(directory=str(tmp_path))) as sim:
        client = ModbusSerialClient(port=sim.config.press_path, baudrate=115200, timeout=1,
                                    retries=0)
        assert client.connect()

        def read():
            reply = client.read_holding_registers(sim.register_map.poll_start,
                                                  count=sim.register_map.poll_count,
                                                  device_id=1)
            assert not reply.isError()

        def scanned_over(gap_s):
            before = time.monotonic()
            read()
            started_s = sim.controller.time_s
            time.sleep(gap_s)                   # time passing is what is tested
            read()
            return sim.controller.time_s - started_s, time.monotonic() - before
        try:
            scanned_s, took_s = scanned_over(0.6 * stall_s)
            assert 0.6 * stall_s - step_s <= scanned_s <= took_s + step_s
            scanned_s, _ = scanned_over(0.3)
            assert stall_s - step_s <= scanned_s <= stall_s + step_s
        finally:
            client.close()


def test_writing_a_read_only_register_is_an_exception(sim, any_modbus):
    reply = any_modbus.write_register(sim.register_map["force_kn"].address, 5, device_id=1)
    assert reply.isError()
    assert sim.register_map.decode("magic", sim.controller.words) == sim.register_map.magic


def test_other_slave_ids_get_no_answer(sim, modbus):
    assert _fails(lambda: modbus.read_holding_registers(0, count=1, device_id=7))


def test_replies_take_at_least_their_line_time(sim, modbus):
    count, reads = sim.register_map.poll_count, 20
    wire_s = (8 + 5 + 2 * count + 3.5) * char_time_s(115200)
    start = time.monotonic()
    for _ in range(reads):
        assert not modbus.read_holding_registers(10, count=count, device_id=1).isError()
    assert time.monotonic() - start >= reads * wire_s


def test_scpi_identity_and_single_point_format(lcr):
    assert _query(lcr, "*IDN?").startswith("Keysight Technologies,E4980A,")
    lcr.write(b":FUNC:IMP ZTD\n:FREQ 1000\n:TRIG:SOUR BUS\n:TRIG\n")
    assert re.fullmatch(f"{NR3},{NR3},[+-]0", _query(lcr, ":FETC?"))
    assert _query(lcr, ":FUNC:IMP?") == "ZTD"
    assert _query(lcr, ":FREQ?") == "+1.00000E+03"


def test_scpi_rx_list_sweep_and_error_queue(sim, lcr):
    lcr.write(b":FUNC:IMP:TYPE RX\n:LIST:FREQ 100000,10000,1000,100\n:DISP:PAGE LIST\n:TRIG\n")
    values = _query(lcr, ":FETC?").split(",")
    assert len(values) == 4 * 4
    resistance = float(values[0])
    assert resistance == pytest.approx(abs(sim.cell.impedance(1e5, noise=False)), rel=0.05)
    lcr.write(b":FREQ 5\n:NOSUCH\n")
    assert _query(lcr, ":SYST:ERR?") == '-222,"Data out of range"'
    assert _query(lcr, ":SYST:ERR?") == '-113,"Undefined header"'
    assert _query(lcr, ":SYST:ERR?") == '+0,"No error"'


def test_unplug_removes_the_device_and_replug_brings_it_back(sim, modbus):
    sim.inject("unplug")
    assert not os.path.exists(sim.config.press_path)
    sim.inject("replug")
    client = ModbusSerialClient(port=sim.config.press_path, baudrate=115200, timeout=1)
    assert client.connect()
    assert not client.read_holding_registers(0, count=1, device_id=1).isError()
    client.close()


def test_crc_corruption_is_injected(sim, modbus):
    sim.inject("crc_error_rate", 1.0)
    assert _fails(lambda: modbus.read_holding_registers(0, count=2, device_id=1))
    sim.inject("crc_error_rate", 0.0)
    assert not modbus.read_holding_registers(0, count=2, device_id=1).isError()


def test_press_sim_command_line_starts_and_takes_injections(tmp_path):
    import subprocess
    import sys
    process = subprocess.Popen([sys.executable, "-m", "press_control.sim.cli", "--dir",
                                str(tmp_path), "--seed", "1"], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline().startswith("press controller")
        wait_for(lambda: (tmp_path / "control.sock").exists(), message="control socket")
        done = subprocess.run([sys.executable, "-m", "press_control.sim.cli", "inject",
                               "unplug", "--dir", str(tmp_path)], capture_output=True, text=True)
        assert done.returncode == 0 and "unplug" in done.stdout
        assert not (tmp_path / "press").exists()
        bad = subprocess.run([sys.executable, "-m", "press_control.sim.cli", "inject",
                              "melt", "--dir", str(tmp_path)], capture_output=True, text=True)
        assert bad.returncode == 1 and "unknown fault" in bad.stdout
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0
