"""The index: real Chroma in a temp dir, the real embedder, the real corpus."""
import json
import subprocess
import sys

import pytest

from rag_assistant import Assistant


def test_index_holds_every_paper(assistant):
    assert len(assistant.papers) == 282
    assert assistant.store.count() > 282  # long abstracts have several chunks


def test_reingest_is_idempotent(assistant):
    before = assistant.store.count()
    report = assistant.ingest()
    assert report.papers == 282
    assert report.embedded == 0 and report.removed == 0
    assert assistant.store.count() == before == report.chunks


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
    with pytest.raises(ConfigError, match="RAG_ABSTAIN_SIMILARITY must be a number, got 'abc'"):
        Config.from_env({"RAG_ABSTAIN_SIMILARITY": "abc"})
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
