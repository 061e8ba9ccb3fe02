"""The benchmark report names the command, the machine and the code it measured."""
import json
import subprocess

from press_control.app.bench.report import Figure, write_report


def test_the_report_names_the_code_it_measured(tmp_path):
    json_path, markdown_path = write_report(str(tmp_path), [
        Figure("Driver", "driver CPU", 3.8, "% of a core", "<= 15"),
        Figure("Driver", "poll rate", 216.0, "polls/s")], "pressctl bench --out X")
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                          text=True)
    report = json.load(open(json_path))
    assert report["command"] == "pressctl bench --out X" and report["machine"]["cpus"] >= 1
    assert report["commit"].split("+")[0] == head.stdout.strip()
    text = open(markdown_path).read()
    assert f"code {report['commit']}." in text and "`pressctl bench --out X`" in text
    assert [f["met"] for f in report["figures"]] == [True, None]
