"""Report files for ``eval``: summary.json, per_question.jsonl, report.md and PNG plots."""
from __future__ import annotations

import json
import os
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Sequence

SYSTEM_LABELS = {"ours": "rag_assistant", "bm25": "BM25 only", "langchain": "stock LangChain"}

# (label, key, kind): kind "frac" = 0..1 score, "ms"/"s" = latency, "int" = count
ROWS = (
    ("Recall@1", "recall@1", "frac"),
    ("Recall@5", "recall@5", "frac"),
    ("Recall@10", "recall@10", "frac"),
    ("MRR", "mrr", "frac"),
    ("nDCG@10", "ndcg@10", "frac"),
    ("Citation precision", "citation_precision", "frac"),
    ("Citation recall", "citation_recall", "frac"),
    ("Keypoint coverage", "keypoint_coverage", "frac"),
    ("Abstention accuracy (all)", "abstention_accuracy", "frac"),
    ("False-abstention rate (answerable)", "false_abstention_rate", "frac"),
    ("Abstained on unanswerable", "unanswerable_abstention", "frac"),
    ("Retrieval p50 (ms)", "retrieval_ms_p50", "ms"),
    ("Retrieval p95 (ms)", "retrieval_ms_p95", "ms"),
    ("Time to first token p50 (s)", "ttft_s_p50", "s"),
    ("Time to first token p95 (s)", "ttft_s_p95", "s"),
    ("Total answer time p50 (s)", "total_s_p50", "s"),
    ("Total answer time p95 (s)", "total_s_p95", "s"),
    ("Questions / answerable", None, "count"),
    ("Answers with >= 1 citation (answerable)", "cited_questions", "int"),
    ("Errors", "errors", "int"),
)


def fmt(value, kind: str = "frac") -> str:
    if value is None:
        return "n/a"
    if kind == "frac":
        return f"{value:.3f}"
    if kind == "ms":
        return f"{value:.1f}"
    if kind == "s":
        return f"{value:.2f}"
    return str(value)


def md_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" if i == 0 else "---:" for i in
                                                              range(len(headers))) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def metrics_table(blocks: dict[str, dict]) -> str:
    """Metrics (rows) x systems (columns) for one slice of questions; rows n/a for every system are left out."""
    names = list(blocks)
    rows = []
    for label, key, kind in ROWS:
        if key is None:
            rows.append([label] + [f"{b['questions']} / {b['answerable']}" for b in blocks.values()])
        elif any(blocks[n].get(key) is not None for n in names) or kind == "int":
            rows.append([label] + [fmt(blocks[n].get(key), kind) for n in names])
    return md_table(["Metric"] + [SYSTEM_LABELS.get(n, n) for n in names], rows)


DEFINITIONS = """\
Definitions (see `rag_assistant/metrics.py`). Retrieval metrics use answerable questions only and the
top 10 distinct papers (a repeated title counts once): Recall@k = share of a question's gold papers in the
top k (multi-gold questions get partial credit), MRR = 1/rank of the first gold paper, nDCG@10 with binary
relevance. Citation precision = cited gold papers / cited papers, averaged over answerable questions whose
answer cites something; citation recall = cited gold papers / gold papers (0 when nothing is cited).
Keypoint coverage = share of keypoint groups with any alternative in the answer text (case and whitespace
ignored; an abstention covers nothing). Abstention accuracy = share of all questions where
"abstained" equals "unanswerable". Latencies are per question: retrieval (query embedding included), time to
first answer token and total answer time, both from the moment the question is asked.
The stock LangChain recipe retrieves 4 chunks, so its ranking holds at most 4 papers (Recall@5/10 are capped);
its citations are the chunks its answer names by [n] marker or title, unverified; it never abstains.
BM25 only ranks papers; its answer metrics are n/a."""


def render_markdown(questions, result: dict, args: dict, created: str) -> str:
    systems = result["systems"]
    setup = result["setup"]
    counts: dict[str, int] = {}
    for q in questions:
        counts[q.type] = counts.get(q.type, 0) + 1
    lines = [
        "# Evaluation report", "",
        f"- Created: {created}; questions: `{args.get('questions')}` ({len(questions)} questions: "
        + ", ".join(f"{t} {n}" for t, n in counts.items()) + ")",
        f"- Mode: {'retrieval only' if args.get('retrieval_only') else 'full answers'}; "
        f"generator: {setup['generator']} ({setup['llm_model']}), max {setup['llm_max_tokens']} new tokens; "
        f"embedder: {setup['embedder']}; collection: {setup['papers']} papers",
        f"- Runtime: {result['runtime_s']:.0f} s in all ("
        + ", ".join(f"{SYSTEM_LABELS.get(n, n)} {s:.0f} s" for n, s in result["seconds"].items()) + "); "
        f"load average at start / end {result.get('load_average', ['n/a', 'n/a'])[0]} / "
        f"{result.get('load_average', ['n/a', 'n/a'])[1]} on {os.cpu_count()} cores",
    ]
    ours_modes = systems.get("ours", {}).get("overall", {}).get("modes")
    if ours_modes:
        lines.append("- rag_assistant answer modes: " + ", ".join(f"{m} {n}" for m, n in sorted(ours_modes.items())))
    if setup.get("answerability"):
        lines.append(f"- Answerability model: {setup['answerability']}")
    lines += ["", "## Overall", "", metrics_table({n: s["overall"] for n, s in systems.items()}), ""]
    for half in ("tune", "test"):
        blocks = {n: s["by_split"][half] for n, s in systems.items() if half in s.get("by_split", {})}
        if blocks:
            size = sum(q.split == half for q in questions)
            lines += [f"### {half} half ({size} questions; split by a hash of the id)", "", metrics_table(blocks), ""]
    lines += [
              "![Recall@k](recall_at_k.png)", "", "![Latency](latency.png)", "", DEFINITIONS, "",
              "## By question type", ""]
    for qtype in counts:
        blocks = {n: s["by_type"][qtype] for n, s in systems.items()}
        lines += [f"### {qtype} ({counts[qtype]} questions)", "", metrics_table(blocks), ""]
    lines += ["![Recall@5 by type](recall_by_type.png)", ""]
    lines += style_table(questions, result["runs"])
    return "\n".join(lines)


def style_counts(questions, outcomes) -> dict[tuple[str, str], list[int]]:
    """{(sub-type, half): [decided right, decided]} over the questions with a sub-type that a system
    decided (answered or refused, no error); "all" is the half that counts both. Right: answered
    if answerable, refused if not.

    >>> from rag_assistant.evaluation import Outcome, Question
    >>> qs = [Question("q001", "t", "?", style="near_miss"), Question("q002", "t", "?", gold_titles=("T",),
    ...       style="terse")]
    >>> style_counts(qs, [Outcome(abstained=False), Outcome(abstained=False)])[("near_miss", "all")]
    [0, 1]
    """
    counts: dict[tuple[str, str], list[int]] = {}
    for q, o in zip(questions, outcomes):
        if not q.style or o.abstained is None or o.error is not None:
            continue
        for half in ("all", q.split):
            tally = counts.setdefault((q.style, half), [0, 0])
            tally[0] += o.abstained != q.answerable
            tally[1] += 1
    return counts


def style_rows(questions, counts: dict[tuple[str, str], list[int]], label: str = "") -> list[list[str]]:
    """Table rows (sub-type, whether its questions are answerable, [label,] all, tune, test)."""
    rows = []
    for style in sorted({q.style for q in questions if q.style}):
        if (style, "all") not in counts:
            continue
        answerable = {q.answerable for q in questions if q.style == style}
        kind = "mixed" if len(answerable) > 1 else "answerable" if answerable == {True} else "unanswerable"
        cells = [f"{counts[(style, h)][0]}/{counts[(style, h)][1]}" if (style, h) in counts else "n/a"
                 for h in ("all", "tune", "test")]
        rows.append([style, kind] + ([label] if label else []) + cells)
    return rows


STYLE_NOTE = "Questions decided right (answered if answerable, refused if not) of those decided."


def style_table(questions, runs: dict) -> list[str]:
    """The report's section per sub-type (``qmeta.json``), for each system that decides (BM25, the
    stock recipe and a retrieval-only run never refuse, and are left out)."""
    rows = []
    for name, outcomes in runs.items():
        rows += style_rows(questions, style_counts(questions, outcomes), SYSTEM_LABELS.get(name, name))
    if not rows:
        return []
    return ["## By sub-type (`qmeta.json`)", "", STYLE_NOTE, "",
            md_table(["sub-type", "questions are", "system", "all", "tune half", "test half"], rows), ""]


def _plots(out: Path, questions, result: dict) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(result["runs"])
    labels = [SYSTEM_LABELS.get(n, n) for n in names]
    paths = []
    for filename, draw in (("recall_at_k.png", _plot_recall_curves), ("latency.png", _plot_latency),
                           ("recall_by_type.png", _plot_recall_by_type)):
        fig = draw(plt, names, labels, questions, result)
        fig.tight_layout()
        paths.append(out / filename)
        fig.savefig(paths[-1], dpi=110)
        plt.close(fig)
    return paths


def _plot_recall_curves(plt, names, labels, questions, result: dict):
    fig, ax = plt.subplots(figsize=(6, 4))
    for name, label in zip(names, labels):
        curve = result["recall_curves"][name]
        ax.plot(range(1, len(curve) + 1), [c if c is not None else float("nan") for c in curve], marker="o",
                label=label)
    ax.set_xlabel("k (papers)")
    ax.set_ylabel("mean Recall@k (answerable questions)")
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend()
    return fig


def _plot_latency(plt, names, labels, questions, result: dict):
    fig, axes = plt.subplots(1, 3, figsize=(12, 4))
    for ax, (attr, title, scale) in zip(axes, (("retrieval_s", "retrieval (ms)", 1000.0),
                                               ("first_token_s", "time to first token (s)", 1.0),
                                               ("total_s", "total answer time (s)", 1.0))):
        data, ticks = [], []
        for name, label in zip(names, labels):
            values = [getattr(o, attr) * scale for o in result["runs"][name] if getattr(o, attr) is not None]
            if values:
                data.append(values)
                ticks.append(label)
        if data:
            ax.boxplot(data, showfliers=True)
            ax.set_xticks(range(1, len(ticks) + 1), ticks, fontsize=8)
        else:
            ax.text(0.5, 0.5, "not measured", ha="center", va="center", transform=ax.transAxes)
        ax.set_title(title)
        ax.grid(alpha=0.3, axis="y")
    return fig


def _plot_recall_by_type(plt, names, labels, questions, result: dict):
    types = [t for t in dict.fromkeys(q.type for q in questions) if any(q.type == t and q.answerable
                                                                         for q in questions)]
    fig, ax = plt.subplots(figsize=(max(6, 1.2 * len(types) + 2), 4))
    width = 0.8 / max(1, len(names))
    for i, (name, label) in enumerate(zip(names, labels)):
        values = [result["systems"][name]["by_type"][t].get("recall@5") or 0.0 for t in types]
        ax.bar([x + i * width for x in range(len(types))], values, width, label=label)
    ax.set_xticks([x + width * (len(names) - 1) / 2 for x in range(len(types))], types, fontsize=8)
    ax.set_ylabel("Recall@5")
    ax.set_ylim(0, 1.05)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, axis="y")
    return fig


def write_eval_report(out: Path, questions, result: dict, args: dict) -> dict[str, Path]:
    """Write every report file into ``out``; returns {kind: path}."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    created = datetime.now().isoformat(timespec="seconds")
    systems = result["systems"]
    summary = {
        "created": created,
        "args": args,
        "setup": result["setup"],
        "questions": {"count": len(questions), "answerable": sum(q.answerable for q in questions),
                      "by_type": {t: sum(q.type == t for q in questions) for t in dict.fromkeys(q.type
                                                                                     for q in questions)}},
        "runtime_s": result["runtime_s"],
        "load_average": result.get("load_average"),
        "system_seconds": result["seconds"],
        "systems": {n: {"overall": s["overall"], "by_type": s["by_type"], "by_split": s.get("by_split", {}),
                        "by_style": s.get("by_style", {})} for n, s in systems.items()},
        "recall_curves": result["recall_curves"],
    }
    paths = {"summary": out / "summary.json", "per_question": out / "per_question.jsonl", "report": out / "report.md"}
    paths["summary"].write_text(json.dumps(summary, indent=2, default=str) + "\n", encoding="utf-8")
    with paths["per_question"].open("w", encoding="utf-8") as f:
        for i, q in enumerate(questions):
            record = {"id": q.id, "split": q.split, "type": q.type, "question": q.question, "history": q.history,
                      "gold_titles": q.gold_titles, "answerable": q.answerable, "systems": {}}
            if q.style:
                record["style"] = q.style
            for name, outcomes in result["runs"].items():
                record["systems"][name] = asdict(outcomes[i]) | {"metrics": systems[name]["scores"][i]}
            f.write(json.dumps(record, default=str, ensure_ascii=False) + "\n")
    paths["report"].write_text(render_markdown(questions, result, args, created), encoding="utf-8")
    for path in _plots(out, questions, result):
        paths[path.stem] = path
    return paths
