"""docs/interfaces.md is what scripts/interface_reference.py renders from the code today."""
import importlib.util
import pathlib

from press_control.ros.parameters import DRIVER_PARAMETERS, Spec

ROOT = pathlib.Path(__file__).resolve().parents[1]


def generator():
    spec = importlib.util.spec_from_file_location("interface_reference",
                                                  ROOT / "scripts" / "interface_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_reference_is_not_stale():
    assert (ROOT / "docs" / "interfaces.md").read_text() == generator().render(), \
        "docs/interfaces.md is stale: run python3 scripts/interface_reference.py"


def test_a_new_parameter_makes_it_stale(monkeypatch):
    reference = generator()
    monkeypatch.setattr(reference.parameters, "DRIVER_PARAMETERS", DRIVER_PARAMETERS + [
        Spec("brand_new_s", 1.0, "a parameter nobody documented", "s", 0.0, 2.0)])
    rendered = reference.render()
    assert "`brand_new_s`" in rendered
    assert rendered != (ROOT / "docs" / "interfaces.md").read_text()


def test_every_node_topic_of_the_code_is_listed():
    text = (ROOT / "docs" / "interfaces.md").read_text()
    for name in ("`state/decimated`", "`run_profile`", "`handling/reset`", "`record`",
                 "`interface/sweep`", "`owner_heartbeat`", "`decimated_state_rate_hz`"):
        assert name in text, name


def test_every_published_topic_says_how_often_it_goes_out():
    reference = generator()
    for node, (modules, _) in reference.NODES.items():
        rates = {}
        for module in modules:
            rates.update(reference.publish_rates(reference.ROS / module))
        published = {name for module in modules
                     for kind, name, _, _ in reference.entities(reference.ROS / module)
                     if kind == "publishes"}
        assert published - set(rates) == set(), node
