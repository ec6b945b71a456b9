"""Fit the answerability model: on labelled questions, or on a collection nobody labelled.

A collection without labels calibrates itself (``rag-assistant calibrate``):
- in-collection questions: the content words of one sentence of a sampled abstract, as a
  researcher's keyword search for what it says; an example counts only when retrieval finds its
  paper;
- near misses: the same questions with their paper left out of the collection, so the closest
  papers are neighbours that cover the sub-topic but not the answer;
- general knowledge: a packaged list of questions across fields (``general_questions.txt``)
  that a collection of abstracts does not answer.
These examples are easier than real questions (their words are the abstract's), so they do not
train the model's weights: those come from labelled questions. They place its decision boundary
(``calibrate``). The model is stored per collection (``calibration_path``) and used from then on.
"""
from __future__ import annotations

import random
from dataclasses import replace
import re
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Iterable, Sequence

from .answerability import FEATURES, Model, fit, fit_logit_map, load_model
from .config import PROJECT_ROOT, Config
from .corpus import normalize_title
from .evidence import own_work_start
from .routing import QuestionKind
from .terms import content_words

GENERAL_QUESTIONS = Path(__file__).with_name("general_questions.txt")
_BOILERPLATE = re.compile(r"https?://|github|\bcode\b.{0,40}\bavailable\b", re.IGNORECASE)


def calibration_path(config: Config) -> Path:
    """Where a collection's own calibration lives."""
    return Path(config.data_dir) / "calibration" / f"{config.collection}.json"


def general_questions() -> list[str]:
    lines = GENERAL_QUESTIONS.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT_ROOT, capture_output=True,
                             text=True, timeout=5)
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


# ---- labelled questions ---------------------------------------------------------------------
def labelled_examples(assistant, questions: Iterable) -> tuple[list[dict], list[int]]:
    """Features and labels of labelled questions (``evaluation.Question``): 1 when the collection
    answers it and retrieval puts a gold paper first (for a list, among the first three), 0 when
    the collection does not answer it. An answerable question whose papers retrieval misses is
    left out: answering it would cite the wrong paper, refusing it would be wrong too."""
    rows, labels = [], []
    for q in questions:
        a = assistant.assess(q.question, q.history)
        if a.decision is None:
            continue
        if not q.gold_titles:
            rows.append(a.decision.features)
            labels.append(0)
            continue
        gold = {normalize_title(t) for t in q.gold_titles}
        window = 3 if a.kind is QuestionKind.LIST else 1
        if any(normalize_title(h.title) in gold for h in a.hits[:window]):
            rows.append(a.decision.features)
            labels.append(1)
    return rows, labels


def fit_labelled(assistant, question_files: Sequence[Path], split: str = "tune") -> Model:
    """The default model: fitted on the ``split`` halves of labelled question files."""
    from .evaluation import load_questions

    rows, labels, names = [], [], []
    for path in question_files:
        questions = [q for q in load_questions(path) if split == "all" or q.split == split]
        r, y = labelled_examples(assistant, questions)
        rows += r
        labels += y
        names.append(f"{Path(path).name} ({len(r)})")
    origin = (f"fitted {date.today().isoformat()} at commit {commit()} on the {split} halves of "
              f"{', '.join(names)}: {sum(labels)} answerable, {len(labels) - sum(labels)} not")
    model = fit(rows, labels, origin)
    return replace(model, reference=_logit_map(model, assistant))


def _logit_map(model: Model, assistant, **options) -> tuple[float, float]:
    rows, labels, _ = synthetic_examples(assistant, **options)
    return fit_logit_map([model.logit(r) for r in rows], labels)


# ---- a collection's own questions -----------------------------------------------------------
def keyword_question(sentence: str, limit: int = 10) -> str:
    """A question made of a sentence's content words (figures left out: they are the answer): a
    researcher's keyword search for what the sentence says.

    >>> keyword_question("We find that 64 experts per layer improve BLEU by 2 points.")
    'find experts per layer improve bleu points?'
    """
    words = [w.lower() for w in re.findall(r"[A-Za-z][\w-]*", sentence) if content_words(w)]
    return " ".join(list(dict.fromkeys(words))[:limit]) + "?"


def _sentence(abstract_sentences: Sequence[str], rng: random.Random) -> str | None:
    """A sentence of the paper's own work, long enough to ask about."""
    own = list(abstract_sentences[own_work_start(abstract_sentences):])
    usable = [s for s in own if len(s.split()) >= 8 and not _BOILERPLATE.search(s)]
    return rng.choice(usable) if usable else None


def synthetic_examples(assistant, papers: int = 120, general: int = 200, seed: int = 0,
                       progress: bool = False) -> tuple[list[dict], list[int], dict[str, int]]:
    """Labelled examples derived from the collection itself (see the module docstring)."""
    rng = random.Random(seed)
    ids = sorted(assistant.papers)
    sample = rng.sample(ids, min(papers, len(ids)))
    rows, labels = [], []
    counts = {"in_collection": 0, "left_out": 0, "general": 0}
    for n, pid in enumerate(sample, start=1):
        if progress and (n % 10 == 0 or n == len(sample)):
            print(f"\rcalibrate: {n}/{len(sample)} papers", end="", file=sys.stderr, flush=True)
        sentences, _ = assistant.sentences.sentences(pid)
        sentence = _sentence(sentences, rng)
        question = keyword_question(sentence) if sentence else ""
        if len(question.split()) < 3:
            continue
        found = assistant.assess(question)
        if found.decision is None or not found.hits or found.hits[0].paper_id != pid:
            continue
        missing = assistant.assess(question, exclude=[pid])
        rows += [found.decision.features, missing.decision.features]
        labels += [1, 0]
        counts["in_collection"] += 1
        counts["left_out"] += 1
    if progress:
        print(file=sys.stderr)
    pool = general_questions()
    for question in rng.sample(pool, min(general, len(pool))):
        a = assistant.assess(question)
        if a.decision is not None:
            rows.append(a.decision.features)
            labels.append(0)
            counts["general"] += 1
    return rows, labels, counts


CHANGE_TO_RECALIBRATE = 0.2  # a collection whose paper count moved this much since its calibration


def needs_calibration(assistant, min_papers: int = 20) -> bool:
    """Whether an ingest changed the collection enough to calibrate it (again): no calibration of its
    own yet, or a paper count 20% away from the one it was calibrated at. A collection under
    ``min_papers`` papers is too small to derive questions from and keeps the packaged model."""
    count = len(assistant.papers)
    if count < min_papers:
        return False
    path = calibration_path(assistant.config)
    if not path.exists():
        return True
    try:
        calibrated_at = Model.load(path).papers
    except (OSError, ValueError, TypeError, KeyError):
        return True
    return abs(count - calibrated_at) > CHANGE_TO_RECALIBRATE * max(1, calibrated_at)


def calibrate(assistant, base: Model | None = None, progress: bool = False, **options) -> Model:
    """Calibrate the packaged model (``base``) to this collection, save it for the collection and use
    it from now on. The feature weights stay those fitted on labelled questions; the decision
    boundary moves so that it sits where it sits on the labelled collection relative to each
    collection's own derived questions: both collections' logits are mapped to those questions'
    labels by a logistic fit, and the boundary goes to the logit the new collection maps to the
    same value as the labelled collection's boundary."""
    base = base or load_model()
    if len(base.reference) != 2:
        raise ValueError("the packaged answerability model has no reference calibration; refit it with "
                         "`rag-assistant calibrate --questions ...`")
    rows, labels, counts = synthetic_examples(assistant, progress=progress, **options)
    if counts["in_collection"] < 5:
        raise ValueError(f"calibration found only {counts['in_collection']} of its questions' papers: the "
                         "collection is too small or too uniform to calibrate; the default calibration stays")
    slope, intercept = fit_logit_map([base.logit(r) for r in rows], labels)
    _, ref_intercept = base.reference
    if slope <= 0:
        raise ValueError("the derived questions do not separate on this collection; the default calibration stays")
    boundary = (ref_intercept - intercept) / slope  # where the new map gives the reference boundary's value
    origin = (f"calibrated {date.today().isoformat()} at commit {commit()} on collection "
              f"'{assistant.config.collection}' ({len(assistant.papers)} papers): {counts['in_collection']} "
              f"questions made of its abstracts' sentences, the same with their paper left out, "
              f"{counts['general']} general-knowledge questions; the decision boundary moved to logit {boundary:+.2f} "
              f"of the packaged model ({base.origin})")
    model = replace(base, bias=round(base.bias - boundary, 6), origin=origin, papers=len(assistant.papers),
                    reference=(slope, intercept))
    model.save(calibration_path(assistant.config))
    assistant.use_model(model)
    return model


__all__ = ["FEATURES", "calibrate", "calibration_path", "fit_labelled", "labelled_examples", "synthetic_examples"]
