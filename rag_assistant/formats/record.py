"""What every parser shares: a file's text, and one entry -> a ``Paper``, or the reason it is skipped."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from ..errors import CorpusError
from ..types import Paper
from .fields import clean_doi, find_arxiv_id, find_year, first_url, split_authors, split_terms

# five times the longest bundled abstract (they have 555-1,912 characters): a longer "abstract" is a
# mis-saved file or a paper's full text, not an abstract
MAX_ABSTRACT_CHARS = 10_000
MAX_TITLE_CHARS = 500  # the bundled titles have up to 174


@dataclass(frozen=True)
class Skipped:
    """An entry of a file that is not indexed, and why: ``entry`` is how the file names it (a
    BibTeX key, an arXiv id, "line 12"), ``reason`` e.g. "no abstract"."""

    entry: str
    reason: str
    title: str = ""


@dataclass(frozen=True)
class Parsed:
    """One file's papers and skipped entries, in file order, and the format it was read as."""

    format: str
    papers: tuple[Paper, ...]
    skipped: tuple[Skipped, ...] = ()


def read_text(path: Path) -> str:
    """The file as text; an unreadable, empty, binary or non-UTF-8 file is a ``CorpusError``."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CorpusError(f"{path}: cannot read file ({exc.strerror or exc})") from None
    if not raw.strip():
        raise CorpusError(f"{path}: file is empty; expected paper titles and abstracts")
    if b"\x00" in raw:  # anywhere: a NUL would otherwise end up inside a title or abstract
        line = raw[:raw.index(b"\x00")].count(b"\n") + 1
        raise CorpusError(f"{path}:{line}: a NUL byte: this looks like a binary file, not text; pass a text file "
                          "of papers (.txt, .jsonl, .json, .csv, .tsv, .bib, .ris)")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise CorpusError(f"{path}:{line}: not valid UTF-8 text (byte {exc.start}); re-save the file as "
                          "UTF-8") from None


def text_field(where: str, name: str, value: Any) -> str:
    """A title or abstract from a JSON value: text, or nothing; anything else is an error."""
    if value is not None and not isinstance(value, str):
        raise CorpusError(f"{where}: '{name}' must be text (a string), got {type(value).__name__} {str(value)[:40]!r}")
    return value or ""


def paper_or_skip(where: str, entry: str, source: str, title: str, abstract: str, *, authors: Any = (),
                  year: Any = None, venue: Any = "", categories: Any = (), doi: Any = "", arxiv_id: Any = "",
                  url: Any = "", keywords: Any = ()) -> Paper | Skipped:
    """A ``Paper`` from one entry's fields (metadata in any of the shapes ``fields`` reads), or a
    ``Skipped`` for an entry without a title or abstract. ``where`` ("file:line") starts the error
    for a title or abstract too long to be one."""
    from ..corpus import paper_id

    title, abstract = " ".join(title.split()), " ".join(abstract.split())
    if not title:
        return Skipped(entry, "no title")
    if not abstract:
        return Skipped(entry, "no abstract", title)
    if len(title) > MAX_TITLE_CHARS:
        raise CorpusError(f"{where}: the title is {len(title):,} characters long (at most {MAX_TITLE_CHARS}): "
                          f"is an abstract in the title's place? It starts {title[:60]!r}")
    if len(abstract) > MAX_ABSTRACT_CHARS:
        raise CorpusError(f"{where}: the abstract of {title[:60]!r} is {len(abstract):,} characters long "
                          f"(at most {MAX_ABSTRACT_CHARS:,}, about 1,500 words): give one paper's abstract per record")
    doi = clean_doi(doi)
    arxiv_id = find_arxiv_id(arxiv_id, bare=True) or find_arxiv_id([url, doi, venue])
    url = first_url(url) or (f"https://arxiv.org/abs/{arxiv_id}" if arxiv_id else "") or \
        (f"https://doi.org/{doi}" if doi else "")
    return Paper(paper_id(title), title, abstract, source, authors=split_authors(authors), year=find_year(year),
                 venue=" ".join(str(venue or "").split()), categories=split_terms(categories, spaces=True),
                 doi=doi, arxiv_id=arxiv_id, url=url, keywords=split_terms(keywords))


def collect(path: Path, format: str, entries: Iterable[Paper | Skipped]) -> Parsed:  # noqa: A002 - the user's word
    """Sort entries into papers and skipped ones; a file with no entry at all is an error."""
    papers, skipped = [], []
    for entry in entries:
        (papers if isinstance(entry, Paper) else skipped).append(entry)
    if not papers and not skipped:
        raise CorpusError(f"{path}: no papers found")
    return Parsed(format, tuple(papers), tuple(skipped))
