import json
from pathlib import Path

import pytest

from rag_assistant.corpus import load_corpus, load_corpus_checked, paper_id, parse_file
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


def test_json_fields_must_be_text_and_jsonl_saved_as_txt_is_read_as_jsonl(tmp_path):
    wrong = tmp_path / "wrong.jsonl"
    wrong.write_text('{"title": 123, "abstract": ["x"]}\n')
    with pytest.raises(CorpusError, match=r"wrong.jsonl:1: 'title' must be text"):
        parse_file(wrong)
    as_txt = tmp_path / "papers.txt"
    as_txt.write_text('{"title": "A", "abstract": "B"}\n{"title": "C", "abstract": "D"}\n')
    assert [p.title for p in parse_file(as_txt)] == ["A", "C"]  # the content says JSON Lines
    with pytest.raises(CorpusError, match=r"papers\.txt: no papers after the 2 header lines"):
        parse_file(as_txt, format="page")  # unless the user says otherwise


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
    assert [(p.title, p.abstract) for p in parse_file(semicolons)] == [("T", "A.")]  # as European Excel saves it
    semicolons.write_text("name;summary text\nT;A.\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"papers\.csv:1: the header lacks column\(s\) abstract, title \(it has "
                                          r"'name;summary text'\)"):
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


FORMATS = Path(__file__).parent / "fixtures" / "formats"


def test_the_same_paper_from_two_files_is_one_paper():
    from rag_assistant.corpus import load_files

    bib, arxiv, csv = FORMATS / "zotero.bib", FORMATS / "arxiv.jsonl", FORMATS / "zotero.csv"
    results = load_files([bib, arxiv, csv])
    assert [(r.path, r.format) for r in results] == [(bib, "bibtex"), (arxiv, "arxiv"), (csv, "csv")]
    first, second, third = results
    # "Attention Is All You Need" (arXiv) is the BibTeX "Attention is All you Need": the same title, normalised
    assert second.duplicates == ("Attention is All you Need",) and len(second.papers) == 3
    # the CSV's "BERT: pre-training ... understanding." is the BibTeX BERT: the same DOI, in other case
    assert third.duplicates == ("BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding",)
    assert [p.title for p in third.papers] == ["Zero-Shot Text-to-Image Generation"]
    attention = next(p for p in first.papers if p.title == "Attention is All you Need")
    assert attention.source == "zotero.bib" and attention.venue == "Advances in Neural Information Processing Systems"
    assert (attention.arxiv_id, attention.categories) == ("1706.03762", ("cs.CL", "cs.LG"))  # filled from arXiv
    assert [s.entry for r in results for s in r.skipped] == ["doe_no_abstract_2022", "2101.99999", "line 4"]
    papers, conflicts = load_corpus_checked([bib, arxiv, csv])
    assert papers == [p for r in results for p in r.papers] and len(papers) == 8
    assert conflicts == ["Attention is All you Need",  # the copies' abstracts differ; the first is kept
                         "BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding"]


def test_the_same_arxiv_id_is_one_paper_and_identical_copies_are_no_conflict(tmp_path):
    from rag_assistant.corpus import load_files

    a = tmp_path / "a.jsonl"
    a.write_text('{"title": "Deep Residual Learning", "abstract": "We ease training.", "arxiv_id": "1512.03385"}\n'
                 '{"title": "Deep Residual Learning", "abstract": "We ease training."}\n', encoding="utf-8")
    b = tmp_path / "b.bib"
    b.write_text("@article{he, title={Deep Residual Learning for Image Recognition}, abstract={We ease training.},"
                 " journal={arXiv preprint arXiv:1512.03385v1}, year={2015}}\n", encoding="utf-8")
    first, second = load_files([a, b])
    assert [p.title for p in first.papers] == ["Deep Residual Learning"] and first.papers[0].year == 2015
    assert first.duplicates == ("Deep Residual Learning",) and first.conflicts == ()
    assert second.papers == () and second.duplicates == ("Deep Residual Learning",) and second.conflicts == ()


def test_folders_take_every_format_and_format_can_be_named(tmp_path):
    from rag_assistant.corpus import corpus_files, load_files

    for name in ("zotero.bib", "library.ris", "papers.tsv", "csl.json"):
        (tmp_path / name).write_bytes((FORMATS / name).read_bytes())
    (tmp_path / "README.md").write_text("# about these files\n")
    assert [f.name for f in corpus_files([tmp_path])] == ["csl.json", "library.ris", "papers.tsv", "zotero.bib"]
    assert [r.format for r in load_files([tmp_path])] == ["json", "ris", "tsv", "bibtex"]
    ris_as_txt = tmp_path / "export.txt"
    ris_as_txt.write_bytes((FORMATS / "library.ris").read_bytes())
    assert load_files([ris_as_txt], format="ris")[0].format == "ris"
    with pytest.raises(CorpusError, match="unknown format 'endnote'"):
        load_corpus([ris_as_txt], format="endnote")


def test_a_record_without_an_abstract_is_skipped_not_an_error(tmp_path):
    from rag_assistant.corpus import load_files

    path = tmp_path / "papers.jsonl"
    path.write_text('{"title": "Has One", "abstract": "Yes."}\n{"title": "Has None"}\n{"abstract": "No title."}\n',
                    encoding="utf-8")
    result, = load_files([path])
    assert [p.title for p in result.papers] == ["Has One"]
    assert [(s.entry, s.reason, s.title) for s in result.skipped] == [("line 2", "no abstract", "Has None"),
                                                                       ("line 3", "no title", "")]
    assert load_corpus_checked([path]) == (list(result.papers), [])
