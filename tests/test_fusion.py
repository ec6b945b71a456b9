"""Retrieval's score fusion and the opt-in embedder shipped as a split zip."""
import io
import zipfile

import pytest

from rag_assistant.errors import ModelUnavailableError
from rag_assistant.models import EMBEDDERS, _zip_pieces, unpack_pieces
from rag_assistant.retrieval import coverage, fuse


def test_fuse_adds_coverage_and_names_to_the_dense_score():
    fused = fuse({"a": 0.6, "b": 0.5}, {"a": 0.0, "b": 0.5, "c": 1.0}, {"b"}, coverage_weight=0.4, name_weight=0.2)
    assert fused == {"a": 0.6, "b": 0.9, "c": 0.4}


def test_coverage_weighs_rare_words_more(assistant):
    keyword = assistant.retriever.keyword
    r2 = next(pid for pid, p in assistant.papers.items() if p.title.startswith("$R^2$-Tuning"))
    other = next(pid for pid, p in assistant.papers.items() if "video" not in p.abstract.lower())
    shares = coverage(keyword, "video temporal grounding with CLIP", [r2, other])
    assert shares[r2] == pytest.approx(1.0)
    assert 0.0 <= shares[other] < 0.5
    assert coverage(keyword, "what which how", [r2]) == {r2: 0.0}  # no word left to cover


def test_a_paper_described_in_other_words_beats_ones_sharing_incidental_words(assistant):
    # The abstract says "privacy-leakage, interpretability, and transferability"; the question shares
    # almost none of its words, and reciprocal-rank fusion let BM25's matches on "model" and "tasks"
    # push it to 6th.
    hits = assistant.retrieve("Give me the gist of the framework that jointly quantifies how much private data "
                              "leaks, how explainable a model is, and how reusable it is on other tasks.", k=5)
    assert hits[0].title.startswith("Information Theoretic Evaluation of Privacy-Leakage")


def test_signals_are_what_search_fuses(assistant):
    query = "How does R2-Tuning adapt CLIP for video temporal grounding?"
    signals = assistant.retriever.signals(query)
    hits = assistant.retrieve(query, k=5)
    for hit in hits:
        dense, covered, named = signals[hit.paper_id]
        assert hit.similarity == round(dense, 4)
        assert hit.score == round(fuse({hit.paper_id: dense}, {hit.paper_id: covered},
                                       {hit.paper_id} if named else set())[hit.paper_id], 6)


def _split_zip(tmp_path, files: dict[str, bytes], pieces: int = 3) -> list:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    data = buffer.getvalue()
    size = -(-len(data) // pieces)
    paths = []
    for i in range(pieces):
        path = tmp_path / f"model.zip.{i + 1:03d}"
        path.write_bytes(data[i * size:(i + 1) * size])
        paths.append(path)
    return paths


def test_pieces_unpack_into_the_model_folder(tmp_path):
    weights = bytes(range(256)) * 400
    pieces = _split_zip(tmp_path, {"tiny/config.json": b"{}", "tiny/1_Pooling/config.json": b"{}",
                                   "tiny/model.safetensors": weights, "tiny/desktop.ini": b"junk"})
    target = unpack_pieces(pieces, tmp_path / "models" / "tiny")
    assert (target / "model.safetensors").read_bytes() == weights
    assert (target / "1_Pooling" / "config.json").exists()
    assert not (target / "desktop.ini").exists()
    assert [p.name for p in (tmp_path / "models").iterdir()] == ["tiny"]  # no partial folder left


def test_pieces_out_of_order_are_one_clear_error(tmp_path):
    pieces = _split_zip(tmp_path, {"tiny/config.json": b"{}", "tiny/model.safetensors": bytes(5000)})
    with pytest.raises(ModelUnavailableError, match="reinstall"):
        unpack_pieces(pieces[::-1], tmp_path / "models" / "tiny")
    assert not (tmp_path / "models" / "tiny").exists()


def test_installed_mpnet_pieces_hold_a_sentence_transformers_folder():
    try:
        pieces = _zip_pieces(EMBEDDERS["all-mpnet-base-v2"])
    except ModelUnavailableError:
        pytest.skip("the all-mpnet-base-v2 pieces are not installed")
    from rag_assistant.models import _Joined

    with _Joined(pieces) as raw, zipfile.ZipFile(io.BufferedReader(raw)) as archive:
        names = set(archive.namelist())
    assert {"all-mpnet-base-v2/model.safetensors", "all-mpnet-base-v2/modules.json",
            "all-mpnet-base-v2/tokenizer.json", "all-mpnet-base-v2/1_Pooling/config.json"} <= names


def test_the_model_rewrites_only_a_query_retrieval_is_unsure_of(assistant):
    """A fake rewriter at the model boundary: called for a flat top, not for a clear winner; the
    hits keep the question's own dense scores (answerability is calibrated on them)."""
    from dataclasses import replace

    asked = []

    def rewrite(query):
        asked.append(query)
        return "adapters scaling parameters source tasks"

    retriever = replace(assistant.retriever, rewriter=rewrite, unsure_margin=0.05)
    clear = "How does R2-Tuning adapt CLIP for video temporal grounding?"
    assert [h.paper_id for h in retriever.search(clear, k=5)] == [h.paper_id for h in assistant.retrieve(clear, k=5)]
    assert asked == []
    flat = "Which paper re-weights what earlier per-task bottleneck modules produce, using just a handful of " \
           "learned coefficients, to transfer to a new task?"
    plain = assistant.retrieve(flat, k=10)
    assert plain[0].score - plain[1].score < 0.05
    hits = retriever.search(flat, k=10)
    assert asked == [flat]
    own = assistant.retriever.signals(flat)
    assert all(h.similarity == round(own[h.paper_id][0], 4) for h in hits if h.paper_id in own)


def test_rewriting_is_opt_in_and_needs_a_model(assistant):
    from rag_assistant import Assistant, Config
    from rag_assistant.retrieval import QueryRewriter

    assert Config.from_env({"RAG_REWRITE_QUERIES": "1"}).rewrite_queries and not Config().rewrite_queries
    on = Assistant(assistant.config.replace(rewrite_queries=True, generator="llama_cpp"), assistant.embedder,
                   assistant.store)
    assert isinstance(on.retriever.rewriter, QueryRewriter) and on._generator is None  # the model loads on use
    extractive = Assistant(assistant.config.replace(rewrite_queries=True), assistant.embedder, assistant.store)
    assert extractive.retriever.rewriter is None and assistant.retriever.rewriter is None


def test_bench_reports_rewriting_and_each_embedder_offered():
    from test_benchmark import _fake_result  # tests/ is on the path (no __init__.py)

    from rag_assistant import benchmark

    result = _fake_result()
    lat = {"n": 10, "p50_ms": 20.0, "p95_ms": 40.0, "mean_ms": 25.0}
    result["retrieval"]["bundled"] |= {"ours_rewrite": lat | {"rewritten_share": 0.1},
                                       "ours_rewritten": lat | {"p50_ms": 2000.0, "p95_ms": 3000.0},
                                       "ours@all-mpnet-base-v2": lat | {"p50_ms": 50.0}}
    result["ingest"]["bundled"]["ours@all-mpnet-base-v2"] = {"papers": 282, "chunks": 600, "seconds": 60.0,
                                                             "chunks_per_s": 10.0, "papers_per_s": 4.7}
    rows = {t["measure"]: t for t in benchmark.targets(result)}
    assert rows["Retrieval p50, 282 papers, a query the model rewrites (ms)"]["ours"] == 2000.0
    assert rows["Query rewriting, 282 papers: share of queries rewritten"]["ours"] == 0.1
    assert rows["Retrieval p50, 282 papers, opt-in all-mpnet-base-v2 (ms)"]["result"] is None  # shown, not judged
    assert rows["Ingest throughput, bundled collection, opt-in all-mpnet-base-v2 (papers/s)"]["ours"] == 4.7
    result["targets"] = benchmark.targets(result)
    assert "retrieval bundled: ours@all-mpnet-base-v2 | 10 queries, p50 50.0 ms" in benchmark.render_markdown(result)
