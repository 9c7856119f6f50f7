"""Labelled text rows: TSV or CSV files of ``text<TAB>label`` (sentiment, topic, intent).

The delimiter is a comma for files ending in .csv and a tab otherwise. Columns are chosen by
0-based index (negative counts from the end) or, when the file has a header, by name. The
header is optional: ``header="auto"`` treats the first row as one when it names the chosen
columns (e.g. ``sentence<TAB>label``). Every row must hold the text and a non-empty label; a
row that does not is an error naming the file and line.
"""

import csv
import io
from typing import NamedTuple

from ..errors import bad

HEADERS = ("auto", "yes", "no")


class Row(NamedTuple):
    """text: the text column; label: the label column (None when not required and absent);
    line: 1-based line number in the file."""

    text: str
    label: str | None
    line: int


def delimiter_of(name: str) -> str:
    return "," if str(name).lower().endswith(".csv") else "\t"


def _index(column: str, header: list[str] | None, argument: str, name: str) -> int:
    """A column given as an int (possibly negative) or, with a header, as a name."""
    try:
        return int(column)
    except ValueError:
        pass
    if header is None or column not in header:
        raise bad(argument, f"a column index or a header name of {name!r} "
                  f"({header or 'no header'})", repr(column))
    return header.index(column)


def _is_header(first: list[str], text_column: str, label_column: str) -> bool:
    names = {text_column, label_column}
    if names & set(first):
        return True
    return {c.strip().lower() for c in first} & {"text", "sentence", "label", "review"} != set()


def parse_rows(text: str, name: str, text_column: str = "0", label_column: str = "-1",
               header: str = "auto", require_label: bool = True) -> list[Row]:
    """The rows of a TSV/CSV text read from ``name`` (used in messages and for the delimiter).

    With ``require_label=False`` a row of one field is read as text without a label (input to
    ``elman predict``)."""
    if header not in HEADERS:
        raise bad("header", f"one of {list(HEADERS)}", repr(header))
    reader = csv.reader(io.StringIO(text), delimiter=delimiter_of(name),
                        quoting=csv.QUOTE_MINIMAL if name.lower().endswith(".csv")
                        else csv.QUOTE_NONE)
    try:
        records = [(reader.line_num, r) for r in reader]
    except csv.Error as e:
        why = "a line break (CR) inside an unquoted field" if "new-line" in str(e) else str(e)
        raise bad("data", "rows of delimited fields", f"{why} at {name}:{reader.line_num}"
                  ) from None
    records = [(n, r) for n, r in records if any(c.strip() for c in r)]
    if not records:
        raise bad("data", "a file with some rows", f"{name!r}, which is empty")
    names = None
    if header == "yes" or (header == "auto" and _is_header(records[0][1], text_column,
                                                           label_column)):
        names, records = records[0][1], records[1:]
        if not records:
            raise bad("data", "rows after the header", f"{name!r} with only a header")
    t = _index(text_column, names, "text_column", name)
    k = _index(label_column, names, "label_column", name)
    return [_row(r, n, t, k, name, require_label) for n, r in records]


def _row(fields: list[str], line: int, t: int, k: int, name: str, require_label: bool) -> Row:
    width = len(fields)
    if not require_label and width == 1:
        return Row(fields[0].strip(), None, line)
    if not -width <= t < width or not -width <= k < width or \
            (t % width) == (k % width) or not fields[k].strip():
        raise bad("data", "a row with a text and a non-empty label",
                  f"{width} field(s) at {name}:{line}")
    text = fields[t].strip()
    if not text:
        raise bad("data", "a row with a non-empty text", f"an empty text at {name}:{line}")
    return Row(text, fields[k].strip(), line)
