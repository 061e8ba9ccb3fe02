"""The press controller's register map: named, typed Modbus registers loaded from YAML."""
import dataclasses
import pathlib
import struct

import yaml

_WIDTH = {"uint16": 1, "int16": 1, "uint32": 2, "int32": 2, "float32": 2}
_STRUCT = {"uint16": ">H", "int16": ">h", "uint32": ">I", "int32": ">i", "float32": ">f"}
FLOAT32_SMALLEST_STEP = struct.unpack(">f", bytes.fromhex("00000001"))[0]    # 1.4e-45


class RegisterMapError(ValueError):
    """The register map file is malformed or names an unknown register."""


@dataclasses.dataclass(frozen=True)
class Register:
    """One named value in the map: address, type, scale and access."""

    name: str
    address: int
    type: str
    scale: float = 1.0
    access: str = "r"

    @property
    def width(self) -> int:
        return _WIDTH[self.type]

    @property
    def writable(self) -> bool:
        return "w" in self.access


class _Codec:
    """One register's conversion between an engineering value and its words."""

    def __init__(self, register: Register, swap_words: bool):
        self.register = register
        self.address, self.width = register.address, register.width
        self.scale = register.scale
        self.is_float = register.type == "float32"
        self.swap_words = swap_words and self.width == 2
        self.value = struct.Struct(_STRUCT[register.type])
        self.words = struct.Struct(f">{self.width}H")

    def encode(self, value: float) -> list:
        raw = value / self.scale
        if not self.is_float:
            raw = int(round(raw))
        words = list(self.words.unpack(self.value.pack(raw)))
        if self.swap_words:
            words.reverse()
        return words

    def decode(self, chunk):
        if self.swap_words:
            chunk = chunk[::-1]
        raw = self.value.unpack(self.words.pack(*chunk))[0]
        return raw * self.scale if self.is_float or self.scale != 1.0 else raw


class RegisterMap:
    """Encode and decode engineering values to and from 16-bit register words."""

    def __init__(self, spec: dict):
        try:
            self.word_order = spec.get("word_order", "big")
            if self.word_order not in ("big", "little"):
                raise RegisterMapError(f"word_order must be big or little, not {self.word_order}")
            self.registers = {
                name: Register(name, int(entry["address"]), entry["type"],
                               float(entry.get("scale", 1.0)), entry.get("access", "r"))
                for name, entry in spec["registers"].items()}
            for register in self.registers.values():
                if register.type not in _WIDTH:
                    raise RegisterMapError(f"{register.name}: unknown type {register.type}")
            self.magic = int(spec["identity"]["magic"])
            self.map_version = int(spec["identity"]["map_version"])
            self.status_bits = dict(spec["status_bits"])
            self.modes = dict(spec["modes"])
            self.mode_names = {value: name for name, value in self.modes.items()}
            self.control_bits = dict(spec["control_bits"])
            faults = {int(code): entry for code, entry in spec["fault_codes"].items()}
            self.fault_codes = {code: entry["text"] for code, entry in faults.items()}
            self.fault_names = {entry["name"]: code for code, entry in faults.items()}
            self.poll_names = list(spec["poll_block"])
        except (KeyError, TypeError) as error:
            raise RegisterMapError(f"register map lacks or misnames {error}") from error
        for name in self.poll_names:
            self[name]
        first = min(self[name].address for name in self.poll_names)
        last = max(self[name].address + self[name].width for name in self.poll_names)
        self.poll_start, self.poll_count = first, last - first
        # The simulator encodes and decodes registers 500 times a second: each register's
        # packing is worked out once.
        self._codecs = {name: _Codec(register, self.word_order == "little")
                        for name, register in self.registers.items()}
        # The poll block is decoded 100 times a second: its layout is worked out once.
        self._poll_words = struct.Struct(f">{self.poll_count}H")
        self._poll_layout = [
            (name, 2 * (self[name].address - first), struct.Struct(_STRUCT[self[name].type]),
             self[name].scale, self[name].type == "float32",
             self.word_order == "little" and self[name].width == 2)
            for name in self.poll_names]

    @classmethod
    def load(cls, path) -> "RegisterMap":
        with open(pathlib.Path(path)) as stream:
            return cls(yaml.safe_load(stream))

    def fault_code(self, name: str) -> int:
        """The code of the fault this map names `name` (e.g. "intrusion")."""
        try:
            return self.fault_names[name]
        except KeyError:
            raise RegisterMapError(f"the register map names no fault '{name}'") from None

    def __getitem__(self, name: str) -> Register:
        try:
            return self.registers[name]
        except KeyError:
            raise RegisterMapError(f"register map has no register '{name}'") from None

    def _codec(self, name: str) -> _Codec:
        try:
            return self._codecs[name]
        except KeyError:
            raise RegisterMapError(f"register map has no register '{name}'") from None

    def encode(self, name: str, value: float) -> list:
        codec = self._codec(name)
        try:
            return codec.encode(value)
        except (struct.error, ValueError, OverflowError, TypeError):
            raise RegisterMapError(f"{value} does not fit {name} ({codec.register.type})") \
                from None

    def encode_exact(self, name: str, value: float) -> list:
        """Words for value, refused unless they decode back within one count of it."""
        words = self.encode(name, value)
        back = self.decode(name, words, self[name].address)
        register = self[name]
        # One count of a float32 near zero is its smallest step (a pressure of 1e-311 MPa
        # is written as 0.0, found by the goal fuzzing), elsewhere a relative step.
        tolerance = max(abs(value) * 1e-6, FLOAT32_SMALLEST_STEP) \
            if register.type == "float32" else register.scale
        if not abs(back - value) <= tolerance:
            raise RegisterMapError(f"{value} cannot be written to {name} exactly "
                                   f"({register.type} would hold {back})")
        return words

    def decode(self, name: str, words, start: int = 0):
        """Value of `name` from `words`, a register block that begins at address `start`."""
        codec = self._codec(name)
        offset = codec.address - start
        chunk = words[offset:offset + codec.width]
        if len(chunk) != codec.width or offset < 0:
            raise RegisterMapError(f"{name} lies outside the block read at {start}")
        return codec.decode(chunk)

    def decode_poll_block(self, words) -> dict:
        """Every poll-block value from the words read at poll_start (as decode() gives them)."""
        if len(words) != self.poll_count:
            raise RegisterMapError(f"poll block of {len(words)} words, expected "
                                   f"{self.poll_count}")
        data = self._poll_words.pack(*words)
        values = {}
        for name, offset, layout, scale, is_float, swap_words in self._poll_layout:
            if swap_words:
                raw = layout.unpack(data[offset + 2:offset + 4] + data[offset:offset + 2])[0]
            else:
                raw = layout.unpack_from(data, offset)[0]
            values[name] = raw * scale if is_float or scale != 1.0 else raw
        return values

    def has_bit(self, status: int, bit_name: str) -> bool:
        return bool(status >> self.status_bits[bit_name] & 1)
