"""docs/simulator.md shows the residuals of the fits the twin uses, as they are now."""
import pathlib

from press_control.analysis.published_compaction import residual_table

DOC = pathlib.Path(__file__).resolve().parents[1] / "docs" / "simulator.md"


def test_the_residual_table_in_the_docs_is_the_fit_of_today():
    text = DOC.read_text()
    begin, end = "<!-- compaction-residuals:begin -->\n", "<!-- compaction-residuals:end -->"
    shown = text[text.index(begin) + len(begin):text.index(end)]
    assert shown == residual_table(), \
        "regenerate: python -m press_control.analysis.published_compaction"
