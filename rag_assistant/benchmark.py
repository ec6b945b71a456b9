"""``rag-assistant bench``: speed and memory of the assistant next to the stock LangChain recipe.

    rag-assistant bench [--out DIR] [--synthetic-chunks N] [--quick]
    rag-assistant bench --scale N [--scale-dir DIR] [--quick] [--out DIR]   (see ``bench_scale``)

Every figure is measured in the same run for both systems (see ``baselines.StockRecipe``
for the stock recipe) and written to ``bench.json`` and ``bench.md`` (default
``bench/results/<timestamp>/``). What is measured, exactly:

1. Ingest throughput, cold: a fresh subprocess per system (torch, sentence-transformers and
   chromadb imported before the clock starts) times model load + parse + chunk + embed +
   index of the bundled collection into an empty folder. Ours: ``Assistant.from_config`` on an
   empty data dir; stock: splitter 800/100 + ``HuggingFaceEmbeddings`` + ``Chroma.from_documents``.
   Throughput = papers / seconds, the same work for both, judged against the target (each system's own
   chunk count / seconds is shown too).
   A chunk is what each system embeds and indexes as one vector: ours are sentences (the paper
   records, one per paper, are not counted), the stock recipe's are its splitter's 800-character
   pieces, so chunks/s compares different work. The opt-in embedders (int8, and
   each one in ``models.EMBEDDERS`` that is installed) are timed the same way, informatively.
2. The same on a sample of the synthetic collection (its first 300 papers: embedding all 100k
   chunks would take long, and throughput does not depend on collection size).
3. Synthetic collection: papers whose titles and abstracts recombine corpus title words and
   abstract sentences (seeded, deterministic), 4-12 sentences each. Each chunk's vector is its
   sentence's embedding (all-MiniLM-L6-v2, + tiny noise), each title is embedded, and the paper
   vectors are made from them as ingest makes them; so the 100k-chunk index is built from
   precomputed vectors with the assistant's own store (``ChromaStore.upsert``, plus the chunks'
   texts for LangChain's wrapper); both systems query that one HNSW index.
4. Retrieval latency: distinct dev questions after warm-up; query embedding included
   (our query cache is cleared first). Ours: ``Assistant.retrieve(q, k=10)`` (hybrid, paper level);
   stock: ``similarity_search(q, k=4)``. Informative, on the bundled collection: with opt-in query rewriting
   (the model is called only when retrieval is unsure; the share of queries rewritten and the seconds
   per model call are shown), and with each opt-in embedder over the index its ingest built.
5. Answers with the default LLM, one fresh subprocess per system: cold start to the first
   answer (process spawn -> import -> open index -> load LLM -> answer), then TTFT, total time,
   decode tokens/s over the same answerable dev questions, and the process's peak RSS
   (VmHWM from /proc/self/status). Citation precision on those answers uses the eval's metric.
"""
from __future__ import annotations

import json
import re
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from pathlib import Path

from . import metrics as M
from .bench_children import OPT_IN, _load, _run_child
from .bench_report import GB, _answer_summary, render_markdown, render_scale_markdown, targets
from .bench_synthetic import build_synthetic_index, synthetic_collection, synthetic_vectors, write_corpus_sample
from .config import Config, apply_offline_env
from .errors import RagAssistantError
from .eval_cli import add_config_overrides, default_out, parse_cli, prepare_out
from .evaluation import DEFAULT_QUESTIONS, load_questions, select


@dataclass(frozen=True)
class Plan:
    synthetic_chunks: int = 100_000
    ingest_sample_papers: int = 300
    queries: int = 80
    warmup: int = 10
    answers: int = 16
    quick: bool = False

    @classmethod
    def make(cls, quick: bool, synthetic_chunks: int | None) -> "Plan":
        plan = cls(10_000, 100, 30, 5, 5, True) if quick else cls()
        return plan if synthetic_chunks is None else replace(plan, synthetic_chunks=synthetic_chunks)


# ---- in-process measurements ------------------------------------------------------------
def _latencies(search, queries, warmup, clear=None, budget_s: float = 90.0, min_queries: int = 10) -> list[float]:
    """Per-query seconds after warm-up; stops early (after ``min_queries``) once ``budget_s`` is spent."""
    for q in warmup:
        search(q)
    times: list[float] = []
    began = time.perf_counter()
    for q in queries:
        if len(times) >= min_queries and time.perf_counter() - began > budget_s:
            break
        if clear:
            clear()
        start = time.perf_counter()
        search(q)
        times.append(time.perf_counter() - start)
    return times


def _lat_summary(times: list[float]) -> dict:
    return {"n": len(times), "p50_ms": 1000 * M.percentile(times, 50), "p95_ms": 1000 * M.percentile(times, 95),
            "mean_ms": 1000 * M.mean(times)}


def _open_stock(persist_dir: Path, model_path: str, client=None, collection: str = "stock"):
    from langchain_chroma import Chroma

    from .baselines import chroma_settings, stock_embeddings

    if client is not None:
        return Chroma(client=client, collection_name=collection, embedding_function=stock_embeddings(model_path))
    return Chroma(collection_name=collection, embedding_function=stock_embeddings(model_path),
                  persist_directory=str(persist_dir), client_settings=chroma_settings())


def _parser():
    from .eval_cli import _Parser

    p = _Parser(prog="rag-assistant bench", description="Benchmark against the stock LangChain recipe.")
    p.add_argument("--out", type=Path, help="output folder (default bench/results/<timestamp>/)")
    p.add_argument("--synthetic-chunks", type=int, help="size of the synthetic collection (default 100000)")
    p.add_argument("--quick", action="store_true", help="a ~3-minute version (smaller samples)")
    p.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS, help="questions for queries and answers")
    p.add_argument("--scale", type=int, metavar="N",
                   help="instead: a generated collection of N papers in a Chroma server the bench starts "
                        "(ingest papers/s, retrieval with and without filters, peak memory, disk, open time)")
    p.add_argument("--scale-dir", type=Path, metavar="DIR",
                   help="with --scale: the folder of its server and vectors, kept so that a stopped run resumes "
                        "(default DATA_DIR/bench-scale/N-papers)")
    add_config_overrides(p)
    return p


class _Run:
    """One bench run: the config, the plan, the questions, the assistant over the configured
    collection, a work folder, and ``r``, the result each part fills in (a part that fails records
    its error and the others still run)."""

    def __init__(self, config: Config, plan: Plan, questions, log):
        from .assistant import Assistant

        self.config, self.plan, self.questions, self.log = config, plan, questions, log
        self.started = time.perf_counter()
        self.r: dict = {"created": datetime.now().isoformat(timespec="seconds"), "plan": asdict(plan), "errors": {},
                        "ingest": {}, "retrieval": {}, "load_start": _load()}
        log("Preparing: opening (or building) the index in the data dir and the LLM file...")
        self.a = a = Assistant.from_config(config, progress=False)
        if config.generator == "llama_cpp":
            from .models import resolve_gguf

            resolve_gguf(config.llm_model, config.models_dir)
        self.model_path = a.embedder.model_path
        plain = [q for q in questions if not q.history]
        self.queries = [q.question for q in plain[: plan.queries]]
        self.warm = [q.question for q in plain[::-1][: plan.warmup]]
        self.work = Path(tempfile.mkdtemp(prefix="rag-bench-"))
        self.stock_bundled = self.work / "stock-bundled"
        # the one-time model preparation (GGUF join, the embedder's ONNX export) is not part of any timing
        self.base = {"generator": config.generator, "llm_model": config.llm_model, "model_path": self.model_path,
                     "model_cache": str(config.models_dir)}
        prepared = time.perf_counter()
        a.embedder.embed_query("prepare the embedder")
        self.r["embedder_ready_s"] = time.perf_counter() - prepared

    def section(self, name, fn) -> None:
        self.log(f"[{time.perf_counter() - self.started:5.0f} s] {name}...")
        try:
            fn()
        except Exception as exc:  # noqa: BLE001 - one failed part must not lose the others
            self.r["errors"][name] = f"{type(exc).__name__}: {exc}"
            self.log(f"  failed: {self.r['errors'][name]}")

    def ingest(self, key, corpus, stock_dir, systems=("ours", "stock")) -> None:
        res = {}
        for system in systems:
            x = _run_child("ingest", dict(self.base, system=system, corpus=[str(c) for c in corpus],
                                          data_dir=str(self.work / f"ingest-{key}-{system}"),
                                          persist_dir=str(stock_dir)))
            x["chunks_per_s"], x["papers_per_s"] = x["chunks"] / x["seconds"], x["papers"] / x["seconds"]
            res[system] = x
        self.r["ingest"][key] = res

    def prepare_int8(self) -> None:  # the opt-in int8 embedder, quantized once before any clock, like the ONNX export
        from .embedding import Embedder

        config, prepared = self.config, time.perf_counter()
        Embedder(config.embed_model, "int8", cache_dir=config.models_dir, backend="openvino").embed_query("prepare")
        self.r["int8_ready_s"] = time.perf_counter() - prepared

    def prepare_opt_in(self) -> None:  # the other embedders offered, unpacked and exported once before any clock
        from .embedding import Embedder
        from .models import EMBEDDERS

        config = self.config
        for name in EMBEDDERS:
            if name != config.embed_model:
                prepared = time.perf_counter()
                Embedder(name, config.embed_dtype, cache_dir=config.models_dir,
                         backend=config.embed_backend).embed_query("prepare")
                self.r.setdefault("embedders_ready_s", {})[name] = time.perf_counter() - prepared

    def retrieval_bundled(self, systems) -> None:
        from .assistant import Assistant

        a, config, queries, warm = self.a, self.config, self.queries, self.warm
        stock = _open_stock(self.stock_bundled, self.model_path)
        clear = getattr(a.embedder.embed_query, "cache_clear", None)
        bundled = self.r["retrieval"]["bundled"] = {
            "ours": _lat_summary(_latencies(lambda q: a.retrieve(q, k=10), queries, warm, clear)),
            "stock": _lat_summary(_latencies(lambda q: stock.similarity_search(q, k=4), queries, warm))}
        if config.generator != "extractive":  # the opt-in rewriting path: the model called when unsure
            bundled.update(self._rewriting(clear))
        for system in (s for s in systems if s.startswith(OPT_IN)):  # the index its ingest built
            other = Assistant.from_config(config.replace(data_dir=self.work / f"ingest-bundled-{system}",
                                                         embed_model=system[len(OPT_IN):]), build_if_missing=False)
            bundled[system] = _lat_summary(_latencies(
                other.retrieve, queries, warm, other.embedder.embed_query.cache_clear))

    def _rewriting(self, clear) -> dict:
        """Latency with opt-in query rewriting, and what a query the model rewrites costs."""
        from .retrieval import QueryRewriter

        a, queries = self.a, self.queries
        rewriter = QueryRewriter(lambda: a.generator, self.config.prompts_dir)
        rewriter("warm up the model")
        rewriter.calls, rewriter.seconds = 0, 0.0
        rewriting = replace(a.retriever, rewriter=rewriter)
        times = _latencies(lambda q: rewriting.search(q, k=10), queries, [], clear)
        share = rewriter.calls / len(times)
        always = replace(rewriting, unsure_margin=float("inf"))  # what a query the model rewrites costs
        rewritten = _latencies(lambda q: always.search(q, k=10), queries[:self.plan.warmup], [], clear)
        return {"ours_rewrite": _lat_summary(times) | {"rewritten_share": share},
                "ours_rewritten": _lat_summary(rewritten)}

    def answers(self) -> None:
        config = self.config
        answerable = [q for q in self.questions if q.answerable]
        chosen = select(answerable, limit=self.plan.answers + 1)
        cold, timed = chosen[-1], chosen[:-1]
        as_dict = [{"question": q.question, "history": [list(h) for h in q.history],
                    "gold_titles": list(q.gold_titles)} for q in timed]
        cold_q = {"question": cold.question, "history": [list(h) for h in cold.history]}
        res = {}
        for system in ("ours", "stock"):
            x = _run_child("answer", dict(self.base, system=system, data_dir=str(config.data_dir),
                                          chroma_url=config.chroma_url, persist_dir=str(self.stock_bundled),
                                          questions=as_dict, cold_question=cold_q))
            res[system] = _answer_summary(x["records"], as_dict) | {
                "peak_rss_gb": x["peak_rss_bytes"] / GB, "cold_start_s": x["cold_start_s"], "open_s": x["open_s"],
                "records": x["records"]}
            res["llm"] = x["llm"]
        self.r["answers"] = res

    def ingest_synthetic(self, sentences, collection) -> None:
        sample = self.work / "synthetic-sample.jsonl"
        write_corpus_sample(sentences, collection, self.plan.ingest_sample_papers, sample)
        self.ingest("synthetic", [sample], self.work / "stock-synthetic")

    def retrieval_synthetic(self, sentences, collection) -> None:
        a = self.a
        chunk_vectors, paper_vectors = synthetic_vectors(a.embedder.embed(sentences),
                                                         a.embedder.embed([t for t, _ in collection]), collection)
        big, built, n_chunks = build_synthetic_index(a, self.config, sentences, collection,
                                                     chunk_vectors=chunk_vectors, paper_vectors=paper_vectors,
                                                     folder=self.work / "synthetic" / "chroma")
        self.r["synthetic_index"] = {"chunks": n_chunks, "papers": len(collection), "build_s": built}
        self.log(f"  built the {n_chunks}-chunk index in {built:.0f} s")
        stock = _open_stock(None, self.model_path, client=big.store.client, collection="synthetic")
        clear = getattr(big.embedder.embed_query, "cache_clear", None)
        self.r["retrieval"]["synthetic"] = {
            "ours": _lat_summary(_latencies(lambda q: big.retrieve(q, k=10), self.queries, self.warm, clear)),
            "stock": _lat_summary(_latencies(lambda q: stock.similarity_search(q, k=4), self.queries, self.warm))}


def run(config: Config, plan: Plan, questions, log) -> dict:
    """Every part of the bench, in order; returns the result with its targets."""
    from .corpus import load_corpus

    b = _Run(config, plan, questions, log)
    if config.embed_backend == "openvino" and config.embed_dtype != "int8":
        b.section("preparing the opt-in int8 embedder", b.prepare_int8)  # a failure here loses only its row
    b.section("preparing the opt-in embedders", b.prepare_opt_in)  # not installed: their rows are left out
    systems = ["ours", "stock"] + ["ours_int8"] * ("int8_ready_s" in b.r)
    systems += [OPT_IN + name for name in b.r.get("embedders_ready_s", {})]
    b.section("ingest: bundled collection", lambda: b.ingest("bundled", config.corpus_paths, b.stock_bundled, systems))
    b.section("retrieval latency: bundled collection", lambda: b.retrieval_bundled(systems))
    b.section("answers with the LLM (one subprocess per system)", b.answers)
    papers = load_corpus(config.corpus_paths)
    sentences, collection = synthetic_collection(papers, plan.synthetic_chunks)
    b.section(f"ingest: synthetic sample ({plan.ingest_sample_papers} papers)",
              lambda: b.ingest_synthetic(sentences, collection))
    b.section(f"retrieval latency: synthetic {plan.synthetic_chunks}-chunk collection",
              lambda: b.retrieval_synthetic(sentences, collection))
    shutil.rmtree(b.work, ignore_errors=True)
    r = b.r
    r["runtime_s"] = time.perf_counter() - b.started
    r["load_end"] = _load()
    r["targets"] = targets(r)
    return r


def main(argv: list[str] | None, config: Config | None = None) -> int:
    apply_offline_env()
    try:
        args, config = parse_cli(_parser(), argv, config, synthetic_chunks=100, scale=20)
        questions = load_questions(args.questions)
        plan = Plan.make(args.quick, args.synthetic_chunks)
        out = prepare_out(args.out or default_out("bench"))
        log = lambda m: print(m, file=sys.stderr, flush=True)
        if args.scale:
            from . import bench_scale

            plain = [q.question for q in questions if not q.history]
            folder = args.scale_dir or bench_scale.default_scale_dir(config, args.scale)
            result = bench_scale.run(config, args.scale, folder, plain[:plan.queries], plain[::-1][:plan.warmup], log)
        else:
            result = run(config, plan, questions, log=log)
    except RagAssistantError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    (out / "bench.json").write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
    markdown = render_scale_markdown(result) if args.scale else render_markdown(result)
    (out / "bench.md").write_text(markdown, encoding="utf-8")
    print(re.split(r"\n## Method", markdown)[0].rstrip())
    print(f"\nWrote bench.json and bench.md to {out}")
    return 0
