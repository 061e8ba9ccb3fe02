"""`pressctl campaign run FILE` on a press: the run_campaign goal, its progress, its result."""
import os
import sys
import threading


def feedback_line(feedback) -> str:
    cell = feedback.cell
    params = ", ".join(f"{n} {v:.4g}" for n, v in zip(cell.parameter_names, cell.parameters))
    if cell.state == "RUNNING":
        return f"cell {feedback.cell_number}/{feedback.cells} {cell.cell_id}: pressing " \
               f"{params}"
    told = ", ".join(f"{n} {v:.4g}" for n, v in zip(cell.objective_names, cell.objectives)) \
        or "no objective"
    verdict = "feasible" if cell.feasible else ("failed" if cell.state == "FAIL"
                                                else "infeasible")
    why = f" ({cell.reason})" if cell.reason else ""
    return f"cell {feedback.cell_number}/{feedback.cells} {cell.cell_id}: {params} -> " \
           f"{told}, {verdict}{why}"


def run_on_press(args, campaign) -> int:
    """Send the campaign to the campaign node of --namespace; 0 when it finished its cells."""
    from press_control.ros.operator import GoalRejected, NoAnswer, PressOperator
    from press_control.stop_signals import call_on_signals

    cancel = threading.Event()

    def on_signal(_):
        cancel.set()
        print("\ncancelling the campaign: the running cell releases at the safe rate...",
              file=sys.stderr)
    operator = PressOperator(args.namespace)
    call_on_signals(on_signal)
    try:
        result = operator.run_campaign(
            os.path.abspath(args.file), cells=campaign.cells,
            seed=campaign.seed if args.seed is not None else -1, storage=args.storage,
            hold_scale=args.hold_scale, wait_s=args.wait_s,
            on_feedback=lambda feedback: print(feedback_line(feedback), flush=True),
            cancel_event=cancel)
    except (NoAnswer, GoalRejected) as error:
        print(f"pressctl: {error}", file=sys.stderr)
        return 2
    finally:
        operator.close()
    print(result.message)
    for cell in result.best:
        print("best: " + cell.cell_id + ": " + ", ".join(
            f"{n} {v:.4g}" for n, v in zip(cell.parameter_names, cell.parameters)) + " -> " +
            ", ".join(f"{n} {v:.4g}" for n, v in zip(cell.objective_names, cell.objectives)))
    return 0 if result.success else 1
