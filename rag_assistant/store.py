"""The vector store: Chroma, embedded (``PersistentClient``) or a server (``HttpClient``).

The only module that imports chromadb. Chunks are upserted with our own
embeddings and our own embedding function is always attached, so Chroma never
tries to download its default model.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence
from urllib.parse import urlparse

import numpy as np

from .errors import IndexMissingError, StoreUnavailableError
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


def _client(chroma_url: str | None, chroma_dir: Path):
    chromadb, settings = _chroma()
    if not chroma_url:
        chroma_dir.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(chroma_dir), settings=settings)
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
            f"`chroma run --host 127.0.0.1 --port {port} --path DIR`, or unset RAG_CHROMA_URL "
            "to use the embedded store"
        ) from None
    return client


class ChromaStore:
    """Chunks in one Chroma collection (cosine space); papers' abstracts ride in chunk 0's metadata."""

    def __init__(self, embedder, chroma_url: str | None, chroma_dir: Path, collection: str, fingerprint: str):
        self.embedder = embedder
        self.location = chroma_url or str(chroma_dir)
        self.client = _client(chroma_url, chroma_dir)
        self.fingerprint = fingerprint
        self._count: int | None = None
        self.collection = self.client.get_or_create_collection(
            name=collection,
            embedding_function=_embedding_function(embedder),
            metadata={"hnsw:space": "cosine"},
        )

    def count(self) -> int:
        self._count = self.collection.count()
        return self._count

    @property
    def stored_fingerprint(self) -> str | None:
        return (self.collection.metadata or {}).get("rag_fingerprint")

    def mark_built(self) -> None:
        self.count()
        metadata = {k: v for k, v in (self.collection.metadata or {}).items() if not k.startswith("hnsw:")}
        metadata["rag_fingerprint"] = self.fingerprint
        self.collection.modify(metadata=metadata)

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

    def documents(self, ids: Sequence[str]) -> dict[str, str]:
        """Stored text of the given chunk ids (missing ids are absent), fetched in batches."""
        found: dict[str, str] = {}
        for start in range(0, len(ids), ID_BATCH):
            got = self.collection.get(ids=list(ids[start:start + ID_BATCH]), include=["documents"])
            found.update(zip(got["ids"], got["documents"]))
        return found

    def abstracts(self, paper_ids: Sequence[str]) -> dict[str, str]:
        """The stored abstract of each given paper that is indexed (from its chunk-0 record)."""
        ids = [f"{pid}:0" for pid in paper_ids]
        found: dict[str, str] = {}
        for start in range(0, len(ids), ID_BATCH):
            got = self.collection.get(ids=ids[start:start + ID_BATCH], include=["metadatas"])
            found.update((meta["paper_id"], meta.get("abstract", "")) for meta in got["metadatas"])
        return found

    def delete_where(self, predicate) -> int:
        """Delete the chunks whose id satisfies ``predicate`` (e.g. chunks a shorter abstract no longer has)."""
        stale = [i for i in self.collection.get(include=[])["ids"] if predicate(i)]
        for start in range(0, len(stale), ID_BATCH):
            self.collection.delete(ids=stale[start:start + ID_BATCH])
        return len(stale)

    def papers(self) -> Iterator[Paper]:
        """Every paper, rebuilt from the chunk-0 records (so a server-side index is self-contained)."""
        offset = 0
        while True:
            got = self.collection.get(where={"position": 0}, include=["metadatas"], limit=UPSERT_BATCH, offset=offset)
            for meta in got["metadatas"]:
                yield Paper(meta["paper_id"], meta["title"], meta.get("abstract", ""), meta.get("source", ""))
            if len(got["ids"]) < UPSERT_BATCH:
                return
            offset += UPSERT_BATCH

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
