"""`rag-assistant bench --scale N` against real `chroma run` servers on 127.0.0.1: the report's figures,
a write killed part-way and resumed, the server stopped on errors. Small sizes; no timed assertions."""
import json
import os
import subprocess
import sys

import pytest

from rag_assistant import Assistant, bench_scale, bench_server, benchmark
from rag_assistant.bench_report import render_scale_markdown, scale_targets
from rag_assistant.bench_scale import ChromaServer, ScaleCollection, ScaleVectors, write_collection
from rag_assistant.config import PROJECT_ROOT
from rag_assistant.corpus import load_corpus
from rag_assistant.errors import RagAssistantError
from rag_assistant.store_records import PAPER_POSITION


@pytest.fixture(scope="module")
def corpus_papers(corpus_dir):
    return load_corpus([corpus_dir])


@pytest.fixture(scope="module")
def embedder(config):
    """The configured embedder, its model not loaded until it embeds (no index is built for it)."""
    return bench_scale._embedder(config)


def test_generated_papers_are_deterministic_and_the_same_for_any_size(corpus_papers):
    small, large = ScaleCollection.make(corpus_papers, 50), ScaleCollection.make(corpus_papers, 80)
    assert small.collection == large.collection[:50] and [small.paper(i) for i in range(50)] == \
        [large.paper(i) for i in range(50)]
    assert small.records == small.chunks + 50 and all(4 <= len(ids) <= 12 for _, ids in small.collection)
    papers = [large.paper(i) for i in range(80)]
    assert len({p.paper_id for p in papers}) == 80
    assert all(p.authors and 2005 <= p.year <= 2025 and p.categories and p.venue and p.arxiv_id for p in papers)
    assert [len(b) for b in large.batches(30)] == [30, 30, 20]


def test_scale_targets_judge_the_year_filter_only_at_100k_papers():
    def result(n, p50):
        lat = {"n": 30, "p50_ms": p50, "p95_ms": p50 * 2, "mean_ms": p50, "first_s": 0.1, "matching_papers": 10,
               "hits_per_query": 10.0, "outside_filter": 0}
        return {"collection": {"papers": n, "chunks": 8 * n, "records": 9 * n}, "filters": {"none": None,
                "year": {"year": "2020-"}}, "client": {"retrieval": {"none": lat, "year": lat}}}

    def year_row(r):
        return next(t for t in scale_targets(r) if "year filter" in t["measure"] and "p50" in t["measure"])

    assert year_row(result(100_000, 40.0))["result"] == "PASS"
    assert year_row(result(100_000, 60.0))["result"] == "FAIL"
    assert year_row(result(10_000, 60.0))["result"] is None  # below the target's size: shown, not judged


@pytest.mark.server
def test_scale_bench_reports_every_figure(config, tmp_path, capsys):
    folder, out = tmp_path / "scale", tmp_path / "out"
    assert benchmark.main(["--scale", "150", "--quick", "--scale-dir", str(folder), "--out", str(out)], config) == 0
    r = json.loads((out / "bench.json").read_text())
    assert r["errors"] == {}
    scale = r["collection"]
    assert r["write"]["records"] == scale["records"] and r["write"]["paper_records"] == scale["papers"] == 150
    assert r["write"]["batches_written"] == r["write"]["batches"] and r["write"]["papers_per_s"] > 0
    assert r["ingest"]["papers"] == 15 and r["ingest"]["papers_per_s"] > 0  # a tenth of N, real embedder
    client = r["client"]
    assert client["papers"] == 150 and client["records"] == scale["records"] and client["open_s"] > 0
    assert client["peak_rss_bytes"] > 0 and r["server_write"]["VmHWM"] > 0 and r["server_serve"]["VmHWM"] > 0
    assert r["disk"]["per_paper"] > 0
    for name in ("none", "year", "author", "category"):
        x = client["retrieval"][name]
        assert x["n"] > 0 and x["p50_ms"] > 0 and x["p95_ms"] >= x["p50_ms"] and x["hits_per_query"] > 0
        assert x["outside_filter"] == 0  # every hit passes its filter
    assert 0 < client["retrieval"]["year"]["matching_papers"] < 150
    assert client["store_query"]["year"]["where"] == {"year": {"$gte": 2020}}
    measures = [t["measure"] for t in r["targets"]]
    assert any("year filter 2020-" in m for m in measures) and any("Disk per paper" in m for m in measures)
    assert not list(folder.glob("*.server-pid"))  # the servers were stopped
    markdown = (out / "bench.md").read_text()
    assert "not judged below 100,000" in markdown and "## Method" in markdown
    assert "Retrieval p50, 150 papers, year filter 2020- (ms)" in capsys.readouterr().out


@pytest.fixture
def scale_server(tmp_path):
    server = ChromaServer(tmp_path / "chroma", tmp_path / "chroma.log").start()
    yield server
    server.stop()


@pytest.mark.server
def test_a_killed_write_resumes_to_exact_counts(config, embedder, corpus_papers, tmp_path, scale_server):
    n, batch = 240, 10
    scale = ScaleCollection.make(corpus_papers, n)
    ScaleVectors.load_or_embed(scale, embedder, tmp_path / "vectors.npz")  # kept: the writer reads them
    params = {"n": n, "url": scale_server.url, "vectors": str(tmp_path / "vectors.npz"), "batch_papers": batch,
              "model_cache": str(config.models_dir)}
    env = dict(os.environ, PYTHONPATH=str(PROJECT_ROOT))
    writer = subprocess.Popen([sys.executable, "-m", "rag_assistant.bench_scale", "write", json.dumps(params)],
                              stdout=subprocess.PIPE, text=True, env=env)
    for line in writer.stdout:
        if line.startswith("  batch 3/"):
            writer.kill()  # SIGKILL: no clean-up, possibly in the middle of the next batch
            break
    writer.wait(timeout=60)
    assert writer.returncode == -9

    store = bench_scale._open_writer(embedder, scale_server.url)
    assert store.stored_fingerprint is None  # marked built only at the end
    got = store.collection.get(include=["metadatas"])
    records: dict[str, list] = {}
    for meta in got["metadatas"]:
        records.setdefault(meta["paper_id"], []).append(meta["position"])
    whole = {scale.paper(i).paper_id: len(ids) for i, (_, ids) in enumerate(scale.collection)}
    assert 3 * batch <= len(records) < n  # some batches written, not all
    assert all(sorted(positions) == [PAPER_POSITION, *range(whole[pid])] for pid, positions in records.items())

    resumed = write_collection(store, scale, ScaleVectors.load_or_embed(scale, embedder, tmp_path / "vectors.npz"),
                               batch)
    assert resumed["batches_found"] >= 3 and resumed["batches_found"] + resumed["batches_written"] == n // batch
    uninterrupted = write_collection(bench_scale._open_writer(embedder, scale_server.url, "scale-whole"), scale,
                                     ScaleVectors.load_or_embed(scale, embedder, tmp_path / "vectors.npz"), batch)
    assert (resumed["records"], resumed["paper_records"]) == (uninterrupted["records"],
                                                              uninterrupted["paper_records"]) == (scale.records, n)
    again = write_collection(store, scale, ScaleVectors.load_or_embed(scale, embedder, tmp_path / "vectors.npz"),
                             batch)  # a rerun of a complete collection writes nothing
    assert (again["batches_found"], again["batches_written"], again["records"]) == (n // batch, 0, scale.records)
    smaller = ScaleCollection.make(corpus_papers, 20)  # another generated collection is not resumed into it
    with pytest.raises(RagAssistantError, match="holds another generated collection"):
        write_collection(store, smaller, ScaleVectors.load_or_embed(smaller, embedder, tmp_path / "small.npz"))
    other = bench_scale._open_writer(embedder, scale_server.url, "scale-whole")
    assert sorted(store.ids()) == sorted(other.ids())
    sample = sorted(store.ids())[::97]
    mine, theirs = store.records(sample), other.records(sample)
    assert mine["metadatas"] == theirs["metadatas"]
    assert all((a == b).all() for a, b in zip(mine["embeddings"], theirs["embeddings"]))  # the same vectors

    # built: it opens without re-embedding, and a year filter admits only papers in its range
    a = Assistant.from_config(config.replace(chroma_url=scale_server.url, collection="scale"), build_if_missing=False)
    assert len(a.papers) == n and a.chunk_count == scale.chunks
    question = "How can sparse attention make transformers faster?"
    assert any(a.papers[h.paper_id].year < 2020 for h in a.retrieve(question, k=10))
    hits = a.retrieve(question, k=10, filters={"year": "2020-"})
    assert len(hits) == 10 and all(a.papers[h.paper_id].year >= 2020 for h in hits)


@pytest.mark.server
def test_the_server_is_stopped_when_the_run_fails(config, tmp_path, monkeypatch):
    pids = []

    def failing_write(store, *args, **kwargs):
        pids.append(int((tmp_path / "chroma.server-pid").read_text()))
        raise RuntimeError("boom")

    monkeypatch.setattr(bench_scale, "write_collection", failing_write)
    with pytest.raises(RuntimeError, match="boom"):
        bench_scale.run(config, 30, tmp_path, ["a question"], ["a question"], log=lambda m: None)
    assert pids and not bench_server._running(pids[0]) and not (tmp_path / "chroma.server-pid").exists()


@pytest.mark.server
def test_a_server_left_behind_by_a_killed_run_is_stopped_first(tmp_path):
    first = ChromaServer(tmp_path / "chroma", tmp_path / "chroma.log").start()
    try:
        second = ChromaServer(tmp_path / "chroma", tmp_path / "chroma.log").start()  # as a rerun would
        try:
            first.proc.wait(timeout=30)
            assert bench_server._running(second.proc.pid)
        finally:
            second.stop()
    finally:
        first.stop()


def test_scale_markdown_renders_a_partial_result():
    r = {"created": "now", "runtime_s": 3.0, "scale_dir": "/x", "collection": {"papers": 20, "chunks": 160,
         "records": 180}, "filters": {}, "errors": {"retrieval": "RuntimeError: boom"},
         "write": {"batches": 1, "batches_found": 1, "batches_written": 0, "papers_written": 0, "seconds": 0.1,
                   "papers_per_s": None, "records": 180, "paper_records": 20}}
    r["targets"] = scale_targets(r)
    markdown = render_scale_markdown(r)
    assert "nothing (the collection was complete)" in markdown and "RuntimeError: boom" in markdown
