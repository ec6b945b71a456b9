"""The vector store: Chroma, embedded (``PersistentClient``) or a server (``HttpClient``).

The only module that imports chromadb. One collection holds each paper's sentence chunks and its
paper record (their layout: ``store_records.py``). Records are upserted with our own embeddings and
our own embedding function is always attached, so Chroma never downloads its default model.
"""
from __future__ import annotations

import contextlib
import functools
import re
from pathlib import Path
from typing import Iterator, Sequence
from urllib.parse import urlparse

import numpy as np

from .chunking import chunk_id
from .errors import IndexDamagedError, IndexMissingError, RagAssistantError, StoreUnavailableError
from .store_records import (
    PAPER_POSITION,
    ChunkMatch,
    PaperRecord,
    paper_from_metadata,
    paper_metadata,
    paper_record_id,
    read_lookup,
    records_by_paper,
    server_address,
    whole_paper_batches,
    without_added_metadata,
)
from .types import Chunk, Paper

UPSERT_BATCH = 4000
ID_BATCH = 500  # SQLite caps the number of variables in one statement


def _chroma():
    import chromadb
    from chromadb.config import Settings

    return chromadb, Settings(anonymized_telemetry=False, allow_reset=False)


def _embedding_function(embedder):
    """Wrap our embedder as a Chroma embedding function (used if Chroma ever embeds text itself)."""
    from chromadb import Documents, EmbeddingFunction, Embeddings

    class RagEmbeddingFunction(EmbeddingFunction[Documents]):
        def __init__(self, inner=embedder):
            self.inner = inner

        def __call__(self, input: Documents) -> Embeddings:  # noqa: A002 - Chroma's signature
            return list(self.inner.embed(list(input)))

        @staticmethod
        def name() -> str:
            return "rag_assistant"

        def get_config(self) -> dict:
            return {"model": self.inner.model_path, "dtype": self.inner.dtype, "backend": self.inner.backend,
                    "cache_dir": str(self.inner.cache_dir)}

        @staticmethod
        def build_from_config(config: dict) -> "RagEmbeddingFunction":
            from .embedding import Embedder

            return RagEmbeddingFunction(Embedder(config["model"], config.get("dtype", "float32"),
                                                 cache_dir=config.get("cache_dir"),
                                                 backend=config.get("backend", "torch")))

        def default_space(self) -> str:
            return "cosine"

        def supported_spaces(self) -> list[str]:
            return ["cosine"]

    return RagEmbeddingFunction()


def index_absent(chroma_dir: Path) -> bool:
    """No embedded index in ``chroma_dir`` yet (a file in the folder's place is a damaged index, not an absent one)."""
    return not chroma_dir.is_file() and not (chroma_dir / "chroma.sqlite3").exists()


def damaged_error(location, detail: str) -> IndexDamagedError:
    return IndexDamagedError(f"the index at {location} is damaged ({detail}): move it away or use another "
                             "--data-dir, then run `rag-assistant ingest`")


def _detail(exc: Exception) -> str:
    """The telling end of a Chroma error.

    >>> _detail(Exception("error returned from database: (code: 11) database disk image is malformed"))
    'database disk image is malformed'
    """
    return re.sub(r"\(code: \d+\) ", "", str(exc)).rsplit(": ", 1)[-1].strip() or type(exc).__name__


def _start_hint(port: int) -> str:
    return f"`chroma run --host 127.0.0.1 --port {port} --path DIR`"


def _forget_unstarted(path: str) -> None:
    """Chroma caches a path's system before starting it: one that failed to start (a damaged index)
    would be reused, and fail with an AttributeError, by the next open of that path in this process."""
    from chromadb.api.shared_system_client import SharedSystemClient

    if not SharedSystemClient._identifier_to_refcount.get(path):  # no open client uses it
        SharedSystemClient._identifier_to_system.pop(path, None)


def _client(chroma_url: str | None, chroma_dir: Path):
    chromadb, settings = _chroma()
    if not chroma_url:
        if chroma_dir.exists() and not chroma_dir.is_dir():
            raise damaged_error(chroma_dir, "it is a file, not a folder")
        chroma_dir.mkdir(parents=True, exist_ok=True)
        try:
            return chromadb.PersistentClient(path=str(chroma_dir), settings=settings)
        except Exception:
            _forget_unstarted(str(chroma_dir))
            raise
    host, port, https = server_address(chroma_url)
    try:
        client = chromadb.HttpClient(host=host, port=port, ssl=https, settings=settings)
        client.heartbeat()
    except Exception as exc:  # chromadb raises several kinds for a server that is down
        raise StoreUnavailableError(
            f"cannot reach the Chroma server at {chroma_url} ({type(exc).__name__}); start it with "
            f"{_start_hint(port)}, or drop --chroma-url / RAG_CHROMA_URL to use the embedded store"
        ) from None
    return client


def _guarded(method):
    """Chroma failures as one-line errors: a server that went away, or a damaged embedded index."""
    @functools.wraps(method)
    def guarded(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except RagAssistantError:
            raise
        except Exception as exc:
            error = self._failure(exc)
            if error is None:
                raise
            raise error from exc
    return guarded


def _paper_count(collection) -> int:
    """Paper records of a collection (each paper has one), counted a page of ids at a time."""
    count, offset = 0, 0
    while True:
        got = collection.get(where={"position": PAPER_POSITION}, include=[], limit=UPSERT_BATCH, offset=offset)
        count += len(got["ids"])
        if len(got["ids"]) < UPSERT_BATCH:
            return count
        offset += UPSERT_BATCH


def list_collections(chroma_url: str | None, chroma_dir: Path, count: bool = True) -> list[tuple[str, int | None]]:
    """(name, papers) of every collection in the embedded index at ``chroma_dir`` (none when there
    is no index; it is not created) or on the server at ``chroma_url``, by name; papers None
    unless ``count`` (counting reads every paper record's id)."""
    if not chroma_url and index_absent(chroma_dir):
        return []
    client = _client(chroma_url, chroma_dir)
    try:
        names = sorted(c.name for c in client.list_collections())
        return [(name, _paper_count(client.get_collection(name)) if count else None) for name in names]
    except Exception as exc:
        if not chroma_url and isinstance(exc, _internal_error()):
            raise damaged_error(chroma_dir, _detail(exc)) from None
        raise


def _internal_error():
    from chromadb.errors import InternalError

    return InternalError


class ChromaStore:
    """Sentence chunks and paper records in one Chroma collection (cosine space)."""

    def __init__(self, embedder, chroma_url: str | None, chroma_dir: Path, collection: str, fingerprint: str):
        self.embedder = embedder
        self.location = chroma_url or str(chroma_dir)
        self.server = bool(chroma_url)
        self.fingerprint = fingerprint
        self._count: int | None = None
        self._open(chroma_url, chroma_dir, collection)

    @_guarded
    def _open(self, chroma_url: str | None, chroma_dir: Path, collection: str) -> None:
        self.client = _client(chroma_url, chroma_dir)
        try:
            self.collection = self.client.get_or_create_collection(
                name=collection,
                embedding_function=_embedding_function(self.embedder),
                metadata={"hnsw:space": "cosine"},
            )
            self._count = self.collection.count()  # a damaged index can fail only here (its HNSW files gone)
        except BaseException:
            with contextlib.suppress(Exception):  # else Chroma keeps this path's system for the next open here
                self.client.close()
            raise

    def _failure(self, exc: Exception) -> RagAssistantError | None:
        """The user-facing error for a failed Chroma call, or None for one that is not the store's fault."""
        if self.server:
            import httpx

            if isinstance(exc, (httpx.TransportError, ConnectionError)):
                port = urlparse(self.location if "://" in self.location else f"http://{self.location}").port
                return StoreUnavailableError(
                    f"lost the connection to the Chroma server at {self.location} ({type(exc).__name__}): "
                    f"restart it (e.g. {_start_hint(port or 8000)}) and try again"
                )
            return None
        from chromadb.errors import InternalError

        return damaged_error(self.location, _detail(exc)) if isinstance(exc, InternalError) else None

    @_guarded
    def count(self) -> int:
        self._count = self.collection.count()
        return self._count

    @property
    def stored_fingerprint(self) -> str | None:
        return (self.collection.metadata or {}).get("rag_fingerprint")

    @_guarded
    def mark_built(self, fingerprint: str | None = None) -> None:
        """Record that the index is complete for ``fingerprint`` (default: this store's), after a whole build."""
        self.count()
        metadata = {k: v for k, v in (self.collection.metadata or {}).items() if not k.startswith("hnsw:")}
        metadata["rag_fingerprint"] = fingerprint or self.fingerprint
        self.collection.modify(metadata=metadata)

    @_guarded
    def dimension(self) -> int | None:
        """Length of the stored vectors (None when empty)."""
        got = self.collection.get(limit=1, include=["embeddings"])
        return len(got["embeddings"][0]) if got["ids"] else None

    @_guarded
    def upsert(self, chunks: Sequence[Chunk], embeddings: np.ndarray, papers: dict[str, Paper],
               paper_vectors: dict[str, tuple[np.ndarray, float]] | None = None, texts: bool = False) -> None:
        """Write sentence chunks and, for each paper in ``paper_vectors``, its paper record (see
        ``store_records.records_by_paper``; a paper is always written whole). ``texts``: store the
        chunks' texts too, for tools that read them (LangChain's Chroma wrapper, which the benchmark's
        stock recipe queries the synthetic index with); a paper record's text is then its title."""
        groups = records_by_paper(chunks, embeddings, papers, paper_vectors)
        for batch in whole_paper_batches(groups, UPSERT_BATCH):
            self._upsert(batch, texts)

    def _upsert(self, records: list, texts: bool) -> None:
        ids, vectors, metadatas, documents = (list(column) for column in zip(*records))
        self.collection.upsert(ids=ids, embeddings=vectors, metadatas=metadatas,
                               **({"documents": documents} if texts else {}))

    @_guarded
    def stored_papers(self, paper_ids: Sequence[str]) -> list[Paper]:
        """The given papers as indexed (title, abstract, source and metadata from their paper records); absent
        ones are left out."""
        ids = [paper_record_id(pid) for pid in paper_ids]
        found: list[Paper] = []
        for start in range(0, len(ids), ID_BATCH):
            got = self.collection.get(ids=ids[start:start + ID_BATCH], include=["metadatas"])
            found += [paper_from_metadata(m) for m in got["metadatas"]]
        return found

    @_guarded
    def find_papers(self, field: str, values: Sequence[str]) -> list[Paper]:
        """The stored papers whose metadata ``field`` (e.g. "doi", "arxiv_id", "title") is one of
        ``values`` (compared exactly)."""
        values = list(dict.fromkeys(v for v in values if v))
        found: list[Paper] = []
        for start in range(0, len(values), ID_BATCH):
            got = self.collection.get(where={"$and": [{"position": PAPER_POSITION},
                                                      {field: {"$in": values[start:start + ID_BATCH]}}]},
                                      include=["metadatas"])
            found += [paper_from_metadata(m) for m in got["metadatas"]]
        return found

    @_guarded
    def update_papers(self, papers: Sequence[Paper]) -> None:
        """Rewrite the paper records' title, source and metadata, and the year on their sentence
        chunks, keeping their vectors (a paper whose metadata changed and whose title and abstract did not)."""
        for start in range(0, len(papers), UPSERT_BATCH):
            batch = papers[start:start + UPSERT_BATCH]
            self.collection.update(ids=[paper_record_id(p.paper_id) for p in batch],
                                   metadatas=[{"title": p.title, "source": p.source, **paper_metadata(p)}
                                              for p in batch])
        year = {p.paper_id: p.year for p in papers}
        for start in range(0, len(papers), ID_BATCH):  # the sentence chunks carry the year too
            chunks = {"$and": [{"paper_id": {"$in": list(year)[start:start + ID_BATCH]}}, {"position": {"$gte": 0}}]}
            got = self.collection.get(where=chunks, include=["metadatas"])
            years = [{"year": year[m["paper_id"]]} for m in got["metadatas"]]
            if got["ids"]:
                self.collection.update(ids=got["ids"], metadatas=years)

    @_guarded
    def paper_count(self) -> int:
        return _paper_count(self.collection)

    @_guarded
    def ids(self) -> list[str]:
        """Every record id (sentence chunks and paper records)."""
        return self.collection.get(include=[])["ids"]

    @_guarded
    def delete(self, ids: Sequence[str]) -> None:
        for start in range(0, len(ids), ID_BATCH):
            self.collection.delete(ids=list(ids[start:start + ID_BATCH]))

    @_guarded
    def delete_papers(self, paper_ids: Sequence[str]) -> None:
        """Delete papers whole: their paper records and sentence chunks (each batch one transaction)."""
        for start in range(0, len(paper_ids), ID_BATCH):
            self.collection.delete(where={"paper_id": {"$in": list(paper_ids[start:start + ID_BATCH])}})

    @_guarded
    def records(self, ids: Sequence[str]) -> dict[str, list]:
        """The stored records (vector, metadata) of the given ids, to put back with ``restore``."""
        records: dict[str, list] = {"ids": [], "embeddings": [], "metadatas": []}
        for start in range(0, len(ids), ID_BATCH):
            got = self.collection.get(ids=list(ids[start:start + ID_BATCH]),
                                      include=["embeddings", "metadatas"])
            for key, values in records.items():
                values.extend(got[key])
        return records

    @_guarded
    def restore(self, records: dict[str, list], added: Sequence[str]) -> None:
        """Undo a write that stopped part-way: delete the ``added`` ids, put ``records`` back."""
        self.delete(added)
        records = {**records, "metadatas": without_added_metadata(records["metadatas"])}
        for start in range(0, len(records["ids"]), UPSERT_BATCH):
            self.collection.upsert(**{key: values[start:start + UPSERT_BATCH] for key, values in records.items()})

    def papers(self, legacy: bool = False) -> Iterator[Paper]:
        """Every paper, rebuilt from the paper records (so a server-side index is self-contained).
        With ``legacy``, also the papers of an index from before sentence chunks (``v1``), which kept
        them in each paper's chunk 0, so that it can be re-embedded (even one whose re-embedding
        stopped part-way)."""
        seen: set[str] = set()
        for position in (PAPER_POSITION, 0) if legacy else (PAPER_POSITION,):
            offset = 0
            while True:
                got = self._paper_page(position, offset)
                for meta in got["metadatas"]:
                    if meta["paper_id"] not in seen and (position == PAPER_POSITION or "abstract" in meta):
                        seen.add(meta["paper_id"])
                        yield paper_from_metadata(meta)
                if len(got["ids"]) < UPSERT_BATCH:
                    break
                offset += UPSERT_BATCH

    @_guarded
    def _paper_page(self, position: int, offset: int):
        return self.collection.get(where={"position": position}, include=["metadatas"], limit=UPSERT_BATCH,
                                   offset=offset)

    @_guarded
    def query(self, embedding: np.ndarray, n: int, where: dict | None = None) -> list[ChunkMatch]:
        """The ``n`` nearest records, sentence chunks and paper records alike; with ``where``
        (``filters.where``), the nearest of the records it admits, filtered inside Chroma's query."""
        if self._count is None:
            self._count = self.count()
        if self._count == 0:
            raise IndexMissingError(f"the collection '{self.collection.name}' at {self.location} is empty: "
                                    f"run `rag-assistant --collection {self.collection.name} ingest PATH...`")
        result = self.collection.query(
            query_embeddings=[np.asarray(embedding, dtype=np.float32)],
            n_results=min(n, self._count),
            where=where or None,
            include=["metadatas", "distances"],
        )
        return [
            ChunkMatch(cid, meta["paper_id"], 1.0 - float(dist), int(meta.get("position", 0)),
                       float(meta.get("weight", 0.0)))
            for cid, meta, dist in zip(result["ids"][0], result["metadatas"][0], result["distances"][0])
        ]

    @_guarded
    def lookup(self, paper_ids: Sequence[str], counts: dict[str, int]) -> tuple[dict[str, PaperRecord], dict]:
        """In one indexed get (a metadata filter would scan the whole collection):
        the paper records of ``paper_ids`` and the vectors of the sentence chunks of each paper in
        ``counts`` (paper id -> number of sentences), in order. Absent records are left out."""
        ids = [paper_record_id(pid) for pid in paper_ids]
        ids += [chunk_id(pid, i) for pid, n in counts.items() for i in range(n)]
        pages = (self.collection.get(ids=ids[start:start + ID_BATCH], include=["embeddings", "metadatas"])
                 for start in range(0, len(ids), ID_BATCH))
        return read_lookup(pages, counts)
