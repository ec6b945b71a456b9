"""RIS (``.ris``), the other export every reference manager offers, read with rispy.

Each record runs from its ``TY  -`` line to its ``ER  -`` line. ``TI``/``T1`` is the title,
``AB``/``N2`` the abstract, ``AU``/``A1`` the authors, ``PY``/``Y1``/``DA`` the year, ``T2``/``JF``/
``JO`` the venue, ``DO``, ``UR`` and ``KW`` the DOI, link and keywords. A record without an abstract
is skipped under its ``ID`` (or its line); a record left open, or text between records, is an
error naming its line (rispy itself would drop them without a word).
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

from ..errors import CorpusError
from ..types import Paper
from .record import Parsed, Skipped, collect, paper_or_skip

TAG = re.compile(r"^([A-Z][A-Z0-9])  -(?: |$)")
VENUE_KEYS = ("secondary_title", "alternate_title3", "journal_name", "alternate_title2", "alternate_title1")


def _records(path: Path, text: str) -> Iterator[tuple[int, str]]:
    """(first line number, text) of each record."""
    start, lines = 0, []
    for n, line in enumerate(text.splitlines(), 1):
        tag = TAG.match(line)
        if not start:
            if tag and tag.group(1) == "TY":
                start, lines = n, [line]
            elif line.strip():
                raise CorpusError(f"{path}:{n}: expected a record's first line, 'TY  - TYPE', got {line[:40]!r}")
            continue
        if tag and tag.group(1) == "TY":
            raise CorpusError(f"{path}:{n}: a new record starts before the one from line {start} ended: "
                              "add its 'ER  -' line")
        lines.append(line)
        if tag and tag.group(1) == "ER":
            yield start, "\n".join(lines) + "\n"
            start = 0
    if start:
        raise CorpusError(f"{path}:{start}: the record from this line has no 'ER  -' line to end it")


def _first(record: dict, *keys: str):
    for key in keys:
        value = record.get(key)
        if value:
            return value[0] if isinstance(value, list) and key not in ("authors", "first_authors") else value
    return ""


def _paper(path: Path, line: int, record: dict) -> Paper | Skipped:
    entry = _first(record, "id") or f"line {line}"
    return paper_or_skip(
        f"{path}:{line}", str(entry), path.name, str(_first(record, "title", "primary_title")),
        str(_first(record, "abstract", "notes_abstract")), authors=_first(record, "authors", "first_authors"),
        year=_first(record, "year", "publication_year", "date"), venue=_first(record, *VENUE_KEYS),
        doi=_first(record, "doi"), url=record.get("urls") or "", keywords=record.get("keywords") or ())


def parse(path: Path, text: str) -> Parsed:
    import rispy

    def entries():
        for line, record_text in _records(path, text):
            records = rispy.loads(record_text)
            if len(records) != 1:
                raise CorpusError(f"{path}:{line}: rispy could not read the record that starts here")
            yield _paper(path, line, records[0])

    return collect(path, "ris", entries())
