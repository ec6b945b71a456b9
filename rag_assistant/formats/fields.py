"""Metadata as files write it -> the typed fields of a ``Paper``; column and key names with their aliases.

>>> split_authors("Smith, John; Doe, Jane")
('John Smith', 'Jane Doe')
>>> split_authors("Ashish Vaswani, Noam Shazeer and Niki Parmar")
('Ashish Vaswani', 'Noam Shazeer', 'Niki Parmar')
>>> split_authors([{"family": "Curie", "given": "Marie"}, {"name": "Pierre Curie"}])
('Marie Curie', 'Pierre Curie')
>>> find_year("Mon, 2 Apr 2007 19:18:42 GMT"), find_year({"date-parts": [[2021, 5]]}), find_year("n.d.")
(2007, 2021, None)
>>> clean_doi("https://doi.org/10.1145/3366423.3380223."), clean_doi("not a doi")
('10.1145/3366423.3380223', '')
>>> find_arxiv_id("arXiv preprint arXiv:2101.00001v2"), find_arxiv_id("https://arxiv.org/abs/hep-th/9901001")
('2101.00001', 'hep-th/9901001')
>>> canonical_field("Publication Year"), canonical_field("Abstract Note"), canonical_field("arXiv ID")
('year', 'abstract', 'arxiv_id')
"""
from __future__ import annotations

import re
from typing import Any, Iterable

# Field -> its names in the exports researchers have (Zotero CSV and CSL JSON, Scopus, Web of Science's
# two-letter tags, Semantic Scholar, arXiv), compared as lower-case letters and digits only. When a
# record has several, the first in this order wins (Zotero's CSV has both "Publication Year" and "Date").
ALIASES: dict[str, tuple[str, ...]] = {
    "title": ("title", "papertitle", "articletitle", "primarytitle", "ti"),
    "abstract": ("abstract", "abstractnote", "summary", "ab"),
    "authors": ("authors", "author", "authornames", "authorlist", "creators", "af", "au"),
    "year": ("year", "publicationyear", "pubyear", "py", "issued", "date", "publicationdate", "published",
             "publisheddate"),
    "venue": ("venue", "journal", "journalname", "booktitle", "conference", "publicationtitle", "containertitle",
              "sourcetitle", "publication", "journalref", "so"),
    "categories": ("categories", "category", "primarycategory", "subjects", "fieldsofstudy"),
    "doi": ("doi", "di"),
    "arxiv_id": ("arxivid", "arxiv", "eprint", "arxivnumber"),
    "url": ("url", "link", "links", "href", "paperurl", "absurl"),
    "keywords": ("keywords", "keyword", "tags", "manualtags", "authorkeywords", "de", "kw"),
}
_FIELD_OF = {alias: name for name, aliases in ALIASES.items() for alias in aliases}
_PRIORITY = {alias: i for aliases in ALIASES.values() for i, alias in enumerate(aliases)}
_NESTED_IDS = ("externalids", "ids", "identifiers")  # Semantic Scholar: {"externalIds": {"DOI": ..., "ArXiv": ...}}

_YEAR = re.compile(r"(?<!\d)(1[6-9]\d\d|20\d\d)(?!\d)")
_DOI = re.compile(r"10\.\d{4,9}/\S+")
_ARXIV_NEW = r"\d{4}\.\d{4,5}"
_ARXIV_OLD = r"[a-z][a-z-]*(?:\.[A-Z]{2})?/\d{7}"
_ARXIV_BARE = re.compile(rf"^(?:arxiv:)?({_ARXIV_NEW}|{_ARXIV_OLD})(?:v\d+)?$", re.IGNORECASE)
# inside a URL, DOI or venue only after an arXiv marker, so that page ranges and other numbers are left alone
_ARXIV_IN_TEXT = re.compile(rf"arxiv(?:\.org/(?:abs|pdf)/|[:.\s]\s*)({_ARXIV_NEW}|{_ARXIV_OLD})", re.IGNORECASE)


def key_form(name: str) -> str:
    """A column or key name as compared: lower-case letters and digits (``"Abstract Note"`` -> ``abstractnote``)."""
    return re.sub(r"[^a-z0-9]", "", str(name).casefold())


def canonical_field(name: str) -> str | None:
    """The ``Paper`` field a column or key name stands for, or None."""
    return _FIELD_OF.get(key_form(name))


def record_fields(record: dict) -> dict[str, Any]:
    """A record's values by field name (the best-placed alias of each; empty values do not count)."""
    candidates: list[tuple[int, str, Any]] = []
    for key, value in record.items():
        if isinstance(value, dict) and key_form(key) in _NESTED_IDS:
            candidates += [(len(ALIASES), field, v) for k, v in value.items() if (field := canonical_field(k))]
        elif (field := canonical_field(key)) and value not in (None, "", [], {}):
            candidates.append((_PRIORITY[key_form(key)], field, value))
    fields: dict[str, Any] = {}
    for _, field, value in sorted(candidates, key=lambda c: c[0]):
        fields.setdefault(field, value)
    return fields


def _name(name: Any) -> str:
    """One author as "First Last" (``"Smith, John"`` and CSL/Semantic Scholar objects included)."""
    if isinstance(name, dict):
        name = name.get("name") or name.get("literal") or f"{name.get('given', '')} {name.get('family', '')}"
    parts = [p.strip() for p in str(name).split(",")]
    if len(parts) == 2 and all(parts):
        parts = [parts[1], parts[0]]  # "Last, First"
    elif len(parts) == 3 and all(parts):
        parts = [parts[1], parts[0], parts[2]]  # RIS "Last, First, Suffix"
    return " ".join(" ".join(parts).split())


def split_authors(value: Any) -> tuple[str, ...]:
    """Author names as "First Last". A text is split at semicolons when it has any, else at " and "
    and commas, except that two comma-separated parts of which one is a single word are one
    "Last, First" name."""
    if isinstance(value, (list, tuple)):
        names = [_name(v) for v in value]
    else:
        text = " ".join(str(value or "").split())
        if ";" in text:
            names = [_name(p) for p in text.split(";")]
        else:
            pieces = re.split(r"\s+and\s+", text)
            if len(pieces) > 1 and all(p.count(",") == 1 for p in pieces):  # "Smith, John and Doe, Jane"
                names = [_name(p) for p in pieces]
            else:
                parts = [p.strip() for p in re.split(r",|\s+and\s+", text)]
                one_name = len(pieces) == 1 and len(parts) == 2 and (" " not in parts[0] or " " not in parts[1])
                names = [_name(text)] if one_name else parts  # "Smith, J." is one name; "A B, C D" two
    return unique(n for n in names if n)


def split_terms(value: Any, spaces: bool = False) -> tuple[str, ...]:
    """Keywords or categories: a list, or a text split at semicolons if it has any, else at commas
    (and at whitespace when ``spaces``, as arXiv's ``"cs.CV cs.LG"``)."""
    if isinstance(value, (list, tuple)):
        items = [str(v) for v in value]
    else:
        text = str(value or "")
        items = re.split(r"\s+" if spaces and not re.search(r"[;,]", text) else (";" if ";" in text else ","), text)
    return unique(" ".join(item.split()) for item in items)


def unique(items: Iterable[str]) -> tuple[str, ...]:
    """Non-empty items, each once (compared without case), in first-seen order."""
    seen: dict[str, str] = {}
    for item in items:
        if item:
            seen.setdefault(item.casefold(), item)
    return tuple(seen.values())


def find_year(value: Any) -> int | None:
    """The first year (1600-2099) in a number, date text or CSL date object."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 1600 <= value <= 2099 else None
    found = _YEAR.search(str(value or ""))
    return int(found.group(1)) if found else None


def clean_doi(value: Any) -> str:
    """A DOI without its ``https://doi.org/`` or ``doi:`` prefix (the first one, when there are several)."""
    text = re.sub(r"\\([_&%#])", r"\1", str(value or ""))  # BibTeX escapes
    found = _DOI.search(text)
    return found.group(0).rstrip(".,;)]}") if found else ""


def find_arxiv_id(value: Any, bare: bool = False) -> str:
    """The arXiv id (no version) in a URL, DOI (``10.48550/arXiv.…``) or "arXiv:…" text, or, with
    ``bare``, a field that holds only an id."""
    text = " ".join(str(v) for v in value) if isinstance(value, (list, tuple)) else str(value or "")
    found = _ARXIV_BARE.match(text.strip()) if bare else None
    found = found or _ARXIV_IN_TEXT.search(text)
    return found.group(1) if found else ""


def first_url(value: Any) -> str:
    """The first http(s) link in a text or list."""
    text = " ".join(str(v) for v in value) if isinstance(value, (list, tuple)) else str(value or "")
    found = re.search(r"https?://\S+", re.sub(r"\\([_&%#~])", r"\1", text))  # BibTeX escapes
    return found.group(0).rstrip(".,;") if found else ""
