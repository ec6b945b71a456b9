"""The index: real Chroma in a temp dir, the real embedder, the real corpus."""
import json
import subprocess
import sys

import pytest

from rag_assistant import Assistant
from rag_assistant.errors import IndexMissingError
from rag_assistant.indexing import INDEX_VERSION


def test_index_holds_every_paper(assistant):
    assert len(assistant.papers) == 282
    assert assistant.chunk_count > 2000  # one chunk per sentence
    assert assistant.store.count() == assistant.chunk_count + 282  # and one paper record per paper


def test_reingest_is_idempotent(assistant):
    before = assistant.store.count()
    report = assistant.ingest()
    assert report.papers == 282
    assert report.embedded == 0 and report.removed == 0
    assert assistant.store.count() == before and assistant.chunk_count == report.chunks


def test_ingest_extra_file_adds_papers_then_is_idempotent(config, tmp_path, tiny_corpus):
    a = Assistant.from_config(config.replace(data_dir=tmp_path / "d", corpus_paths=(tiny_corpus,)))
    assert len(a.papers) == 3
    count = a.store.count()
    a.ingest([tiny_corpus])
    assert a.store.count() == count
    assert a.retrieve("pruning graph edges", k=1)[0].title == "Graph Neural Sparsifiers"


def test_bad_file_indexes_nothing(config, tmp_path, tiny_corpus):
    import pytest

    from rag_assistant.errors import CorpusError

    a = Assistant.from_config(config.replace(data_dir=tmp_path / "d", corpus_paths=(tiny_corpus,)))
    bad = tmp_path / "bad.txt"
    bad.write_text("h\nh\nNew Paper\nabstract\nOrphan title\n", encoding="utf-8")
    good = tmp_path / "good.jsonl"
    good.write_text('{"title": "Another Paper", "abstract": "Text."}\n', encoding="utf-8")
    before = a.store.count()
    with pytest.raises(CorpusError, match="bad.txt:5"):
        a.ingest([good, bad])
    assert a.store.count() == before and len(a.papers) == 3


def test_reopen_in_fresh_process(assistant, config):
    code = (
        "from rag_assistant import Assistant, Config\n"
        f"a = Assistant.from_config(Config.from_env({{}}, data_dir={str(config.data_dir)!r}), build_if_missing=False)\n"
        "print(len(a.papers), a.retrieve('video temporal grounding with CLIP', k=1)[0].title)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("282 ") and "Tuning" in out.stdout


def test_ingest_takes_one_path_and_rejects_non_paths(config, tmp_path, tiny_corpus):
    from rag_assistant.errors import CorpusError

    a = Assistant.from_config(config.replace(data_dir=tmp_path / "one", corpus_paths=(tiny_corpus,)))
    extra = tmp_path / "extra.jsonl"
    extra.write_text('{"title": "Another Paper", "abstract": "A paper about sparse attention."}\n')
    report = a.ingest(str(extra))  # one file, as a plain string
    assert report.files == 1 and len(a.papers) == 4
    with pytest.raises(CorpusError, match="file or folder paths"):
        a.ingest([None])


def test_unusable_data_dir_and_settings_are_one_line_errors(config, tmp_path):
    from rag_assistant.config import Config
    from rag_assistant.errors import ConfigError

    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    with pytest.raises(ConfigError, match="is not a folder"):
        Assistant.from_config(config.replace(data_dir=a_file / "sub"))
    with pytest.raises(ConfigError, match="RAG_LLM_CONTEXT must be a whole number, got 'abc'"):
        Config.from_env({"RAG_LLM_CONTEXT": "abc"})
    with pytest.raises(ConfigError, match="RAG_LLM_THREADS must be a whole number"):
        Config.from_env({"RAG_LLM_THREADS": "two"})


def test_a_title_twice_with_different_abstracts_is_reported(config, tmp_path, tiny_corpus, capsys):
    from rag_assistant import cli

    twice = tmp_path / "twice.jsonl"
    twice.write_text('{"title": "Sparse Attention Paper", "abstract": "First version."}\n'
                     '{"title": "Sparse Attention Paper", "abstract": "Second version."}\n'
                     '{"title": "Copied Paper", "abstract": "Same."}\n{"title": "Copied Paper", "abstract": "Same."}\n')
    a = Assistant.from_config(config.replace(data_dir=tmp_path / "d", corpus_paths=(tiny_corpus,)))
    report = a.ingest([twice])
    assert report.conflicting_titles == ("Sparse Attention Paper",)  # identical copies are not conflicts
    assert "First version." in next(p.abstract for p in a.papers.values() if p.title == "Sparse Attention Paper")
    assert cli.main(["--data-dir", str(tmp_path / "d"), "ingest", str(twice)]) == 0
    assert 'note: 1 title(s) came more than once with different abstracts' in capsys.readouterr().err


def test_a_new_abstract_for_an_indexed_title_is_reported(config, tmp_path, tiny_corpus, capsys):
    from rag_assistant import cli

    long = " ".join(f"We prune attention head number {i} of the transformer and measure the loss." for i in range(40))
    first, second = tmp_path / "v1.jsonl", tmp_path / "v2.jsonl"
    first.write_text(json.dumps({"title": "Sparse Attention Paper", "abstract": long + " It works."}) + "\n")
    second.write_text(json.dumps({"title": "Sparse Attention Paper", "abstract": long + " It works well."}) + "\n"
                      + json.dumps({"title": "Another Paper", "abstract": "We study transfer."}) + "\n")
    a = Assistant.from_config(config.replace(data_dir=tmp_path / "d", corpus_paths=(tiny_corpus,)))
    assert a.ingest([first]).updated_titles == ()
    assert a.ingest([first]).updated_titles == ()  # the same abstract again: nothing changes
    report = a.ingest([second])  # only the last of its several chunks changed
    assert report.chunks > 3 and report.updated_titles == ("Sparse Attention Paper",)  # "Another Paper" is new
    assert next(p.abstract for p in a.papers.values() if p.title == "Sparse Attention Paper").endswith("works well.")
    reopened = Assistant.from_config(config.replace(data_dir=tmp_path / "d", corpus_paths=(tiny_corpus,)))
    assert next(p.abstract for p in reopened.papers.values() if p.title == "Sparse Attention Paper").endswith("well.")
    assert a.ingest([second]).updated_titles == ()  # reported once
    assert cli.main(["--data-dir", str(tmp_path / "d"), "ingest", str(first)]) == 0
    err = capsys.readouterr().err
    assert 'note: 1 paper(s) already in the index came with a different abstract' in err
    assert '"Sparse Attention Paper"' in err


def test_generator_by_name_and_unknown_settings(config, tmp_path, tiny_corpus):
    from rag_assistant.errors import ConfigError

    a = Assistant.from_config(config.replace(data_dir=tmp_path / "d", corpus_paths=(tiny_corpus,)),
                              generator="extractive")
    assert a.config.generator == "extractive" and a.generator is None
    assert a.ask("Which paper prunes graph edges?").citations
    with pytest.raises(ConfigError, match="unknown setting.*bogus"):
        Assistant.from_config(config.replace(data_dir=tmp_path / "d"), bogus=1)


# ---- robustness: changed settings, damaged index, failed writes ------------------------------------------------

LONG = " ".join(f"We prune attention head number {i} of the transformer and measure the loss." for i in range(40))


def _fail_upsert_on(monkeypatch, call: int, error: BaseException):
    """Make the ``call``-th Chroma upsert raise ``error`` (a crash or Ctrl-C part-way through a batched write)."""
    from chromadb.api.models.Collection import Collection

    real, calls = Collection.upsert, []

    def upsert(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == call:
            raise error
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Collection, "upsert", upsert)


def test_a_changed_embedder_reembeds_every_paper_the_index_holds(config, tmp_path, tiny_corpus, capfd):
    cfg = config.replace(data_dir=tmp_path / "d", corpus_paths=(tiny_corpus,))
    a = Assistant.from_config(cfg)
    extra = tmp_path / "extra.jsonl"
    extra.write_text(json.dumps({"title": "Sparse Attention Paper", "abstract": LONG}) + "\n")
    a.ingest([extra])  # a paper the configured corpus does not have
    records = a.store.count()
    capfd.readouterr()
    titles = {p.title for p in a.papers.values()}
    b = Assistant.from_config(cfg.replace(embed_dtype="float32"))
    assert {p.title for p in b.papers.values()} == titles and "Sparse Attention Paper" in titles
    assert ":float32|" in b.store.stored_fingerprint
    assert f"re-embedding its 4 papers with {INDEX_VERSION}|" in capfd.readouterr().err
    assert b.store.count() == records
    assert b.retrieve("pruning attention heads", k=1)[0].title == "Sparse Attention Paper"
    again = Assistant.from_config(cfg.replace(embed_dtype="float32"), build_if_missing=False)
    assert "re-embedding" not in capfd.readouterr().err and len(again.papers) == 4


def test_an_index_from_before_sentence_chunks_is_reembedded_with_every_paper(config, tmp_path, tiny_corpus, capfd):
    """A v1 index (200-token chunks; each paper's title and abstract in its chunk 0's metadata, chunk
    texts as documents) holding a paper the corpus lacks: opening it re-embeds every paper as
    sentence chunks and paper records, and drops the old chunks."""
    import numpy as np

    from rag_assistant.chunking import split_sentences
    from rag_assistant.corpus import paper_id

    cfg = config.replace(data_dir=tmp_path / "d", corpus_paths=(tiny_corpus,))
    a = Assistant.from_config(cfg)
    collection = a.store.collection
    collection.delete(ids=collection.get(include=[])["ids"])
    pid = paper_id("Sparse Attention Paper")
    halves = [LONG[:len(LONG) // 2], LONG[len(LONG) // 2:]]
    vectors = a.embedder.embed(halves)
    collection.upsert(ids=[f"{pid}:0", f"{pid}:1"], embeddings=vectors, documents=halves,
                      metadatas=[{"paper_id": pid, "title": "Sparse Attention Paper", "position": 0, "abstract": LONG,
                                  "source": "old.jsonl"},
                                 {"paper_id": pid, "title": "Sparse Attention Paper", "position": 1}])
    a.store.mark_built("v1|model:openvino:bfloat16|200/40")
    capfd.readouterr()
    b = Assistant.from_config(cfg)
    assert "built with v1|model:openvino:bfloat16|200/40; re-embedding its 1 papers" in capfd.readouterr().err
    assert [p.title for p in b.papers.values()] == ["Sparse Attention Paper"]
    assert b.papers[pid].abstract == LONG and b.chunk_count == len(split_sentences(LONG)) > 1  # one per sentence
    assert b.store.count() == b.chunk_count + 1 and f"{pid}:paper" in b.store.ids()
    assert f"{pid}:0" not in b.store.ids() and f"{pid}:1" not in b.store.ids()  # the old chunks are gone
    assert set(b.store.collection.get(include=["documents"])["documents"]) == {None}  # and their texts
    assert b.retrieve("pruning attention heads", k=1)[0].title == "Sparse Attention Paper"
    assert np.isfinite(b.retrieve("pruning attention heads", k=1)[0].similarity)


def test_a_paper_that_cannot_be_reembedded_refuses_instead_of_deleting(config, tmp_path, tiny_corpus):
    from rag_assistant.errors import ConfigError
    from rag_assistant.types import Chunk

    cfg = config.replace(data_dir=tmp_path / "d", corpus_paths=(tiny_corpus,))
    a = Assistant.from_config(cfg)
    orphan = Chunk("0123456789abcdef:1", "0123456789abcdef", "Orphan", "A chunk whose chunk 0 is gone.", 1)
    a.store.upsert([orphan], a.embedder.embed([orphan.text]), {})
    before, fingerprint = a.store.count(), a.store.stored_fingerprint
    with pytest.raises(ConfigError, match="1 of its papers cannot be re-embedded .*0123456789abcdef"):
        Assistant.from_config(cfg.replace(embed_dtype="float32"))
    reopened = Assistant.from_config(cfg, build_if_missing=False)
    assert reopened.store.count() == before and reopened.store.stored_fingerprint == fingerprint


def test_an_interrupted_reembedding_is_redone_on_the_next_open(config, tmp_path, tiny_corpus, monkeypatch, capfd):
    from rag_assistant import store

    cfg = config.replace(data_dir=tmp_path / "d", corpus_paths=(tiny_corpus,))
    extra = tmp_path / "extra.jsonl"
    extra.write_text(json.dumps({"title": "Sparse Attention Paper", "abstract": LONG}) + "\n")
    Assistant.from_config(cfg).ingest([extra])
    monkeypatch.setattr(store, "UPSERT_BATCH", 2)
    _fail_upsert_on(monkeypatch, 2, KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        Assistant.from_config(cfg.replace(embed_dtype="float32"))
    monkeypatch.undo()
    capfd.readouterr()
    a = Assistant.from_config(cfg)  # the old settings again: the half-done index is not taken as theirs
    assert "a re-embedding that did not finish; re-embedding its 4 papers" in capfd.readouterr().err
    assert len(a.papers) == 4 and ":bfloat16|" in a.store.stored_fingerprint


@pytest.mark.parametrize("error", [RuntimeError("disk full"), KeyboardInterrupt()], ids=["error", "ctrl-c"])
def test_an_ingest_that_fails_part_way_changes_nothing(config, tmp_path, tiny_corpus, monkeypatch, error):
    from rag_assistant import store

    cfg = config.replace(data_dir=tmp_path / "d", corpus_paths=(tiny_corpus,))
    a = Assistant.from_config(cfg)
    speech = next(p for p in a.papers.values() if p.title == "Tiny Speech Models")
    before = a.store.collection.get(include=["documents"])
    papers = [{"title": "Tiny Speech Models", "abstract": "A new abstract that replaces the old one."}]
    papers += [{"title": f"New Paper {i}", "abstract": f"We study topic {i}. It works."} for i in range(5)]
    more = tmp_path / "more.jsonl"
    more.write_text("".join(json.dumps(p) + "\n" for p in papers))
    monkeypatch.setattr(store, "UPSERT_BATCH", 2)
    _fail_upsert_on(monkeypatch, 2, error)  # the first batch (the rewritten paper and a new one) went in
    with pytest.raises(type(error)):
        a.ingest([more])
    monkeypatch.undo()
    after = a.store.collection.get(include=["documents"])
    assert sorted(zip(after["ids"], after["documents"])) == sorted(zip(before["ids"], before["documents"]))
    assert [p.abstract for p in a.store.stored_papers([speech.paper_id])] == [speech.abstract]
    assert len(Assistant.from_config(cfg, build_if_missing=False).papers) == 3


@pytest.mark.parametrize("undo_works", [True, False], ids=["undone", "killed"])
def test_an_interrupted_first_build_is_rebuilt_on_the_next_open(config, tmp_path, tiny_corpus, monkeypatch, undo_works,
                                                                capfd):
    from rag_assistant import store

    cfg = config.replace(data_dir=tmp_path / "d", corpus_paths=(tiny_corpus,))
    monkeypatch.setattr(store, "UPSERT_BATCH", 1)
    _fail_upsert_on(monkeypatch, 2, KeyboardInterrupt())
    if not undo_works:  # as when the process is killed: the first batch stays, with no fingerprint
        monkeypatch.setattr(store.ChromaStore, "restore", lambda self, records, added: 1 / 0, raising=False)
    with pytest.raises(KeyboardInterrupt):
        Assistant.from_config(cfg)
    monkeypatch.undo()
    with pytest.raises(IndexMissingError, match="no index at" if undo_works else "a build that did not finish"):
        Assistant.from_config(cfg, build_if_missing=False)
    capfd.readouterr()
    a = Assistant.from_config(cfg)
    assert len(a.papers) == 3 and a.store.stored_fingerprint.startswith(f"{INDEX_VERSION}|")
    assert ("a build that did not finish" in capfd.readouterr().err) is not undo_works


def test_no_index_without_building_leaves_the_folder_as_it_was(config, tmp_path):
    for data_dir in (tmp_path / "empty", tmp_path / "absent"):
        if data_dir.name == "empty":
            data_dir.mkdir()
        with pytest.raises(IndexMissingError, match="no index at .*run `rag-assistant ingest`"):
            Assistant.from_config(config.replace(data_dir=data_dir), build_if_missing=False)
        assert (list(data_dir.iterdir()) == []) if data_dir.name == "empty" else not data_dir.exists()


@pytest.fixture(scope="module")
def small_index(config, tmp_path_factory):
    """A small index with enough chunks (over Chroma's 1,000-vector sync threshold) that its HNSW files are written."""
    import numpy as np

    from rag_assistant.types import Chunk, Paper

    data_dir = tmp_path_factory.mktemp("small")
    page = data_dir / "page.txt"
    page.write_text("h\nh\nGraph Neural Sparsifiers\nWe prune edges of large graphs.\n", encoding="utf-8")
    a = Assistant.from_config(config.replace(data_dir=data_dir, corpus_paths=(page,)))
    papers = {f"{i:016x}": Paper(f"{i:016x}", f"Filler {i}", "Filler text.", "filler") for i in range(1100)}
    chunks = [Chunk(f"{pid}:0", pid, p.title, p.abstract, 0) for pid, p in papers.items()]
    vectors = np.random.default_rng(0).normal(size=(len(chunks), a.embedder.dimension)).astype(np.float32)
    a.store.upsert(chunks, vectors / np.linalg.norm(vectors, axis=1, keepdims=True), papers)
    a.store.mark_built()
    assert list((data_dir / "chroma").glob("*/data_level0.bin"))
    return data_dir


def _truncate(chroma):
    with open(chroma / "chroma.sqlite3", "r+b") as f:
        f.truncate(f.seek(0, 2) // 3)


def _garble(chroma):
    with open(chroma / "chroma.sqlite3", "r+b") as f:
        f.write(b"garbage!" * 64)


def _drop_hnsw(chroma):
    next(chroma.glob("*/data_level0.bin")).unlink()


def _file_for_folder(chroma):
    import shutil

    shutil.rmtree(chroma)
    chroma.write_text("x")


def _folder_for_database(chroma):
    (chroma / "chroma.sqlite3").unlink()
    (chroma / "chroma.sqlite3").mkdir()


@pytest.mark.parametrize("damage, detail", [
    (_truncate, "database disk image is malformed"), (_garble, "file is not a database"),
    (_drop_hnsw, "Error loading hnsw index"), (_file_for_folder, "it is a file, not a folder"),
    (_folder_for_database, "unable to open database file"),
], ids=["truncated", "garbled", "no-hnsw", "file-for-folder", "folder-for-database"])
def test_a_damaged_index_is_one_clear_error_and_is_kept(config, small_index, tmp_path, damage, detail, capsys):
    import shutil

    from rag_assistant import cli
    from rag_assistant.errors import RagAssistantError

    data_dir = tmp_path / "copy"
    shutil.copytree(small_index, data_dir)
    damage(data_dir / "chroma")
    files = sorted(p.relative_to(data_dir) for p in data_dir.rglob("*"))
    with pytest.raises(RagAssistantError, match=f"the index at {data_dir / 'chroma'} is damaged \\({detail}\\): move "
                                                "it away or use another --data-dir") as caught:
        Assistant.from_config(config.replace(data_dir=data_dir, corpus_paths=(small_index / "page.txt",)))
    assert type(caught.value).__name__ == "IndexDamagedError"
    assert cli.main(["--data-dir", str(data_dir), "--generator", "extractive", "search", "graphs"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error: the index at ") and "Traceback" not in "".join(err)
    assert sorted(p.relative_to(data_dir) for p in data_dir.rglob("*")) == files  # nothing deleted
    shutil.move(data_dir / "chroma", tmp_path / "moved-away")  # as the message says; then the same folder again
    rebuilt = Assistant.from_config(config.replace(data_dir=data_dir, corpus_paths=(small_index / "page.txt",)))
    assert [p.title for p in rebuilt.papers.values()] == ["Graph Neural Sparsifiers"]
