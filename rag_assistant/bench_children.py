"""The bench's timed subprocesses: a cold ingest (``child_ingest``) and cold start plus answers
(``child_answer``), each in a fresh process per system, and ``bench --scale``'s client against a
Chroma server (``child_scale``), each reporting one ``RESULT_TAG`` line of JSON.

    python -m rag_assistant.bench_children ingest|answer|scale PARAMS_JSON
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from .config import PROJECT_ROOT, Config, apply_offline_env

RESULT_TAG = "BENCH_RESULT "
OPT_IN = "ours@"  # "ours@all-mpnet-base-v2": ours with an opt-in embedder


def _run_child(task: str, params: dict, timeout: float = 1200) -> dict:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")])))
    for attempt in (1, 2):  # one retry: a shared machine can fail a start-up transiently
        params = dict(params, spawn=time.time())
        proc = subprocess.run([sys.executable, "-m", "rag_assistant.bench_children", task, json.dumps(params)],
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
    """This process's own peak RSS. ``ru_maxrss`` is only the fallback: Linux carries the parent's
    high-water mark over fork and exec, so a child of a large bench process would report the
    parent's peak; /proc's VmHWM is the child's own."""
    import resource

    return _vm_status("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


def _child_config(p: dict, **extra) -> Config:
    keys = ("data_dir", "generator", "llm_model", "chroma_url", "model_cache", "collection")
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


def _vm_status(key: str = "VmHWM") -> int | None:
    """This process's peak (VmHWM) or current (VmRSS) resident memory in bytes, from /proc."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def child_scale(p: dict) -> dict:
    """``bench --scale``'s client: the time to open the collection on the server (``Assistant.from_config``),
    retrieval latency without and with each filter (every hit checked against its filter), the store's
    vector query alone, and this process's peak memory."""
    import chromadb  # noqa: F401 - imports are not part of opening the collection

    if _child_config(p).embed_backend == "openvino":
        import openvino  # noqa: F401
        import tokenizers  # noqa: F401
    from .assistant import Assistant
    from .benchmark import _lat_summary, _latencies
    from .filters import Filters
    from .filters import where as filter_where

    start = time.perf_counter()
    a = Assistant.from_config(_child_config(p, generator="extractive"), build_if_missing=False)
    out: dict = {"open_s": time.perf_counter() - start, "papers": len(a.papers), "records": a.store.count(),
                 "rss_after_open_bytes": _vm_status("VmRSS"), "retrieval": {}, "store_query": {}}
    a.embedder.embed_query("warm up the embedder")
    clear = getattr(a.embedder.embed_query, "cache_clear", None)
    queries, warm = p["queries"], p["warmup"]
    for name, given in p["filters"].items():
        filters = Filters.coerce(given)
        first = time.perf_counter()
        a.retrieve(warm[0], k=10, filters=given)  # a first filtered search builds the filter index
        first_s = time.perf_counter() - first
        hits: list = []

        def search(q, given=given, hits=hits):
            hits.append(a.retrieve(q, k=10, filters=given))

        times = _latencies(search, queries, warm, clear)
        timed = hits[len(warm):]
        out["retrieval"][name] = _lat_summary(times) | {
            "first_s": first_s, "matching_papers": len(a.retriever.scope(filters).papers or a.papers),
            "hits_per_query": sum(map(len, timed)) / max(1, len(timed)),
            "outside_filter": sum(not filters.matches(a.papers[h.paper_id]) for found in timed for h in found)}
    vectors = [a.embedder.embed_query(q) for q in queries]
    year_where = filter_where(Filters.of(year=p["year_filter"]), None)
    for name, where in (("none", None), ("year", year_where)):
        times = _latencies(lambda v, where=where: a.store.query(v, a.config.dense_candidates, where=where),
                           vectors, vectors[:len(warm)])
        out["store_query"][name] = _lat_summary(times) | {"where": where}
    out["peak_rss_bytes"] = _vm_status("VmHWM")
    return out


def child_main(argv: list[str]) -> int:
    apply_offline_env()
    task, params = argv[0], json.loads(argv[1])
    result = {"ingest": child_ingest, "answer": child_answer, "scale": child_scale}[task](params)
    print(RESULT_TAG + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(child_main(sys.argv[1:]))
