"""Which papers may a question draw on? Filters by year range, author, category or venue, and keyword.

A ``Filters`` value says what the user asked for; a ``FilterIndex`` (built once per collection)
turns it into the set of matching paper ids with dictionary lookups, so a query's filtering cost
grows with the number of papers that match, not with the collection. Every retriever then searches
only those papers: BM25 through a mask, the vector query through Chroma's ``where``, or, for a
filter that admits a large share of the papers, through the nearest records over-fetched by that
share, repeated with the ``where`` should too few pass (``retrieval.HybridRetriever._nearest``).

Within one field the values are alternatives (``authors=("Smith", "Lee")``: either); across
fields they all hold (an author's papers in that year range).

>>> f = Filters.of(year="2021-2023", author="Smith", category="cs.CV")
>>> f.describe()
'years 2021-2023, author Smith, category cs.CV'
>>> from .types import Paper
>>> f.matches(Paper("p", "T", "A.", authors=("Jane Smith",), year=2022, categories=("cs.CV", "cs.LG")))
True
>>> f.matches(Paper("p", "T", "A.", authors=("Jane Smith",), year=2020, categories=("cs.CV",)))
False
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Iterable, Mapping

from .errors import InvalidQuestionError
from .types import Paper

_WORD = re.compile(r"[^\W_]+(?:[.\-][^\W_]+)*")
_YEAR = re.compile(r"^\s*(\d{4})?\s*(?:(-|–|\.\.|:|to)\s*(\d{4})?)?\s*$")
FIELDS = ("year", "author", "category", "keyword")


class InvalidFilterError(InvalidQuestionError):
    """A filter value cannot be read (e.g. a year range that is not YEAR, YEAR-YEAR, YEAR- or -YEAR)."""


def fold(text: str) -> str:
    """Lower case without accents, so "Müller" finds "Muller" and "MÜLLER".

    >>> fold("Müller-Lüdenscheidt")
    'muller-ludenscheidt'
    """
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def words(text: str) -> list[str]:
    """The folded words of a text, keeping "cs.CV" and "x-ray" whole.

    >>> words("Jane  O. Smith-Jones; cs.CV")
    ['jane', 'o', 'smith-jones', 'cs.cv']
    """
    return _WORD.findall(fold(text))


def parse_years(text: str | int | None) -> tuple[int | None, int | None]:
    """A year range from "2021", "2021-2023", "2021-" (from), "-2023" (until), or "2021..2023".

    >>> parse_years("2019-2021"), parse_years("2020-"), parse_years(" -2018"), parse_years(2022)
    ((2019, 2021), (2020, None), (None, 2018), (2022, 2022))
    """
    if text is None or text == "":
        return None, None
    if isinstance(text, int) and not isinstance(text, bool):
        return text, text
    match = _YEAR.match(str(text))
    if not match or not (match.group(1) or match.group(3)):
        raise InvalidFilterError(f"the year filter {text!r} is not a year or a range: use 2021, 2021-2023, "
                                 "2021- (from 2021) or -2023 (until 2023)")
    first = int(match.group(1)) if match.group(1) else None
    last = int(match.group(3)) if match.group(3) else None
    if not match.group(2):
        last = first
    if first is not None and last is not None and first > last:
        raise InvalidFilterError(f"the year range {text!r} ends before it starts: use {last}-{first}")
    return first, last


def _values(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """One value, a comma-separated text, or a list of them, as clean non-empty texts."""
    if value is None:
        return ()
    items = list(value) if isinstance(value, (list, tuple, set, frozenset)) else [value]
    out: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise InvalidFilterError(f"a filter value must be text, not {type(item).__name__} ({item!r})")
        out += [" ".join(part.split()) for part in item.split(",") if part.strip()]
    for item in out:
        if not words(item):
            raise InvalidFilterError(f"the filter value {item!r} has no words in it")
    return tuple(dict.fromkeys(out))


@dataclass(frozen=True)
class Filters:
    """Limits on the papers to search. An empty ``Filters()`` searches the whole collection."""

    year_from: int | None = None
    year_to: int | None = None
    authors: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()  # an arXiv category ("cs.CV", or "cs" for all of cs.*) or words of a venue
    keywords: tuple[str, ...] = ()  # a word or phrase in the title, abstract or keywords

    @classmethod
    def of(cls, year: str | int | None = None, author: str | Iterable[str] | None = None,
           category: str | Iterable[str] | None = None, keyword: str | Iterable[str] | None = None) -> "Filters":
        """Filters from user text (CLI flags, chat fields, API arguments); unreadable values raise
        ``InvalidFilterError`` with what to type instead."""
        first, last = parse_years(year)
        return cls(first, last, _values(author), _values(category), _values(keyword))

    @classmethod
    def coerce(cls, value: "Filters | Mapping | None") -> "Filters":
        """``Filters``, None, or a mapping with the keys of ``of`` (e.g. ``{"year": "2021-"}``)."""
        if value is None:
            return cls()
        if isinstance(value, Filters):
            return value
        if isinstance(value, Mapping):
            unknown = sorted(set(value) - set(FIELDS))
            if unknown:
                raise InvalidFilterError(f"unknown filter {unknown[0]!r}: the filters are {', '.join(FIELDS)}")
            return cls.of(**value)
        raise InvalidFilterError(f"filters must be a Filters or a dict with keys {', '.join(FIELDS)}, "
                                 f"not {type(value).__name__}")

    def __bool__(self) -> bool:
        return any((self.year_from, self.year_to, self.authors, self.categories, self.keywords))

    def describe(self) -> str:
        parts = []
        if self.year_from is not None or self.year_to is not None:
            if self.year_from == self.year_to:
                parts.append(f"year {self.year_from}")
            elif self.year_to is None:
                parts.append(f"year {self.year_from} or later")
            elif self.year_from is None:
                parts.append(f"year {self.year_to} or earlier")
            else:
                parts.append(f"years {self.year_from}-{self.year_to}")
        for name, values in (("author", self.authors), ("category", self.categories), ("keyword", self.keywords)):
            if values:
                parts.append(f"{name} {' or '.join(values)}")
        return ", ".join(parts)

    def matches(self, paper: Paper) -> bool:
        """Whether the paper passes every filter (the reference the index's lookups agree with)."""
        if self.year_from is not None or self.year_to is not None:
            if paper.year is None or not (self.year_from or paper.year) <= paper.year <= (self.year_to or paper.year):
                return False
        if self.authors and not any(author_matches(v, a) for v in self.authors for a in paper.authors):
            return False
        if self.categories and not any(category_matches(v, paper) for v in self.categories):
            return False
        return not self.keywords or any(keyword_matches(v, paper) for v in self.keywords)


def author_matches(value: str, author: str) -> bool:
    """Every word of ``value`` is a word of the author's name; a one-letter word is an initial.

    >>> [author_matches(v, "Jane Q. Smith") for v in ("smith", "J Smith", "Jane Smith", "Smithson", "Jo Smith")]
    [True, True, True, False, False]
    """
    name = words(author)
    return all(any(w == n or (len(w) == 1 and n.startswith(w)) for n in name) for w in words(value))


def category_matches(value: str, paper: Paper) -> bool:
    """An arXiv category, exactly or as its archive ("cs" for "cs.CV"), or words of the venue.

    >>> p = Paper("p", "T", "A.", venue="Proc. of CVPR 2021", categories=("cs.CV",))
    >>> [category_matches(v, p) for v in ("cs.cv", "cs", "CVPR", "cs.LG", "ICML")]
    [True, True, True, False, False]
    """
    folded = fold(value.strip())
    if any(folded == fold(c) or fold(c).startswith(folded + ".") for c in paper.categories):
        return True
    return _has_phrase(words(value), words(paper.venue))


def keyword_matches(value: str, paper: Paper) -> bool:
    """The word or phrase is one of the paper's keywords, or appears in its title or abstract.

    >>> keyword_matches("graph neural", Paper("p", "Graph neural networks", "We study them."))
    True
    """
    phrase = words(value)
    if any(words(k) == phrase for k in paper.keywords):
        return True
    return _has_phrase(phrase, words(f"{paper.title} {paper.abstract}"))


def _has_phrase(phrase: list[str], text: list[str]) -> bool:
    n = len(phrase)
    return n > 0 and any(text[i:i + n] == phrase for i in range(len(text) - n + 1))


class FilterIndex:
    """Word -> paper ids maps over a collection's metadata, built once, so ``paper_ids`` looks up
    only the papers that can match and checks them with ``Filters.matches``."""

    def __init__(self, papers: Mapping[str, Paper]):
        self.papers = papers
        self._years: dict[int, set[str]] = {}
        self._authors: dict[str, set[str]] = {}
        self._categories: dict[str, set[str]] = {}
        self._text: dict[str, set[str]] = {}
        self._found: dict[Filters, frozenset[str]] = {}
        for pid, paper in papers.items():
            if paper.year is not None:
                self._years.setdefault(paper.year, set()).add(pid)
            for word in {w for a in paper.authors for w in words(a)}:
                self._authors.setdefault(word, set()).add(pid)
            for category in paper.categories:
                folded = fold(category)
                for key in {folded, folded.split(".")[0]}:
                    self._categories.setdefault(key, set()).add(pid)
            for key in words(paper.venue):
                self._categories.setdefault(key, set()).add(pid)
            for word in set(words(f"{paper.title} {paper.abstract} {' '.join(paper.keywords)}")):
                self._text.setdefault(word, set()).add(pid)

    def paper_ids(self, filters: Filters) -> frozenset[str] | None:
        """The ids of the papers that pass ``filters``; None for no filter (every paper). The last few
        answers are kept (the same frozenset each time): a chat asks many questions under the same
        filters."""
        if not filters:
            return None
        if filters not in self._found:
            if len(self._found) >= 32:
                self._found.pop(next(iter(self._found)))
            self._found[filters] = frozenset(self._lookup(filters))
        return self._found[filters]

    def _lookup(self, filters: Filters) -> set[str]:
        candidates: set[str] | None = None
        if filters.year_from is not None or filters.year_to is not None:
            low = filters.year_from if filters.year_from is not None else -10**9
            high = filters.year_to if filters.year_to is not None else 10**9
            candidates = set().union(*(ids for year, ids in self._years.items() if low <= year <= high))
        words_looked_up = False
        for values, index in ((filters.authors, self._authors), (filters.categories, self._categories),
                              (filters.keywords, self._text)):
            if values:
                found = set().union(*(self._holders(index, v) for v in values))
                candidates = found if candidates is None else candidates & found
                words_looked_up = True
        if not words_looked_up:
            return candidates or set()  # the years' sets are exact
        return {pid for pid in candidates or () if filters.matches(self.papers[pid])}  # words: a superset

    @staticmethod
    def _holders(index: dict[str, set[str]], value: str) -> set[str]:
        """Papers holding every (long enough) word of the value: a superset of those that match."""
        keys = [w for w in words(value) if len(w) > 1] or words(value)[:1]
        held = [index.get(w) for w in keys] if len(keys[0]) > 1 else [
            set().union(*(ids for key, ids in index.items() if key.startswith(keys[0])))]
        if any(h is None for h in held):
            return set()
        return set.intersection(*held) if held else set()


def where(filters: Filters, paper_ids: frozenset[str] | set[str] | None) -> dict | None:
    """The Chroma ``where`` that admits the records of the matching papers: a year range alone is
    read from the records' own ``year`` (no id list however many papers match); any other filter
    names the matching papers' ids.

    >>> where(Filters(2020, None), None)
    {'year': {'$gte': 2020}}
    >>> where(Filters(authors=("Smith",)), {"b", "a"})
    {'paper_id': {'$in': ['a', 'b']}}
    """
    if not filters:
        return None
    if filters.authors or filters.categories or filters.keywords:
        return {"paper_id": {"$in": sorted(paper_ids or ())}}
    bounds = [{"year": {op: year}} for op, year in (("$gte", filters.year_from), ("$lte", filters.year_to))
              if year is not None]
    return bounds[0] if len(bounds) == 1 else {"$and": bounds}
