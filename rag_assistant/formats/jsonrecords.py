"""JSON (a list of objects, ``{"papers": [...]}``, or one object) and JSON Lines (one object a line).

Each object needs ``title`` and ``abstract`` text; metadata keys are read under the names in
``fields.ALIASES`` (``authors`` as a list or a text, ``year`` as a number or a date, ``doi``,
``url``, ...), so Zotero's CSL JSON and Semantic Scholar records load as they are.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

from ..errors import CorpusError
from ..types import Paper
from .fields import record_fields
from .record import Parsed, Skipped, collect, paper_or_skip, text_field


def json_lines(path: Path, text: str) -> Iterator[tuple[int, object]]:
    """(line number, value) for each non-blank line."""
    for n, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                yield n, json.loads(line)
            except json.JSONDecodeError as exc:
                raise CorpusError(f"{path}:{n}: invalid JSON ({exc.msg})") from None
            except RecursionError:
                raise CorpusError(f"{path}:{n}: JSON nested too deeply; expected one {{title, abstract}} "
                                  "object per line") from None


def json_items(path: Path, text: str) -> list:
    """The records of a JSON document: its list, its ``papers`` list, or the one object it is."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CorpusError(f"{path}:{exc.lineno}: invalid JSON ({exc.msg})") from None
    except RecursionError:
        raise CorpusError(f"{path}: JSON nested too deeply; expected a list of {{title, abstract}} objects") from None
    if isinstance(data, dict) and "papers" not in data and {"title", "abstract", "id"} & set(data):
        data = [data]  # one paper saved as a bare object
    items = data.get("papers", []) if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise CorpusError(f"{path}: expected a list of {{title, abstract}} objects, or {{\"papers\": [...]}}")
    return items


def record_paper(path: Path, where: str, entry: str, record: object) -> Paper | Skipped:
    if not isinstance(record, dict):
        raise CorpusError(f"{where}: expected an object with 'title' and 'abstract'")
    fields = record_fields(record)
    title = text_field(where, "title", fields.pop("title", None))
    abstract = text_field(where, "abstract", fields.pop("abstract", None))
    return paper_or_skip(where, entry, path.name, title, abstract, **fields)


def parse_jsonl(path: Path, text: str) -> Parsed:
    return collect(path, "jsonl", (record_paper(path, f"{path}:{n}", f"line {n}", record)
                                   for n, record in json_lines(path, text)))


def parse_json(path: Path, text: str) -> Parsed:
    return collect(path, "json", (record_paper(path, f"{path}: record {i}", f"record {i}", record)
                                  for i, record in enumerate(json_items(path, text), 1)))
