import json
from pathlib import Path

import pytest

from rag_assistant.corpus import load_corpus, paper_id, parse_file
from rag_assistant.errors import CorpusError


def test_bundled_corpus_has_282_distinct_papers(corpus_dir):
    papers = load_corpus([corpus_dir])
    assert len(papers) == 282
    assert len({p.paper_id for p in papers}) == 282
    assert not any(p.title.startswith("Subscribe") for p in papers)
    titles = {p.title for p in papers}
    assert "$R^2$-Tuning: Efficient Image-to-Video Transfer Learning for Video Temporal Grounding" in titles
    assert "Scaling Laws for Robust Comparison of Open Foundation Language-Vision Models and Datasets" in titles


def test_each_page_parses_and_pages_overlap(corpus_dir):
    first, second = (parse_file(p) for p in sorted(corpus_dir.glob("0*.txt")))
    assert (len(first), len(second)) == (119, 213)
    overlap = {p.paper_id for p in first} & {p.paper_id for p in second}
    assert len(overlap) == 119 + 213 - 282


def test_paper_id_is_stable_and_normalized():
    assert paper_id("Attention Is All You Need") == paper_id("  attention  is all you NEED ")
    assert paper_id("A") != paper_id("B")
    assert len(paper_id("x")) == 16


def test_subscribe_prefix_stripped_and_sources_recorded(tiny_corpus):
    papers = parse_file(tiny_corpus)
    assert [p.title for p in papers][0] == "Graph Neural Sparsifiers"
    assert {p.source for p in papers} == {"page.txt"}


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("odd.txt", "h1\nh2\nTitle only\n", r"odd\.txt:3: odd number of lines"),
        ("empty_title.txt", "h1\nh2\nT\nabstract\n   \nabstract two\n", r"empty_title\.txt:5: empty title"),
        ("empty.txt", "", r"empty\.txt: file is empty"),
        ("header_only.txt", "h1\nh2\n", r"no papers"),
    ],
)
def test_malformed_pages_name_file_and_line(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CorpusError, match=message):
        parse_file(path)


def test_binary_and_non_utf8_files_are_rejected(tmp_path):
    binary = tmp_path / "model.txt"
    binary.write_bytes(b"\x00\x01\x02GGUF" * 10)
    with pytest.raises(CorpusError, match="binary"):
        parse_file(binary)
    latin = tmp_path / "latin.txt"
    latin.write_bytes("h1\nh2\nCaf\xe9 Title\nabstract\n".encode("latin-1"))
    with pytest.raises(CorpusError, match=r"latin\.txt:3: not valid UTF-8"):
        parse_file(latin)


def test_unsupported_and_missing_paths(tmp_path):
    pdf = tmp_path / "paper.pdf"
    pdf.write_text("x")
    with pytest.raises(CorpusError, match="unsupported file type .pdf"):
        load_corpus([pdf])
    with pytest.raises(CorpusError, match="no such file"):
        load_corpus([tmp_path / "missing.txt"])


def test_jsonl_json_csv(tmp_path):
    (tmp_path / "a.jsonl").write_text(json.dumps({"title": "T1", "abstract": "A1."}) + "\n", encoding="utf-8")
    (tmp_path / "b.json").write_text(json.dumps([{"title": "T2", "abstract": "A2."}]), encoding="utf-8")
    (tmp_path / "c.csv").write_text('title,abstract\nT3,"A3, with comma."\nT1,A1.\n', encoding="utf-8")
    papers = load_corpus([tmp_path])
    assert [p.title for p in papers] == ["T1", "T2", "T3"]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"title": "x", "abstract": "y"}\n{broken\n', encoding="utf-8")
    with pytest.raises(CorpusError, match=r"bad\.jsonl:2: invalid JSON"):
        parse_file(bad)


def test_json_fields_must_be_text_and_jsonl_saved_as_txt_is_named(tmp_path):
    wrong = tmp_path / "wrong.jsonl"
    wrong.write_text('{"title": 123, "abstract": ["x"]}\n')
    with pytest.raises(CorpusError, match=r"wrong.jsonl:1: 'title' must be text"):
        parse_file(wrong)
    as_txt = tmp_path / "papers.txt"
    as_txt.write_text('{"title": "A", "abstract": "B"}\n{"title": "C", "abstract": "D"}\n')
    with pytest.raises(CorpusError, match="looks like JSON Lines.*rename it to papers.jsonl"):
        parse_file(as_txt)


def test_a_page_without_the_header_lines_keeps_its_first_paper(tmp_path):
    abstract = "We study how features transfer between tasks. We find that the first layers are general. " * 3
    path = tmp_path / "pairs.txt"
    path.write_text(f"First Paper\n{abstract}\nSecond Paper\n{abstract}\n", encoding="utf-8")
    assert [p.title for p in parse_file(path)] == ["First Paper", "Second Paper"]
    path.write_text(f"Get trending papers!\nGet them daily!\nFirst Paper\n{abstract}\n", encoding="utf-8")
    assert [p.title for p in parse_file(path)] == ["First Paper"]  # the scrape's two header lines
    short = "A one-sentence abstract, with no full stop inside it, that is still much longer than the title above it"
    path.write_text(f"First Paper\n{short}\nSecond Paper\n{short}\n", encoding="utf-8")
    assert [p.title for p in parse_file(path)] == ["First Paper", "Second Paper"]


def test_an_oversized_abstract_or_title_is_named_not_embedded(tmp_path):
    huge = tmp_path / "huge.jsonl"
    huge.write_text(json.dumps({"title": "Small", "abstract": "ok"}) + "\n"
                    + json.dumps({"title": "A Dump", "abstract": "word " * 40_000}) + "\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"huge\.jsonl:2: the abstract of 'A Dump' is 199,999 characters long "
                                          r"\(at most 10,000"):
        parse_file(huge)
    shifted = tmp_path / "shifted.csv"
    shifted.write_text("title,abstract\n" + "A long sentence that reads like an abstract. " * 20 + ",Title\n",
                       encoding="utf-8")
    with pytest.raises(CorpusError, match=r"shifted\.csv:2: the title is .* characters long.*abstract in the title"):
        parse_file(shifted)


def test_json_mistakes_are_named_not_tracebacks(tmp_path, monkeypatch):
    one = tmp_path / "one.json"
    one.write_text(json.dumps({"title": "T", "abstract": "A."}), encoding="utf-8")
    assert [p.title for p in parse_file(one)] == ["T"]  # a single paper saved as a bare object
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    with pytest.raises(CorpusError, match="nested too deeply"):
        parse_file(deep)
    semicolons = tmp_path / "papers.csv"
    semicolons.write_text("title;abstract\nT;A.\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="separated by ';': save the file with commas"):
        parse_file(semicolons)
    folder = tmp_path / "locked"
    folder.mkdir()

    def refuse(self):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "iterdir", refuse)
    with pytest.raises(CorpusError, match="locked: cannot read folder .Permission denied"):
        load_corpus([folder])


def test_a_late_nul_byte_and_a_doubled_csv_column_are_named(tmp_path):
    late = tmp_path / "papers.jsonl"
    late.write_bytes(b'{"title": "T", "abstract": "A."}\n' * 400 + b'{"title": "T\x00", "abstract": "A."}\n')
    with pytest.raises(CorpusError, match=r"papers\.jsonl:401: a NUL byte"):
        parse_file(late)
    doubled = tmp_path / "papers.csv"
    doubled.write_text("title,Title,abstract\nT,U,A.\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="more than one title column"):
        parse_file(doubled)
