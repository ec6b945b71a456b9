"""``rag-assistant bench``: speed and memory of the assistant next to the stock LangChain recipe.

    rag-assistant bench [--out DIR] [--synthetic-chunks N] [--quick]

Every figure is measured in the same run for both systems (see ``baselines.StockRecipe``
for the stock recipe) and written to ``bench.json`` and ``bench.md`` (default
``bench/results/<timestamp>/``). What is measured, exactly:

1. Ingest throughput, cold: a fresh subprocess per system (torch, sentence-transformers and
   chromadb imported before the clock starts) times model load + parse + chunk + embed +
   index of the bundled collection into an empty folder. Ours: ``Assistant.from_config`` on an
   empty data dir; stock: splitter 800/100 + ``HuggingFaceEmbeddings`` + ``Chroma.from_documents``.
   Throughput = each system's own chunk count / seconds (papers/s shown too).
   A chunk is what each system embeds and indexes as one vector: ours are sentences (the paper
   records, one per paper, are not counted), the stock recipe's are its splitter's 800-character
   pieces; papers/s, the same unit for both, is shown next to it. The opt-in embedders (int8, and
   each one in ``models.EMBEDDERS`` that is installed) are timed the same way, informatively.
2. The same on a sample of the synthetic collection (its first 300 papers; embedding all 100k
   chunks would take ~10 min; throughput does not depend on collection size).
3. Synthetic collection: papers whose titles and abstracts recombine corpus title words and
   abstract sentences (seeded, deterministic), 4-12 sentences each. Each chunk's vector is its
   sentence's embedding (all-MiniLM-L6-v2, + tiny noise), each title is embedded, and the paper
   vectors are made from them as ingest makes them; so the 100k-chunk index is built from
   precomputed vectors with the assistant's own store (``ChromaStore.upsert``, plus the chunks'
   texts for LangChain's wrapper); both systems query that one HNSW index.
4. Retrieval latency: distinct dev questions after warm-up; query embedding included
   (our query cache is cleared first). Ours: ``Assistant.retrieve(q, k=10)`` (hybrid, paper level);
   stock: ``similarity_search(q, k=4)``. Informative, on the 282 papers: with opt-in query rewriting
   (the model is called only when retrieval is unsure; the share of queries rewritten and the seconds
   per model call are shown), and with each opt-in embedder over the index its ingest built.
5. Answers with the default LLM, one fresh subprocess per system: cold start to the first
   answer (process spawn -> import -> open index -> load LLM -> answer), then TTFT, total time,
   decode tokens/s over the same answerable dev questions, and the process's peak RSS
   (``ru_maxrss``). Citation precision on those answers uses the eval's metric.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from pathlib import Path

from . import metrics as M
from .config import PROJECT_ROOT, Config, apply_offline_env
from .errors import RagAssistantError
from .evaluation import (DEFAULT_QUESTIONS, EvalInputError, apply_config_overrides, add_config_overrides, clean_argv,
                         default_out, load_questions, prepare_out, select)

GB = 1024 ** 3
LLM_MODES = ("generated", "fallback", "stock")  # answers that ran the LLM (the others quote the abstracts)
RESULT_TAG = "BENCH_RESULT "
OPT_IN = "ours@"  # "ours@all-mpnet-base-v2": ours with an opt-in embedder


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


# ---- synthetic collection ---------------------------------------------------------------
def synthetic_collection(papers, n_chunks: int, seed: int = 0, sentences_per_paper: tuple[int, int] = (4, 12)):
    """Deterministic synthetic papers: (corpus sentences, [(title, [sentence ids])]) with n_chunks
    sentences in all (a chunk is a sentence), 4-12 per paper (the bundled abstracts average 7.9).

    Titles splice two corpus titles and carry a serial number (so each is unique); abstracts
    string together corpus sentences drawn at random.
    """
    from .chunking import split_sentences

    # only sentences that stay one sentence when joined to others, so that ingest splits a synthetic
    # abstract back into exactly the sentences it was made of
    sentences = sorted({s for p in papers for s in split_sentences(p.abstract)
                        if 40 <= len(s) <= 600 and split_sentences(f"{s} {s}") == [s, s]})
    title_words = [p.title.split() for p in papers if len(p.title.split()) >= 2]
    rng = random.Random(seed)
    out, total = [], 0
    while total < n_chunks:
        a, b = rng.choice(title_words), rng.choice(title_words)
        title = " ".join(a[: max(1, len(a) // 2)] + b[len(b) // 2:]) + f" (S{len(out) + 1})"
        ids = [rng.randrange(len(sentences)) for _ in range(min(rng.randint(*sentences_per_paper), n_chunks - total))]
        total += len(ids)
        out.append((title, ids))
    return sentences, out


def synthetic_vectors(sentence_vectors, title_vectors, collection, seed: int = 0):
    """Each synthetic chunk's vector (its sentence's, + tiny noise, normalized) and each paper's
    paper vector and weight (``chunking.paper_vector`` of its chunks and its title's vector)."""
    import numpy as np

    from .retrieval import paper_vector

    rng = np.random.default_rng(seed)
    vectors = sentence_vectors[[i for _, ids in collection for i in ids]].astype(np.float32)
    vectors += rng.normal(0, 0.01, vectors.shape).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    papers, start = [], 0
    for (_, ids), title_vector in zip(collection, title_vectors):
        papers.append(paper_vector(vectors[start:start + len(ids)], title_vector))
        start += len(ids)
    return vectors, papers


def write_corpus_sample(sentences, collection, n_papers: int, path: Path) -> int:
    """The first ``n_papers`` synthetic papers as a JSONL corpus file; returns their number of sentences."""
    chosen = collection[:n_papers]
    with path.open("w", encoding="utf-8") as f:
        for title, ids in chosen:
            f.write(json.dumps({"title": title, "abstract": " ".join(sentences[i] for i in ids)}) + "\n")
    return sum(len(ids) for _, ids in chosen)


# ---- subprocesses -----------------------------------------------------------------------
def _run_child(task: str, params: dict, timeout: float = 1200) -> dict:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")])))
    for attempt in (1, 2):  # one retry: a shared machine can fail a start-up transiently
        params = dict(params, spawn=time.time())
        proc = subprocess.run([sys.executable, "-m", "rag_assistant.benchmark", task, json.dumps(params)],
                              capture_output=True, text=True, env=env, timeout=timeout)
        for line in reversed(proc.stdout.splitlines()):
            if line.startswith(RESULT_TAG):
                return json.loads(line[len(RESULT_TAG):]) | {"attempts": attempt}
    tail = (proc.stderr or proc.stdout)[-1500:].strip().splitlines()
    raise RuntimeError(f"{task} subprocess failed (exit {proc.returncode}): {tail[-1] if tail else 'no output'}")


def _load() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def _peak_rss() -> int:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB


def _child_config(p: dict, **extra) -> Config:
    keys = ("data_dir", "generator", "llm_model", "chroma_url", "model_cache")
    values = {k: p[k] for k in keys if p.get(k) and k not in extra}
    if p.get("corpus"):
        values["corpus_paths"] = tuple(Path(c) for c in p["corpus"])
    return Config.from_env(**values, **extra)


def child_ingest(p: dict) -> dict:
    import chromadb  # noqa: F401 - imports are not part of ingest, for either system

    if p["system"] != "stock" and _child_config(p).embed_backend == "openvino":
        import openvino  # noqa: F401
        import tokenizers  # noqa: F401
    else:
        import sentence_transformers  # noqa: F401
        import torch  # noqa: F401
    from .corpus import load_corpus

    if p["system"].startswith("ours"):
        from .assistant import Assistant

        extra = {"embed_dtype": "int8"} if p["system"] == "ours_int8" else {}
        if p["system"].startswith(OPT_IN):  # another embedder offered (models.EMBEDDERS)
            extra = {"embed_model": p["system"][len(OPT_IN):]}
        start = time.perf_counter()
        a = Assistant.from_config(_child_config(p, generator="extractive", **extra))
        return {"seconds": time.perf_counter() - start, "chunks": a.chunk_count, "papers": len(a.papers),
                "records": a.store.count()}
    import langchain_chroma  # noqa: F401
    import langchain_huggingface  # noqa: F401

    from .baselines import StockRecipe

    start = time.perf_counter()
    papers = load_corpus([Path(c) for c in p["corpus"]])
    recipe = StockRecipe.build(papers, p["model_path"], workdir=Path(p["persist_dir"]))
    return {"seconds": time.perf_counter() - start, "chunks": recipe.chunks, "papers": len(papers)}


def child_answer(p: dict) -> dict:
    """Cold start to a first answer, then timed answers; returns per-question records and peak RSS."""
    marks = {"spawn": p["spawn"]}
    from .generation import make_generator

    cfg = _child_config(p)
    if p["system"] == "ours":
        from .assistant import Assistant
        from .types import Answer

        a = Assistant.from_config(cfg, build_if_missing=False)
        marks["opened"] = time.time()
        generator = a.generator

        def answer(q):
            pieces, final = [], None
            for event in a.stream(q["question"], history=q["history"]):
                if isinstance(event, str):
                    pieces.append(event)
                elif isinstance(event, Answer):
                    final = event
            t = final.timings
            return {"text": final.text, "cited": [c.title for c in final.citations], "mode": final.mode,
                    "abstained": final.abstained, "ttft_s": t.first_token_s, "total_s": t.total_s,
                    "generated": "".join(pieces) if final.mode in ("generated", "fallback") else ""}
    else:
        from langchain_chroma import Chroma

        from .baselines import StockRecipe, chroma_settings, stock_embeddings

        store = Chroma(collection_name="stock", embedding_function=stock_embeddings(p["model_path"]),
                       persist_directory=p["persist_dir"], client_settings=chroma_settings())
        recipe = StockRecipe(store)
        marks["opened"] = time.time()
        generator = make_generator(cfg)

        def answer(q):
            r = recipe.answer(q["question"], generator, cfg.prompts_dir, cfg.llm_max_tokens)
            return {"text": r.text, "cited": r.cited, "mode": "stock", "abstained": False, "ttft_s": r.first_token_s,
                    "total_s": r.total_s, "generated": r.text}

    cold = answer(p["cold_question"])
    marks["first_answer"] = time.time()
    records = []
    for q in p["questions"]:
        r = answer(q)
        tokens = generator.count_tokens(r["generated"]) if r["generated"] and hasattr(generator, "count_tokens") else 0
        decode = r["total_s"] - r["ttft_s"]
        r["tokens"], r["tokens_per_s"] = tokens, (tokens / decode if tokens > 1 and decode > 0 else None)
        records.append(r)
    return {"cold_start_s": marks["first_answer"] - marks["spawn"], "open_s": marks["opened"] - marks["spawn"],
            "cold_answer_s": cold["total_s"], "records": records, "peak_rss_bytes": _peak_rss(),
            "llm": getattr(generator, "name", "")}


def child_main(argv: list[str]) -> int:
    apply_offline_env()
    task, params = argv[0], json.loads(argv[1])
    result = {"ingest": child_ingest, "answer": child_answer}[task](params)
    print(RESULT_TAG + json.dumps(result), flush=True)
    return 0


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


def build_synthetic_index(assistant, config: Config, sentences, collection, chunk_vectors, paper_vectors,
                          folder: Path):
    """Our store over the synthetic papers from precomputed vectors; returns (Assistant, seconds, chunks).
    The chunks' texts are stored too (which ingest does not do): LangChain's Chroma wrapper, the
    stock recipe's query path, reads them."""
    from .assistant import Assistant
    from .chunking import chunk_id
    from .corpus import paper_id
    from .store import ChromaStore
    from .types import Chunk, Paper

    start = time.perf_counter()
    store = ChromaStore(assistant.embedder, None, folder, "synthetic", "synthetic")
    chunks, papers, vectors = [], {}, {}
    for (title, ids), paper_vec in zip(collection, paper_vectors):
        pid = paper_id(title)
        papers[pid] = Paper(pid, title, " ".join(sentences[i] for i in ids), "synthetic")
        chunks += [Chunk(chunk_id(pid, n), pid, title, sentences[i], n) for n, i in enumerate(ids)]
        vectors[pid] = paper_vec
    store.upsert(chunks, chunk_vectors, papers, vectors, texts=True)
    store.mark_built()
    built = time.perf_counter() - start
    return Assistant(config.replace(data_dir=folder.parent), assistant.embedder, store), built, len(chunks)


# ---- report -----------------------------------------------------------------------------
def _ratio(ours, stock, higher_is_better: bool):
    if not ours or not stock:
        return None
    return ours / stock if higher_is_better else stock / ours


def targets(r: dict) -> list[dict]:
    """The issue's targets, each with the measured values and PASS/FAIL."""
    rows = []

    def add(name, ours, stock, ratio, target, ok, unit=""):
        rows.append({"measure": name, "ours": ours, "stock": stock, "ratio": ratio, "target": target, "unit": unit,
                     "result": None if ok is None else ("PASS" if ok else "FAIL")})

    for key, label in (("bundled", "bundled collection"), ("synthetic", "synthetic sample")):
        ing = r.get("ingest", {}).get(key)
        if ing:
            ratio = _ratio(ing["ours"]["chunks_per_s"], ing["stock"]["chunks_per_s"], True)
            add(f"Ingest throughput, {label} (chunks/s)", ing["ours"]["chunks_per_s"], ing["stock"]["chunks_per_s"],
                ratio, ">= 4x stock", ratio is not None and ratio >= 4)
            add(f"Ingest throughput, {label} (papers/s)", ing["ours"]["papers_per_s"], ing["stock"]["papers_per_s"],
                _ratio(ing["ours"]["papers_per_s"], ing["stock"]["papers_per_s"], True), "", None)
            opt_in = [(s, "int8 embedder" if s == "ours_int8" else s[len(OPT_IN):]) for s in ing
                      if s == "ours_int8" or s.startswith(OPT_IN)]
            for system, name in opt_in:  # informative: the targets are for the default embedder
                for unit, rate in (("chunks/s", "chunks_per_s"), ("papers/s", "papers_per_s")):
                    add(f"Ingest throughput, {label}, opt-in {name} ({unit})", ing[system][rate],
                        ing["stock"][rate], _ratio(ing[system][rate], ing["stock"][rate], True), "", None)
    for key, label, limit in (("bundled", "282 papers", 25), ("synthetic", "synthetic chunks", 50)):
        ret = r.get("retrieval", {}).get(key)
        if ret:
            ours, stock = ret["ours"]["p50_ms"], ret["stock"]["p50_ms"]
            add(f"Retrieval p50, {label} (ms)", ours, stock, _ratio(ours, stock, False), f"<= {limit} ms",
                ours <= limit)
            add(f"Retrieval p95, {label} (ms)", ret["ours"]["p95_ms"], ret["stock"]["p95_ms"],
                _ratio(ret["ours"]["p95_ms"], ret["stock"]["p95_ms"], False), "", None)
            if "ours_rewrite" in ret:  # informative: rewriting is opt-in (Config.rewrite_queries)
                for system, what in (("ours_rewrite", "with opt-in query rewriting"),
                                     ("ours_rewritten", "a query the model rewrites")):
                    x = ret[system]
                    for q in ("p50", "p95"):
                        add(f"Retrieval {q}, {label}, {what} (ms)", x[f"{q}_ms"], ret["stock"][f"{q}_ms"],
                            _ratio(x[f"{q}_ms"], ret["stock"][f"{q}_ms"], False), "", None)
                add(f"Query rewriting, {label}: share of queries rewritten", ret["ours_rewrite"]["rewritten_share"],
                    None, None, "", None)
            for system in (s for s in ret if s.startswith(OPT_IN)):
                for q in ("p50", "p95"):
                    add(f"Retrieval {q}, {label}, opt-in {system[len(OPT_IN):]} (ms)", ret[system][f"{q}_ms"],
                        ret["stock"][f"{q}_ms"], _ratio(ret[system][f"{q}_ms"], ret["stock"][f"{q}_ms"], False), "",
                        None)
    ans = r.get("answers")
    if ans:
        o, s = ans["ours"], ans["stock"]
        ratio = _ratio(o["total_p50_s"], s["total_p50_s"], False)
        precision_ok = (o["citation_precision"] or 0) >= (s["citation_precision"] or 0)
        add("Total answer time p50 (s)", o["total_p50_s"], s["total_p50_s"], ratio,
            ">= 3x faster than stock at >= its citation precision; <= 8 s",
            ratio is not None and ratio >= 3 and precision_ok and o["total_p50_s"] <= 8)
        add("Total answer time p50, answers that ran the LLM (s)", o["llm_total_p50_s"], s["llm_total_p50_s"],
            _ratio(o["llm_total_p50_s"], s["llm_total_p50_s"], False), "", None)
        add("Citation precision (same questions)", o["citation_precision"], s["citation_precision"],
            None, ">= stock (n/a: cited nothing, counts as 0)", precision_ok)
        add("Time to first token p50 (s)", o["ttft_p50_s"], s["ttft_p50_s"],
            _ratio(o["ttft_p50_s"], s["ttft_p50_s"], False), "<= 2 s", o["ttft_p50_s"] <= 2)
        add("Total answer time p95 (s)", o["total_p95_s"], s["total_p95_s"],
            _ratio(o["total_p95_s"], s["total_p95_s"], False), "", None)
        add("Decode tokens/s p50", o["tokens_per_s_p50"], s["tokens_per_s_p50"],
            _ratio(o["tokens_per_s_p50"], s["tokens_per_s_p50"], True), "", None)
        add("Peak memory, RSS (GB)", o["peak_rss_gb"], s["peak_rss_gb"], _ratio(o["peak_rss_gb"], s["peak_rss_gb"], False),
            "<= 2.5 GB", o["peak_rss_gb"] <= 2.5)
        add("Cold start to first answer (s)", o["cold_start_s"], s["cold_start_s"],
            _ratio(o["cold_start_s"], s["cold_start_s"], False), "", None)
    return rows


def _fmt(v) -> str:
    if v is None:
        return "n/a"
    if isinstance(v, float):
        return f"{v:.3f}" if abs(v) < 1 else f"{v:.2f}" if abs(v) < 100 else f"{v:.0f}"
    return str(v)


def _fmt_ratio(ratio) -> str:
    if ratio is None:
        return "n/a"
    return f"{ratio:.2f}x" if ratio >= 0.1 else f"{ratio:.3f}x"


def render_markdown(r: dict) -> str:
    from .reports import md_table

    rows = [[t["measure"], _fmt(t["ours"]), _fmt(t["stock"]), _fmt_ratio(t["ratio"]),
             t["target"] or "-", t["result"] or "-"] for t in r["targets"]]
    lines = ["# Benchmark: rag_assistant vs the stock LangChain recipe", "",
             f"- Created {r['created']}; {'quick' if r['plan']['quick'] else 'full'} run in {r['runtime_s']:.0f} s; "
             f"{os.cpu_count()} CPU cores; LLM: {r.get('answers', {}).get('llm', 'n/a')}",
             f"- Load average (1 min) at start / end: {r.get('load_start', 'n/a')} / {r.get('load_end', 'n/a')} "
             "(above the core count means other processes shared the CPU and slowed both systems)",
             "- Ratio = how many times better ours is (throughput ours/stock; times stock/ours).", "",
             md_table(["Measure", "rag_assistant", "stock LangChain", "ratio", "target", "result"], rows), ""]
    details = []
    for key, ing in r.get("ingest", {}).items():
        for system, x in ing.items():
            details.append([f"ingest {key}: {system}", f"{x['papers']} papers, {x['chunks']} chunks in {x['seconds']:.1f} s "
                            f"({x['chunks_per_s']:.1f} chunks/s, {x['papers_per_s']:.1f} papers/s)"])
    for key, ret in r.get("retrieval", {}).items():
        for system, x in ret.items():
            details.append([f"retrieval {key}: {system}", f"{x['n']} queries, p50 {x['p50_ms']:.1f} ms, "
                            f"p95 {x['p95_ms']:.1f} ms, mean {x['mean_ms']:.1f} ms"])
    syn = r.get("synthetic_index")
    if syn:
        details.append(["synthetic index", f"{syn['chunks']} chunks / {syn['papers']} papers built from precomputed "
                        f"vectors in {syn['build_s']:.0f} s (shared by both systems)"])
    ans = r.get("answers")
    if ans:
        for system in ("ours", "stock"):
            x = ans[system]
            details.append([f"answers: {system}", f"{x['n']} questions; modes {x['modes']}; open {x['open_s']:.1f} s; "
                            f"citation recall {_fmt(x['citation_recall'])}"])
    if r.get("embedder_ready_s") is not None:
        details.append(["embedder start-up", f"{r['embedder_ready_s']:.1f} s before the timings (includes the one-time "
                        "ONNX export when it was not cached yet)"])
    for name, seconds in r.get("embedders_ready_s", {}).items():
        details.append([f"{name} embedder start-up", f"{seconds:.1f} s before the timings (includes the one-time "
                        "unpacking of its pieces and ONNX export when they were not cached yet)"])
    if r.get("int8_ready_s") is not None:
        details.append(["int8 embedder start-up", f"{r['int8_ready_s']:.1f} s before the timings (includes the one-time "
                        "NNCF quantization when it was not cached yet)"])
    for name, error in r.get("errors", {}).items():
        details.append([f"{name}: error", error])
    lines += ["## Details", "", md_table(["Part", "Measured"], details), "", "## Method", "",
              (__doc__ or "").split("exactly:", 1)[-1].strip(), ""]
    return "\n".join(lines)


# ---- main -------------------------------------------------------------------------------
def _answer_summary(records, questions) -> dict:
    precision = [M.citation_precision(r["cited"], q["gold_titles"]) for r, q in zip(records, questions)]
    recall = [M.citation_recall(r["cited"], q["gold_titles"]) for r, q in zip(records, questions)]
    modes: dict[str, int] = {}
    for r in records:
        modes[r["mode"]] = modes.get(r["mode"], 0) + 1
    with_llm = [r["total_s"] for r in records if r["mode"] in LLM_MODES]
    return {"n": len(records), "llm_answers": len(with_llm), "llm_total_p50_s": M.percentile(with_llm, 50),
            "ttft_p50_s": M.percentile([r["ttft_s"] for r in records], 50),
            "total_p50_s": M.percentile([r["total_s"] for r in records], 50),
            "total_p95_s": M.percentile([r["total_s"] for r in records], 95),
            "tokens_per_s_p50": M.percentile([r["tokens_per_s"] for r in records], 50),
            "citation_precision": M.mean(precision), "citation_recall": M.mean(recall), "modes": modes}


def _parser():
    from .evaluation import _Parser

    p = _Parser(prog="rag-assistant bench", description="Benchmark against the stock LangChain recipe.")
    p.add_argument("--out", type=Path, help="output folder (default bench/results/<timestamp>/)")
    p.add_argument("--synthetic-chunks", type=int, help="size of the synthetic collection (default 100000)")
    p.add_argument("--quick", action="store_true", help="a ~3-minute version (smaller samples)")
    p.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS, help="questions for queries and answers")
    add_config_overrides(p)
    return p


def run(config: Config, plan: Plan, questions, log) -> dict:
    from .assistant import Assistant
    from .corpus import load_corpus

    started = time.perf_counter()
    r: dict = {"created": datetime.now().isoformat(timespec="seconds"), "plan": asdict(plan), "errors": {},
               "ingest": {}, "retrieval": {}, "load_start": _load()}
    log("Preparing: opening (or building) the index in the data dir and the LLM file...")
    a = Assistant.from_config(config, progress=False)
    if config.generator == "llama_cpp":
        from .models import resolve_gguf

        resolve_gguf(config.llm_model, config.models_dir)
    model_path = a.embedder.model_path
    plain = [q for q in questions if not q.history]
    queries = [q.question for q in plain[: plan.queries]]
    warm = [q.question for q in plain[::-1][: plan.warmup]]
    work = Path(tempfile.mkdtemp(prefix="rag-bench-"))
    stock_bundled = work / "stock-bundled"
    # the one-time model preparation (GGUF join, the embedder's ONNX export) is not part of any timing
    base = {"generator": config.generator, "llm_model": config.llm_model, "model_path": model_path,
            "model_cache": str(config.models_dir)}
    prepared = time.perf_counter()
    a.embedder.embed_query("prepare the embedder")
    r["embedder_ready_s"] = time.perf_counter() - prepared

    def section(name, fn):
        log(f"[{time.perf_counter() - started:5.0f} s] {name}...")
        try:
            fn()
        except Exception as exc:  # noqa: BLE001 - one failed part must not lose the others
            r["errors"][name] = f"{type(exc).__name__}: {exc}"
            log(f"  failed: {r['errors'][name]}")

    def ingest(key, corpus, stock_dir, systems=("ours", "stock")):
        res = {}
        for system in systems:
            x = _run_child("ingest", dict(base, system=system, corpus=[str(c) for c in corpus],
                                          data_dir=str(work / f"ingest-{key}-{system}"), persist_dir=str(stock_dir)))
            x["chunks_per_s"], x["papers_per_s"] = x["chunks"] / x["seconds"], x["papers"] / x["seconds"]
            res[system] = x
        r["ingest"][key] = res

    def prepare_int8():  # the opt-in int8 embedder, quantized once before any clock, like the ONNX export
        from .embedding import Embedder

        prepared = time.perf_counter()
        Embedder(config.embed_model, "int8", cache_dir=config.models_dir, backend="openvino").embed_query("prepare")
        r["int8_ready_s"] = time.perf_counter() - prepared

    def prepare_opt_in():  # the other embedders offered, unpacked and exported once before any clock
        from .embedding import Embedder
        from .models import EMBEDDERS

        for name in EMBEDDERS:
            if name != config.embed_model:
                prepared = time.perf_counter()
                Embedder(name, config.embed_dtype, cache_dir=config.models_dir,
                         backend=config.embed_backend).embed_query("prepare")
                r.setdefault("embedders_ready_s", {})[name] = time.perf_counter() - prepared

    if config.embed_backend == "openvino" and config.embed_dtype != "int8":
        section("preparing the opt-in int8 embedder", prepare_int8)  # a failure here loses only its row
    section("preparing the opt-in embedders", prepare_opt_in)  # not installed: their rows are left out
    systems = ["ours", "stock"] + ["ours_int8"] * ("int8_ready_s" in r)
    systems += [OPT_IN + name for name in r.get("embedders_ready_s", {})]
    section("ingest: bundled collection", lambda: ingest("bundled", config.corpus_paths, stock_bundled, systems))

    def retrieval_bundled():
        stock = _open_stock(stock_bundled, model_path)
        clear = getattr(a.embedder.embed_query, "cache_clear", None)
        r["retrieval"]["bundled"] = {
            "ours": _lat_summary(_latencies(lambda q: a.retrieve(q, k=10), queries, warm, clear)),
            "stock": _lat_summary(_latencies(lambda q: stock.similarity_search(q, k=4), queries, warm))}
        if config.generator != "extractive":  # the opt-in rewriting path: the model called when unsure
            from .retrieval import QueryRewriter

            rewriter = QueryRewriter(lambda: a.generator, config.prompts_dir)
            rewriter("warm up the model")
            rewriter.calls, rewriter.seconds = 0, 0.0
            rewriting = replace(a.retriever, rewriter=rewriter)
            times = _latencies(lambda q: rewriting.search(q, k=10), queries, [], clear)
            share = rewriter.calls / len(times)
            always = replace(rewriting, unsure_margin=float("inf"))  # what a query the model rewrites costs
            rewritten = _latencies(lambda q: always.search(q, k=10), queries[:plan.warmup], [], clear)
            r["retrieval"]["bundled"]["ours_rewrite"] = _lat_summary(times) | {"rewritten_share": share}
            r["retrieval"]["bundled"]["ours_rewritten"] = _lat_summary(rewritten)
        for system in (s for s in systems if s.startswith(OPT_IN)):  # the index its ingest built
            other = Assistant.from_config(config.replace(data_dir=work / f"ingest-bundled-{system}",
                                                         embed_model=system[len(OPT_IN):]), build_if_missing=False)
            r["retrieval"]["bundled"][system] = _lat_summary(_latencies(
                other.retrieve, queries, warm, other.embedder.embed_query.cache_clear))

    section("retrieval latency: bundled collection", retrieval_bundled)

    def answers():
        answerable = [q for q in questions if q.answerable]
        chosen = select(answerable, limit=plan.answers + 1)
        cold, timed = chosen[-1], chosen[:-1]
        as_dict = [{"question": q.question, "history": [list(h) for h in q.history],
                    "gold_titles": list(q.gold_titles)} for q in timed]
        cold_q = {"question": cold.question, "history": [list(h) for h in cold.history]}
        res = {}
        for system in ("ours", "stock"):
            x = _run_child("answer", dict(base, system=system, data_dir=str(config.data_dir),
                                          chroma_url=config.chroma_url, persist_dir=str(stock_bundled),
                                          questions=as_dict, cold_question=cold_q))
            res[system] = _answer_summary(x["records"], as_dict) | {
                "peak_rss_gb": x["peak_rss_bytes"] / GB, "cold_start_s": x["cold_start_s"], "open_s": x["open_s"],
                "records": x["records"]}
            res["llm"] = x["llm"]
        r["answers"] = res

    section("answers with the LLM (one subprocess per system)", answers)

    papers = load_corpus(config.corpus_paths)
    sentences, collection = synthetic_collection(papers, plan.synthetic_chunks)

    def ingest_synthetic():
        sample = work / "synthetic-sample.jsonl"
        write_corpus_sample(sentences, collection, plan.ingest_sample_papers, sample)
        ingest("synthetic", [sample], work / "stock-synthetic")

    section(f"ingest: synthetic sample ({plan.ingest_sample_papers} papers)", ingest_synthetic)

    def retrieval_synthetic():
        chunk_vectors, paper_vectors = synthetic_vectors(a.embedder.embed(sentences),
                                                         a.embedder.embed([t for t, _ in collection]), collection)
        big, built, n_chunks = build_synthetic_index(a, config, sentences, collection, chunk_vectors, paper_vectors,
                                                     work / "synthetic" / "chroma")
        r["synthetic_index"] = {"chunks": n_chunks, "papers": len(collection), "build_s": built}
        log(f"  built the {n_chunks}-chunk index in {built:.0f} s")
        stock = _open_stock(None, model_path, client=big.store.client, collection="synthetic")
        clear = getattr(big.embedder.embed_query, "cache_clear", None)
        r["retrieval"]["synthetic"] = {
            "ours": _lat_summary(_latencies(lambda q: big.retrieve(q, k=10), queries, warm, clear)),
            "stock": _lat_summary(_latencies(lambda q: stock.similarity_search(q, k=4), queries, warm))}

    section(f"retrieval latency: synthetic {plan.synthetic_chunks}-chunk collection", retrieval_synthetic)
    shutil.rmtree(work, ignore_errors=True)
    r["runtime_s"] = time.perf_counter() - started
    r["load_end"] = _load()
    r["targets"] = targets(r)
    return r


def main(argv: list[str] | None, config: Config | None = None) -> int:
    apply_offline_env()
    try:
        args = _parser().parse_args(clean_argv(argv))
        if args.synthetic_chunks is not None and args.synthetic_chunks < 100:
            raise EvalInputError("--synthetic-chunks must be at least 100")
        questions = load_questions(args.questions)
        config = apply_config_overrides(config, args)
        plan = Plan.make(args.quick, args.synthetic_chunks)
        out = prepare_out(args.out or default_out("bench"))
        result = run(config, plan, questions, log=lambda m: print(m, file=sys.stderr, flush=True))
    except RagAssistantError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    (out / "bench.json").write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
    markdown = render_markdown(result)
    (out / "bench.md").write_text(markdown, encoding="utf-8")
    print(re.split(r"\n## Method", markdown)[0].rstrip())
    print(f"\nWrote bench.json and bench.md to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(child_main(sys.argv[1:]))
