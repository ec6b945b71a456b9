"""``rag-assistant eval``: run the assistant (and baselines) over a question file and score it
(its command line: ``eval_cli.py``).

Writes ``summary.json``, ``per_question.jsonl``, ``report.md`` and PNG plots into
``--out`` (default ``eval/results/<timestamp>/``). Metric definitions: ``metrics.py``.

Systems: ``ours`` (the Assistant: hybrid retrieval, verified citations, abstention),
``bm25`` (keyword-only paper ranking; no answers) and ``langchain`` (the stock
LangChain recipe answering with the same LLM; see ``baselines.py``). Each system runs
over all questions in turn, so one system's prompt cache never helps another's.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Sequence

from . import metrics as M
from .config import PROJECT_ROOT, Config
from .errors import RagAssistantError

DEFAULT_QUESTIONS = PROJECT_ROOT / "eval" / "dev_questions.jsonl"
RETRIEVAL_K = 10
BASELINES = ("bm25", "langchain")
RECALL_KS = (1, 5, 10)


class EvalInputError(RagAssistantError):
    """A problem with the evaluation's input (question file, arguments)."""


@dataclass(frozen=True)
class Question:
    id: str
    type: str
    question: str
    history: tuple[tuple[str, str], ...] = ()
    gold_titles: tuple[str, ...] = ()
    keypoints: tuple[tuple[str, ...], ...] = ()
    # the question's sub-type from a ``qmeta.json`` beside the question file ("near_miss",
    # "paraphrased" ...), if its writer gave one: the report breaks abstention down by it
    style: str = ""

    @property
    def answerable(self) -> bool:
        return bool(self.gold_titles)

    @property
    def split(self) -> str:
        """"tune" or "test", from a hash of the id: tune on one half, report the other."""
        return split_of(self.id)


def split_of(question_id: str) -> str:
    """The half a question id falls in, by the parity of its SHA-1 (stable across files and runs).

    >>> [split_of(i) for i in ("q001", "q002", "q003", "q004")]
    ['test', 'tune', 'tune', 'tune']
    """
    return "tune" if int(hashlib.sha1(question_id.encode("utf-8")).hexdigest(), 16) % 2 == 0 else "test"


@dataclass
class Outcome:
    """One system on one question. ``None`` fields were not measured (n/a)."""

    ranking: list[str] = field(default_factory=list)
    query: str = ""
    answer: str | None = None
    cited: list[str] | None = None
    abstained: bool | None = None
    mode: str | None = None
    retrieval_s: float | None = None
    first_token_s: float | None = None
    total_s: float | None = None
    error: str | None = None


# ---- question file ----------------------------------------------------------------------
def _strings(value, what: str, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise EvalInputError(f"{where}: {what} must be a list of strings")
    return tuple(value)


QUESTION_KEYS = frozenset({"id", "type", "question", "history", "gold_titles", "keypoints", "notes"})


def parse_question(record, where: str, number: int) -> Question:
    if not isinstance(record, dict):
        raise EvalInputError(f"{where}: expected a JSON object with a 'question'")
    unknown = sorted(set(record) - QUESTION_KEYS)
    if unknown:  # a misspelt "gold_title" would silently make the question unanswerable
        raise EvalInputError(f"{where}: unknown key(s) {', '.join(map(repr, unknown))}; the keys are "
                             f"{', '.join(sorted(QUESTION_KEYS))}")
    text = record.get("question")
    if not isinstance(text, str) or not text.strip():
        raise EvalInputError(f"{where}: 'question' must be a non-empty string")
    history = record.get("history") or []
    if not isinstance(history, list) or not all(
            isinstance(t, (list, tuple)) and len(t) == 2 and all(isinstance(x, str) for x in t) for t in history):
        raise EvalInputError(f"{where}: 'history' must be a list of [question, answer] string pairs")
    gold = _strings(record.get("gold_titles") or [], "'gold_titles'", where)
    keypoints = []
    for group in record.get("keypoints") or []:
        keypoints.append((group,) if isinstance(group, str) else _strings(group, "each keypoint", where))
    if not isinstance(record.get("keypoints") or [], list):
        raise EvalInputError(f"{where}: 'keypoints' must be a list of lists of strings")
    qtype = record.get("type") or ("unanswerable" if not gold else "answerable")
    if not isinstance(qtype, str):
        raise EvalInputError(f"{where}: 'type' must be a string")
    qid = record.get("id")
    qid = str(qid) if qid not in (None, "") else f"q{number:04d}"
    return Question(qid, qtype, text, tuple((q, a) for q, a in history), gold, tuple(keypoints))


def load_questions(path: str | Path) -> list[Question]:
    """Parse a JSONL question file; any problem raises ``EvalInputError`` naming file and line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise EvalInputError(f"{path}: question file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise EvalInputError(f"{path}: cannot read the question file ({exc})") from None
    questions, ids = [], set()
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{line_no}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EvalInputError(f"{where}: invalid JSON ({exc.msg} at column {exc.colno})") from None
        question = parse_question(record, where, len(questions) + 1)
        if question.id in ids:
            raise EvalInputError(f"{where}: duplicate question id {question.id!r}")
        ids.add(question.id)
        questions.append(question)
    if not questions:
        raise EvalInputError(f"{path}: no questions in the file (expected one JSON object per line)")
    styles = load_styles(path)
    return [replace(q, style=styles.get(q.id, "")) for q in questions] if styles else questions


def load_styles(path: Path) -> dict[str, str]:
    """Each question's sub-type from ``qmeta.json`` beside the question file (``{"id": "near_miss",
    ...}``, as the eval collections' writers give them), or nothing when there is none."""
    meta = Path(path).with_name("qmeta.json")
    if not meta.is_file():
        return {}
    try:
        styles = json.loads(meta.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise EvalInputError(f"{meta}: cannot read the question sub-types ({exc})") from None
    if not isinstance(styles, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in styles.items()):
        raise EvalInputError(f"{meta}: expected a JSON object mapping question ids to sub-type names")
    return styles


def select(questions: list[Question], types: str | None = None, limit: int | None = None) -> list[Question]:
    """Filter by type; ``limit`` takes questions round-robin across types (file order within a type)."""
    if types:
        wanted = [t.strip() for t in types.split(",") if t.strip()]
        if not wanted:
            raise EvalInputError(f"--types {types!r} names no question type; give e.g. --types single_fact,summary")
        known = sorted({q.type for q in questions})
        unknown = [t for t in wanted if t not in known]
        if unknown:
            raise EvalInputError(f"unknown question type(s) {', '.join(unknown)}; the file has: {', '.join(known)}")
        questions = [q for q in questions if q.type in wanted]
    if limit is not None and limit < len(questions):
        by_type: dict[str, list[Question]] = {}
        for q in questions:
            by_type.setdefault(q.type, []).append(q)
        picked: list[Question] = []
        while len(picked) < limit:
            for group in by_type.values():
                if group and len(picked) < limit:
                    picked.append(group.pop(0))
        order = {id(q): i for i, q in enumerate(questions)}
        questions = sorted(picked, key=lambda q: order[id(q)])
    return questions


# ---- running the systems ----------------------------------------------------------------
def _progress(items, desc: str, enabled: bool):
    from tqdm import tqdm

    return tqdm(items, desc=f"{desc:>9}", unit="q", file=sys.stderr, disable=not enabled, dynamic_ncols=True)


def _standalone(assistant, q: Question) -> str:
    """The retrieval query the assistant uses (follow-ups condensed): its first ``Sources`` event."""
    if not q.history:
        return q.question
    from .types import Sources

    stream = assistant.stream(q.question, history=list(q.history))
    try:
        for event in stream:
            if isinstance(event, Sources):
                return event.query
    finally:
        stream.close()
    return q.question


def _titles(hits) -> list[str]:
    return [h.title for h in hits]


def run_ours(assistant, questions: Sequence[Question], retrieval_only: bool, progress: bool) -> list[Outcome]:
    outcomes = []
    for q in _progress(questions, "ours", progress):
        try:
            if retrieval_only:
                query = _standalone(assistant, q)
                start = time.perf_counter()
                hits = assistant.retrieve(query, k=RETRIEVAL_K)
                outcomes.append(Outcome(_titles(hits), query, retrieval_s=time.perf_counter() - start))
                continue
            answer = assistant.ask(q.question, history=list(q.history))
            query = answer.query or q.question
            ranking = _titles(assistant.retrieve(query, k=RETRIEVAL_K))  # the same ranking, deeper than sources
            t = answer.timings
            outcomes.append(Outcome(ranking, query, answer.text, [c.title for c in answer.citations],
                                    bool(answer.abstained), answer.mode, t.retrieval_s, t.first_token_s, t.total_s))
        except RagAssistantError as exc:
            outcomes.append(Outcome(error=str(exc)))
    return outcomes


def run_bm25(bm25, questions: Sequence[Question], progress: bool) -> list[Outcome]:
    outcomes = []
    for q in _progress(questions, "bm25", progress):
        start = time.perf_counter()
        ranking = bm25.search(q.question, k=RETRIEVAL_K)
        outcomes.append(Outcome(ranking, q.question, retrieval_s=time.perf_counter() - start))
    return outcomes


def run_stock(stock, questions: Sequence[Question], generator, config: Config, retrieval_only: bool,
              progress: bool) -> list[Outcome]:
    outcomes = []
    for q in _progress(questions, "langchain", progress):
        if retrieval_only or generator is None:
            start = time.perf_counter()
            ranking = stock.ranking(q.question)
            outcomes.append(Outcome(ranking, q.question, retrieval_s=time.perf_counter() - start))
            continue
        a = stock.answer(q.question, generator, config.prompts_dir, config.llm_max_tokens)
        outcomes.append(Outcome(a.ranking, q.question, a.text, a.cited, False, "stock", a.retrieval_s,
                                a.first_token_s, a.total_s))
    return outcomes


# ---- scoring ----------------------------------------------------------------------------
def score(q: Question, o: Outcome) -> dict[str, float | None]:
    """Per-question metrics; None = not applicable (no gold, not measured, nothing cited)."""
    gold = list(q.gold_titles)
    s: dict[str, float | None] = {f"recall@{k}": M.recall_at_k(o.ranking, gold, k) for k in RECALL_KS}
    s["mrr"] = M.reciprocal_rank(o.ranking, gold)
    s["ndcg@10"] = M.ndcg_at_k(o.ranking, gold, 10)
    answered = o.answer is not None and o.error is None
    if answered and q.answerable:
        cited = [] if o.abstained else (o.cited or [])
        s["citation_precision"] = M.citation_precision(cited, gold)
        s["citation_recall"] = M.citation_recall(cited, gold)
        coverage = M.keypoint_coverage("" if o.abstained else o.answer, q.keypoints)
        s["keypoint_coverage"] = coverage
    else:
        s["citation_precision"] = s["citation_recall"] = s["keypoint_coverage"] = None
    return s


LATENCY = (("retrieval_ms", "retrieval_s", 1000.0), ("ttft_s", "first_token_s", 1.0), ("total_s", "total_s", 1.0))
MEAN_METRICS = ("recall@1", "recall@5", "recall@10", "mrr", "ndcg@10", "citation_precision", "citation_recall",
                "keypoint_coverage")


def aggregate(questions: Sequence[Question], outcomes: Sequence[Outcome], scores: Sequence[dict]) -> dict:
    """Means of per-question metrics, abstention rates and latency percentiles."""
    result: dict = {"questions": len(questions), "answerable": sum(q.answerable for q in questions),
                    "errors": sum(o.error is not None for o in outcomes)}
    for name in MEAN_METRICS:
        result[name] = M.mean(s[name] for s in scores)
    result["cited_questions"] = M.count_defined(s["citation_precision"] for s in scores)
    judged = [(q, o) for q, o in zip(questions, outcomes) if o.abstained is not None and o.error is None]
    flags, answerable = [o.abstained for _, o in judged], [q.answerable for q, _ in judged]
    result["abstention_accuracy"] = M.abstention_accuracy(flags, answerable) if judged else None
    result["false_abstention_rate"] = M.false_abstention_rate(flags, answerable) if judged else None
    result["unanswerable_abstention"] = M.unanswerable_abstention_rate(flags, answerable) if judged else None
    for label, attr, scale in LATENCY:
        values = [getattr(o, attr) * scale for o in outcomes if getattr(o, attr) is not None]
        result[f"{label}_p50"] = M.percentile(values, 50)
        result[f"{label}_p95"] = M.percentile(values, 95)
    modes: dict[str, int] = {}
    for o in outcomes:
        if o.mode:
            modes[o.mode] = modes.get(o.mode, 0) + 1
    result["modes"] = modes
    return result


def _grouped(questions: Sequence[Question], outcomes: Sequence[Outcome], scores: Sequence[dict], attribute: str,
             values: Sequence[str]) -> dict:
    """{value: aggregate of the questions whose ``attribute`` is that value}, for each of ``values``."""
    groups = {}
    for value in values:
        idx = [i for i, q in enumerate(questions) if getattr(q, attribute) == value]
        groups[value] = aggregate([questions[i] for i in idx], [outcomes[i] for i in idx], [scores[i] for i in idx])
    return groups


def summarize(questions: Sequence[Question], runs: dict[str, list[Outcome]]) -> dict:
    """{system: {"overall": {...}, "by_type": {type: {...}}, "by_split": ..., "by_style": ...}} plus
    per-question scores."""
    slices = (("by_type", "type", list(dict.fromkeys(q.type for q in questions))),
              ("by_split", "split", [h for h in ("tune", "test") if any(q.split == h for q in questions)]),
              ("by_style", "style", sorted({q.style for q in questions if q.style})))
    systems = {}
    for system, outcomes in runs.items():
        scores = [score(q, o) for q, o in zip(questions, outcomes)]
        systems[system] = {"overall": aggregate(questions, outcomes, scores), "scores": scores}
        systems[system] |= {name: _grouped(questions, outcomes, scores, attribute, values)
                            for name, attribute, values in slices}
    return systems


def recall_curve(questions: Sequence[Question], outcomes: Sequence[Outcome], max_k: int = RETRIEVAL_K):
    return [M.mean(M.recall_at_k(o.ranking, list(q.gold_titles), k) for q, o in zip(questions, outcomes))
            for k in range(1, max_k + 1)]


def _load() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def collection_config(config: Config, folder: Path, questions: Path | None = None) -> tuple[Config, Path]:
    """The config for an evaluation collection folder (``papers.jsonl``, ``questions.jsonl``): its
    own index under the data dir, named after the folder."""
    folder = Path(folder)
    papers = folder / "papers.jsonl"
    if not papers.is_file():
        raise EvalInputError(f"--collection-dir {folder}: no papers.jsonl there")
    name = "".join(ch if ch.isalnum() or ch in "._-" else "-" for ch in folder.name).strip("-._") or "collection"
    name = name if len(name) >= 3 else f"{name}-collection"
    questions = questions if questions not in (None, DEFAULT_QUESTIONS) else folder / "questions.jsonl"
    return config.replace(data_dir=Path(config.data_dir) / "collections" / name, corpus_paths=(papers,),
                          collection=name), questions


def evaluate(config: Config, questions: list[Question], *, retrieval_only: bool = False,
             baselines: Sequence[str] = (), progress: bool = True, log=print,
             default_calibration: bool = False) -> dict:
    """Run every system over ``questions``; returns the runs, the summary and timings."""
    from .assistant import Assistant

    started = time.perf_counter()
    load_start = _load()
    assistant = Assistant.from_config(config, progress=progress)
    if default_calibration:
        from .answerability import load_model

        assistant.use_model(load_model())
    known = {M.normalize_title(p.title) for p in assistant.papers.values()}
    missing = {t for q in questions for t in q.gold_titles if M.normalize_title(t) not in known}
    if missing:
        log(f"warning: {len(missing)} gold title(s) are not in the collection, e.g. {sorted(missing)[0]!r}")
    assistant.retrieve("warm up the embedding model", k=1)
    assistant.warm_up(generator=not retrieval_only)
    generator = None if retrieval_only else assistant.generator
    runs: dict[str, list[Outcome]] = {}
    seconds: dict[str, float] = {}
    t = time.perf_counter()
    runs["ours"] = run_ours(assistant, questions, retrieval_only, progress)
    seconds["ours"] = time.perf_counter() - t
    papers = list(assistant.papers.values())
    if "bm25" in baselines:
        from .baselines import BM25Baseline

        t = time.perf_counter()
        runs["bm25"] = run_bm25(BM25Baseline(papers), questions, progress)
        seconds["bm25"] = time.perf_counter() - t
    if "langchain" in baselines:
        from .baselines import StockRecipe

        t = time.perf_counter()
        log("Building the stock LangChain index (splitter 800/100, HuggingFaceEmbeddings, Chroma)...")
        stock = StockRecipe.build(papers, assistant.embedder.model_path)
        try:
            stock.ranking("warm up the embedding model")
            if generator is None and not retrieval_only:
                log("note: no LLM configured (--generator extractive): the stock recipe is scored on retrieval only")
            runs["langchain"] = run_stock(stock, questions, generator, config, retrieval_only, progress)
        finally:
            stock.close()
        seconds["langchain"] = time.perf_counter() - t
    curves = {name: recall_curve(questions, outcomes) for name, outcomes in runs.items()}
    return {"runs": runs, "systems": summarize(questions, runs), "recall_curves": curves, "seconds": seconds,
            "runtime_s": time.perf_counter() - started, "load_average": [load_start, _load()],
            "setup": {"generator": config.generator if not retrieval_only else "none (retrieval only)",
                      "llm_model": getattr(generator, "name", None) or ("-" if generator is None else config.llm_model),
                      "papers": len(assistant.papers), "embedder": assistant.embedder.name,
                      "llm_max_tokens": config.llm_max_tokens,
                      "answerability": assistant.answerability.model.origin}}
