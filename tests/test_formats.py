"""Each input format parsed for real from small fixture files (tests/fixtures/formats), malformed ones included."""
import doctest
import importlib
import shutil
from pathlib import Path

import pytest

from rag_assistant.errors import CorpusError
from rag_assistant.formats import FORMATS, Skipped, detect_format, parse

FIXTURES = Path(__file__).parent / "fixtures" / "formats"


def by_title(parsed):
    return {p.title: p for p in parsed.papers}


@pytest.mark.parametrize("name", ["formats", "formats.fields", "formats.latex", "formats.page", "formats.arxiv"])
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(f"rag_assistant.{name}"), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_zotero_bibtex_decodes_latex_and_keeps_metadata():
    parsed = parse(FIXTURES / "zotero.bib")
    assert parsed.format == "bibtex"
    papers = by_title(parsed)
    assert list(papers) == [
        "Attention is All you Need",
        "BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding",
        "Schrödinger Bridges for Café Naïve Learners & Their 3% Gains",
        "Learning Transferable Visual Models From Natural Language Supervision",
    ]
    attention = papers["Attention is All you Need"]
    assert attention.authors[-2:] == ("Łukasz Kaiser", "Illia Polosukhin")
    assert (attention.year, attention.venue) == (2017, "Advances in Neural Information Processing Systems")
    assert attention.keywords == ("attention", "transformers") and attention.url.startswith("https://proceedings.")
    bert = papers["BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding"]
    assert bert.doi == "10.18653/v1/N19-1423" and bert.year == 2019 and bert.source == "zotero.bib"
    assert "pushing the GLUE score to 80.5% (7.7% point" in bert.abstract
    bridges = papers["Schrödinger Bridges for Café Naïve Learners & Their 3% Gains"]
    assert bridges.authors == ("Jörg Müller", "Émile Durand", "Anna van der Berg")
    assert bridges.abstract == ("We study “bridges” between distributions—a classic tool—and show that naïve "
                                "learners gain 3% on ImageNet. Our code is at <https://example.org/code>.")
    assert bridges.keywords == ("optimal transport", "diffusion")
    clip = papers["Learning Transferable Visual Models From Natural Language Supervision"]
    assert (clip.arxiv_id, clip.doi, clip.venue) == ("2103.00020", "10.48550/arXiv.2103.00020", "arXiv")
    assert parsed.skipped == (Skipped("doe_no_abstract_2022", "no abstract", "A Paper Without an Abstract"),)


def test_google_scholar_and_jabref_bibtex():
    scholar = parse(FIXTURES / "scholar.bib")  # Google Scholar exports no abstracts: every entry is listed
    assert scholar.papers == () and [(s.entry, s.reason) for s in scholar.skipped] == [
        ("he2016deep", "no abstract"), ("ho2020denoising", "no abstract")]
    adam = parse(FIXTURES / "jabref.bib").papers[0]  # its "% Encoding" header and @Comment are not entries
    assert adam.title == "Adam: A Method for Stochastic Optimization"
    assert (adam.authors, adam.arxiv_id, adam.url) == (("Diederik P. Kingma", "Jimmy Ba"), "1412.6980",
                                                      "https://arxiv.org/abs/1412.6980")


def test_bibtex_problems(tmp_path):
    with pytest.raises(CorpusError, match=r"malformed\.bib:7: a BibTeX entry that cannot be parsed \(.*\); fix or "
                                          r"remove it$"):
        parse(FIXTURES / "malformed.bib")
    twice = tmp_path / "twice.bib"
    twice.write_text("@article{k1, title={One}, abstract={A.}}\n@article{k1, title={Two}, abstract={B.}}\n"
                     "@article{k2, title={Three}, title={Four}, abstract={C.}}\n", encoding="utf-8")
    parsed = parse(twice)
    assert [p.title for p in parsed.papers] == ["One", "Two"]  # a key used twice still names two papers
    assert parsed.skipped == (Skipped("k2", "field(s) title given twice"),)
    scholar_arxiv = tmp_path / "gs.bib"
    scholar_arxiv.write_text("@article{x, title={T}, abstract={A.}, journal={arXiv preprint arXiv:1512.03385}}\n")
    paper = parse(scholar_arxiv).papers[0]
    assert (paper.arxiv_id, paper.venue) == ("1512.03385", "arXiv preprint arXiv:1512.03385")


def test_arxiv_snapshot_lines_are_unwrapped_and_cleaned():
    parsed = parse(FIXTURES / "arxiv.jsonl")
    assert parsed.format == "arxiv"
    papers = {p.arxiv_id: p for p in parsed.papers}
    tuning = papers["2404.00801"]
    # the title as the bundled scrape has it (math kept), so the two are one paper
    assert tuning.title == "$R^2$-Tuning: Efficient Image-to-Video Transfer Learning for Video Temporal Grounding"
    assert tuning.abstract.endswith("state-of-the-art performance with only 1.5% additional parameters.")
    assert (tuning.year, tuning.categories, tuning.venue) == (2024, ("cs.CV",), "arXiv")
    assert tuning.authors[-1] == "Chang Wen Chen" and tuning.url == "https://arxiv.org/abs/2404.00801"
    diphoton = papers["0704.0001"]
    assert diphoton.title == "Calculation of prompt diphoton production cross sections at Tevatron and LHC energies"
    assert "\n" not in diphoton.abstract and "  " not in diphoton.abstract
    assert diphoton.authors[0] == "C. Balázs" and diphoton.year == 2007  # the first version's year, not the update's
    assert (diphoton.venue, diphoton.doi) == ("Phys.Rev.D76:013009,2007", "10.1103/PhysRevD.76.013009")
    old_style = papers["math/0309136"]
    assert old_style.title == "On the mod $p$ reduction of “orthogonal” representations"
    assert "behaves — in 50% of the cases it is semisimple." in old_style.abstract  # a bare % is not a comment
    assert old_style.categories == ("math.GR", "math.NT") and old_style.year == 2003
    assert papers["1706.03762"].year == 2017
    assert parsed.skipped == (Skipped("2101.99999", "no abstract", "A Withdrawn Paper With No Abstract"),)
    with pytest.raises(CorpusError, match=r"arxiv_malformed\.jsonl:2: invalid JSON"):
        parse(FIXTURES / "arxiv_malformed.jsonl")


def test_csv_tsv_headers_with_aliases():
    zotero = parse(FIXTURES / "zotero.csv")  # Zotero's own column names
    dalle, bert = zotero.papers
    assert dalle.authors == ("Aditya Ramesh", "Mikhail Pavlov", "Gabriel Goh")
    assert (dalle.year, dalle.venue, dalle.keywords) == (2021, "Proceedings of ICML", ("generation", "transformers"))
    assert bert.doi == "10.18653/V1/N19-1423" and bert.url == "https://doi.org/10.18653/V1/N19-1423"
    assert zotero.skipped == (Skipped("line 4", "no abstract", "An Untitled Report Without Abstract"),)
    tsv = parse(FIXTURES / "papers.tsv")
    ddpm, = tsv.papers
    assert tsv.format == "tsv" and ddpm.title == "Denoising Diffusion Probabilistic Models"
    assert (ddpm.authors, ddpm.year, ddpm.venue) == (("Jonathan Ho", "Ajay Jain", "Pieter Abbeel"), 2020, "NeurIPS")
    assert (ddpm.arxiv_id, ddpm.keywords) == ("2006.11239", ("diffusion", "generative models"))


def test_csv_problems_name_file_and_line(tmp_path):
    path = tmp_path / "papers.csv"
    path.write_text("Title,Abstract Note,Year\nA paper,\"An abstract, quoted.\",n.d.\n,An orphan abstract.,2020\n",
                    encoding="utf-8")
    parsed = parse(path)
    assert [(p.title, p.year) for p in parsed.papers] == [("A paper", None)]  # an unreadable year is no year
    assert parsed.skipped == (Skipped("line 3", "no title"),)
    path.write_text("title,abstract\n\"An unclosed quote,x\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"papers\.csv:2: the row starting here is not valid CSV \(unexpected end "):
        parse(path)
    path.write_text("Title,Paper Title,abstract\nA,B,C.\n", encoding="utf-8")
    assert parse(path).papers[0].title == "A"  # two aliases: the first-placed name wins
    path.write_text("title\tabstract\nA\tB.\n", encoding="utf-8")
    assert parse(path).format == "tsv"  # tabs in a .csv: the header says so


def test_json_records_and_csl_json():
    records = parse(FIXTURES / "records.jsonl")
    moe, rag = records.papers
    assert moe.authors == ("William Fedus", "Barret Zoph") and moe.doi == "10.5555/3586589.3586709"
    assert (moe.year, moe.venue, moe.keywords) == (2022, "JMLR", ("mixture of experts", "sparsity"))
    assert rag.authors == ("Patrick Lewis", "Ethan Perez", "Aleksandra Piktus")  # keys compared without case
    assert (rag.year, rag.arxiv_id) == (2020, "2005.11401")
    assert records.skipped == (Skipped("line 3", "no abstract", "Only a Title Here"),)
    csl = parse(FIXTURES / "csl.json")
    gat, = csl.papers
    assert gat.authors == ("Petar Veličković", "Guillem Cucurull") and gat.year == 2018
    assert gat.venue == "International Conference on Learning Representations"
    assert csl.skipped == (Skipped("record 2", "no abstract", "A Book With No Abstract"),)


def test_ris_records_and_their_problems(tmp_path):
    parsed = parse(FIXTURES / "library.ris")
    lecun, gan = parsed.papers
    assert lecun.authors == ("Yann LeCun", "Léon Bottou", "Yoshua Bengio")
    assert (lecun.year, lecun.venue, lecun.doi) == (1998, "Proceedings of the IEEE", "10.1109/5.726791")
    assert lecun.abstract.startswith("Multilayer neural networks trained with the back-propagation algorithm "
                                     "constitute")  # a continued line is joined
    assert lecun.keywords == ("Neural networks", "Optical character recognition")
    assert (gan.title, gan.authors[0], gan.year) == ("Generative Adversarial Nets", "Ian Goodfellow", 2014)
    assert gan.abstract.startswith("We propose a new framework")  # EndNote's N2 abstract
    assert parsed.skipped == (Skipped("bishop2006", "no abstract", "Pattern Recognition and Machine Learning"),)
    with pytest.raises(CorpusError, match=r"malformed\.ris:6: the record from this line has no 'ER  -' line"):
        parse(FIXTURES / "malformed.ris")
    stray = tmp_path / "stray.ris"
    stray.write_text("TY  - JOUR\nTI  - T\nAB  - A.\nER  - \nTI  - outside a record\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"stray\.ris:5: expected a record's first line, 'TY  - TYPE'"):
        parse(stray)


def test_format_found_from_content_or_named(tmp_path):
    for fixture, format_ in [("zotero.bib", "bibtex"), ("library.ris", "ris"), ("arxiv.jsonl", "arxiv"),
                             ("records.jsonl", "jsonl")]:
        renamed = tmp_path / f"export-{format_}.txt"  # the content decides, whatever the extension
        shutil.copy(FIXTURES / fixture, renamed)
        assert detect_format(renamed, renamed.read_text(encoding="utf-8")) == format_
        assert parse(renamed).papers == tuple(p.__class__(**{**p.__dict__, "source": renamed.name})
                                              for p in parse(FIXTURES / fixture).papers)
    tsv_as_txt = tmp_path / "table.txt"
    shutil.copy(FIXTURES / "papers.tsv", tsv_as_txt)
    assert parse(tsv_as_txt, format="TSV").papers[0].year == 2020  # named, case aside
    with pytest.raises(CorpusError, match=r"unknown format 'endnote': use one of page, jsonl, json, csv, tsv, "
                                          r"bibtex, arxiv, ris"):
        parse(tsv_as_txt, format="endnote")
    unknown = tmp_path / "notes.md"
    unknown.write_text("# just notes\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"notes\.md: unsupported file type \.md and no format recognised"):
        parse(unknown)
    assert set(FORMATS) == {"page", "jsonl", "json", "csv", "tsv", "bibtex", "arxiv", "ris"}


@pytest.mark.parametrize("name, content, message", [
    ("t.jsonl", '{"title": "T", "abstract": "A", "year": 2020}\n[1, 2]\n', r"t\.jsonl:2: expected an object"),
    ("t.json", '[{"title": "T", "abstract": {"text": "A"}}]', r"t\.json: record 1: 'abstract' must be text"),
    ("t.ris", "TY  - JOUR\nTI  - T\nTY  - JOUR\n", r"t\.ris:3: a new record starts before the one from line 1"),
    ("t.bib", "@article{k, title={" + "T" * 600 + "}, abstract={A.}}\n", r"t\.bib:1: entry k: the title is 600"),
    ("t.csv", "title,abstract\nT," + "word " * 3000 + "\n", r"t\.csv:2: the abstract of 'T' is 14,999 characters"),
])
def test_malformed_records_are_one_line_errors(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CorpusError, match=message) as error:
        parse(path)
    assert "\n" not in str(error.value)


def test_metadata_round_trips_through_a_real_store(config, tmp_path):
    """Parsed metadata is stored with each paper record, comes back in ``Assistant.papers`` after a
    reopen, and a value a file no longer gives is removed (Chroma merges metadata on upsert)."""
    import dataclasses

    from rag_assistant import Assistant
    from rag_assistant.corpus import load_corpus
    from rag_assistant.store import paper_record_id

    files = (FIXTURES / "zotero.bib", FIXTURES / "arxiv.jsonl", FIXTURES / "library.ris")
    cfg = config.replace(data_dir=tmp_path / "d", corpus_paths=files)
    built = Assistant.from_config(cfg)
    expected = {p.paper_id: p for p in load_corpus(files)}
    assert built.papers == expected
    reopened = Assistant.from_config(cfg, build_if_missing=False)
    assert reopened.papers == expected
    attention = next(p for p in reopened.papers.values() if p.title == "Attention is All you Need")
    assert attention.authors[0] == "Ashish Vaswani" and attention.year == 2017
    assert (attention.arxiv_id, attention.categories) == ("1706.03762", ("cs.CL", "cs.LG"))

    store, pid = reopened.store, attention.paper_id
    before = store.records([paper_record_id(pid)])
    bare = dataclasses.replace(attention, authors=(), year=None, doi="", arxiv_id="", categories=(), keywords=())
    store.upsert([], [], {pid: bare}, {pid: (before["embeddings"][0], before["metadatas"][0]["weight"])})
    assert store.stored_papers([pid]) == [bare]
    store.restore(before, [])  # an undone write puts back exactly what was there
    assert store.stored_papers([pid]) == [attention]
    store.upsert([], [], {pid: bare}, {pid: (before["embeddings"][0], before["metadatas"][0]["weight"])})
    bare_record = store.records([paper_record_id(pid)])
    store.upsert([], [], {pid: attention}, {pid: (before["embeddings"][0], before["metadatas"][0]["weight"])})
    store.restore(bare_record, [])
    assert store.stored_papers([pid]) == [bare]  # the keys the undone write added are gone too
