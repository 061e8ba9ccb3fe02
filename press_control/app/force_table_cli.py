"""`pressctl measure-force-table`: the press's load cell against a reference, level by level.

The press goes to each level through the running nodes (a goal that ends kept loaded, so
the next level continues from it), its own reading is averaged from `state`, and the
operator types what the reference load cell's indicator shows. The table is written in
the file format press_driver reads (docs/force_calibration.md). press_driver must apply
no table while measuring: the press's own readings are what the table corrects.
"""
import datetime
import statistics
import sys

CELL_ID = "force-table"


def parse_levels(text: str) -> list:
    """Rising levels in kN from "0,5,10,20"; raises ValueError with the reason."""
    try:
        levels = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ValueError(f"levels '{text}' are not numbers in kN separated by commas") \
            from None
    if len(levels) < 2 or any(b <= a for a, b in zip(levels, levels[1:])) or levels[0] < 0:
        raise ValueError(f"levels '{text}': two or more, rising, from 0 kN or more")
    return levels


def ask_reference(prompt: str, read_line=None) -> float:
    """The operator's reading in kN; asked again until it is a number; None at end of input."""
    read_line = read_line or sys.stdin.readline
    while True:
        print(prompt, end="", flush=True)
        line = read_line()
        if not line:
            return None
        try:
            return float(line.strip())
        except ValueError:
            print(f"  '{line.strip()}' is not a number in kN")


def measure(args, operator, read_line=None, cancel=None) -> int:
    """Run the levels; 0 written, 1 not (the reason printed), 2 refused.

    cancel (an Event that Ctrl-C sets) stops after the step under way, released.
    """
    from press_control.hardware.force_calibration import ForceCalibration, ForceCalibrationError
    from press_control.control.profile_runner import SUCCEEDED
    from press_control.ros.profile_client import OUTCOME_NAMES

    levels = parse_levels(args.levels_kn)
    table = operator.force_table(args.wait_s)
    if table.get("applied"):
        print(f"pressctl: press_driver applies the force table {table.get('source')}: measure "
              "with the press's own readings (force_calibration_file '' and restart the "
              "driver)", file=sys.stderr)
        return 2
    area_mm2 = operator.latest_state(args.wait_s).die_area_mm2
    press_kn, reference_kn, loaded = [], [], False
    try:
        for index, level in enumerate(levels):
            if level > 0:
                result = operator.press_and_keep(CELL_ID, level * 1000.0 / area_mm2,
                                                 args.rate_mpa_s, args.settle_s,
                                                 wait_s=args.wait_s, cancel_event=cancel)
                loaded = True
                if OUTCOME_NAMES.get(result.outcome) != SUCCEEDED:
                    print(f"pressctl: level {level:g} kN ended "
                          f"{OUTCOME_NAMES.get(result.outcome)}: {result.reason}; nothing "
                          "written", file=sys.stderr)
                    return 1
            readings = [s.force_kn for s in operator.states(args.sample_s, args.wait_s)]
            press_kn.append(statistics.fmean(readings))
            reference = ask_reference(f"level {index + 1} ({level:g} kN): the press reads "
                                      f"{press_kn[-1]:.4f} kN; reference (kN)? ", read_line)
            if reference is None or (cancel is not None and cancel.is_set()):
                print("\npressctl: stopped before the last level; nothing written",
                      file=sys.stderr)
                return 1
            reference_kn.append(reference)
    finally:
        if loaded:
            # at the levels' own rate: one the server accepted (twice it may be refused)
            operator.press_and_keep(CELL_ID, 0.0, args.rate_mpa_s, keep=False,
                                    wait_s=args.wait_s)
    try:
        table = ForceCalibration(tuple(press_kn), tuple(reference_kn), press=args.press,
                                 reference=args.reference,
                                 measured=datetime.date.today().isoformat())
    except ForceCalibrationError as error:
        print(f"pressctl: {error}; nothing written", file=sys.stderr)
        return 1
    with open(args.out, "w") as stream:
        stream.write("# force table (docs/force_calibration.md), written by pressctl "
                     "measure-force-table\n")
        stream.write(table.to_yaml())
    print(f"pressctl: {len(press_kn)} points written to {args.out}; give it to press_driver "
          "as force_calibration_file")
    return 0


def add_parser(commands, handler) -> None:
    parser = commands.add_parser(
        "measure-force-table", help="the press's load cell against a reference load cell, "
        "level by level (you type the reference's readings); writes a force table")
    parser.add_argument("--levels-kn", required=True,
                        help="rising levels in kN, e.g. 0,5,10,20,30,39 (the range you use)")
    parser.add_argument("--out", required=True, help="force table file to write (YAML)")
    parser.add_argument("--press", default="", help="the press (its hardware id)")
    parser.add_argument("--reference", default="",
                        help="the reference load cell and its certificate")
    parser.add_argument("--rate-mpa-s", type=float, default=10.0, help="ramp rate")
    parser.add_argument("--settle-s", type=float, default=3.0, help="hold before sampling")
    parser.add_argument("--sample-s", type=float, default=3.0, help="averaging time a level")
    parser.add_argument("--namespace", default="", help="namespace of the press, e.g. press_1")
    parser.add_argument("--wait-s", type=float, default=20.0, help="wait this long for nodes")
    parser.set_defaults(handler=handler)
