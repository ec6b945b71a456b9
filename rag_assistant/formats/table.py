"""CSV and TSV with a header row: a title and an abstract column, and any metadata columns.

Column names are compared without case, spaces or punctuation, under the aliases in
``fields.ALIASES`` ("Title", "Abstract Note", "Publication Year", "Author", "DOI", "arXiv ID",
"Manual Tags", ...), so Zotero's, Scopus' and Web of Science's exports load as they are. The
separator is the one (comma, tab, semicolon or bar) that makes a header with both columns.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

from ..errors import CorpusError
from .fields import canonical_field, key_form, record_fields
from .record import Parsed, collect, paper_or_skip

SEPARATORS = {",": "','", "\t": "tab", ";": "';'", "|": "'|'"}
REQUIRED = ("abstract", "title")


def _header(path: Path, text: str, preferred: str) -> tuple[str, list[str]]:
    """The separator and the column names of the first row."""
    first_line = (text.splitlines() or [""])[0]
    for separator in dict.fromkeys([preferred, *SEPARATORS]):
        columns = next(csv.reader([first_line], delimiter=separator), [])
        if {"title", "abstract"} <= {canonical_field(c) for c in columns}:
            return separator, columns
    columns = next(csv.reader([first_line], delimiter=preferred), [])
    missing = sorted(set(REQUIRED) - {canonical_field(c) for c in columns})
    raise CorpusError(f"{path}:1: the header lacks column(s) {', '.join(missing)} (it has "
                      f"{', '.join(repr(c) for c in columns[:8]) or 'none'}); the first row must name the columns")


def parse(path: Path, text: str, format: str = "csv") -> Parsed:  # noqa: A002 - the user's word
    separator, columns = _header(path, text, "\t" if format == "tsv" else ",")
    for name in REQUIRED:  # two columns of one name: which one is meant is a guess
        same = [c for c in columns if key_form(c) == name]
        if len(same) > 1:
            raise CorpusError(f"{path}:1: the header has more than one {name} column ({', '.join(map(repr, same))}, "
                              "names compared without case): keep one")
    # strict: a quote left open is an error, not the rest of the file read as one cell
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator, strict=True)
    next(reader)

    def entries():
        while True:
            line = reader.line_num + 1  # where the row starts (a quoted cell may span lines)
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise CorpusError(f"{path}:{line}: the row starting here is not valid CSV ({exc}; a quote left "
                                  "open?)") from None
            if any(cell.strip() for cell in row):
                fields = record_fields(dict(zip(columns, row)))
                yield paper_or_skip(f"{path}:{line}", f"line {line}", path.name, fields.pop("title", ""),
                                    fields.pop("abstract", ""), **fields)

    return collect(path, "tsv" if separator == "\t" else "csv", entries())
