"""Files and folders of papers -> one deduplicated list of ``Paper`` records, and what each file gave.

The formats (the bundled page scrape, JSON / JSON Lines, CSV / TSV, BibTeX, arXiv's metadata
snapshot, RIS) and how a file's format is found are in ``rag_assistant.formats``; every loader
here takes ``format=`` (the CLI's ``--format``) to name it instead. Every problem raises
``CorpusError`` naming the file and line; nothing is returned for a collection with any bad file.
An entry without a title or abstract is no problem: it is returned as skipped, with its reason.

The same paper in two places (the same DOI, the same arXiv id, or the same ``normalize_title``)
is one paper: the first keeps its title and abstract, and takes the metadata it lacks from the later ones.

>>> paper_id("  Attention Is  All You Need ") == paper_id("attention is all you need")
True
>>> from rag_assistant.types import Paper
>>> _same_paper_keys(Paper("x", "A Title", "...", doi="10.1/ABC", arxiv_id="2101.00001"))
['title:a title', 'doi:10.1/abc', 'arxiv:2101.00001']
"""
from __future__ import annotations

import dataclasses
import hashlib
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from .errors import CorpusError
from .types import Paper

if TYPE_CHECKING:  # the formats import this module (for paper_id), so it imports them only when used
    from .formats import Skipped


def normalize_title(title: str) -> str:
    """Case-, width- and whitespace-insensitive form of a title, used for ids and dedup."""
    return " ".join(unicodedata.normalize("NFKC", str(title)).casefold().split())


def paper_id(title: str) -> str:
    return hashlib.sha1(normalize_title(title).encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class FileResult:
    """What one file gave: its ``papers`` that no earlier entry gave (with the metadata the later
    copies added), the entries ``skipped`` (``formats.Skipped``: entry, reason, title), the titles of
    its ``duplicates`` (papers an earlier entry already gave, kept once), and of those the
    ``conflicts``: the titles of the papers kept whose copy here had a different abstract."""

    path: Path
    format: str
    papers: tuple[Paper, ...]
    skipped: tuple[Skipped, ...] = ()
    duplicates: tuple[str, ...] = ()
    conflicts: tuple[str, ...] = ()


def supported_suffixes() -> tuple[str, ...]:
    from .formats import SUFFIXES

    return tuple(SUFFIXES)


def parse_file(path: Path, format: str | None = None) -> list[Paper]:  # noqa: A002 - the CLI's word
    """One file's papers (skipped entries left out: ``load_files`` reports them)."""
    from .formats import parse

    return list(parse(Path(path), format).papers)


def corpus_files(paths: Iterable[Path]) -> list[Path]:
    """Expand folders to their files of a known extension (sorted); README files are documentation."""
    suffixes = supported_suffixes()
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            try:
                found = sorted(
                    p for p in path.iterdir()
                    if p.is_file() and p.suffix.lower() in suffixes and not p.name.lower().startswith("readme")
                )
            except OSError as exc:
                raise CorpusError(f"{path}: cannot read folder ({exc.strerror or exc})") from None
            if not found:
                raise CorpusError(f"{path}: folder has no {', '.join(suffixes)} files")
            files.extend(found)
        elif path.exists():
            files.append(path)
        else:
            raise CorpusError(f"{path}: no such file or folder")
    return files


def _same_paper_keys(paper: Paper) -> list[str]:
    keys = [f"title:{normalize_title(paper.title)}"]
    if paper.doi:
        keys.append(f"doi:{paper.doi.lower()}")  # DOIs are case-insensitive
    if paper.arxiv_id:
        keys.append(f"arxiv:{paper.arxiv_id.lower()}")
    return keys


def _fill(kept: Paper, copy: Paper) -> Paper:
    """``kept`` with the metadata it lacks taken from ``copy``."""
    missing = {f.name: getattr(copy, f.name) for f in dataclasses.fields(Paper)
               if f.name not in ("paper_id", "title", "abstract", "source") and not getattr(kept, f.name)}
    return dataclasses.replace(kept, **missing) if any(missing.values()) else kept


def load_files(paths: Iterable[Path], format: str | None = None) -> list[FileResult]:  # noqa: A002
    """Parse every file of ``paths`` (folders expanded) and deduplicate across all of them, keeping
    each paper where it came first. One ``FileResult`` per file, in order."""
    from .formats import parse

    kept: dict[str, Paper] = {}  # paper id -> the paper kept
    owner: dict[str, str] = {}  # a same-paper key -> the paper id kept for it
    parsed = []
    for file in corpus_files(paths):
        result = parse(file, format)
        mine, duplicates, conflicts = [], [], []
        for paper in result.papers:
            keys = _same_paper_keys(paper)
            first = next((owner[k] for k in keys if k in owner), None)
            if first is None:
                kept[paper.paper_id] = paper
                mine.append(paper.paper_id)
                first = paper.paper_id
            else:
                duplicates.append(kept[first].title)
                if kept[first].abstract != paper.abstract:
                    conflicts.append(kept[first].title)
                kept[first] = _fill(kept[first], paper)
            owner.update((k, first) for k in keys if k not in owner)
        parsed.append((file, result, mine, duplicates, conflicts))
    return [FileResult(file, result.format, tuple(kept[pid] for pid in mine), result.skipped,
                       tuple(dict.fromkeys(duplicates)), tuple(dict.fromkeys(conflicts)))
            for file, result, mine, duplicates, conflicts in parsed]


def load_corpus(paths: Iterable[Path], format: str | None = None) -> list[Paper]:  # noqa: A002
    """Parse every file, then deduplicate (first occurrence wins)."""
    return load_corpus_checked(paths, format)[0]


def load_corpus_checked(paths: Iterable[Path],
                        format: str | None = None) -> tuple[list[Paper], list[str]]:  # noqa: A002
    """``load_corpus`` plus the titles that came more than once with *different* abstracts (the
    first one is kept; identical copies, like the two bundled pages' overlap, are not listed)."""
    results = load_files(paths, format)
    conflicts = dict.fromkeys(title for result in results for title in result.conflicts)
    return [paper for result in results for paper in result.papers], list(conflicts)
