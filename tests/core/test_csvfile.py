"""The one CSV writer of every export: cells a spreadsheet would run as formulas are neutralised."""

import csv
import io

import pytest

from app.core.csvfile import csv_text, neutralise


@pytest.mark.parametrize(
    ("value", "expected"),
    [("=SUM(A1)", "'=SUM(A1)"), ("+33 6", "'+33 6"), ("-2", "'-2"), ("@cmd", "'@cmd"), ("\tx", "'\tx"),
     ("\rx", "'\rx"), ("Vélo", "Vélo"), (12, "12"), (None, ""), ("a=b", "a=b")],
)
def test_csv_cells_are_neutralised(value, expected):
    assert neutralise(value) == expected


def test_csv_text_neutralises_header_rows_and_comments_and_reads_back():
    text = csv_text(["=title"], [["=HYPERLINK(\"x\")"], ["ok, with a comma"]], comments=["Licence: ODbL"])
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [["# Licence: ODbL"], ["'=title"], ["'=HYPERLINK(\"x\")"], ["ok, with a comma"]]
