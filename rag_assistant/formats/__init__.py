"""The input formats, one parser module each, and which one reads a file.

==========  =====================================  ==========================================
format      extensions                             what it is
==========  =====================================  ==========================================
``page``    ``.txt``                               the bundled page scrape (``page``)
``jsonl``   ``.jsonl``, ``.ndjson``                JSON Lines records (``jsonrecords``)
``json``    ``.json``                              a JSON list of records (``jsonrecords``)
``csv``     ``.csv``                               CSV with a header row (``table``)
``tsv``     ``.tsv``, ``.tab``                     TSV with a header row (``table``)
``bibtex``  ``.bib``, ``.bibtex``                  BibTeX with abstracts (``bibtex``)
``arxiv``   (JSON Lines, found from content)       arXiv's metadata snapshot (``arxiv``)
``ris``     ``.ris``                               RIS (``ris``)
==========  =====================================  ==========================================

``detect_format(path, text)``: the content decides where it is unmistakable (a ``TY  -`` first
line is RIS, an ``@type{`` first entry BibTeX, a first line holding one JSON object JSON Lines,
and arXiv's when that object has arXiv's keys), whatever the extension says; otherwise the
extension does. ``parse(path, format=None)`` reads a file; ``format`` (the CLI's ``--format``)
names the format instead, e.g. ``parse(Path("export.txt"), format="ris")``.

>>> detect_format(Path("refs.txt"), "TY  - JOUR\\nTI  - A title\\nER  - \\n")
'ris'
>>> detect_format(Path("library.txt"), "% Encoding: UTF-8\\n\\n@article{key2020,\\n title={T}}")
'bibtex'
>>> detect_format(Path("papers.txt"), '{"title": "T", "abstract": "A."}\\n')
'jsonl'
>>> detect_format(Path("arxiv.json"), '{"id": "0704.0001", "abstract": "A.", "categories": "hep-ph"}\\n')
'arxiv'
>>> detect_format(Path("page.txt"), "Header\\nHeader\\nSubscribeTitle\\nAbstract.\\n")
'page'
>>> detect_format(Path("pairs.txt"), "[Re] A Reproduction\\nWe reproduce it.\\n")  # a title, not JSON
'page'
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from ..errors import CorpusError
from . import arxiv, bibtex, jsonrecords, page, ris, table
from .record import Parsed, Skipped, read_text

__all__ = ["FORMATS", "SUFFIXES", "Parsed", "Skipped", "detect_format", "parse", "parse_text"]

SUFFIXES = {".txt": "page", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".csv": "csv", ".tsv": "tsv",
            ".tab": "tsv", ".bib": "bibtex", ".bibtex": "bibtex", ".ris": "ris"}
PARSERS = {"page": page.parse, "jsonl": jsonrecords.parse_jsonl, "json": jsonrecords.parse_json,
           "csv": table.parse, "tsv": lambda path, text: table.parse(path, text, "tsv"), "bibtex": bibtex.parse,
           "arxiv": arxiv.parse, "ris": ris.parse}
FORMATS = tuple(PARSERS)
_NAMES = {**{f: f for f in FORMATS}, "bib": "bibtex", "ndjson": "jsonl", "txt": "page", "scrape": "page"}

_BIBTEX_ENTRY = re.compile(r"@\s*[A-Za-z]+\s*\{")
_JSON_LIST = re.compile(r'\[\s*(?:[{\["\]]|$)')  # "[{", "[" alone, "[]": not a title such as "[Re] ..."
_RIS_START = re.compile(r"TY  -(?: |$)")


def format_name(name: str) -> str:
    """The format a user's ``--format`` value names (case aside; ``bib`` and ``ndjson`` too)."""
    found = _NAMES.get(str(name).strip().lower())
    if found is None:
        raise CorpusError(f"unknown format {name!r}: use one of {', '.join(FORMATS)}")
    return found


def _json_layout(first_line: str) -> str | None:
    """``arxiv`` or ``jsonl`` for a first line that is one whole JSON object, else None."""
    try:
        record = json.loads(first_line)
    except (json.JSONDecodeError, RecursionError):
        return None
    if not isinstance(record, dict):
        return None
    return "arxiv" if arxiv.looks_like_arxiv(record) else "jsonl"


def _sniff(text: str) -> str | None:
    """The format a file's content shows beyond doubt, or None."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return None
    first = lines[0].strip()
    if _RIS_START.match(lines[0]):
        return "ris"
    if _BIBTEX_ENTRY.match(next((line.strip() for line in lines if not line.lstrip().startswith("%")), "")):
        return "bibtex"
    if first.startswith("{"):
        return _json_layout(first) or ("json" if first == "{" or first.startswith('{"') else None)
    if _JSON_LIST.match(first):
        try:
            items = json.loads(text)
        except (json.JSONDecodeError, RecursionError):
            return "json"  # its parser names the error
        return "arxiv" if isinstance(items, list) and items and arxiv.looks_like_arxiv(items[0]) else "json"
    return None


def detect_format(path: Path, text: str) -> str:
    """The format of ``path`` with content ``text``: the content's, else the extension's."""
    sniffed, by_suffix = _sniff(text), SUFFIXES.get(path.suffix.lower())
    if sniffed is not None:
        return sniffed
    if by_suffix is None:
        raise CorpusError(f"{path}: unsupported file type {path.suffix or '(none)'} and no format recognised in its "
                          f"content; use {', '.join(SUFFIXES)}, or name the format ({', '.join(FORMATS)})")
    return by_suffix


def parse_text(path: Path, text: str, format: str | None = None) -> Parsed:  # noqa: A002 - the CLI's word
    """Parse ``text`` (the content of ``path``) as ``format``, or as the format it is detected to be."""
    name = format_name(format) if format else detect_format(path, text)
    return PARSERS[name](path, text)


def parse(path: Path, format: str | None = None) -> Parsed:  # noqa: A002 - the CLI's word
    """Read and parse one file; every problem is a ``CorpusError`` naming the file (and line)."""
    path = Path(path)
    if format:
        format = format_name(format)  # a typo is named before the file is read
    return parse_text(path, read_text(path), format)
