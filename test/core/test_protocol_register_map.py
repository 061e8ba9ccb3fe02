"""Register map codec: scaled integers and float32 in both word orders."""
import copy
import struct

import numpy
import pytest
import yaml

from press_control.protocol.register_map import RegisterMap, RegisterMapError
from press_control.resources import default_register_map_path


@pytest.fixture
def spec():
    with open(default_register_map_path()) as stream:
        return yaml.safe_load(stream)


def test_float32_round_trip_in_both_word_orders(spec):
    big = RegisterMap(spec)
    little_spec = copy.deepcopy(spec)
    little_spec["word_order"] = "little"
    little = RegisterMap(little_spec)
    assert big.encode("force_kn", 30.79) == little.encode("force_kn", 30.79)[::-1]
    for codec in (big, little):
        words = [0] * 64
        address = codec["force_kn"].address
        words[address:address + 2] = codec.encode("force_kn", 30.79)
        assert codec.decode("force_kn", words) == pytest.approx(30.79, rel=1e-6)


def test_scaled_integers(spec):
    codec = RegisterMap(spec)
    assert codec.encode("platen_temperature_c", -12.3) == [(-123) & 0xFFFF]
    assert codec.decode("platen_temperature_c", [0] * 18 + [(-123) & 0xFFFF]) == \
        pytest.approx(-12.3)


def test_a_float32_is_written_only_within_one_count_of_its_value(spec):
    codec = RegisterMap(spec)
    # numpy's float32 is the oracle for what the register holds
    for value in (30.79, 1e-30, 1.3e-44, 1e-300, 2.2e-311, 0.0):   # 1e-300: a 0.0 held
        words = codec.encode_exact("force_setpoint_kn", value)
        held = codec.decode("force_setpoint_kn", words, codec["force_setpoint_kn"].address)
        assert held == float(numpy.float32(value))
    with pytest.raises(RegisterMapError, match="does not fit"):
        codec.encode_exact("force_setpoint_kn", 1e39)             # beyond float32


def test_poll_block_covers_the_polled_registers(spec):
    codec = RegisterMap(spec)
    assert codec.poll_start == codec["status"].address
    assert codec.poll_count == codec["heartbeat_echo"].address + 1 - codec.poll_start


@pytest.mark.parametrize("word_order", ["big", "little"])
def test_the_poll_block_decodes_every_polled_value(spec, word_order):
    """Words packed here with struct, independently of the codec."""
    spec = copy.deepcopy(spec)
    spec["word_order"] = word_order
    codec = RegisterMap(spec)
    expected, words = {}, [0] * codec.poll_count
    for number, name in enumerate(codec.poll_names):
        register = spec["registers"][name]
        scale = float(register.get("scale", 1.0))
        value = {"float32": 1.5 + number, "uint16": 7 + number, "int16": -3 - number,
                 "uint32": 70000 + number, "int32": -70000 - number}[register["type"]]
        fmt = {"float32": ">f", "uint16": ">H", "int16": ">h", "uint32": ">I",
               "int32": ">i"}[register["type"]]
        chunk = list(struct.unpack(f">{struct.calcsize(fmt) // 2}H", struct.pack(fmt, value)))
        if word_order == "little":
            chunk.reverse()
        offset = int(register["address"]) - codec.poll_start
        words[offset:offset + len(chunk)] = chunk
        expected[name] = value * scale
    decoded = codec.decode_poll_block(words)
    assert decoded.keys() == expected.keys()
    for name, value in expected.items():
        assert decoded[name] == pytest.approx(value, rel=1e-6), name
    with pytest.raises(RegisterMapError, match="poll block of"):
        codec.decode_poll_block(words[:-1])


def test_bad_maps_are_refused_with_a_reason(spec):
    broken = copy.deepcopy(spec)
    broken["registers"]["force_kn"]["type"] = "float128"
    with pytest.raises(RegisterMapError, match="float128"):
        RegisterMap(broken)
    del broken["registers"]
    with pytest.raises(RegisterMapError):
        RegisterMap(broken)
    with pytest.raises(RegisterMapError, match="nonexistent"):
        RegisterMap(spec)["nonexistent"]


def test_faults_are_looked_up_by_the_name_the_map_gives_them():
    register_map = RegisterMap.load(default_register_map_path())
    code = register_map.fault_code("intrusion")
    assert "intrusion" in register_map.fault_codes[code]
    with pytest.raises(RegisterMapError, match="no fault 'melted'"):
        register_map.fault_code("melted")
