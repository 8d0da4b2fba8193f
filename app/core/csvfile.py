"""CSV files that are safe to open in a spreadsheet: every export of the platform writes through ``csv_text``.

A cell that begins with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return, which some spreadsheets skip
before reading a formula) is prefixed with an apostrophe, so that a spreadsheet shows it as text instead of running
it as a formula (CSV injection).
"""

import csv
import io
from collections.abc import Iterable

_DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_DANGEROUS_START) else text


def euros_plain(cents: int | None) -> str:
    """An amount in cents as a plain decimal number of euros ("1234.50"), which every spreadsheet reads."""
    if cents is None:
        return ""
    return f"{cents // 100}.{cents % 100:02d}"


def csv_text(header: Iterable, rows: Iterable[Iterable], comments: Iterable[str] = ()) -> str:
    """The CSV text of ``header`` and ``rows`` (every cell neutralised). ``comments`` (a licence, a source) come
    first as lines starting with "#", which is how open-data CSV files carry their metadata."""
    out = io.StringIO()
    writer = csv.writer(out)
    for comment in comments:
        writer.writerow([neutralise("# " + comment)])
    writer.writerow([neutralise(cell) for cell in header])
    writer.writerows([neutralise(cell) for cell in row] for row in rows)
    return out.getvalue()
