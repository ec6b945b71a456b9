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

import math
import random
import re
import subprocess
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Iterable, NamedTuple, Sequence

import numpy as np

from .answerability import FEATURES, Model, fit, fit_logit_map, load_model, probe_log_odds
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
def labelled_examples(assistant, questions: Iterable, judge=None,
                      layer: int | None = None) -> tuple[list[dict], list[int], list[float]]:
    """Features and labels of labelled questions (``evaluation.Question``): 1 when the collection
    answers it and retrieval puts a gold paper first (for a list, among the first three), 0 when
    the collection does not answer it. An answerable question whose papers retrieval misses is
    left out: answering it would cite the wrong paper, refusing it would be wrong too. With a
    ``judge`` (judging.py), also its reading of each question's evidence at ``layer`` (None: the final
    state), (log-odds, hidden state) (``judging.LlamaCppJudge.read``; else an empty list)."""
    rows, labels, judged = [], [], []
    for q in questions:
        a = assistant.assess(q.question, q.history)
        if a.decision is None or not a.hits:
            continue
        if q.gold_titles:
            gold = {normalize_title(t) for t in q.gold_titles}
            window = 3 if a.kind is QuestionKind.LIST else 1
            if not any(normalize_title(h.title) in gold for h in a.hits[:window]):
                continue
        rows.append(a.decision.features)
        labels.append(int(bool(q.gold_titles)))
        if judge is not None:
            passage = assistant.answerability.judge_input(a.hits, a.question_vector)
            judged.append(assistant.answerability.reading_at(q.question, passage, judge, layer))
    return rows, labels, judged


# The packaged model's choices, made by leave-one-file-out cross-validation on the tune halves:
# how much a derived out-of-collection question (general knowledge, a near miss with its paper left
# out) weighs against a labelled unanswerable one, and the probability at which to answer.
SYNTHETIC_WEIGHTS = (0.0, 0.1, 0.25, 0.5)
THRESHOLDS = tuple(round(0.05 * i, 2) for i in range(1, 13))  # 0.05 .. 0.60
# The operating point: at most this share of answerable held-out questions refused (the answer path's
# target), and among the choices that meet it, the one that refuses the most unanswerable ones. A
# refusal of a question the collection answers costs the researcher the answer; a wrong answer still
# shows its cited evidence, which they can check.
MAX_FALSE_ABSTENTION = 0.05


def false_abstention_limit(answerable: int) -> float:
    """The held-out false abstention an operating point may have: ``MAX_FALSE_ABSTENTION`` less one
    standard error of a rate that size measured on ``answerable`` questions (the one-standard-error
    rule). The choice that refuses the most unanswerable questions among many under a limit is the
    one whose held-out false abstention came out luckiest, so on new questions it refuses more than
    it did held out; the margin keeps the target for them, not for the questions it was chosen on.

    >>> false_abstention_limit(327)
    0.038
    """
    error = math.sqrt(MAX_FALSE_ABSTENTION * (1 - MAX_FALSE_ABSTENTION) / max(1, answerable))
    return round(MAX_FALSE_ABSTENTION - error, 3)


def _answerable(groups) -> int:
    return sum(sum(labels) for _, labels in groups)


def fit_labelled(assistant, question_files: Sequence[Path], split: str = "tune", judge=None,
                 judge_model: str = "") -> Model:
    """The packaged model: weights fitted on the ``split`` halves of labelled question files over
    the assistant's collection, and of collection folders (``eval/collections/<name>/``: its
    ``questions.jsonl`` over its own ``papers.jsonl``), plus the collection's derived
    out-of-collection questions; the synthetic weight and the threshold chosen by cross-validation
    (``choose``). With a ``judge`` (the model named ``judge_model``), the second stage too
    (``judge_stage``)."""
    from .evaluation import load_questions

    if judge is not None:  # the judge reads, here already, the passage the fitted model will give it
        assistant.use_model(replace(assistant.answerability.model, judge_sentences=JUDGE_SENTENCES))
    groups, names, readings, collections = [], [], [], []
    for path in question_files:
        asker, questions_path = _asker(assistant, Path(path))
        questions = [q for q in load_questions(questions_path) if split == "all" or q.split == split]
        rows, labels, read = labelled_examples(asker, questions, judge, JUDGE_LAYER)
        groups.append((rows, labels))
        readings.append(read)
        collections.append(str(path) if Path(path).is_dir() else "")  # question files share one collection
        names.append(f"{Path(path).name} ({len(rows)})")
    synthetic_rows, synthetic_labels, counts = synthetic_examples(assistant)
    negatives = [r for r, y in zip(synthetic_rows, synthetic_labels) if y == 0]
    weight, threshold, (false_abstention, refused) = choose(groups, negatives)
    rows = [r for g in groups for r in g[0]]
    labels = [y for g in groups for y in g[1]]
    positives = sum(labels)
    origin = (f"fitted {date.today().isoformat()} at commit {commit()} on the {split} halves of "
              f"{', '.join(names)} ({positives} answerable, {len(labels) - positives} not) and "
              f"{len(negatives)} questions derived from the collection that it does not answer (weight "
              f"{weight}); threshold {threshold}; weight and threshold chosen by leave-one-file-out "
              f"cross-validation: the most unanswerable questions refused ({refused:.3f} of them, mean over files) "
              f"with at most {false_abstention_limit(positives)} of answerable ones refused ({false_abstention:.3f}, "
              f"all files together), held out "
              f"(the target {MAX_FALSE_ABSTENTION} less one standard error)")
    model = fit(rows + negatives, labels + [0] * len(negatives), origin,
                _weights(labels, len(negatives), weight), threshold)
    model = replace(model, reference=fit_logit_map([model.logit(r) for r in synthetic_rows], synthetic_labels))
    if judge is None:
        return model
    states = [[state for _, state in read] for read in readings]
    return judge_stage(model, groups, _probe_scores(groups, states, collections), negatives[::2], weight,
                       judge_model, probe=fit_probe([s for f in states for s in f], labels), layer=JUDGE_LAYER)


def _asker(assistant, path: Path):
    """The assistant that answers a question file (this one), or a collection folder's own over its
    index (built from its ``papers.jsonl`` on first use, as ``rag-assistant eval --collection-dir``)."""
    if not path.is_dir():
        return assistant, path
    from .assistant import Assistant
    from .evaluation import collection_config

    config, questions_path = collection_config(assistant.config, path)
    other = Assistant.from_config(config)
    other._generator_owner = assistant  # one language model and one judge, not one per collection
    other.use_model(assistant.answerability.model)
    return other, questions_path


def _weights(labels: Sequence[int], extra_negatives: int, weight: float) -> list[float]:
    """Labelled classes balanced; each derived negative weighs ``weight`` x a labelled negative."""
    positives = sum(labels)
    negatives = max(1, len(labels) - positives)
    pos_w, neg_w = len(labels) / (2 * max(1, positives)), len(labels) / (2 * negatives)
    return [pos_w if y else neg_w for y in labels] + [weight * neg_w] * extra_negatives


def _refused(probabilities: Sequence[float], labels: Sequence[int], threshold: float, answerable: bool):
    """The share of the answerable (or unanswerable) questions refused at ``threshold``; None if none."""
    chosen = [p for p, y in zip(probabilities, labels) if bool(y) == answerable]
    return sum(p < threshold for p in chosen) / len(chosen) if chosen else None


def operating_point(held_out: Sequence[tuple[Sequence[float], Sequence[int]]], threshold: float) -> tuple:
    """(false abstention, unanswerable refused) at ``threshold``: the first over every held-out
    answerable question together, the second the mean over the held-out files that have unanswerable
    questions.

    False abstention is pooled because its limit (``false_abstention_limit``) is one standard error
    of a rate measured on all the answerable questions: a mean of per-file rates moves by 1/17 when
    one question of a 17-question file flips, which made the choice jump between operating points
    on a change of one question. Unanswerable questions are few per file and of a different mix in
    each (near misses, general knowledge, absent topics), so each file counts alike there.

    >>> operating_point([([0.9, 0.2, 0.1], [1, 1, 0]), ([0.05, 0.8, 0.7], [0, 1, 1])], 0.3)
    (0.25, 1.0)
    """
    refused = [p < threshold for probabilities, labels in held_out for p, y in zip(probabilities, labels) if y]
    unanswerable = [rate for probabilities, labels in held_out
                    if (rate := _refused(probabilities, labels, threshold, False)) is not None]
    return (round(sum(refused) / len(refused), 4) if refused else 0.0,
            round(sum(unanswerable) / len(unanswerable), 4) if unanswerable else 0.0)


def choose(groups: Sequence[tuple[list, list]], negatives: Sequence[dict]) -> tuple[float, float, tuple]:
    """(synthetic weight, threshold, (false abstention, unanswerable refused)): each labelled file in
    turn is held out, and so is every other derived negative (one more "file"); of the pairs whose
    held-out false abstention (``operating_point``) is at most ``false_abstention_limit``, the one
    that refuses the most held-out unanswerable questions wins (the lowest false abstention when no
    pair meets it)."""
    held_negatives, train_negatives = list(negatives[1::2]), list(negatives[::2])
    candidates = []
    for weight in SYNTHETIC_WEIGHTS:
        held_out = []
        for i, (test_rows, test_labels) in enumerate(groups):
            rows = [r for j, g in enumerate(groups) if j != i for r in g[0]]
            labels = [y for j, g in enumerate(groups) if j != i for y in g[1]]
            extra = train_negatives if weight else []
            model = fit(rows + extra, labels + [0] * len(extra), "cv", _weights(labels, len(extra), weight))
            held_out.append(([model.probability(r) for r in test_rows], test_labels))
            if i == len(groups) - 1:
                held_out.append(([model.probability(r) for r in held_negatives], [0] * len(held_negatives)))
        for t in THRESHOLDS:
            candidates.append((weight, t, operating_point(held_out, t)))
    limit = false_abstention_limit(_answerable(groups))
    feasible = [c for c in candidates if c[2][0] <= limit]
    if feasible:
        return max(feasible, key=lambda c: (c[2][1], -c[2][0]))
    return min(candidates, key=lambda c: (c[2][0], -c[2][1]))


# ---- the judge's stage ---------------------------------------------------------------------
# Where the retrieval features leave the decision open, the judge reads the evidence. The band of
# first-stage probabilities it is asked in and the threshold on the combined probability are chosen by
# leave-one-file-out cross-validation as above (most unanswerable refused with at most
# false_abstention_limit of answerable ones refused). Each judge call costs a second or so on two
# cores, so the band that asks the judge least wins among those whose held-out share refused is
# within one standard error of the best (``band_choice``): a difference smaller than that is the
# luck of the questions held out, the calls are not.
# The wide bands: with the probe of layer 16, the judge separates the near misses the first stage
# rates high (a paper on the topic, not stating what is asked), which a band ending at 0.8 never
# shows it (docs/quality.md, twentieth and twenty-first rounds).
JUDGE_BANDS = ((0.05, 0.8), (0.1, 0.7), (0.15, 0.6), (0.2, 0.5),
               (0.05, 0.9), (0.02, 0.9), (0.02, 0.95), (0.01, 0.97), (0.0, 1.01))
# How many of the top paper's sentences closest to the question the judge reads. Four were measured
# against three (docs/quality.md, fifteenth round): by the leave-one-file-out procedure on seventeen
# tune halves, 164 -> 177 of 217 unanswerable questions refused at 17 of 458 answerable; refitted and
# scored on the test halves, 11 more unanswerable questions refused and 10 more answerable ones
# (on two fresh collections, 3 more of each). No fewer errors, and more of the costlier kind
# (MAX_FALSE_ABSTENTION), so three stay; fewer (two) and the whole abstract were worse before.
JUDGE_SENTENCES = 3


# The judgement the second stage reads: a logistic probe over the judge's final hidden state (its
# 1536 dimensions, standardised) rather than the yes/no token's log-odds, which is one direction of
# that state. Its L2 strength PROBE_C was chosen among 0.001, 0.01 and 0.1 on seventeen tune halves,
# each file held out in turn: in the first stage's band the probe separates answerable from
# unanswerable questions at AUC 0.935, 0.945 and 0.944, against the yes/no token's 0.907; with each
# collection held out (the bundled question files together), 0.933 at 0.01 (docs/quality.md, sixteenth
# round).
PROBE_C = 0.01
# Which of the judge's layers the probe reads: its output at the prompt's last token. Chosen among
# the final state and layers 10 to 22 of the 28 (all but 11 and 21) by the packaged procedure on
# seventeen tune halves (fit_labelled, each probe refitted at that layer): layer 16 refused the most
# unanswerable questions held out, 0.899 against the final state's 0.787, at the same share of
# answerable ones refused (0.037); the judge's pass then stops at that layer, in about half the
# time (docs/quality.md, eighteenth and nineteenth rounds).
JUDGE_LAYER = 16


def fit_probe(states: Sequence[np.ndarray], labels: Sequence[int], c: float = PROBE_C) -> tuple[float, ...]:
    """Weights (the standardisation folded in) and bias, last, of a balanced logistic probe of the
    labels on the judge's hidden states: ``state . w + b`` is its log-odds that the evidence answers."""
    from sklearn.linear_model import LogisticRegression

    x, y = np.asarray(states, dtype=np.float64), np.asarray(labels)
    if len(set(y.tolist())) < 2:
        raise ValueError("the judge's probe needs both answerable and unanswerable examples")
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
    lr = LogisticRegression(C=c, class_weight="balanced", max_iter=3000).fit((x - mean) / scale, y)
    weights = lr.coef_[0] / scale
    return tuple(np.round(np.append(weights, lr.intercept_[0] - float(np.dot(weights, mean))), 7).tolist())


def _probe_scores(groups, states, collections: Sequence[str]) -> list[list[float]]:
    """Each file's probe log-odds from a probe fitted on the other collections' files (on the other
    files when all share one collection): held out as a new collection's questions are."""
    scores = []
    for i in range(len(groups)):
        others = [j for j in range(len(groups)) if collections[j] != collections[i]]
        others = others or [j for j in range(len(groups)) if j != i]
        probe = fit_probe([s for j in others for s in states[j]], [y for j in others for y in groups[j][1]])
        scores.append([probe_log_odds(probe, s) for s in states[i]])
    return scores


def _first_stage(groups, negatives, weight: float) -> Model:
    rows = [r for g in groups for r in g[0]]
    labels = [y for g in groups for y in g[1]]
    extra = list(negatives) if weight else []
    return fit(rows + extra, labels + [0] * len(extra), "cv", _weights(labels, len(extra), weight))


def _second_stage(groups, judged, negatives, weight: float, band: tuple[float, float]) -> tuple[float, ...]:
    """(w_logit, w_judge, bias) of a balanced logistic fit, over the questions in ``band``, of the
    labels on the first stage's logit (each file's from a model fitted without it, as a new
    collection's would be) and the judge's log-odds."""
    from sklearn.linear_model import LogisticRegression

    x, y = [], []
    for i, (rows, labels) in enumerate(groups):
        held_in = [g for j, g in enumerate(groups) if j != i]
        model = _first_stage(held_in, negatives, weight) if held_in else _first_stage(groups, negatives, weight)
        for row, label, z in zip(rows, labels, judged[i]):
            if band[0] <= model.probability(row) < band[1]:
                x.append((model.logit(row), z))
                y.append(label)
    if len(set(y)) < 2:
        return (1.0, 0.0, 0.0)
    lr = LogisticRegression(class_weight="balanced").fit(x, y)
    return (round(float(lr.coef_[0][0]), 6), round(float(lr.coef_[0][1]), 6), round(float(lr.intercept_[0]), 6))


class BandCandidate(NamedTuple):
    """A judge band and threshold with their held-out operating point (``operating_point``: false
    abstention, share of unanswerable questions refused) and how many held-out questions the judge read."""

    band: tuple[float, float]
    threshold: float
    point: tuple[float, float]
    calls: int

    @property
    def false_abstention(self) -> float:
        return self.point[0]

    @property
    def refused(self) -> float:
        return self.point[1]


def band_choice(candidates: Sequence[tuple], limit: float, unanswerable: int) -> BandCandidate:
    """The chosen ``BandCandidate`` among ``candidates``: of those with held-out false abstention at
    most ``limit``, the ones whose share of unanswerable questions refused is within one standard
    error (a rate that size over ``unanswerable`` questions) of the best; of them, the one with the
    fewest judge calls, then the most refused, then the least false abstention. Without a candidate
    under the limit, the least false abstention.

    >>> choice = band_choice([((0.05, 0.8), 0.3, (0.04, 0.84), 500), ((0.02, 0.95), 0.3, (0.039, 0.89), 660),
    ...                       ((0.0, 1.01), 0.3, (0.041, 0.897), 900)], 0.041, 293)
    >>> choice[0]
    (0.02, 0.95)
    """
    candidates = [BandCandidate(*c) for c in candidates]
    feasible = [c for c in candidates if c.false_abstention <= limit]
    if not feasible:
        return max(candidates, key=lambda c: (-c.false_abstention, c.refused, -c.calls))
    best = max(c.refused for c in feasible)
    error = math.sqrt(best * (1 - best) / max(1, unanswerable))
    near = [c for c in feasible if c.refused >= best - error - 1e-9]
    return max(near, key=lambda c: (-c.calls, c.refused, -c.false_abstention))


def judge_stage(model: Model, groups, judged, negatives, weight: float, judge_model: str,
                probe: tuple[float, ...] = (), layer: int | None = None) -> Model:
    """``model`` with its second stage (answerability.Model.judge_band) fitted and chosen as above.
    ``judged``: each file's judgements; with a ``probe`` (``fit_probe``), the probe's log-odds, each
    file's from a probe fitted without its collection (``_probe_scores``), as a new collection's are;
    ``layer``: the judge's layer the probe reads (None: its final state)."""
    candidates = []
    # each file's first stage, fitted without it: the same for every band
    firsts = [_first_stage([g for j, g in enumerate(groups) if j != i], negatives, weight) for i in range(len(groups))]
    # only bands around the first stage's threshold: without the judge that threshold decides, and the
    # band's edges must then decide the same outside it
    unanswerable = sum(len(labels) - sum(labels) for _, labels in groups)
    for band in [b for b in JUDGE_BANDS if b[0] <= model.threshold < b[1]] or [(0.0, 1.01)]:
        held_out, calls = [], 0
        for i, ((rows, labels), first) in enumerate(zip(groups, firsts)):
            others = [g for j, g in enumerate(groups) if j != i]
            second = replace(first, judge=judge_model, judge_band=band,
                             judge_weights=_second_stage(others, [s for j, s in enumerate(judged) if j != i],
                                                         negatives, weight, band))
            probabilities = []
            for row, z in zip(rows, judged[i]):
                p = first.probability(row)
                asked = band[0] <= p < band[1]
                calls += asked
                probabilities.append(second.judged_probability(first.logit(row), z) if asked else p)
            held_out.append((probabilities, labels))
        for t in THRESHOLDS:
            if band[0] < t < band[1]:
                candidates.append(BandCandidate(band, t, operating_point(held_out, t), calls))
    band, threshold, (false_abstention, refused), _ = band_choice(
        candidates, false_abstention_limit(_answerable(groups)), unanswerable)
    weights = _second_stage(groups, judged, negatives, weight, band)
    state = "final hidden state" if layer is None else f"layer {layer}'s output"
    reading = (f"a linear probe (C={PROBE_C}) of its {state} fitted on the same questions"
               if probe else "its yes/no log-odds")
    origin = (f"{model.origin}. Second stage: the judge {judge_model}, reading the top paper's "
              f"{JUDGE_SENTENCES} sentences closest to the question, judgement {reading}, "
              f"asked where the probability is in "
              f"[{band[0]}, {band[1]}); combined logit = {weights[0]} x logit + {weights[1]} x judgement "
              f"{weights[2]:+}; threshold {threshold}; band and threshold chosen by the same cross-validation: "
              f"{refused:.3f} of unanswerable refused, {false_abstention:.3f} of answerable refused, held out")
    return replace(model, judge=judge_model, judge_band=band, judge_weights=weights, judge_threshold=threshold,
                   judge_sentences=JUDGE_SENTENCES, judge_probe=tuple(probe),
                   judge_layer=layer if probe else None, origin=origin)


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
        found = assistant.assess(question, judge=False)
        if found.decision is None or not found.hits or found.hits[0].paper_id != pid:
            continue
        missing = assistant.assess(question, exclude=[pid], judge=False)
        rows += [found.decision.features, missing.decision.features]
        labels += [1, 0]
        counts["in_collection"] += 1
        counts["left_out"] += 1
    if progress:
        print(file=sys.stderr)
    pool = general_questions()
    for question in rng.sample(pool, min(general, len(pool))):
        a = assistant.assess(question, judge=False)
        if a.decision is not None:
            rows.append(a.decision.features)
            labels.append(0)
            counts["general"] += 1
    return rows, labels, counts


CHANGE_TO_RECALIBRATE = 0.2  # a collection whose paper count moved this much since its calibration


def needs_calibration(assistant, min_papers: int = 20) -> bool:
    """Whether an ingest changed the collection enough to calibrate it (again), when the collection
    calibrates itself (``Config.auto_calibrate``): no calibration of its own yet, or a paper count
    20% away from the one it was calibrated at. A collection under ``min_papers`` papers is too small
    to derive questions from and keeps the packaged model."""
    count = len(assistant.papers)
    if not assistant.config.auto_calibrate or count < min_papers:
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
    ref_slope, ref_intercept = base.reference
    if slope <= 0:
        raise ValueError("the derived questions do not separate on this collection; the default calibration stays")
    at = math.log(base.threshold / (1 - base.threshold))  # the packaged boundary, as a logit
    boundary = (ref_slope * at + ref_intercept - intercept) / slope  # where the new map gives that value
    origin = (f"calibrated {date.today().isoformat()} at commit {commit()} on collection "
              f"'{assistant.config.collection}' ({len(assistant.papers)} papers): {counts['in_collection']} "
              f"questions made of its abstracts' sentences, the same with their paper left out, "
              f"{counts['general']} general-knowledge questions; the decision boundary moved to logit {boundary:+.2f} "
              f"of the packaged model ({base.origin})")
    model = replace(base, bias=round(base.bias - (boundary - at), 6), origin=origin, papers=len(assistant.papers),
                    reference=(slope, intercept))
    model.save(calibration_path(assistant.config))
    assistant.use_model(model)
    return model


__all__ = ["FEATURES", "calibrate", "calibration_path", "fit_labelled", "judge_stage", "labelled_examples",
           "synthetic_examples"]
