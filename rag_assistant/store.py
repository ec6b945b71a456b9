"""The vector store: Chroma, embedded (``PersistentClient``) or a server (``HttpClient``).

The only module that imports chromadb. Chunks are upserted with our own
embeddings and our own embedding function is always attached, so Chroma never
tries to download its default model.
"""
from __future__ import annotations

import contextlib
import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence
from urllib.parse import urlparse

import numpy as np

from .errors import IndexDamagedError, IndexMissingError, RagAssistantError, StoreUnavailableError
from .types import Chunk, Paper

UPSERT_BATCH = 4000
ID_BATCH = 500  # SQLite caps the number of variables in one statement
MAX_CHUNKS_PER_PAPER = 16  # abstracts give 1-3 chunks; ids beyond a paper's last chunk are simply absent


@dataclass(frozen=True)
class ChunkMatch:
    chunk_id: str
    paper_id: str
    title: str
    text: str
    similarity: float


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
                                                 cache_dir=config.get("cache_dir"), backend=config.get("backend", "torch")))

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
    port = port or 8000
    try:
        client = chromadb.HttpClient(
            host=host, port=port, ssl=url.scheme == "https", settings=settings
        )
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


class ChromaStore:
    """Chunks in one Chroma collection (cosine space); papers' abstracts ride in chunk 0's metadata."""

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
    def upsert(self, chunks: Sequence[Chunk], embeddings: np.ndarray, papers: dict[str, Paper]) -> None:
        for start in range(0, len(chunks), UPSERT_BATCH):
            batch = chunks[start:start + UPSERT_BATCH]
            metadatas = []
            for chunk in batch:
                meta = {"paper_id": chunk.paper_id, "title": chunk.title, "position": chunk.position}
                if chunk.position == 0 and chunk.paper_id in papers:
                    meta["abstract"] = papers[chunk.paper_id].abstract
                    meta["source"] = papers[chunk.paper_id].source
                metadatas.append(meta)
            self.collection.upsert(
                ids=[c.chunk_id for c in batch],
                embeddings=embeddings[start:start + UPSERT_BATCH],
                documents=[c.text for c in batch],
                metadatas=metadatas,
            )

    @_guarded
    def documents(self, ids: Sequence[str]) -> dict[str, str]:
        """Stored text of the given chunk ids (missing ids are absent), fetched in batches."""
        found: dict[str, str] = {}
        for start in range(0, len(ids), ID_BATCH):
            got = self.collection.get(ids=list(ids[start:start + ID_BATCH]), include=["documents"])
            found.update(zip(got["ids"], got["documents"]))
        return found

    @_guarded
    def abstracts(self, paper_ids: Sequence[str]) -> dict[str, str]:
        """The stored abstract of each given paper that is indexed (from its chunk-0 record)."""
        ids = [f"{pid}:0" for pid in paper_ids]
        found: dict[str, str] = {}
        for start in range(0, len(ids), ID_BATCH):
            got = self.collection.get(ids=ids[start:start + ID_BATCH], include=["metadatas"])
            found.update((meta["paper_id"], meta.get("abstract", "")) for meta in got["metadatas"])
        return found

    @_guarded
    def ids(self) -> list[str]:
        """Every chunk id."""
        return self.collection.get(include=[])["ids"]

    @_guarded
    def delete(self, ids: Sequence[str]) -> None:
        for start in range(0, len(ids), ID_BATCH):
            self.collection.delete(ids=list(ids[start:start + ID_BATCH]))

    @_guarded
    def records(self, ids: Sequence[str]) -> dict[str, list]:
        """The stored records (vector, text, metadata) of the given chunk ids, to put back with ``restore``."""
        records: dict[str, list] = {"ids": [], "embeddings": [], "documents": [], "metadatas": []}
        for start in range(0, len(ids), ID_BATCH):
            got = self.collection.get(ids=list(ids[start:start + ID_BATCH]),
                                      include=["embeddings", "documents", "metadatas"])
            for key, values in records.items():
                values.extend(got[key])
        return records

    @_guarded
    def restore(self, records: dict[str, list], added: Sequence[str]) -> None:
        """Undo a write that stopped part-way: delete the ``added`` chunk ids, put ``records`` back."""
        self.delete(added)
        for start in range(0, len(records["ids"]), UPSERT_BATCH):
            self.collection.upsert(**{key: values[start:start + UPSERT_BATCH] for key, values in records.items()})

    def papers(self) -> Iterator[Paper]:
        """Every paper, rebuilt from the chunk-0 records (so a server-side index is self-contained)."""
        offset = 0
        while True:
            got = self._chunk0_page(offset)
            for meta in got["metadatas"]:
                yield Paper(meta["paper_id"], meta["title"], meta.get("abstract", ""), meta.get("source", ""))
            if len(got["ids"]) < UPSERT_BATCH:
                return
            offset += UPSERT_BATCH

    @_guarded
    def _chunk0_page(self, offset: int):
        return self.collection.get(where={"position": 0}, include=["metadatas"], limit=UPSERT_BATCH, offset=offset)

    @_guarded
    def query(self, embedding: np.ndarray, n: int) -> list[ChunkMatch]:
        if self._count is None:
            self._count = self.count()
        if self._count == 0:
            raise IndexMissingError(f"the index at {self.location} is empty: run `rag-assistant ingest`")
        result = self.collection.query(
            query_embeddings=[np.asarray(embedding, dtype=np.float32)],
            n_results=min(n, self._count),
            include=["documents", "metadatas", "distances"],
        )
        return [
            ChunkMatch(cid, meta["paper_id"], meta["title"], doc, 1.0 - float(dist))
            for cid, meta, doc, dist in zip(
                result["ids"][0], result["metadatas"][0], result["documents"][0], result["distances"][0]
            )
        ]

    @_guarded
    def best_chunks(self, embedding: np.ndarray, paper_ids: Sequence[str]) -> dict[str, tuple[float, str]]:
        """Best chunk (cosine, text) of given papers, for hits that came from the keyword side.

        Looked up by id (``{paper_id}:{position}``), an indexed get: a metadata filter would
        scan the collection, seconds at 100k chunks.
        """
        ids = [f"{pid}:{i}" for pid in paper_ids for i in range(MAX_CHUNKS_PER_PAPER)]
        got = self.collection.get(ids=ids, include=["embeddings", "documents", "metadatas"])
        best: dict[str, tuple[float, str]] = {}
        query = np.asarray(embedding, dtype=np.float32)
        for vector, doc, meta in zip(got["embeddings"], got["documents"], got["metadatas"]):
            similarity = float(np.asarray(vector, dtype=np.float32) @ query)
            if meta["paper_id"] not in best or similarity > best[meta["paper_id"]][0]:
                best[meta["paper_id"]] = (similarity, doc)
        return best
