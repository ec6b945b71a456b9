"""Small frozen dataclasses that flow through the pipeline."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # formats.record imports this module
    from .formats import Skipped


@dataclass(frozen=True)
class PaperMeta:
    """Who wrote a paper, when, where, and where to read it: what citations and sources show.

    >>> PaperMeta(("Ada Lovelace", "Alan Turing", "Grace Hopper", "Edsger Dijkstra"), 2021, "NeurIPS").byline()
    'Ada Lovelace, Alan Turing, Grace Hopper et al. (2021). NeurIPS'
    """

    authors: tuple[str, ...] = ()
    year: int | None = None
    venue: str = ""
    doi: str = ""
    arxiv_id: str = ""
    url: str = ""

    def byline(self, shown: int = 3) -> str:
        """Authors (the first ``shown``, then "et al."), year and venue, as far as they are known."""
        names = ", ".join(self.authors[:shown]) + (" et al." if len(self.authors) > shown else "")
        year = f"({self.year})" if self.year else ""
        head = " ".join(part for part in (names, year) if part)
        return ". ".join(part for part in (head, self.venue) if part)


@dataclass(frozen=True)
class Paper:
    """One paper of the collection. ``paper_id`` is a hash of the normalized title; ``source`` the
    file it came from. The metadata is what the file gave (empty when it gave none): ``authors`` as
    "First Last", ``year``, ``venue`` (journal, proceedings, or "arXiv"), arXiv ``categories``,
    ``doi`` and ``arxiv_id`` without prefixes or versions, ``url`` (given, else the arXiv or DOI
    link), and ``keywords``."""

    paper_id: str
    title: str
    abstract: str
    source: str = ""
    authors: tuple[str, ...] = ()
    year: int | None = None
    venue: str = ""
    categories: tuple[str, ...] = ()
    doi: str = ""
    arxiv_id: str = ""
    url: str = ""
    keywords: tuple[str, ...] = ()

    @property
    def meta(self) -> PaperMeta:
        return PaperMeta(self.authors, self.year, self.venue, self.doi, self.arxiv_id, self.url)

    @property
    def named_text(self) -> str:
        """The title, the abstract and the metadata a question may name the paper by: its authors
        ("the Nickow meta-analysis"), its venue and the venue's initials ("the AERJ paper"), its year
        and keywords.

        >>> Paper("p", "T", "A.", authors=("Ann Lee",), year=2023,
        ...       venue="American Educational Research Journal").named_text
        'T A. Ann Lee American Educational Research Journal AERJ 2023'
        """
        capitals = [w[0] for w in self.venue.split() if w[:1].isupper()]
        initials = "".join(capitals) if len(capitals) >= 2 else ""
        meta = " ".join(part for part in (*self.authors, self.venue, initials, str(self.year or ""), *self.keywords)
                        if part)
        return f"{self.title} {self.abstract} {meta}".rstrip()


@dataclass(frozen=True)
class Chunk:
    """A sentence-aligned piece of an abstract; ``chunk_id`` = paper id + position."""

    chunk_id: str
    paper_id: str
    title: str
    text: str
    position: int


@dataclass(frozen=True)
class Hit:
    """A retrieved paper: fused ``score``, dense ``similarity`` (0.3 x its best sentence's cosine + its
    paper vector's share, on the cosine scale; see ``retrieval.dense_score``), and ``text``, its best
    sentence with the sentences around it."""

    paper_id: str
    title: str
    score: float
    text: str
    similarity: float
    rank: int = 0
    meta: PaperMeta = PaperMeta()


@dataclass(frozen=True)
class Evidence:
    """An abstract sentence selected as evidence for a question."""

    paper_id: str
    title: str
    sentence: str
    score: float


@dataclass(frozen=True)
class Source:
    """A numbered source in the prompt: a paper and its selected evidence sentences."""

    number: int
    hit: Hit
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True)
class Citation:
    """A verified citation: the paper and the evidence sentence(s) that support the claim."""

    paper_id: str
    title: str
    evidence: tuple[str, ...] = ()
    number: int = 0
    meta: PaperMeta = PaperMeta()


@dataclass(frozen=True)
class Verified:
    """An answer text with the citations code verified, and how many claims were kept and dropped."""

    text: str
    citations: tuple[Citation, ...]
    kept: int
    dropped: int


@dataclass(frozen=True)
class Timings:
    """Seconds spent per stage of one answer."""

    retrieval_s: float = 0.0
    first_token_s: float = 0.0
    total_s: float = 0.0


@dataclass(frozen=True)
class Answer:
    """The final, verified answer.

    ``citations`` hold only titles that code verified; ``sources`` are the ranked
    retrieved papers; when ``abstained`` is true, ``citations`` is empty and
    ``sources`` are the nearest papers, which are not evidence.
    """

    question: str
    text: str
    citations: tuple[Citation, ...] = ()
    sources: tuple[Hit, ...] = ()
    abstained: bool = False
    query: str = ""
    mode: str = "extractive"
    timings: Timings = field(default_factory=Timings)
    confidence: float = 0.0  # how likely the collection answers the question (answerability.Decision)


@dataclass(frozen=True)
class Sources:
    """First event of ``Assistant.stream``: the ranked sources, before any text."""

    hits: tuple[Hit, ...]
    query: str
    abstaining: bool = False

    def __iter__(self):
        return iter(self.hits)

    def __len__(self) -> int:
        return len(self.hits)


@dataclass(frozen=True)
class FileIngest:
    """What one file of an ingest did, by paper title: ``added`` (new to the collection), ``updated``
    (its title, abstract or metadata changed), ``unchanged``; ``duplicates`` (papers an earlier entry
    or file of the same ingest gave) and ``skipped`` entries (``formats.Skipped``: entry, reason, title)."""

    path: Path
    format: str
    added: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    duplicates: tuple[str, ...] = ()
    skipped: tuple[Skipped, ...] = ()


@dataclass(frozen=True)
class IngestReport:
    """What one ``ingest`` did: totals, and ``by_file``, one ``FileIngest`` per file in order."""

    files: int
    papers: int
    chunks: int
    embedded: int
    removed: int
    seconds: float
    conflicting_titles: tuple[str, ...] = ()  # came twice with different abstracts; the first was kept
    updated_titles: tuple[str, ...] = ()  # already indexed with another abstract; the new one replaced it
    by_file: tuple[FileIngest, ...] = ()


@dataclass(frozen=True)
class RemoveReport:
    """What one ``remove`` did: the ``removed`` papers' titles, and the ``not_found`` keys."""

    removed: tuple[str, ...] = ()
    not_found: tuple[str, ...] = ()


@dataclass(frozen=True)
class CollectionInfo:
    """A collection of a data dir (or a Chroma server) and how many papers it holds (None: not counted)."""

    name: str
    papers: int | None
