"""``rag-assistant bench --scale N``: the assistant over a generated collection of N papers in a
Chroma server that the bench starts itself, and what that size costs.

    rag-assistant bench --scale N [--scale-dir DIR] [--quick] [--out DIR]

What is measured, exactly:

1. The collection: the first N papers of ``bench_synthetic.synthetic_collection`` (titles spliced
   from two corpus titles, abstracts of 4-12 corpus sentences), each with seeded metadata: 1-8
   authors (surnames with a long tail), a year from 2005 to 2025 (each year 18% more papers than
   the year before, as arXiv grew), 1-3 arXiv categories, a venue, an arXiv id and its URL. The
   vectors are made as ``bench_synthetic.synthetic_vectors`` makes them (each sentence's
   embedding + tiny noise, each title embedded, the paper vectors as ingest makes them) and are
   kept in the scale folder, so a rerun writes the same vectors.
2. The write: a server started on 127.0.0.1 (``chroma run --path DIR/chroma``) and the
   assistant's own store (``ChromaStore.upsert``), the papers in a fixed order in batches of
   whole papers (at most 4,000 records: one Chroma upsert, one transaction). A run that finds
   batches already written (by a run that was stopped) writes only the others. Then the paper
   records and all records are counted against the expected numbers, and only then is the
   collection marked built (``indexing.fingerprint``), so ``Assistant.from_config`` opens it as
   it is. The scale folder is kept: a later run at the same size reuses it.
3. Ingest papers/s: a sample (a tenth of N, at most 300 papers) written as a JSONL file with its
   metadata and ingested with the real embedder by ``Assistant.from_config`` into an empty
   collection of a second, temporary server, in a fresh subprocess (imports before the clock, as
   ``bench``'s cold ingest).
4. Disk: the allocated size of the server's ``--path`` folder after the write, divided by N.
5. The server is started again on the written folder. A fresh client subprocess times
   ``Assistant.from_config`` against it (opening reads every paper record and builds the keyword
   index), then ``Assistant.retrieve(q, k=10)`` over distinct dev questions after warm-up (query
   embedding included, the query cache cleared before each): without a filter, with a year filter
   (2020-), an author filter (a surname about 1% of the papers have) and a category filter
   (cs.CV). Every hit is checked against its filter. The store's vector query alone (the 60
   nearest records, as retrieval asks) is timed too, without and with the year filter's ``where``.
6. Peak memory (VmHWM): of the client subprocess, of the server while it was written, and of the
   restarted server while it served the client.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from .bench_server import ChromaServer, _stopped_by_sigterm, folder_bytes
from .bench_synthetic import FIRST_NAMES, paper_metadata
from .config import Config
from .errors import RagAssistantError

COLLECTION = "scale"
SEED = 0
GENERATION = "g1"  # the generated collection's recipe: a change of it must not resume an older folder
BATCH_PAPERS = 300  # at most 13 records a paper (12 sentences + its paper record): one upsert of <= 3,900
SAMPLE_PAPERS = 300
YEAR_FILTER = "2020-"
CATEGORY_FILTER = "cs.CV"
@dataclass(frozen=True)
class ScaleCollection:
    """The first ``n`` generated papers: corpus ``sentences`` and ``collection`` [(title, [sentence ids])]
    as ``synthetic_collection`` makes them; each paper's metadata from ``paper_metadata``."""

    n: int
    sentences: list[str]
    collection: list[tuple[str, list[int]]]
    seed: int = SEED

    @classmethod
    def make(cls, papers, n: int, seed: int = SEED) -> "ScaleCollection":
        from .bench_synthetic import synthetic_collection

        # enough sentences for n + 1 papers of at most 12: the first n come out whole (and the same for any n)
        sentences, collection = synthetic_collection(papers, 12 * (n + 1), seed=seed)
        return cls(n, sentences, collection[:n], seed)

    @property
    def chunks(self) -> int:
        return sum(len(ids) for _, ids in self.collection)

    @property
    def records(self) -> int:
        """Sentence chunks and one paper record per paper."""
        return self.chunks + self.n

    @property
    def key(self) -> str:
        """What the generated papers and their vectors depend on (besides the embedder)."""
        digest = hashlib.sha1("\n".join(self.sentences).encode("utf-8")).hexdigest()[:12]
        return f"{GENERATION}|{self.n}|{self.seed}|{digest}"

    def paper(self, index: int):
        from .corpus import paper_id
        from .types import Paper

        title, ids = self.collection[index]
        meta = paper_metadata(index, self.seed)
        return Paper(paper_id(title), title, " ".join(self.sentences[i] for i in ids), "generated",
                     authors=tuple(meta["authors"]), year=meta["year"], venue=meta["venue"],
                     categories=tuple(meta["categories"]), arxiv_id=meta["arxiv_id"], url=meta["url"])

    def batches(self, size: int = BATCH_PAPERS) -> list[range]:
        return [range(start, min(start + size, self.n)) for start in range(0, self.n, size)]

    def batch(self, papers: range, vectors: "ScaleVectors"):
        """One batch's (chunks, chunk vectors, papers by id, paper vectors by id), as ``ChromaStore.upsert``
        takes them."""
        from .bench_synthetic import synthetic_vectors
        from .chunking import chunk_id
        from .types import Chunk

        part = self.collection[papers.start:papers.stop]
        chunk_vectors, paper_vectors = synthetic_vectors(vectors.sentences, vectors.titles[papers.start:papers.stop],
                                                         part, seed=self.seed * 1_000_003 + papers.start)
        chunks, by_id, paper_vecs = [], {}, {}
        for index, (_, ids), paper_vec in zip(papers, part, paper_vectors):
            paper = self.paper(index)
            by_id[paper.paper_id] = paper
            paper_vecs[paper.paper_id] = paper_vec
            chunks += [Chunk(chunk_id(paper.paper_id, n), paper.paper_id, paper.title, self.sentences[i], n)
                       for n, i in enumerate(ids)]
        return chunks, chunk_vectors, by_id, paper_vecs

    def write_sample(self, n_papers: int, path: Path) -> int:
        """The first ``n_papers`` papers with their metadata as a JSONL corpus file; returns their number."""
        with path.open("w", encoding="utf-8") as f:
            for index in range(min(n_papers, self.n)):
                p = self.paper(index)
                f.write(json.dumps({"title": p.title, "abstract": p.abstract, "authors": list(p.authors),
                                    "year": p.year, "venue": p.venue, "categories": list(p.categories),
                                    "arxiv_id": p.arxiv_id}) + "\n")
        return min(n_papers, self.n)

    def author_filter(self) -> tuple[str, int]:
        """A surname that about 1% of the papers have (for the author filter) and how many papers that is."""
        from .filters import words

        holders: dict[str, int] = {}
        for index in range(self.n):
            for surname in {a.split(" ", 1)[1] for a in paper_metadata(index, self.seed)["authors"]}:
                holders[surname] = holders.get(surname, 0) + 1
        # one-word surnames that are no first name: the filter matches a word of any part of a name
        single = {s: c for s, c in holders.items() if len(words(s)) == 1 and s not in FIRST_NAMES}
        name = min(sorted(single), key=lambda s: abs(single[s] - 0.01 * self.n))
        return name, single[name]


@dataclass(frozen=True)
class ScaleVectors:
    """The corpus sentences' vectors (rows of the sentences no paper uses are zero) and each paper's title vector."""

    sentences: np.ndarray
    titles: np.ndarray

    @classmethod
    def load_or_embed(cls, scale: ScaleCollection, embedder, path: Path, log=lambda m: None) -> "ScaleVectors":
        """The vectors kept at ``path`` when they were made for this collection and embedder; else
        embedded now and kept there (written whole, then renamed into place)."""
        key = f"{scale.key}|{embedder.name}"
        if path.exists():
            with contextlib.suppress(OSError, ValueError, KeyError):
                with np.load(path) as kept:
                    if str(kept["key"]) == key:
                        return cls(kept["sentences"], kept["titles"])
        used = sorted({i for _, ids in scale.collection for i in ids})
        log(f"  embedding {len(used)} corpus sentences and {scale.n} titles (once; kept in {path.name})...")
        sentences = np.zeros((len(scale.sentences), embedder.dimension), dtype=np.float32)
        sentences[used] = embedder.embed([scale.sentences[i] for i in used])
        titles = np.asarray(embedder.embed([title for title, _ in scale.collection]), dtype=np.float32)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial.npz")
        np.savez(partial, key=np.array(key), sentences=sentences, titles=titles)
        os.replace(partial, path)
        return cls(sentences, titles)


# ---- the resumable write -----------------------------------------------------------------
def written_batches(store, scale: ScaleCollection, batches: list[range]) -> set[int]:
    """The batches already in the store: those whose last paper's paper record is there (a batch is one
    upsert, written whole or not at all, and a paper's record is the last of its records)."""
    from .corpus import paper_id
    from .store import ID_BATCH
    from .store_records import paper_record_id

    last = {paper_record_id(paper_id(scale.collection[b.stop - 1][0])): n for n, b in enumerate(batches)}
    ids, found = list(last), set()
    for start in range(0, len(ids), ID_BATCH):
        found.update(store.collection.get(ids=ids[start:start + ID_BATCH], include=[])["ids"])
    return {last[i] for i in found}


def write_collection(store, scale: ScaleCollection, vectors: ScaleVectors, batch_papers: int = BATCH_PAPERS,
                     log: Callable[[str], None] = lambda m: None) -> dict:
    """Write the generated papers into ``store`` in whole-paper batches, skipping the batches already
    there; check the counts; mark the collection built. Returns what was done (papers/s of this run's writes)."""
    from .store import UPSERT_BATCH

    if batch_papers * 13 > UPSERT_BATCH:
        raise ValueError(f"a batch of {batch_papers} papers could exceed one upsert ({UPSERT_BATCH} records)")
    batches = scale.batches(batch_papers)
    _claim(store, scale)
    complete = store.stored_fingerprint == store.fingerprint and store.count() == scale.records
    done = set(range(len(batches))) if complete else written_batches(store, scale, batches)
    todo = [n for n in range(len(batches)) if n not in done]
    if done:
        log(f"  {len(done)} of {len(batches)} batches already written" + ("" if todo else ": nothing to write"))
    start, papers = time.perf_counter(), 0
    for step, n in enumerate(todo, 1):
        chunks, chunk_vectors, by_id, paper_vectors = scale.batch(batches[n], vectors)
        store.upsert(chunks, chunk_vectors, by_id, paper_vectors)
        papers += len(batches[n])
        log(f"  batch {n + 1}/{len(batches)} written ({step}/{len(todo)} this run)")
    seconds = time.perf_counter() - start
    records, paper_records = store.count(), store.paper_count()
    if (records, paper_records) != (scale.records, scale.n):
        raise RagAssistantError(
            f"the collection '{store.collection.name}' at {store.location} holds {records} records of "
            f"{paper_records} papers, not the {scale.records} records of {scale.n} papers it should: it holds "
            "something else; move its folder away (or give another --scale-dir) and run again")
    if not complete:
        store.mark_built()
    return {"batches": len(batches), "batches_found": len(done), "batches_written": len(todo),
            "papers_written": papers, "seconds": seconds, "papers_per_s": papers / seconds if papers else None,
            "records": records, "paper_records": paper_records}


def _claim(store, scale: ScaleCollection) -> None:
    """Record in the collection's metadata which generated collection it holds (``ScaleCollection.key``),
    so that a run resumes only its own: a collection that holds another one, or records written by
    anything else, is an error."""
    metadata = store.collection.metadata or {}
    held = metadata.get("bench_scale")
    if held == scale.key:
        return
    if held is not None or store.count():
        raise RagAssistantError(
            f"the collection '{store.collection.name}' at {store.location} holds "
            f"{'another generated collection (' + held + ')' if held else 'records the scale bench did not write'}, "
            f"not {scale.key}: move its folder away (or give another --scale-dir) and run again")
    store.collection.modify(metadata={**{k: v for k, v in metadata.items() if not k.startswith("hnsw:")},
                                      "bench_scale": scale.key})


def _open_writer(embedder, url: str, collection: str = COLLECTION):
    from .indexing import fingerprint
    from .store import ChromaStore

    return ChromaStore(embedder, url, Path("."), collection, fingerprint(embedder.name))


def _embedder(config: Config):
    from .embedding import Embedder

    return Embedder(config.embed_model, config.embed_dtype, config.embed_batch_size, config.models_dir,
                    config.embed_backend)


def default_scale_dir(config: Config, n: int) -> Path:
    return Path(config.data_dir) / "bench-scale" / f"{n}-papers"


# ---- the run -------------------------------------------------------------------------------
def run(config: Config, n: int, folder: Path, queries: list[str], warmup: list[str], log) -> dict:
    """Every part of the scale bench, in order (see the module's docstring); returns the result."""
    from .bench_children import _load
    from .bench_report import scale_targets
    from .corpus import load_corpus

    started = time.perf_counter()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    r: dict = {"created": time.strftime("%Y-%m-%dT%H:%M:%S"), "kind": "scale", "errors": {}, "load_start": _load(),
               "scale_dir": str(folder), "cpu_count": os.cpu_count()}
    scale = ScaleCollection.make(load_corpus(config.corpus_paths), n)
    author, author_papers = scale.author_filter()
    r["collection"] = {"papers": n, "chunks": scale.chunks, "records": scale.records, "collection": COLLECTION}
    r["filters"] = {"none": None, "year": {"year": YEAR_FILTER}, "author": {"author": author},
                    "category": {"category": CATEGORY_FILTER}}
    embedder = _embedder(config)
    log(f"[{time.perf_counter() - started:5.0f} s] vectors for {n} generated papers...")
    vectors = ScaleVectors.load_or_embed(scale, embedder, folder / "vectors.npz", log)
    work = Path(tempfile.mkdtemp(prefix="rag-bench-scale-"))
    base = {"generator": "extractive", "model_cache": str(config.models_dir)}
    try:
        with _stopped_by_sigterm():
            log(f"[{time.perf_counter() - started:5.0f} s] writing {n} papers to a Chroma server on "
                f"{folder / 'chroma'}...")
            _write(r, scale, vectors, embedder, folder, log)
            parts = (("ingest: a sample of the generated papers, real embedder",
                      lambda: _ingest_sample(r, scale, work, base)),
                     ("retrieval: a fresh client against the restarted server",
                      lambda: _serve(r, folder, work, base, queries, warmup)))
            for name, part in parts:
                log(f"[{time.perf_counter() - started:5.0f} s] {name}...")
                try:
                    part()
                except Exception as exc:  # noqa: BLE001 - one failed part must not lose the others
                    r["errors"][name] = f"{type(exc).__name__}: {exc}"
                    log(f"  failed: {r['errors'][name]}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    r["author_filter_papers"] = author_papers
    r["runtime_s"] = time.perf_counter() - started
    r["load_end"] = _load()
    r["targets"] = scale_targets(r)
    return r


def _write(r: dict, scale: "ScaleCollection", vectors: "ScaleVectors", embedder, folder: Path, log) -> None:
    """Part 2 and 4: the collection written into a server on ``folder``, then its disk size."""
    server = ChromaServer(folder / "chroma", folder / "chroma.log")
    try:
        server.start()
        r["write"] = write_collection(_open_writer(embedder, server.url), scale, vectors, log=_every(log, 20))
    finally:
        r["server_write"] = server.stop()
    r["disk"] = folder_bytes(folder / "chroma")
    r["disk"]["per_paper"] = r["disk"]["allocated"] / scale.n


def _ingest_sample(r: dict, scale: "ScaleCollection", work: Path, base: dict) -> None:
    """Part 3: a sample of the papers ingested with the real embedder into a second, temporary server."""
    from .bench_children import _run_child

    sample = work / "sample.jsonl"
    scale.write_sample(min(SAMPLE_PAPERS, max(1, scale.n // 10)), sample)
    server = ChromaServer(work / "sample-chroma", work / "sample-chroma.log")
    try:
        server.start()
        x = _run_child("ingest", dict(base, system="ours", corpus=[str(sample)], data_dir=str(work / "sample-data"),
                                      chroma_url=server.url, collection="scale-sample"))
    finally:
        server.stop()
    x["chunks_per_s"], x["papers_per_s"] = x["chunks"] / x["seconds"], x["papers"] / x["seconds"]
    r["ingest"] = x


def _serve(r: dict, folder: Path, work: Path, base: dict, queries: list[str], warmup: list[str]) -> None:
    """Parts 5 and 6: the server restarted on the written folder, a fresh client timed against it."""
    from .bench_children import _run_child

    server = ChromaServer(folder / "chroma", folder / "chroma.log")
    try:
        server.start()
        r["server_start_s"] = server.start_s
        r["client"] = _run_child("scale", dict(base, data_dir=str(work / "client-data"), chroma_url=server.url,
                                               collection=COLLECTION, queries=queries, warmup=warmup,
                                               filters=r["filters"], year_filter=YEAR_FILTER), timeout=3600)
    finally:
        r["server_serve"] = server.stop()


def _every(log, n: int):
    """A log that passes on the first, every ``n``-th and the last batch's line."""
    def passed(message: str) -> None:
        if " written (" not in message:
            return log(message)
        step, total = message.split("(", 1)[1].split()[0].split("/")
        if step == "1" or int(step) % n == 0 or step == total:
            log(message)
    return passed


def write_main(params: dict) -> int:
    """The write step on its own (``python -m rag_assistant.bench_scale write PARAMS_JSON``): the
    collection of ``n`` papers written into the server at ``url``, each batch's line printed."""
    from .config import apply_offline_env
    from .corpus import load_corpus

    apply_offline_env()
    config = Config.from_env(model_cache=params.get("model_cache"))
    scale = ScaleCollection.make(load_corpus(config.corpus_paths), params["n"])
    embedder = _embedder(config)
    vectors = ScaleVectors.load_or_embed(scale, embedder, Path(params["vectors"]))
    store = _open_writer(embedder, params["url"], params.get("collection", COLLECTION))
    result = write_collection(store, scale, vectors, params.get("batch_papers", BATCH_PAPERS),
                              log=lambda m: print(m, flush=True))
    print("WRITTEN " + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] != ["write"] or len(sys.argv) != 3:
        sys.exit("usage: python -m rag_assistant.bench_scale write PARAMS_JSON")
    sys.exit(write_main(json.loads(sys.argv[2])))
