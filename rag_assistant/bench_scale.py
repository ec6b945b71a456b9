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
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from .config import Config
from .errors import RagAssistantError

COLLECTION = "scale"
SEED = 0
GENERATION = "g1"  # the generated collection's recipe: a change of it must not resume an older folder
BATCH_PAPERS = 300  # at most 13 records a paper (12 sentences + its paper record): one upsert of <= 3,900
SAMPLE_PAPERS = 300
YEAR_FILTER = "2020-"
CATEGORY_FILTER = "cs.CV"
YEARS = tuple(range(2005, 2026))
YEAR_WEIGHTS = tuple(1.18 ** (year - YEARS[0]) for year in YEARS)
FIRST_NAMES = (
    "Ada", "Alan", "Alice", "Amir", "Ana", "Andrea", "Anna", "Arjun", "Ben", "Carlos", "Chen", "Daniel", "David",
    "Elena", "Emma", "Fatima", "Felix", "Hana", "Hiro", "Ivan", "James", "Jia", "John", "Julia", "Kai", "Lars",
    "Laura", "Lei", "Li", "Lucas", "Maria", "Mark", "Mei", "Mohammed", "Nadia", "Noah", "Olga", "Omar", "Pablo",
    "Priya", "Rahul", "Sara", "Sofia", "Tom", "Wei", "Yuki", "Yusuf", "Zhen",
)
SURNAMES = (
    "Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu", "Sun", "Ma", "Zhu", "Hu",
    "Guo", "He", "Lin", "Gao", "Luo", "Kim", "Lee", "Park", "Choi", "Nguyen", "Tran", "Smith", "Johnson",
    "Williams", "Brown", "Jones", "Miller", "Davis", "Garcia", "Rodriguez", "Martinez", "Hernandez", "Lopez",
    "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Thompson", "White",
    "Harris", "Clark", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott", "Hill", "Green",
    "Adams", "Baker", "Nelson", "Carter", "Mitchell", "Roberts", "Turner", "Phillips", "Campbell", "Parker",
    "Evans", "Edwards", "Collins", "Stewart", "Morris", "Murphy", "Cook", "Rogers", "Morgan", "Cooper", "Peterson",
    "Reed", "Bailey", "Bell", "Kelly", "Howard", "Ward", "Cox", "Richardson", "Wood", "Watson", "Brooks", "Bennett",
    "Gray", "James", "Hughes", "Price", "Sanders", "Myers", "Long", "Ross", "Foster", "Sato", "Suzuki", "Takahashi",
    "Tanaka", "Watanabe", "Ito", "Yamamoto", "Nakamura", "Kobayashi", "Kato", "Singh", "Kumar", "Sharma", "Patel",
    "Gupta", "Shah", "Mehta", "Iyer", "Reddy", "Rao", "Mueller", "Schmidt", "Schneider", "Fischer", "Weber",
    "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann", "Rossi", "Russo", "Ferrari", "Esposito", "Bianchi",
    "Romano", "Colombo", "Ricci", "Dubois", "Lefebvre", "Moreau", "Laurent", "Simon", "Michel", "Ivanov",
    "Petrov", "Sidorov", "Kowalski", "Nowak", "Jansen", "de Vries", "Bakker", "Visser", "Silva", "Santos",
    "Oliveira", "Pereira", "Costa", "Ahmed", "Hassan", "Ali", "Khan", "Cohen", "Levi", "Novak", "Horvat",
)
SURNAME_WEIGHTS = tuple(1 / (rank + 8) for rank in range(len(SURNAMES)))  # a long tail, as in author lists
AUTHOR_COUNTS = ((1, 2, 3, 4, 5, 6, 7, 8), (6, 13, 18, 18, 15, 12, 9, 9))
CATEGORIES = (("cs.LG", 20), ("cs.CV", 18), ("cs.CL", 14), ("cs.AI", 10), ("stat.ML", 8), ("cs.RO", 5),
              ("cs.IR", 4), ("cs.CR", 4), ("cs.NE", 3), ("eess.IV", 3), ("cs.SD", 2), ("eess.AS", 2), ("cs.DC", 2),
              ("q-bio.QM", 2), ("cs.HC", 2), ("math.OC", 1))
VENUES = (("arXiv", 45), ("NeurIPS", 8), ("ICML", 6), ("ICLR", 6), ("CVPR", 7), ("ICCV", 3), ("ECCV", 3),
          ("ACL", 4), ("EMNLP", 4), ("NAACL", 2), ("AAAI", 4), ("IJCAI", 2), ("KDD", 2), ("SIGIR", 1),
          ("IEEE Transactions on Pattern Analysis and Machine Intelligence", 1),
          ("Journal of Machine Learning Research", 1), ("Nature Machine Intelligence", 1))


def paper_metadata(index: int, seed: int = SEED) -> dict:
    """The generated paper ``index``'s metadata, from its own seeded generator (the same in every run,
    whatever N is).

    >>> paper_metadata(7) == paper_metadata(7) and paper_metadata(7) != paper_metadata(8)
    True
    """
    rng = random.Random(f"scale:{seed}:{index}")
    authors: list[str] = []
    for _ in range(rng.choices(*AUTHOR_COUNTS)[0]):
        name = f"{rng.choice(FIRST_NAMES)} {rng.choices(SURNAMES, SURNAME_WEIGHTS)[0]}"
        if name not in authors:
            authors.append(name)
    year = rng.choices(YEARS, YEAR_WEIGHTS)[0]
    names, weights = zip(*CATEGORIES)
    categories = list(dict.fromkeys(rng.choices(names, weights, k=rng.choice((1, 1, 2, 2, 3)))))
    venue = rng.choices(*zip(*VENUES))[0]
    number = rng.randrange(10_000, 100_000) if year >= 2015 else rng.randrange(1_000, 10_000)  # 5 digits from 2015
    arxiv_id = f"{year % 100:02d}{rng.randint(1, 12):02d}.{number}"
    return {"authors": authors, "year": year, "categories": categories,
            "venue": venue if venue == "arXiv" or " " in venue else f"{venue} {year}",
            "arxiv_id": arxiv_id, "url": f"https://arxiv.org/abs/{arxiv_id}"}


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


# ---- the server ------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_status(pid: int) -> dict[str, int]:
    """A process's memory figures from /proc/<pid>/status, in bytes (VmHWM: its peak RSS; VmRSS: now)."""
    values = {}
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                values[key] = int(rest.split()[0]) * 1024
    return values


def folder_bytes(folder: Path) -> dict[str, int]:
    """A folder's files: allocated bytes (as du counts them) and their sizes."""
    allocated = size = 0
    for root, _, files in os.walk(folder):
        for name in files:
            with contextlib.suppress(OSError):
                st = os.stat(os.path.join(root, name))
                allocated, size = allocated + st.st_blocks * 512, size + st.st_size
    return {"allocated": allocated, "size": size}


class ChromaServer:
    """``chroma run --path PATH --host 127.0.0.1 --port PORT``, started by ``start`` and always stopped
    by ``stop``. Its pid is kept next to its folder, so a server that a killed run left behind is
    stopped before another starts on the same folder."""

    def __init__(self, path: Path, log_file: Path):
        self.path, self.log_file = Path(path), Path(log_file)
        self.pid_file = self.path.parent / f"{self.path.name}.server-pid"
        self.proc: subprocess.Popen | None = None
        self.url = ""
        self.start_s: float | None = None

    def start(self, timeout: float = 120) -> "ChromaServer":
        self._stop_left_behind()
        self.path.mkdir(parents=True, exist_ok=True)
        port = free_port()
        chroma = Path(sys.executable).parent / "chroma"
        env = {"ANONYMIZED_TELEMETRY": "False", "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
               "HOME": os.environ.get("HOME", "/tmp")}
        began = time.perf_counter()
        with self.log_file.open("ab") as log:
            self.proc = subprocess.Popen([str(chroma), "run", "--path", str(self.path), "--host", "127.0.0.1",
                                          "--port", str(port)], stdout=log, stderr=subprocess.STDOUT, env=env)
        self.pid_file.write_text(f"{self.proc.pid}\n", encoding="utf-8")
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                self.start_s = time.perf_counter() - began
                return self
            except OSError:
                time.sleep(0.2)
        tail = self.log_file.read_text(encoding="utf-8", errors="replace")[-600:].strip()
        self.stop()
        raise RagAssistantError(f"the Chroma server on {self.path} did not start (see {self.log_file}): {tail}")

    def memory(self) -> dict[str, int]:
        return proc_status(self.proc.pid) if self.proc and self.proc.poll() is None else {}

    def stop(self) -> dict[str, int]:
        """Stop the server (SIGTERM, then SIGKILL after 30 s); returns its memory figures just before."""
        if self.proc is None:
            return {}
        memory = self.memory()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)
        self.proc = None
        self.pid_file.unlink(missing_ok=True)
        return memory

    def _stop_left_behind(self) -> None:
        """A server on this folder that an earlier run started and could not stop (it was killed)."""
        try:
            pid = int(self.pid_file.read_text().split()[0])
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except (OSError, ValueError, IndexError):
            self.pid_file.unlink(missing_ok=True)
            return
        if b"run" in cmdline and str(self.path).encode() in cmdline and any(b"chroma" in a for a in cmdline):
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 30
            while _running(pid) and time.monotonic() < deadline:
                time.sleep(0.2)
            if _running(pid):
                os.kill(pid, signal.SIGKILL)
        self.pid_file.unlink(missing_ok=True)


def _running(pid: int) -> bool:
    """The process exists and has not exited (a zombie has: it only waits for its parent to read its status)."""
    try:
        state = Path(f"/proc/{pid}/status").read_text().split("State:", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


@contextlib.contextmanager
def _stopped_by_sigterm():
    """SIGTERM raises SystemExit, so that the servers are stopped on the way out (as for Ctrl-C)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def leave(signum, frame):
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, leave)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


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
    from .bench_children import _load, _run_child
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
    filters = {"none": None, "year": {"year": YEAR_FILTER}, "author": {"author": author},
               "category": {"category": CATEGORY_FILTER}}
    r["filters"] = filters
    embedder = _embedder(config)
    log(f"[{time.perf_counter() - started:5.0f} s] vectors for {n} generated papers...")
    vectors = ScaleVectors.load_or_embed(scale, embedder, folder / "vectors.npz", log)
    work = Path(tempfile.mkdtemp(prefix="rag-bench-scale-"))
    base = {"generator": "extractive", "model_cache": str(config.models_dir)}
    try:
        with _stopped_by_sigterm():
            server = ChromaServer(folder / "chroma", folder / "chroma.log")
            try:
                log(f"[{time.perf_counter() - started:5.0f} s] writing {n} papers to a Chroma server on "
                    f"{folder / 'chroma'}...")
                server.start()
                r["write"] = write_collection(_open_writer(embedder, server.url), scale, vectors,
                                              log=_every(log, 20))
            finally:
                r["server_write"] = server.stop()
            r["disk"] = folder_bytes(folder / "chroma")
            r["disk"]["per_paper"] = r["disk"]["allocated"] / n

            def ingest_sample():
                sample_n = min(SAMPLE_PAPERS, max(1, n // 10))
                sample = work / "sample.jsonl"
                scale.write_sample(sample_n, sample)
                sample_server = ChromaServer(work / "sample-chroma", work / "sample-chroma.log")
                try:
                    sample_server.start()
                    x = _run_child("ingest", dict(base, system="ours", corpus=[str(sample)],
                                                  data_dir=str(work / "sample-data"), chroma_url=sample_server.url,
                                                  collection="scale-sample"))
                finally:
                    sample_server.stop()
                x["chunks_per_s"], x["papers_per_s"] = x["chunks"] / x["seconds"], x["papers"] / x["seconds"]
                r["ingest"] = x

            def serve():
                serving = ChromaServer(folder / "chroma", folder / "chroma.log")
                try:
                    serving.start()
                    r["server_start_s"] = serving.start_s
                    r["client"] = _run_child("scale", dict(base, data_dir=str(work / "client-data"),
                                                           chroma_url=serving.url, collection=COLLECTION,
                                                           queries=queries, warmup=warmup, filters=filters,
                                                           year_filter=YEAR_FILTER), timeout=3600)
                finally:
                    r["server_serve"] = serving.stop()

            for name, part in (("ingest: a sample of the generated papers, real embedder", ingest_sample),
                               ("retrieval: a fresh client against the restarted server", serve)):
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
