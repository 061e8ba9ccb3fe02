"""CDR bytes of a flat ROS message whose strings seldom change, refreshed by patching numbers.

rclpy's publish converts every field of a Python message to C and serializes it: profiled
at 100 Hz, a third of publishing press_driver's `state`. Between two polls only numbers
change (pressure, force, stamp, flags); the strings (frame, mode, die, fault, owner) keep
their lengths and so every number keeps its byte offset. This serializer lets rclpy
serialize the message when a string changes, works out where each number sits, and
otherwise writes the new numbers into a copy of those bytes. rclpy publishes the bytes as
they are (Publisher.publish accepts a serialized message). A publisher that fills the same
message at every poll can fill blank(), a plain stand-in, and skip rclpy's property setters
(profiled: a third of filling the driver's state); when a string changes, the message is
made from the stand-in and rclpy serializes it.

The layout is XCDR1, as rmw_fastrtps writes it: a 4-byte encapsulation header, then every
primitive aligned to its own size counted from the end of that header, and a string as a
uint32 length (the terminating NUL included), its bytes and the NUL.
"""
import operator
import struct
from types import SimpleNamespace

PRIMITIVES = {"bool": "?", "boolean": "?", "octet": "B", "byte": "B", "char": "B",
              "uint8": "B", "int8": "b", "uint16": "H", "int16": "h", "uint32": "I",
              "int32": "i", "uint64": "Q", "int64": "q", "float": "f", "float32": "f",
              "double": "d", "float64": "d"}
ENCAPSULATION_BYTES = 4


class UnsupportedLayout(ValueError):
    """The message has fields this serializer does not lay out (arrays, sequences...)."""


def _leaves(message_type, prefix=()):
    """(attribute path, 'string' or a struct code) of every field, in wire order."""
    for name, kind in message_type.get_fields_and_field_types().items():
        path = prefix + (name,)
        if kind in PRIMITIVES:
            yield path, PRIMITIVES[kind]
        elif kind == "string":
            yield path, "string"
        elif "/" in kind and "[" not in kind and "<" not in kind:
            nested = type(getattr(message_type(), name))
            yield from _leaves(nested, path)
        else:
            raise UnsupportedLayout(f"field {'.'.join(path)} of type {kind}")


def _dotted(path) -> str:
    return ".".join(path)


def _getter(paths):
    """A function message -> tuple of the values at paths (one C call: attrgetter)."""
    get = operator.attrgetter(*map(_dotted, paths))
    return get if len(paths) > 1 else lambda message: (get(message),)


def _plain(message) -> SimpleNamespace:
    """A SimpleNamespace with message's fields (nested messages too) and values."""
    fields = {}
    for name, kind in message.get_fields_and_field_types().items():
        value = getattr(message, name)
        fields[name] = _plain(value) if "/" in kind and "[" not in kind else value
    return SimpleNamespace(**fields)


class PatchingSerializer:
    """serialize(message) -> the CDR bytes rclpy would give, cheaply while strings stay."""

    def __init__(self, message_type, serialize):
        """serialize(message) -> bytes: the reference serializer (rclpy's serialize_message)."""
        self._serialize = serialize
        self._message_type = message_type
        leaves = list(_leaves(message_type))
        self._leaves = leaves
        self._get_strings = _getter([path for path, code in leaves if code == "string"]) \
            if any(code == "string" for _, code in leaves) else lambda message: ()
        self._strings = None
        self._template = None
        self._runs = []              # (struct.Struct, offset, getter) of adjacent numbers

    def blank(self) -> SimpleNamespace:
        """A plain stand-in for the message, with its defaults; serialize() takes it."""
        return _plain(self._message_type())

    def serialize(self, message) -> bytes:
        """message: the message type's instance, or a stand-in from blank()."""
        strings = self._get_strings(message)
        if strings != self._strings:
            if not isinstance(message, self._message_type):
                message = self._message_from(message)
            self._template = bytearray(self._serialize(message))
            self._runs = self._layout(strings)
            self._strings = strings
            return bytes(self._template)
        template = self._template
        for packer, offset, values in self._runs:
            packer.pack_into(template, offset, *values(message))
        return bytes(template)

    def _message_from(self, stand_in):
        message = self._message_type()
        for path, _ in self._leaves:
            owner = message
            for name in path[:-1]:
                owner = getattr(owner, name)
            setattr(owner, path[-1], operator.attrgetter(_dotted(path))(stand_in))
        return message

    def _layout(self, strings) -> list:
        """Runs of adjacent numbers, each packed by one Struct at one offset."""
        order = "<" if self._template[1] == 1 else ">"      # CDR_LE or CDR_BE
        runs, offset, texts = [], 0, iter(strings)
        run_start, run_format, run_paths = None, "", []

        def close_run():
            if run_paths:
                runs.append((struct.Struct(order + run_format),
                             ENCAPSULATION_BYTES + run_start, _getter(run_paths)))
        for path, code in self._leaves:
            if code == "string":
                close_run()
                run_start, run_format, run_paths = None, "", []
                offset += -offset % 4
                offset += 4 + len(next(texts).encode("utf-8")) + 1
                continue
            size = struct.calcsize(order + code)
            padding = -offset % size
            if padding:             # pad bytes stay as serialized: a run ends before them
                close_run()
                run_start, run_format, run_paths = None, "", []
                offset += padding
            if run_start is None:
                run_start = offset
            run_format += code
            run_paths.append(path)
            offset += size
        close_run()
        if ENCAPSULATION_BYTES + offset > len(self._template):
            raise UnsupportedLayout(f"laid out {ENCAPSULATION_BYTES + offset} bytes, "
                                    f"serialized {len(self._template)}")
        return runs
