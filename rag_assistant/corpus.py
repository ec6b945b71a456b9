"""Parsers that turn files of paper abstracts into ``Paper`` records.

Supported: the bundled page scrape (``.txt``: 2 header lines, then title/abstract
line pairs), ``.jsonl`` / ``.json`` (objects with ``title`` and ``abstract``) and
``.csv`` (columns ``title`` and ``abstract``). Every problem raises ``CorpusError``
naming the file and line; nothing is returned for a collection with any bad file.

>>> paper_id("  Attention Is  All You Need ") == paper_id("attention is all you need")
True
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import unicodedata
from pathlib import Path
from typing import Iterable, Iterator

from .errors import CorpusError
from .types import Paper

SUPPORTED_SUFFIXES = (".txt", ".jsonl", ".json", ".csv")
HEADER_LINES = 2
SUBSCRIBE_PREFIX = "Subscribe"
# five times the longest bundled abstract (they have 555-1,912 characters): a longer "abstract" is a
# mis-saved file or a paper's full text, not an abstract
MAX_ABSTRACT_CHARS = 10_000
MAX_TITLE_CHARS = 500  # the bundled titles have up to 174


def normalize_title(title: str) -> str:
    """Case-, width- and whitespace-insensitive form of a title, used for ids and dedup."""
    return " ".join(unicodedata.normalize("NFKC", title).casefold().split())


def paper_id(title: str) -> str:
    return hashlib.sha1(normalize_title(title).encode("utf-8")).hexdigest()[:16]


def _read_text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CorpusError(f"{path}: cannot read file ({exc.strerror or exc})") from None
    if not raw.strip():
        raise CorpusError(f"{path}: file is empty; expected paper titles and abstracts")
    if b"\x00" in raw:  # anywhere: a NUL would otherwise end up inside a title or abstract
        line = raw[:raw.index(b"\x00")].count(b"\n") + 1
        raise CorpusError(f"{path}:{line}: a NUL byte: this looks like a binary file, not text; pass a .txt, "
                          ".jsonl, .json or .csv file")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise CorpusError(f"{path}:{line}: not valid UTF-8 text (byte {exc.start}); re-save the file as UTF-8") from None


def _paper(path: Path, line: int, title: str, abstract: str) -> Paper:
    title, abstract = " ".join(title.split()), " ".join(abstract.split())
    if not title:
        raise CorpusError(f"{path}:{line}: empty title")
    if not abstract:
        raise CorpusError(f"{path}:{line}: empty abstract for title {title[:60]!r}")
    if len(title) > MAX_TITLE_CHARS:
        raise CorpusError(f"{path}:{line}: the title is {len(title):,} characters long (at most {MAX_TITLE_CHARS}): "
                          f"is an abstract in the title's place? It starts {title[:60]!r}")
    if len(abstract) > MAX_ABSTRACT_CHARS:
        raise CorpusError(f"{path}:{line}: the abstract of {title[:60]!r} is {len(abstract):,} characters long "
                          f"(at most {MAX_ABSTRACT_CHARS:,}, about 1,500 words): give one paper's abstract per record")
    return Paper(paper_id=paper_id(title), title=title, abstract=abstract, source=path.name)


def _has_header(lines: list[str]) -> bool:
    """A page scrape starts with 2 header lines (and its first title with "Subscribe"); a file of
    title/abstract pairs without them has an abstract as its second line, much longer than the
    title before it, and its first paper must not be lost. (A first abstract under 100
    characters, or under twice its title's length, is taken for a header.)

    >>> _has_header(["Get papers daily!", "Get papers!", "SubscribeA Title", "An abstract."])
    True
    >>> _has_header(["A Title", "We study things. " * 20, "Another Title", "Its abstract."])
    False
    >>> _has_header(["A Title", "One sentence of abstract, with no full stop inside it, yet well over twice "
    ...              "the length of the title before it", "T", "A"])
    False
    """
    if len(lines) > HEADER_LINES and lines[HEADER_LINES].startswith(SUBSCRIBE_PREFIX):
        return True  # the scrape's own layout
    if len(lines) < 2:
        return True
    first, second = lines[0].strip(), lines[1].strip()
    return not (len(second) >= 100 and len(second) > 2 * len(first))


def parse_page(path: Path, text: str | None = None) -> list[Paper]:
    """Parse a scraped page: 2 header lines (when the second line is not an abstract), then
    title/abstract pairs."""
    text = _read_text(path) if text is None else text
    lines = text.splitlines()
    first = next((line.strip() for line in lines if line.strip()), "")
    if first.startswith("{") and first.endswith("}"):
        try:
            looks_json = isinstance(json.loads(first), dict)
        except json.JSONDecodeError:
            looks_json = False
        if looks_json:
            raise CorpusError(f"{path}: looks like JSON Lines, not a page scrape: rename it to "
                              f"{path.with_suffix('.jsonl').name}")
    while lines and not lines[-1].strip():
        lines.pop()
    header = HEADER_LINES if _has_header(lines) else 0
    body = lines[header:]
    if not body:
        raise CorpusError(f"{path}: no papers after the {HEADER_LINES} header lines")
    if len(body) % 2:
        raise CorpusError(
            f"{path}:{header + len(body)}: odd number of lines" + (" after the header" if header else "") + " "
            f"({len(body)}): every title needs an abstract on the next line"
        )
    papers = []
    for i in range(0, len(body), 2):
        title = body[i]
        if i == 0 and title.startswith(SUBSCRIBE_PREFIX):
            title = title[len(SUBSCRIBE_PREFIX):]
        papers.append(_paper(path, header + i + 1, title, body[i + 1]))
    return papers


def _records(path: Path, text: str) -> Iterator[tuple[int, dict]]:
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        for n, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    yield n, json.loads(line)
                except json.JSONDecodeError as exc:
                    raise CorpusError(f"{path}:{n}: invalid JSON ({exc.msg})") from None
                except RecursionError:
                    raise CorpusError(f"{path}:{n}: JSON nested too deeply; expected one {{title, abstract}} "
                                      "object per line") from None
    elif suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CorpusError(f"{path}:{exc.lineno}: invalid JSON ({exc.msg})") from None
        except RecursionError:
            raise CorpusError(f"{path}: JSON nested too deeply; expected a list of {{title, abstract}} objects") from None
        if isinstance(data, dict) and "papers" not in data and {"title", "abstract"} & set(data):
            data = [data]  # one paper saved as a bare object
        items = data.get("papers", []) if isinstance(data, dict) else data
        if not isinstance(items, list):
            raise CorpusError(f"{path}: expected a list of {{title, abstract}} objects, or {{\"papers\": [...]}}")
        yield from ((1, item) for item in items)
    else:  # .csv
        reader = csv.DictReader(io.StringIO(text))
        columns = [f.strip().lower() for f in reader.fieldnames or [] if f]
        twice = sorted({c for c in columns if columns.count(c) > 1} & {"title", "abstract"})
        if twice:
            raise CorpusError(f"{path}:1: the CSV header has more than one {' and '.join(twice)} column "
                              "(names compared without case): keep one of each")
        missing = {"title", "abstract"} - set(columns)
        if missing:
            first = text.split("\n", 1)[0]
            hint = next((f" (the header is separated by {name!r}: save the file with commas)"
                         for sep, name in ((";", ";"), ("\t", "tab"), ("|", "|")) if sep in first and "," not in first), "")
            raise CorpusError(f"{path}:1: CSV header lacks column(s) {', '.join(sorted(missing))}{hint}")
        for row in reader:
            yield reader.line_num, {k.strip().lower(): v for k, v in row.items() if k}


def parse_records(path: Path, text: str | None = None) -> list[Paper]:
    """Parse JSONL / JSON / CSV files whose records have ``title`` and ``abstract``."""
    text = _read_text(path) if text is None else text
    papers = []
    for line, record in _records(path, text):
        if not isinstance(record, dict):
            raise CorpusError(f"{path}:{line}: expected an object with 'title' and 'abstract'")
        for key in ("title", "abstract"):
            if record.get(key) is not None and not isinstance(record[key], str):
                raise CorpusError(f"{path}:{line}: '{key}' must be text (a string), got "
                                  f"{type(record[key]).__name__} {str(record[key])[:40]!r}")
        papers.append(_paper(path, line, record.get("title") or "", record.get("abstract") or ""))
    if not papers:
        raise CorpusError(f"{path}: no papers found")
    return papers


def parse_file(path: Path) -> list[Paper]:
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise CorpusError(f"{path}: unsupported file type {suffix or '(none)'}; use {', '.join(SUPPORTED_SUFFIXES)}")
    return parse_page(path) if suffix == ".txt" else parse_records(path)


def corpus_files(paths: Iterable[Path]) -> list[Path]:
    """Expand folders to their supported files (sorted); README files are documentation."""
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            try:
                found = sorted(
                    p for p in path.iterdir()
                    if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES and not p.name.lower().startswith("readme")
                )
            except OSError as exc:
                raise CorpusError(f"{path}: cannot read folder ({exc.strerror or exc})") from None
            if not found:
                raise CorpusError(f"{path}: folder has no {', '.join(SUPPORTED_SUFFIXES)} files")
            files.extend(found)
        elif path.exists():
            files.append(path)
        else:
            raise CorpusError(f"{path}: no such file or folder")
    return files


def load_corpus(paths: Iterable[Path]) -> list[Paper]:
    """Parse every file, then deduplicate by normalized title (first occurrence wins)."""
    return load_corpus_checked(paths)[0]


def load_corpus_checked(paths: Iterable[Path]) -> tuple[list[Paper], list[str]]:
    """``load_corpus`` plus the titles that came more than once with *different* abstracts (the
    first one is kept; identical copies, like the two bundled pages' overlap, are not listed)."""
    seen: dict[str, Paper] = {}
    conflicts: dict[str, None] = {}
    for file in corpus_files(paths):
        for paper in parse_file(file):
            first = seen.setdefault(paper.paper_id, paper)
            if first is not paper and first.abstract != paper.abstract:
                conflicts[first.title] = None
    return list(seen.values()), list(conflicts)
