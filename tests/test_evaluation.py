"""``rag-assistant eval`` end to end on a small question file (real index, no LLM)."""
import json
from pathlib import Path

import pytest

from rag_assistant import cli, eval_cli, evaluation
from rag_assistant.evaluation import EvalInputError, load_questions, select

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT / "eval" / "dev_questions.jsonl"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def small_file(tmp_path_factory) -> Path:
    """One dev question of each type (follow-up with history, multi-gold, unanswerable...)."""
    seen, lines = set(), []
    for line in DEV.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record["type"] not in seen and (record["type"] != "multi_paper" or len(record["gold_titles"]) > 1):
            seen.add(record["type"])
            lines.append(line)
    path = tmp_path_factory.mktemp("q") / "small.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _one_error_line(capsys) -> str:
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(err) == 1, err
    assert err[0].startswith("error: ")
    return err[0]


def test_retrieval_only_end_to_end(assistant, config, small_file, tmp_path, capsys):
    out = tmp_path / "report"
    rc = cli.main(["eval", "--data-dir", str(config.data_dir), "--generator", "extractive", "--",
                   "--retrieval-only", "--baselines", "bm25", "--questions", str(small_file), "--out", str(out),
                   "--no-progress"])
    assert rc == 0, capsys.readouterr().err
    questions = load_questions(small_file)

    summary = json.loads((out / "summary.json").read_text())
    assert set(summary["systems"]) == {"ours", "bm25"}
    overall = summary["systems"]["ours"]["overall"]
    assert overall["questions"] == len(questions) == 7
    assert overall["answerable"] == 6
    assert 0.0 <= overall["recall@5"] <= 1.0 and overall["recall@5"] >= 0.5
    assert overall["citation_precision"] is None  # retrieval only: answers not scored
    assert overall["retrieval_ms_p50"] > 0
    assert set(summary["systems"]["ours"]["by_type"]) == {q.type for q in questions}

    records = [json.loads(line) for line in (out / "per_question.jsonl").read_text().splitlines()]
    assert [r["id"] for r in records] == [q.id for q in questions]
    follow_up = next(r for r in records if r["type"] == "follow_up")
    ours = follow_up["systems"]["ours"]
    assert ours["query"].startswith(follow_up["question"])  # the standalone query the assistant used
    assert len(ours["ranking"]) == 10
    assert ours["metrics"]["recall@10"] is not None
    unanswerable = next(r for r in records if r["type"] == "unanswerable")
    assert unanswerable["systems"]["ours"]["metrics"]["recall@1"] is None

    for name in ("recall_at_k.png", "latency.png", "recall_by_type.png"):
        assert (out / name).read_bytes()[:8] == PNG_MAGIC
    report = (out / "report.md").read_text()
    assert "| Metric | rag_assistant | BM25 only |" in report
    assert "| Recall@5 |" in report and "### follow_up" in report


def test_answers_scored_with_extractive_generator(assistant, config, small_file, tmp_path):
    out = tmp_path / "full"
    rc = eval_cli.main(["--questions", str(small_file), "--limit", "3", "--out", str(out), "--no-progress"],
                         config)
    assert rc == 0
    summary = json.loads((out / "summary.json").read_text())
    ours = summary["systems"]["ours"]["overall"]
    assert ours["questions"] == 3
    assert ours["citation_recall"] is not None and ours["keypoint_coverage"] is not None
    assert ours["abstention_accuracy"] is not None
    assert ours["total_s_p50"] is not None and ours["ttft_s_p50"] is not None
    assert "Citation precision" in (out / "report.md").read_text()


def test_missing_question_file_exits_2(config, tmp_path, capsys):
    rc = eval_cli.main(["--questions", str(tmp_path / "nope.jsonl")], config)
    assert rc == 2
    assert "question file not found" in _one_error_line(capsys)


def test_bad_json_line_exits_2_naming_the_line(config, tmp_path, capsys):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "a", "type": "single_fact", "question": "What?"}\n{"id": "b", oops}\n')
    rc = cli.main(["eval", "--data-dir", str(config.data_dir), "--", "--questions", str(path)])
    assert rc == 2
    assert f"{path}:2: invalid JSON" in _one_error_line(capsys)


@pytest.mark.parametrize("content, message", [
    ('{"id": "a"}\n', "'question' must be a non-empty string"),
    ('[1, 2]\n', "expected a JSON object"),
    ('{"question": "Q?", "history": ["x"]}\n', "'history'"),
    ('{"question": "Q?", "gold_titles": "T"}\n', "'gold_titles'"),
    ('{"id": "a", "question": "Q?"}\n{"id": "a", "question": "R?"}\n', "duplicate question id"),
    ("\n\n", "no questions"),
])
def test_invalid_question_records(tmp_path, content, message):
    path = tmp_path / "q.jsonl"
    path.write_text(content)
    with pytest.raises(EvalInputError, match=message):
        load_questions(path)


def test_bad_arguments_exit_2(config, small_file, capsys):
    assert eval_cli.main(["--questions", str(small_file), "--types", "nonsense"], config) == 2
    assert "unknown question type" in _one_error_line(capsys)
    assert eval_cli.main(["--bogus"], config) == 2
    assert "unrecognized arguments" in _one_error_line(capsys)
    assert eval_cli.main(["--baselines", "bm25,magic"], config) == 2
    assert "unknown baseline" in _one_error_line(capsys)
    assert eval_cli.main(["--questions", str(small_file), "--types", ","], config) == 2
    assert "names no question type" in _one_error_line(capsys)


def test_an_unusable_out_folder_fails_before_the_run(config, small_file, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(evaluation, "evaluate", lambda *a, **k: pytest.fail("ran before checking --out"))
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    for out in (blocker, blocker / "sub"):
        assert eval_cli.main(["--questions", str(small_file), "--retrieval-only", "--out", str(out)], config) == 2
        assert f"--out {out}: cannot write there" in _one_error_line(capsys)


def test_limit_spreads_across_types():
    questions = load_questions(DEV)
    picked = select(questions, limit=7)
    assert len({q.type for q in picked}) == 7
    assert select(questions, types="acronym,summary", limit=100) == [q for q in questions
                                                                      if q.type in ("acronym", "summary")]



@pytest.mark.parametrize("argv", [
    ["--data-dir", "/tmp/x", "--generator", "extractive", "eval", "--limit", "3"],
    ["eval", "--data-dir", "/tmp/x", "--generator", "extractive", "--limit", "3"],
    ["eval", "--", "--data-dir", "/tmp/x", "--generator", "extractive", "--limit", "3"],
    ["--data-dir", "/tmp/x", "--generator", "extractive", "bench", "--quick"],
    ["bench", "--quick", "--data-dir", "/tmp/x", "--generator", "extractive"],
])
def test_global_flags_work_before_or_after_eval_and_bench(argv, monkeypatch):
    """Wherever the global flags stand, the config that eval/bench end up with has them."""
    from rag_assistant import benchmark

    seen = {}

    def fake(module):
        def main(rest, config):
            args = module._parser().parse_args(eval_cli.clean_argv(rest))
            seen["config"] = eval_cli.apply_config_overrides(config, args)
            return 0
        return main

    monkeypatch.setattr(eval_cli, "main", fake(eval_cli))
    monkeypatch.setattr(benchmark, "main", fake(benchmark))
    assert cli.main(argv) == 0
    assert seen["config"].data_dir == Path("/tmp/x")
    assert seen["config"].generator == "extractive"


def test_misspelt_question_key_is_rejected(tmp_path):
    path = tmp_path / "typo.jsonl"
    path.write_text('{"question": "What is BiT?", "gold_title": ["Big Transfer (BiT)"]}\n')
    with pytest.raises(EvalInputError, match=r"typo.jsonl:1: unknown key\(s\) 'gold_title'"):
        load_questions(path)


def test_a_collection_folder_is_evaluated_on_its_own_index(assistant, config, tmp_path):
    """``--collection-dir``: the folder's papers in an index of their own, its questions, and the
    report naming the question file that was used."""
    folder = tmp_path / "tiny_field"
    folder.mkdir()
    papers = sorted(assistant.papers.values(), key=lambda p: p.paper_id)[:6]
    (folder / "papers.jsonl").write_text("".join(json.dumps({"title": p.title, "abstract": p.abstract}) + "\n"
                                                 for p in papers), encoding="utf-8")
    (folder / "questions.jsonl").write_text(
        json.dumps({"id": "t1", "question": papers[0].title, "gold_titles": [papers[0].title]}) + "\n"
        + json.dumps({"id": "t2", "question": "What is the boiling point of water at sea level?"}) + "\n",
        encoding="utf-8")
    out = tmp_path / "report"
    rc = eval_cli.main(["--collection-dir", str(folder), "--retrieval-only", "--out", str(out), "--no-progress"],
                       config)
    assert rc == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["systems"]["ours"]["overall"]["questions"] == 2
    assert summary["systems"]["ours"]["overall"]["recall@1"] == 1.0
    assert f"questions: `{folder / 'questions.jsonl'}`" in (out / "report.md").read_text()
    assert (Path(config.data_dir) / "collections" / "tiny_field").is_dir()


def test_sub_types_beside_a_question_file_break_the_report_down(assistant, config, tmp_path):
    """A ``qmeta.json`` beside ``questions.jsonl`` gives each question a sub-type; the report shows how
    many of each were decided right, over the file and per half."""
    paper = sorted(assistant.papers.values(), key=lambda p: p.paper_id)[0]
    questions = [{"id": "a1", "question": f"Summarize the paper '{paper.title}'.", "gold_titles": [paper.title]},
                 {"id": "u1", "question": "What is the boiling point of water at sea level in kelvin?"},
                 {"id": "u2", "question": "Who won the 1998 football World Cup?"}]
    (tmp_path / "questions.jsonl").write_text("".join(json.dumps(q) + "\n" for q in questions), encoding="utf-8")
    (tmp_path / "qmeta.json").write_text(json.dumps({"a1": "plain", "u1": "general_knowledge",
                                                     "u2": "general_knowledge"}), encoding="utf-8")
    loaded = load_questions(tmp_path / "questions.jsonl")
    assert [q.style for q in loaded] == ["plain", "general_knowledge", "general_knowledge"]
    out = tmp_path / "report"
    assert eval_cli.main(["--questions", str(tmp_path / "questions.jsonl"), "--out", str(out), "--no-progress"],
                         config) == 0
    summary = json.loads((out / "summary.json").read_text())
    by_style = summary["systems"]["ours"]["by_style"]
    assert by_style["general_knowledge"]["questions"] == 2 and by_style["plain"]["answerable"] == 1
    report = (out / "report.md").read_text()
    assert "## By sub-type (`qmeta.json`)" in report
    refused = by_style["general_knowledge"]["unanswerable_abstention"]
    row = next(line for line in report.splitlines() if line.startswith("| general_knowledge | unanswerable |"))
    assert f"| {round(refused * 2)}/2 |" in row
    assert all(json.loads(line).get("style") for line in (out / "per_question.jsonl").read_text().splitlines())
    # a broken sub-type file is named; without one the questions have no sub-type
    (tmp_path / "qmeta.json").write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(EvalInputError, match="qmeta.json: expected a JSON object"):
        load_questions(tmp_path / "questions.jsonl")
    (tmp_path / "qmeta.json").unlink()
    assert all(not q.style for q in load_questions(tmp_path / "questions.jsonl"))


def test_the_suite_pools_sub_types_over_its_files(assistant, config, tmp_path, monkeypatch):
    """``--suite`` adds one table of sub-types over every file that has a ``qmeta.json``."""
    targets = []
    for name, ids in (("one", ("g1", "g2")), ("two", ("g3",))):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "questions.jsonl").write_text("".join(
            json.dumps({"id": i, "question": f"Who won the football World Cup in {1990 + n}?"}) + "\n"
            for n, i in enumerate(ids)), encoding="utf-8")
        (folder / "qmeta.json").write_text(json.dumps(dict.fromkeys(ids, "general_knowledge")), encoding="utf-8")
        targets.append((name, config, folder / "questions.jsonl"))
    monkeypatch.setattr(eval_cli, "suite_targets", lambda _config: targets)
    out = tmp_path / "suite"
    assert eval_cli.main(["--suite", "--out", str(out), "--no-progress"], config) == 0
    suite = (out / "suite.md").read_text()
    assert "## By sub-type, over every file with a `qmeta.json`" in suite
    refused = sum(json.loads(line)["systems"]["ours"]["abstained"]
                  for name in ("one", "two") for line in (out / name / "per_question.jsonl").read_text().splitlines())
    assert f"| general_knowledge | unanswerable | {refused}/3 |" in suite
