"""Fit retrieval's fusion weights (``retrieval.COVERAGE_WEIGHT``, ``NAME_WEIGHT``) on tune halves.

    .venv/bin/python scripts/fit_fusion.py

For every answerable question in the tune half of each question file (and of each collection
under eval/collections/), the retrieval query the assistant would use (follow-ups condensed) and
each candidate paper's signals (``HybridRetriever.signals``: dense score, coverage of the query's
rarity-weighted words, holds a rare name from the query). A pairwise logistic regression without
intercept learns to put each gold paper above each other candidate of its question; its weights,
divided by the dense score's, are the fusion weights. Printed with a leave-one-file-out check
(fitted on the other files, scored on the one left out) so a weight that only suits one file shows.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rag_assistant import metrics as M  # noqa: E402
from rag_assistant.assistant import Assistant  # noqa: E402
from rag_assistant.config import Config, apply_offline_env  # noqa: E402
from rag_assistant.evaluation import collection_config, load_questions  # noqa: E402

FILES = ("dev_questions", "second_questions", "third_questions", "paraphrase_questions")


def examples(assistant: Assistant, questions_path: Path) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per tune-half question: (candidates' signals as rows, whether each is a gold paper)."""
    out = []
    for q in load_questions(questions_path):
        if q.split != "tune" or not q.answerable:
            continue
        query = assistant.standalone_query(q.question, [tuple(h) for h in q.history][-4:])
        signals = assistant.retriever.signals(query)
        gold = {M.normalize_title(t) for t in q.gold_titles}
        labels = np.array([M.normalize_title(assistant.papers[pid].title) in gold for pid in signals])
        if labels.any() and not labels.all():
            out.append((np.array([[d, c, float(n)] for d, c, n in signals.values()]), labels))
    return out


def fit(groups) -> np.ndarray:
    """Pairwise logistic regression: weights (dense, coverage, name) scaled to dense = 1."""
    from sklearn.linear_model import LogisticRegression

    diffs = np.concatenate([(x[y][:, None, :] - x[~y][None, :, :]).reshape(-1, x.shape[1]) for x, y in groups])
    X = np.concatenate([diffs, -diffs])
    y = np.r_[np.ones(len(diffs)), np.zeros(len(diffs))]
    weights = LogisticRegression(C=1.0, fit_intercept=False, max_iter=5000).fit(X, y).coef_[0]
    return weights / weights[0]


def mrr(groups, weights: np.ndarray) -> float:
    return float(np.mean([1.0 / (1 + int(np.sum(x @ weights > (x @ weights)[y].max()))) for x, y in groups]))


def main() -> int:
    apply_offline_env()
    config = Config.from_env(generator="extractive")
    data = {name: examples(Assistant.from_config(config), ROOT / "eval" / f"{name}.jsonl") for name in FILES}
    for folder in sorted((ROOT / "eval" / "collections").iterdir()):
        if (folder / "questions.jsonl").is_file():
            cfg, questions = collection_config(config, folder)
            data[folder.name] = examples(Assistant.from_config(cfg), questions)
    weights = fit([g for groups in data.values() for g in groups])
    print(f"fitted on {sum(map(len, data.values()))} tune-half questions: dense 1, coverage {weights[1]:.3f}, "
          f"name {weights[2]:.3f}")
    print("leave one file out (MRR over candidates, first gold paper):")
    for held in data:
        w = fit([g for name, groups in data.items() if name != held for g in groups])
        print(f"  {held:22s} coverage {w[1]:.3f} name {w[2]:.3f}  MRR {mrr(data[held], w):.3f} "
              f"(dense alone {mrr(data[held], np.array([1.0, 0.0, 0.0])):.3f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
