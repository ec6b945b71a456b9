"""BibTeX (``.bib``) as Zotero, Mendeley, JabRef and Google Scholar export it, read with bibtexparser.

An entry's ``abstract`` is the paper's abstract; ``title``, ``author``, ``year`` (or biblatex's
``date``), ``journal`` / ``booktitle`` (the venue), ``doi``, ``url``, ``keywords`` and an arXiv
``eprint`` (or an "arXiv:…" journal, as Google Scholar writes it) are its metadata. LaTeX accents,
escapes and braces are decoded. An entry without an abstract is skipped under its key; an entry
that cannot be parsed is an error naming its line.
"""
from __future__ import annotations

import logging
from pathlib import Path

from ..errors import CorpusError
from ..types import Paper
from .fields import find_arxiv_id, split_terms
from .latex import latex_to_text
from .record import Parsed, Skipped, collect, paper_or_skip

VENUE_FIELDS = ("journal", "journaltitle", "booktitle", "series", "publisher", "institution", "school",
                "organization")


def _authors(value: str) -> list[str]:
    """BibTeX's "Last, First and First Last and {Org Name}" as "First Last" names."""
    from bibtexparser.middlewares.names import parse_single_name_into_parts, split_multiple_persons_names

    names = []
    for name in split_multiple_persons_names(value):
        try:
            name = parse_single_name_into_parts(name, strict=False).merge_first_name_first
        except Exception:  # noqa: BLE001 - a name bibtexparser cannot split is kept as written
            pass
        names.append(latex_to_text(name))
    return names


def _arxiv_id(fields: dict[str, str]) -> str:
    archive = (fields.get("archiveprefix", "") + fields.get("eprinttype", "")).lower()
    if fields.get("eprint") and (not archive or "arxiv" in archive):  # an id of another archive is no arXiv id
        return fields["eprint"]
    return find_arxiv_id([fields.get(k, "") for k in ("journal", "note", "howpublished", "url", "doi")])


def _paper(path: Path, entry) -> Paper | Skipped:
    fields = {key.lower(): str(field.value) for key, field in entry.fields_dict.items()}
    line = entry.start_line + 1
    venue = next((fields[k] for k in VENUE_FIELDS if fields.get(k)), "")
    return paper_or_skip(
        f"{path}:{line}: entry {entry.key}", entry.key, path.name,
        latex_to_text(fields.get("title", "")), latex_to_text(fields.get("abstract", "")),
        authors=_authors(fields.get("author", "")), year=fields.get("year") or fields.get("date"),
        venue=latex_to_text(venue), doi=fields.get("doi", ""), arxiv_id=_arxiv_id(fields),
        url=fields.get("url", ""), keywords=[latex_to_text(k) for k in split_terms(fields.get("keywords", ""))])


def parse(path: Path, text: str) -> Parsed:
    import bibtexparser
    from bibtexparser.model import DuplicateFieldKeyBlock, Entry, ParsingFailedBlock

    logger = logging.getLogger("bibtexparser")  # its warnings repeat the CorpusError below
    if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
        logger.addHandler(logging.NullHandler())
    entries: list[Paper | Skipped] = []
    for block in bibtexparser.parse_string(text).blocks:  # in file order
        if isinstance(block, DuplicateFieldKeyBlock):  # which of the two values is meant is a guess
            keys = ", ".join(sorted(block.duplicate_keys))
            entries.append(Skipped(block.ignore_error_block.key, f"field(s) {keys} given twice"))
        elif isinstance(block, ParsingFailedBlock) and isinstance(block.ignore_error_block, Entry):
            entries.append(_paper(path, block.ignore_error_block))  # e.g. a key used twice: still a paper
        elif isinstance(block, ParsingFailedBlock):
            reason = " ".join(str(getattr(block.error, "abort_reason", block.error)).split())
            raise CorpusError(f"{path}:{block.start_line + 1}: a BibTeX entry that cannot be parsed ({reason}); "
                              "fix or remove it")
        elif isinstance(block, Entry):
            entries.append(_paper(path, block))
    return collect(path, "bibtex", entries)
