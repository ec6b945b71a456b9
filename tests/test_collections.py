"""A researcher's own collections: per-file ingest summaries, metadata in hits and citations, several
collections in one data dir, remove and reindex (real Chroma in temp dirs, the real embedder)."""
import json
import shutil
from pathlib import Path

import pytest
from test_store_server import chroma_process, chroma_server  # noqa: F401 - a real `chroma run` on 127.0.0.1

from rag_assistant import Assistant, cli
from rag_assistant.errors import RagAssistantError
from rag_assistant.formats import Skipped

FIXTURES = Path(__file__).parent / "fixtures" / "formats"


def _open(config, data_dir: Path, collection: str = "mine") -> Assistant:
    return Assistant.from_config(config.replace(data_dir=data_dir, collection=collection), create_empty=True)


def _write_records(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


MOE = {"title": "Sparse Mixtures of Experts at Scale", "abstract": "We route each token to two of 64 experts. "
       "The model trains four times faster than a dense one.", "doi": "10.1234/moe.2021", "year": 2021,
       "authors": "Ann Lee; Bo Chen", "venue": "JMLR"}
GRAPH = {"title": "Learned Graph Sparsifiers", "abstract": "We prune the edges of large graphs with a learned "
         "sparsifier. It keeps accuracy while removing 90% of edges.", "arxiv_id": "2101.00001"}
SPEECH = {"title": "Tiny Speech Recognizers", "abstract": "We distill a speech recognizer into a 10M parameter "
          "model. It runs on phones."}


def test_ingest_summarises_each_file_with_skipped_entries_by_key(config, tmp_path):
    a = _open(config, tmp_path / "d")
    assert len(a.papers) == 0  # a new collection starts empty, not with the bundled corpus
    report = a.ingest([FIXTURES / "zotero.bib", FIXTURES / "arxiv.jsonl"])
    bib, arxiv = report.by_file
    assert (bib.path.name, bib.format, len(bib.added)) == ("zotero.bib", "bibtex", 4)
    assert bib.updated == bib.unchanged == ()
    assert bib.skipped == (Skipped("doe_no_abstract_2022", "no abstract", "A Paper Without an Abstract"),)
    assert arxiv.format == "arxiv" and len(arxiv.added) == 3
    assert arxiv.duplicates == ("Attention is All you Need",)  # the bib gave it first (same arXiv id)
    assert [s.entry for s in arxiv.skipped] == ["2101.99999"]
    assert report.files == 2 and report.papers == 7 == len(a.papers)
    again = a.ingest([FIXTURES / "zotero.bib", FIXTURES / "arxiv.jsonl"])
    assert again.embedded == 0 and [len(f.unchanged) for f in again.by_file] == [4, 3]
    assert [f.added + f.updated for f in again.by_file] == [(), ()]


def test_reingesting_a_changed_file_updates_only_what_changed(config, tmp_path):
    a = _open(config, tmp_path / "d")
    refs = _write_records(tmp_path / "refs.jsonl", [MOE, GRAPH, SPEECH])
    assert a.ingest(refs).by_file[0].added == (MOE["title"], GRAPH["title"], SPEECH["title"])
    ids = {p.title: p.paper_id for p in a.papers.values()}
    renamed = {**MOE, "title": "Sparse Mixture-of-Experts at Scale"}  # the same DOI under a corrected title
    dated = {**GRAPH, "year": 2022, "authors": ["Kim, Ada"]}  # metadata only
    report = a.ingest(_write_records(refs, [renamed, dated, SPEECH]))
    file, = report.by_file
    assert (file.added, file.updated, file.unchanged) == ((), (renamed["title"], GRAPH["title"]), (SPEECH["title"],))
    renamed_chunks = [i for i in a.store.ids() if i.startswith(f"{ids[MOE['title']]}:s")]
    # the renamed paper's sentences, and no vector for the metadata
    assert report.embedded == len(renamed_chunks) > 0 and report.removed == 0
    assert len(a.papers) == 3  # one paper under its first id, with the new title
    moe = a.papers[ids[MOE["title"]]]
    assert (moe.title, moe.doi, moe.authors) == (renamed["title"], "10.1234/moe.2021", ("Ann Lee", "Bo Chen"))
    graph = _open(config, tmp_path / "d").papers[ids[GRAPH["title"]]]  # as stored, after a reopen
    assert (graph.year, graph.authors, graph.arxiv_id) == (2022, ("Ada Kim",), "2101.00001")
    assert a.ingest(refs).by_file[0].unchanged == (renamed["title"], GRAPH["title"], SPEECH["title"])


def test_metadata_reaches_hits_citations_and_json(config, tmp_path, capsys):
    data = tmp_path / "d"
    a = _open(config, data)
    a.ingest([FIXTURES / "library.ris"])
    hit = a.retrieve("handwritten character recognition with gradient-based learning", k=1)[0]
    assert hit.title == "Gradient-based learning applied to document recognition"
    assert (hit.meta.authors, hit.meta.year, hit.meta.venue) == (("Yann LeCun", "Léon Bottou", "Yoshua Bengio"), 1998,
                                                                 "Proceedings of the IEEE")
    assert (hit.meta.doi, hit.meta.url) == ("10.1109/5.726791", "https://ieeexplore.ieee.org/document/726791")
    answer = a.ask("What is the best example of a successful gradient-based learning technique?")
    assert not answer.abstained and answer.citations[0].meta == hit.meta
    assert answer.sources[0].meta == hit.meta

    flags = ["--data-dir", str(data), "--collection", "mine", "--generator", "extractive"]
    assert cli.main([*flags, "search", "generative adversarial nets", "-k", "1", "--json"]) == 0
    found, = json.loads(capsys.readouterr().out)
    assert found["meta"]["authors"][0] == "Ian Goodfellow" and found["meta"]["year"] == 2014
    assert cli.main([*flags, "ask", "What is the best example of a successful gradient-based learning technique?",
                     "--json"]) == 0
    cited = json.loads(capsys.readouterr().out)["citations"][0]["meta"]
    assert (cited["doi"], cited["venue"], cited["arxiv_id"]) == ("10.1109/5.726791", "Proceedings of the IEEE", "")
    assert cli.main([*flags, "ask", "What is the best example of a successful gradient-based learning technique?"]) == 0
    out = capsys.readouterr().out
    assert ("[1] Gradient-based learning applied to document recognition — Yann LeCun, Léon Bottou, Yoshua Bengio "
            "(1998). Proceedings of the IEEE\n      https://ieeexplore.ieee.org/document/726791") in out
    assert cli.main([*flags, "search", "gradient-based learning", "-k", "1"]) == 0
    first = capsys.readouterr().out.splitlines()
    assert first[0].startswith(" 1. Gradient-based learning applied to document recognition — Yann LeCun, ")
    assert first[1] == "    https://ieeexplore.ieee.org/document/726791"


def test_two_collections_in_one_data_dir_stay_apart(config, tmp_path):
    from rag_assistant.calibration import calibration_path
    from rag_assistant.types import CollectionInfo

    data = tmp_path / "d"
    mine, other = _open(config, data, "mine"), _open(config, data, "other")
    mine.ingest([FIXTURES / "library.ris"])
    other.ingest([_write_records(tmp_path / "refs.jsonl", [MOE, GRAPH, SPEECH])])
    assert {p.title for p in mine.papers.values()}.isdisjoint(p.title for p in other.papers.values())
    assert all(h.title != GRAPH["title"] for h in mine.retrieve("pruning graph edges", k=10))
    assert other.retrieve("pruning graph edges", k=1)[0].title == GRAPH["title"]
    assert Assistant.collections(mine.config) == [CollectionInfo("mine", 2), CollectionInfo("other", 3)]
    mine.remove(["Generative Adversarial Nets"])
    assert len(_open(config, data, "other").papers) == 3 and len(_open(config, data, "mine").papers) == 1
    assert calibration_path(mine.config) != calibration_path(other.config)
    assert Assistant.collections(config.replace(data_dir=tmp_path / "none")) == []
    assert not (tmp_path / "none").exists()  # listing creates nothing


def test_remove_by_doi_arxiv_id_title_or_id_and_unknown_keys(config, tmp_path):
    a = _open(config, tmp_path / "d")
    a.ingest([_write_records(tmp_path / "refs.jsonl", [MOE, GRAPH, SPEECH]), FIXTURES / "library.ris"])
    count = a.store.count()
    with pytest.raises(RagAssistantError, match=r"no paper in collection 'mine' is named 'No Such Paper'.*nothing "
                                                r"was removed"):
        a.remove(["https://doi.org/10.1234/MOE.2021", "No Such Paper"])
    assert a.store.count() == count and len(a.papers) == 5
    removed = a.remove(["https://doi.org/10.1234/moe.2021", "arXiv:2101.00001", "  tiny SPEECH   recognizers"])
    assert sorted(p.title for p in removed) == sorted([MOE["title"], GRAPH["title"], SPEECH["title"]])
    gan = next(p for p in a.papers.values() if p.title == "Generative Adversarial Nets")
    assert [p.title for p in a.remove(gan.paper_id)] == ["Generative Adversarial Nets"]
    assert [p.title for p in a.papers.values()] == ["Gradient-based learning applied to document recognition"]
    assert all(h.title == "Gradient-based learning applied to document recognition"
               for h in a.retrieve("experts tokens speech graphs", k=5))
    assert a.store.ids() and all(i.startswith(next(iter(a.papers))) for i in a.store.ids())  # no chunk left behind
    with pytest.raises(RagAssistantError, match="non-empty text"):
        a.remove([""])


def test_reindex_reembeds_every_paper_of_the_collection(config, tmp_path):
    a = _open(config, tmp_path / "d")
    a.ingest([FIXTURES / "library.ris"])
    before = {p.paper_id: p for p in a.papers.values()}
    report = a.reindex()
    assert report.papers == 2 and report.embedded == report.chunks > 0
    assert a.papers == before and a.store.stored_fingerprint == a.store.fingerprint
    with pytest.raises(RagAssistantError, match="'empty' .* has no papers to re-embed"):
        _open(config, tmp_path / "d", "empty").reindex()


def test_cli_collections_ingest_summary_remove_and_reindex(config, tmp_path, capsys, monkeypatch):
    data = tmp_path / "d"
    flags = ["--data-dir", str(data), "--generator", "extractive"]
    assert cli.main([*flags, "collections"]) == 0
    assert capsys.readouterr().out.startswith(f"No collections in {data} yet")
    bib = tmp_path / "library.txt"  # a BibTeX file under another extension: the content says what it is
    shutil.copy(FIXTURES / "zotero.bib", bib)
    assert cli.main([*flags, "--collection", "mine", "ingest", str(bib), str(FIXTURES / "library.ris")]) == 0
    out = capsys.readouterr().out
    assert "library.txt (bibtex): 4 added, 0 updated, 0 unchanged, 1 skipped\n" in out
    assert "library.ris (ris): 2 added, 0 updated, 0 unchanged, 1 skipped\n" in out
    assert ("Skipped 2 entries:\n  library.txt: doe_no_abstract_2022 (no abstract) \"A Paper Without an Abstract\"\n"
            "  library.ris: bishop2006 (no abstract)") in out
    assert "collection 'mine' (6 papers in total)" in out
    assert cli.main([*flags, "--collection", "other", "ingest", "--format", "jsonl",
                     str(_write_records(tmp_path / "refs.txt", [MOE, GRAPH, SPEECH]))]) == 0
    assert "refs.txt (jsonl): 3 added" in capsys.readouterr().out
    monkeypatch.setenv("RAG_COLLECTION", "other")
    assert cli.main([*flags, "collections"]) == 0
    assert capsys.readouterr().out == "  mine  6 papers\n* other  3 papers\n"

    calibrated = []
    monkeypatch.setattr("rag_assistant.calibration.needs_calibration", lambda assistant: True)
    monkeypatch.setattr("rag_assistant.calibration.calibrate", lambda assistant, progress: calibrated.append(
        assistant.config.collection) or (_ for _ in ()).throw(ValueError("too small to calibrate")))
    assert cli.main([*flags, "remove", "10.1234/moe.2021", "Tiny Speech Recognizers"]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("Removed 2 paper(s) from collection 'other' (1 left): ")
    assert calibrated == ["other"] and "note: too small to calibrate" in captured.err  # a remove recalibrates too
    assert cli.main([*flags, "--collection", "mine", "reindex"]) == 0
    assert capsys.readouterr().out.startswith("Re-embedded the 6 papers of collection 'mine'")


@pytest.mark.parametrize("argv, message", [
    (["--collection", "nope", "search", "x"], "error: no collection 'nope' in {data}: `rag-assistant collections` "
                                              "lists them, `rag-assistant --collection nope ingest PATH...` makes it"),
    (["--collection", "mine", "remove", "No Such Paper"], "error: no paper in collection 'mine' is named "
                                                          "'No Such Paper'"),
    (["--collection", "fresh", "ingest", "--format", "endnote", "x.bib"], "error: unknown format 'endnote'"),
    (["--collection", "fresh", "ingest", "missing.bib"], "error: missing.bib: no such file or folder"),
    (["--collection", "a b", "collections"], "error: RAG_COLLECTION (collection) must be 3-512 characters"),
])
def test_cli_mistakes_are_one_line_errors(config, tmp_path, capsys, argv, message):
    data = tmp_path / "d"
    _open(config, data).ingest([FIXTURES / "library.ris"])
    capsys.readouterr()
    assert cli.main(["--data-dir", str(data), "--generator", "extractive", *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith(message.format(data=data)) and "Traceback" not in "\n".join(err)
    assert "fresh" not in {c.name for c in Assistant.collections(config.replace(data_dir=data))}


@pytest.mark.server
def test_collections_on_a_chroma_server_stay_apart_and_are_listed(config, tmp_path, chroma_server, capsys):  # noqa: F811
    cfg = config.replace(data_dir=tmp_path / "local", chroma_url=chroma_server)
    mine = Assistant.from_config(cfg.replace(collection="mine"), create_empty=True)
    other = Assistant.from_config(cfg.replace(collection="other"), create_empty=True)
    mine.ingest([FIXTURES / "library.ris"])
    other.ingest([_write_records(tmp_path / "refs.jsonl", [MOE, GRAPH])])
    mine.remove(["10.1109/5.726791"])
    assert [p.title for p in other.papers.values()] == [MOE["title"], GRAPH["title"]]
    assert cli.main(["--data-dir", str(tmp_path / "local"), "--chroma-url", chroma_server, "collections"]) == 0
    assert capsys.readouterr().out == "  mine  1 paper\n  other  2 papers\n"
    assert not (tmp_path / "local").exists()  # nothing was written locally
