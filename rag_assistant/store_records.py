"""The records the store keeps, without Chroma: their ids, a paper record's metadata, and what a
query or a lookup returns; and a Chroma server's address.

A paper is stored as its sentence chunks (ids ``{paper_id}:s0``, ``:s1``, ...; metadata: paper id,
position and the paper's year) and one paper record (``{paper_id}:paper``, position ``PAPER_POSITION``: the paper
vector, and the title, abstract, source and the paper's metadata, flattened by ``paper_metadata``).
``store.py`` writes and reads them in Chroma.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Iterator, Sequence
from urllib.parse import urlparse

import numpy as np

from .errors import StoreUnavailableError
from .types import Chunk, Paper

PAPER_POSITION = -1  # the paper record's "position": its sentence chunks are 0, 1, ...
LIST_FIELDS = ("authors", "categories", "keywords")  # stored as one text, joined with LIST_SEPARATOR
TEXT_FIELDS = ("venue", "doi", "arxiv_id", "url")
LIST_SEPARATOR = "; "


def paper_record_id(paper_id: str) -> str:
    """The id of a paper's paper record.

    >>> paper_record_id("0123abcd")
    '0123abcd:paper'
    """
    return f"{paper_id}:paper"


def paper_metadata(paper: Paper) -> dict:
    """A paper's metadata as Chroma takes it (texts and ints). Every key is written, an empty one as
    None, because Chroma merges an upserted record's metadata into the stored one and None deletes
    a key: a value a file no longer gives is not kept from before.

    >>> paper_metadata(Paper("p", "T", "A.", authors=("Ada", "Alan"), year=1950))["authors"]
    'Ada; Alan'
    """
    metadata: dict = {name: LIST_SEPARATOR.join(getattr(paper, name)) or None for name in LIST_FIELDS}
    metadata.update({name: getattr(paper, name) or None for name in TEXT_FIELDS})
    metadata["year"] = paper.year
    return metadata


def paper_from_metadata(meta: dict) -> Paper:
    """The ``Paper`` a paper record's metadata holds (``paper_metadata`` undone)."""
    year = meta.get("year")
    return Paper(meta["paper_id"], meta["title"], meta.get("abstract", ""), meta.get("source", ""),
                 year=int(year) if year is not None else None,
                 **{name: tuple(v for v in (meta.get(name) or "").split(LIST_SEPARATOR) if v) for name in LIST_FIELDS},
                 **{name: meta.get(name) or "" for name in TEXT_FIELDS})


def without_added_metadata(metadatas: Sequence[dict]) -> list[dict]:
    """Stored metadata to put back: Chroma merges metadata, so a paper record's metadata keys added
    since it was read are set to None (deleted) too."""
    cleared = dict.fromkeys(paper_metadata(Paper("", "", "")))
    return [{**cleared, **m} if m.get("position") == PAPER_POSITION else m for m in metadatas]


@dataclass(frozen=True)
class ChunkMatch:
    """A record found by a vector query: a sentence chunk, or a paper record (``position`` -1)."""

    chunk_id: str
    paper_id: str
    similarity: float
    position: int = 0
    weight: float = 0.0  # a paper record's weight (see ``retrieval.paper_vector``)

    @property
    def is_paper(self) -> bool:
        return self.position == PAPER_POSITION


@dataclass(frozen=True)
class PaperRecord:
    vector: np.ndarray
    weight: float


def chunk_metadata(chunk: Chunk, paper: Paper | None) -> dict:
    """A sentence chunk's metadata: its paper, its position, and the paper's year, which a year
    filter reads in the vector query itself (``filters``)."""
    metadata = {"paper_id": chunk.paper_id, "position": chunk.position}
    if paper is not None and paper.year is not None:
        metadata["year"] = paper.year
    return metadata


def records_by_paper(chunks: Sequence[Chunk], embeddings: np.ndarray, papers: dict[str, Paper],
                     paper_vectors: dict[str, tuple[np.ndarray, float]] | None) -> dict[str, list]:
    """Paper id -> its records to write, each (id, vector, metadata, text): its sentence chunks, and
    its paper record when it is in ``paper_vectors`` (its vector and weight, see
    ``retrieval.paper_vector``; the paper's title, abstract, source and metadata ride in its
    metadata). A chunk keeps only its vector, paper id, position and year: its text is the abstract's
    sentence at that position (``chunking.sentence_units``), and storing it again would cost an
    eighth of an ingest (Chroma indexes documents for full-text search, which the keyword index
    here does not use)."""
    vectors = np.asarray(embeddings, dtype=np.float32)
    groups: dict[str, list] = {}
    for chunk, vector in zip(chunks, vectors):
        groups.setdefault(chunk.paper_id, []).append(
            (chunk.chunk_id, vector, chunk_metadata(chunk, papers.get(chunk.paper_id)), chunk.text))
    for pid, (vector, weight) in (paper_vectors or {}).items():
        paper, records = papers[pid], groups.setdefault(pid, [])
        records.append((paper_record_id(pid), np.asarray(vector, dtype=np.float32), {
            "paper_id": pid, "title": paper.title, "position": PAPER_POSITION, "abstract": paper.abstract,
            "source": paper.source, "weight": float(weight), **paper_metadata(paper)}, paper.title))
    return groups


def whole_paper_batches(groups: dict[str, list], size: int) -> Iterator[list]:
    """The records in batches of about ``size``, a paper's records always in one batch (one
    transaction): a process killed between batches leaves every paper either as it was or as it is now.

    >>> [len(b) for b in whole_paper_batches({"a": [1, 2], "b": [3, 4, 5], "c": [6]}, 4)]
    [2, 4]
    """
    batch: list = []
    for records in groups.values():
        if batch and len(batch) + len(records) > size:
            yield batch
            batch = []
        batch += records
    if batch:
        yield batch


def read_lookup(pages: Iterable[dict], counts: dict[str, int]) -> tuple[dict[str, PaperRecord], dict[str, np.ndarray]]:
    """From the pages of a get of paper records and sentence chunks (with embeddings and metadatas):
    the paper records by paper id, and each paper in ``counts``'s sentence vectors in order, row i
    the sentence at position i; an empty array unless they are exactly positions 0 .. ``counts[paper]``
    - 1 (callers then embed, or skip it)."""
    records: dict[str, PaperRecord] = {}
    rows: dict[str, list] = {pid: [] for pid in counts}
    for got in pages:
        for vector, meta in zip(got["embeddings"], got["metadatas"]):
            pid, position = meta["paper_id"], int(meta.get("position", 0))
            if position == PAPER_POSITION:
                records[pid] = PaperRecord(np.asarray(vector, dtype=np.float32), float(meta.get("weight", 0.0)))
            elif pid in rows:
                rows[pid].append((position, vector))
    sentences = {}
    for pid, items in rows.items():
        items.sort(key=lambda item: item[0])
        complete = [position for position, _ in items] == list(range(counts[pid]))
        sentences[pid] = np.asarray([v for _, v in items], dtype=np.float32) if complete and items else \
            np.zeros((0, 0), dtype=np.float32)
    return records, sentences


def server_address(chroma_url: str) -> tuple[str, int, bool]:
    """(host, port, https) of a Chroma server URL; a URL without a port means port 8000.

    >>> server_address("http://127.0.0.1:8001"), server_address("chroma.example.org")
    (('127.0.0.1', 8001, False), ('chroma.example.org', 8000, False))
    """
    url = urlparse(chroma_url if "://" in chroma_url else f"http://{chroma_url}")
    try:
        port = url.port
    except ValueError:  # not a number, or out of range
        port = -1
    host = url.hostname or ""
    # a bare word ("notaurl") is a typo, not a host: a server is named with a port, a dot, an IPv6
    # colon or "localhost"
    named = port is not None or "." in host or ":" in host or host == "localhost"
    if url.scheme not in ("http", "https") or not host or port == -1 or not named:
        raise StoreUnavailableError(f"{chroma_url!r} is not a Chroma server URL: use http://HOST:PORT, "
                                    "e.g. http://127.0.0.1:8000")
    return host, port or 8000, url.scheme == "https"
