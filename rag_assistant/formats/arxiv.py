"""arXiv's metadata snapshot: JSON Lines (or a JSON list) of records with ``id``, ``title``,
``abstract``, ``authors`` / ``authors_parsed``, ``categories``, ``doi``, ``journal-ref``,
``versions`` and ``update_date``.

Titles and abstracts are unwrapped (the snapshot keeps arXiv's line breaks) and their LaTeX
decoded; math stays as written. The year is the first version's, else the last update's; the
venue is the journal reference, else "arXiv"; the link is the abstract page.

>>> paper = _paper(Path("arxiv.jsonl"), "arxiv.jsonl:1", "line 1", {
...     "id": "0704.0001", "title": "Calculation of prompt diphoton production cross sections at\\n  Tevatron",
...     "abstract": "  A fully differential calculation in perturbative QCD is\\npresented.\\n",
...     "authors_parsed": [["Bal\\\\'azs", "C.", ""], ["Berger", "E. L.", ""]], "categories": "hep-ph",
...     "versions": [{"version": "v1", "created": "Mon, 2 Apr 2007 19:18:42 GMT"}], "update_date": "2008-11-13"})
>>> paper.title
'Calculation of prompt diphoton production cross sections at Tevatron'
>>> paper.abstract
'A fully differential calculation in perturbative QCD is presented.'
>>> paper.authors, paper.year, paper.categories, paper.venue, paper.url
(('C. Balázs', 'E. L. Berger'), 2007, ('hep-ph',), 'arXiv', 'https://arxiv.org/abs/0704.0001')
"""
from __future__ import annotations

from pathlib import Path

from ..errors import CorpusError
from ..types import Paper
from .fields import split_authors
from .jsonrecords import json_items, json_lines
from .latex import latex_to_text
from .record import Parsed, Skipped, collect, paper_or_skip, text_field

# keys only arXiv's records have (with "id" and "abstract"): how a JSON file is told to be one
MARKERS = ("categories", "versions", "authors_parsed", "update_date", "journal-ref", "submitter")


def looks_like_arxiv(record: object) -> bool:
    return isinstance(record, dict) and {"id", "abstract"} <= set(record) and any(k in record for k in MARKERS)


def _authors(record: dict) -> list[str]:
    parsed = record.get("authors_parsed")
    if isinstance(parsed, list) and parsed:  # [[last, first, suffix], ...]
        names = [" ".join(str(part) for part in (p[1:2] + p[:1] + p[2:]) if part) if isinstance(p, list) else str(p)
                 for p in parsed]
    else:
        names = list(split_authors(latex_to_text(str(record.get("authors") or ""))))
    return [latex_to_text(name) for name in names]


def _year(record: dict) -> object:
    versions = record.get("versions")
    first = versions[0] if isinstance(versions, list) and versions else None
    return (first.get("created") if isinstance(first, dict) else first) or record.get("update_date")


def _paper(path: Path, where: str, entry: str, record: object) -> Paper | Skipped:
    if not isinstance(record, dict):
        raise CorpusError(f"{where}: expected an arXiv record (an object with 'id', 'title' and 'abstract')")
    arxiv_id = str(record.get("id") or "").strip()
    title = latex_to_text(text_field(where, "title", record.get("title")))
    abstract = latex_to_text(text_field(where, "abstract", record.get("abstract")))
    return paper_or_skip(where, arxiv_id or entry, path.name, title, abstract,
                         authors=_authors(record), year=_year(record),
                         venue=latex_to_text(str(record.get("journal-ref") or "")) or "arXiv",
                         categories=record.get("categories") or (), doi=record.get("doi") or "",
                         arxiv_id=arxiv_id, url=f"https://arxiv.org/abs/{arxiv_id}" if arxiv_id else "")


def parse(path: Path, text: str) -> Parsed:
    if text.lstrip().startswith("["):
        records = ((f"{path}: record {i}", f"record {i}", r) for i, r in enumerate(json_items(path, text), 1))
    else:
        records = ((f"{path}:{n}", f"line {n}", r) for n, r in json_lines(path, text))
    return collect(path, "arxiv", (_paper(path, where, entry, record) for where, entry, record in records))
