"""Filters by year, author, category/venue and keyword: parsing, the index that finds the matching
papers, the store query that searches only them, the API, the CLI and a Chroma server (real Chroma,
the real embedder, the reference-manager fixture files)."""
import json
from pathlib import Path

import pytest
from test_store_server import chroma_process, chroma_server  # noqa: F401 - a real `chroma run` on 127.0.0.1

from rag_assistant import Assistant, Filters, cli
from rag_assistant.errors import NoMatchingPapersError
from rag_assistant.filters import FilterIndex, InvalidFilterError
from rag_assistant.types import Paper

FIXTURES = Path(__file__).parent / "fixtures" / "formats"
FILES = ["zotero.bib", "arxiv.jsonl", "scholar.bib", "jabref.bib", "library.ris", "papers.tsv", "records.jsonl"]
QUERIES = ["transformer attention", "image classification", "optimization of neural networks", "particle physics"]
FILTERS = [
    {"year": "2017"}, {"year": "2019-2021"}, {"year": "2020-"}, {"year": "-2010"},
    {"author": "Vaswani"}, {"author": "J Ho"}, {"author": "muller"}, {"author": ["Kingma", "LeCun"]},
    {"category": "cs.CV"}, {"category": "cs"}, {"category": "hep-ph"}, {"category": "NeurIPS"},
    {"keyword": "attention"}, {"keyword": "diffusion probabilistic"},
    {"year": "2014-2022", "category": "Advances in Neural Information Processing Systems"},
    {"year": "2019-", "author": "Lee", "keyword": "language"},
]


@pytest.fixture(scope="module")
def mine(config, tmp_path_factory) -> Assistant:
    a = Assistant.from_config(config.replace(data_dir=tmp_path_factory.mktemp("filters"), collection="mine"),
                              create_empty=True)
    a.ingest([FIXTURES / name for name in FILES])
    return a


@pytest.mark.parametrize("text, expected", [
    ("2021", Filters(2021, 2021)), ("2019-2021", Filters(2019, 2021)), ("2019 – 2021", Filters(2019, 2021)),
    ("2019..2021", Filters(2019, 2021)), ("2020-", Filters(2020, None)), ("-2018", Filters(None, 2018)),
])
def test_year_ranges_read_as_a_researcher_types_them(text, expected):
    assert Filters.of(year=text) == expected


@pytest.mark.parametrize("value, message", [
    ({"year": "twenty"}, "the year filter 'twenty' is not a year or a range: use 2021, 2021-2023"),
    ({"year": "2023-2019"}, "the year range '2023-2019' ends before it starts: use 2019-2023"),
    ({"author": "  ,  -- "}, "the filter value '--' has no words in it"),
    ({"venue": "ICML"}, "unknown filter 'venue': the filters are year, author, category, keyword"),
    ({"author": 7}, "a filter value must be text, not int (7)"),
])
def test_unreadable_filters_say_what_to_type(value, message):
    with pytest.raises(InvalidFilterError, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        Filters.coerce(value)


def test_no_filter_is_the_whole_collection():
    assert not Filters() and not Filters.coerce(None) and not Filters.coerce({})
    assert FilterIndex({"p": Paper("p", "T", "A.")}).paper_ids(Filters()) is None


@pytest.mark.parametrize("spec", FILTERS, ids=[json.dumps(f) for f in FILTERS])
def test_the_index_finds_exactly_the_papers_that_pass(mine, spec):
    filters = Filters.coerce(spec)
    expected = {pid for pid, paper in mine.papers.items() if filters.matches(paper)}
    assert FilterIndex(mine.papers).paper_ids(filters) == expected
    assert expected, "every filter in the table matches some fixture paper"
    assert expected != set(mine.papers), "and leaves some out"


@pytest.mark.parametrize("spec", FILTERS, ids=[json.dumps(f) for f in FILTERS])
def test_every_hit_passes_the_filter_and_no_passing_paper_is_lost(mine, spec):
    filters = Filters.coerce(spec)
    passing = {pid for pid, paper in mine.papers.items() if filters.matches(paper)}
    for query in QUERIES:
        hits = mine.retrieve(query, k=len(mine.papers), filters=spec)
        assert {h.paper_id for h in hits} <= passing
        unfiltered = [h.paper_id for h in mine.retrieve(query, k=len(mine.papers)) if h.paper_id in passing]
        assert [h.paper_id for h in hits][:1] == unfiltered[:1]  # the best passing paper still leads


def test_the_store_query_itself_filters(mine):
    """Not the nearest records, dropped afterwards: the nearest records that pass, however far."""
    far = next(p for p in mine.papers.values() if p.year == 2007)  # diphoton production, far from "attention"
    vector = mine.embedder.embed_query("attention is all you need")
    assert far.paper_id not in {m.paper_id for m in mine.store.query(vector, 3)}
    scope = mine.retriever.scope(Filters(2007, 2007))
    matches = mine.store.query(vector, 3, where=scope.where)
    assert matches and {m.paper_id for m in matches} == {far.paper_id}
    assert scope.where == {"$and": [{"year": {"$gte": 2007}}, {"year": {"$lte": 2007}}]}
    by_author = mine.retriever.scope(Filters(authors=("Serre",)))
    assert {m.paper_id for m in mine.store.query(vector, 3, where=by_author.where)} == by_author.papers


def test_a_filter_nothing_passes_says_so_and_searches_nothing_else(mine):
    with pytest.raises(NoMatchingPapersError, match=r"no paper in this collection matches the filters "
                                                    r"\(year 1990, author Vaswani\)\. Widen or clear them"):
        mine.retrieve("attention", filters={"year": "1990", "author": "Vaswani"})
    answer = mine.ask("What is the Transformer?", filters=Filters.of(year="2030-"))
    assert answer.abstained and not answer.citations and not answer.sources
    assert answer.text.startswith("No paper in this collection matches the filters (year 2030 or later).")


def test_answers_draw_only_on_papers_that_pass(mine):
    answer = mine.ask("What network architecture is based solely on attention mechanisms?", filters={"year": "2017"})
    assert not answer.abstained and [c.title for c in answer.citations] == ["Attention is All you Need"]
    assert {s.meta.year for s in answer.sources} == {2017}
    other = mine.ask("What network architecture is based solely on attention mechanisms?",
                     filters={"category": "hep-ph"})
    assert all(c.meta.year == 2007 for c in other.citations)  # only the physics paper may be cited


def test_a_changed_year_moves_the_paper_between_year_filters(config, tmp_path):
    a = Assistant.from_config(config.replace(data_dir=tmp_path / "d", collection="dated"), create_empty=True)
    record = {"title": "Learned Graph Sparsifiers", "year": 2019, "abstract": "We prune the edges of large "
              "graphs with a learned sparsifier. It keeps accuracy while removing 90% of edges."}
    path = tmp_path / "refs.jsonl"
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    a.ingest([path])
    assert [h.title for h in a.retrieve("graph sparsifier", filters={"year": "2019"})] == [record["title"]]
    path.write_text(json.dumps({**record, "year": 2023}) + "\n", encoding="utf-8")
    assert a.ingest([path]).embedded == 0  # metadata only: nothing re-embedded
    with pytest.raises(NoMatchingPapersError):
        a.retrieve("graph sparsifier", filters={"year": "2019"})
    reopened = Assistant.from_config(a.config, create_empty=True)
    vector = reopened.embedder.embed_query("graph sparsifier")
    matches = reopened.store.query(vector, 10, where={"year": 2023})
    assert {m.paper_id for m in matches} == set(reopened.papers) and len(matches) > 1  # the chunks, not only the record


def test_cli_filter_flags(mine, capsys):
    flags = ["--data-dir", str(mine.config.data_dir), "--collection", "mine", "--generator", "extractive"]
    assert cli.main([*flags, "search", "attention", "-k", "20", "--year", "2019-2021", "--category", "cs",
                     "--category", "NeurIPS"]) == 0
    out = capsys.readouterr().out
    listed = [line for line in out.splitlines() if line[:3].strip().rstrip(".").isdigit()]
    assert listed and all("(2019)" in line or "(2020)" in line or "(2021)" in line for line in listed)
    assert cli.main([*flags, "search", "attention", "--json", "--author", "Vaswani"]) == 0
    assert [h["title"] for h in json.loads(capsys.readouterr().out)] == ["Attention is All you Need"]
    assert cli.main([*flags, "search", "attention", "--year=-2000"]) == 0
    assert "(1998)" in capsys.readouterr().out
    assert cli.main([*flags, "search", "attention", "--year", "2019-2017"]) == 2
    assert capsys.readouterr().err.strip() == "error: the year range '2019-2017' ends before it starts: use 2017-2019"
    assert cli.main([*flags, "search", "attention", "--author", "Nobody"]) == 2
    assert "no paper in this collection matches the filters (author Nobody)" in capsys.readouterr().err
    assert cli.main([*flags, "ask", "What is the Transformer?", "--keyword", "no such phrase"]) == 0
    said = capsys.readouterr().out
    assert said.startswith("No paper in this collection matches the filters (keyword no such phrase)")


@pytest.mark.server
def test_filters_on_a_chroma_server(config, tmp_path, chroma_server):  # noqa: F811
    a = Assistant.from_config(config.replace(data_dir=tmp_path / "local", chroma_url=chroma_server,
                                             collection="remote"), create_empty=True)
    a.ingest([FIXTURES / "arxiv.jsonl", FIXTURES / "zotero.bib"])
    hits = a.retrieve("attention", filters={"category": "math"})
    assert [h.meta.year for h in hits] == [2003]
    assert {h.meta.year for h in a.retrieve("attention", filters={"year": "2020-"})} <= {2020, 2021, 2022, 2024}


def test_a_broad_filter_drops_from_an_overfetched_query_and_falls_back_to_where(mine, monkeypatch):
    """A filter admitting most papers skips Chroma's where (a metadata scan over every record) but
    finds what the where finds; when too few records pass, it asks with the where after all."""
    from rag_assistant.retrieval import BROAD_FILTER_SHARE

    retriever, calls = mine.retriever, []
    real_query = mine.store.query

    def query(vector, n, where=None):
        calls.append(where)
        return real_query(vector, n, where=where)

    monkeypatch.setattr(mine.store, "query", query)
    monkeypatch.setattr(retriever, "dense_candidates", 4)
    vector = mine.embedder.embed_query("attention in neural networks")
    broad = retriever.scope(Filters(2014, None))
    assert len(broad.papers) / len(mine.papers) >= BROAD_FILTER_SHARE
    found = retriever._nearest(vector, broad)
    assert calls == [None]  # no where: the nearest records, those of admitted papers kept
    assert [m.chunk_id for m in found] == [m.chunk_id for m in real_query(vector, 4, where=broad.where)]
    calls.clear()
    monkeypatch.setattr(retriever, "dense_candidates", 10_000)  # more than pass: asked again with the where
    found = retriever._nearest(vector, broad)
    assert calls == [None, broad.where] and {m.paper_id for m in found} == set(broad.papers)
    calls.clear()
    monkeypatch.setattr("rag_assistant.retrieval.BROAD_FILTER_SHARE", 0.99)  # a narrow filter: the where at once
    retriever._nearest(vector, broad)
    assert calls == [broad.where]


def test_a_filter_that_leaves_one_paper_is_no_sign_of_a_weak_match(mine):
    """With one paper left there is no runner-up to lead: the lead features are unknown (the
    model's mean), not 0, which the model would read as a paper that does not stand out."""
    question = "What network architecture is based solely on attention mechanisms?"
    one = mine.assess(question, filters={"year": "2017"})
    assert len(one.hits) == 1
    mean = dict(zip(mine.answerability.model.names, mine.answerability.model.mean))
    assert one.decision.features["top_z"] == pytest.approx(mean["top_z"])
    assert one.decision.features["gap"] == pytest.approx(mean["gap"])
    assert one.decision.answer and one.decision.probability >= mine.answerability.model.threshold
