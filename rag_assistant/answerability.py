"""Should we answer this from the collection? One decision for every kind of question: a
probability, from a logistic model over features of the question against the retrieved papers,
fitted on labelled questions (``rag-assistant calibrate --questions``) or, for a collection
nobody labelled, on questions derived from the collection itself (``calibration.py``).

The features are properties of retrieval and evidence, not of any field's vocabulary: how close the
best paper is (``top_dense``), how far ahead of the runner-up (``gap``) and of the rest of the
ranking (``top_z``); how well its best sentence matches (``best_sentence``); how much of the
question's specific wording, weighted by rarity in the collection, the paper contains (``coverage``)
and the best two consecutive sentences of it contain (``passage_coverage``: a near miss spreads the
question's topic over the abstract without the passage that answers it); whether names the question
uses (acronyms, model names, quoted titles) are missing from the top papers (``names_missing``) or
all in the best one (``anchored``, and ``name_only`` when a "what is X?" question is little more
than those names); capitalised words (``Adam``, ``Kenya``) missing from the top papers
(``proper_missing``); for a question asking for a number, how well the best sentence that states one
matches (``figure_gap``); whether it follows up on the conversation; and its kind where the kind
changes how well the evidence can match: a list or a "which paper" question describes a topic, an
overview asks for a paper as a whole, so neither matches one sentence as closely as a question about
one fact. A comparison is not a feature: in the labelled files nearly every comparison is
answerable, so its flag learns the files' mix of questions more than how evidence looks (it answered
near-miss comparisons), and leave-one-file-out cross-validation scores the model the same without
it.
"""
from __future__ import annotations

import json
import logging
import math
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from .acronyms import spelled_out
from .judging import Judge, passage_of
from .routing import QuestionKind, asks_for_quantity, asks_for_record, speaks_of_a_paper, vocabulary
from .terms import mentions, name_terms, quoted_phrases
from .types import Hit, Paper

log = logging.getLogger(__name__)
DEFAULT_MODEL = Path(__file__).with_name("answerability.json")
FEATURES = ("top_dense", "gap", "top_z", "best_sentence", "coverage", "passage_coverage", "names_missing",
            "anchored", "name_only",
            "proper_missing", "figure_gap", "kind_list", "kind_which_paper", "kind_overview", "follow_up")
NAME_WINDOW = 3  # a name the question uses must be in one of the top papers
# a reported figure: digits (not those of a name, CIFAR-10) or a number word ("six tone pairs", "twice
# as fast"); "one" is left out, being mostly "one of the ..."
_FIGURE = re.compile(r"(?<![\w-])\d|\b(two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|"
                     r"forty|fifty|hundreds?|thousands?|millions?|billions?|dozens?|twice|thrice|half|double|"
                     r"triple|tenfold|hundredfold)\b", re.IGNORECASE)
# A question that wants a number and is about one fact cannot be answered from a paper that states no
# figure at all: refused whatever the model's probability (a list or an overview that mentions "how
# much" in passing is not held to this).
FIGURE_BOUND = (QuestionKind.FACT, QuestionKind.COMPARE)


@dataclass(frozen=True)
class Decision:
    """Whether to answer, how likely the collection answers the question, and why."""

    answer: bool
    probability: float
    features: dict[str, float]
    missing_names: tuple[str, ...] = ()
    no_figures: bool = False
    judged: float | None = None  # the judge's log-odds that the evidence states the answer, when asked
    # a question for the top paper's record (``routing.asks_for_record``): the fields it asks for, and
    # those of them the record lacks (then it is refused: an abstract does not say who wrote it)
    record: tuple[str, ...] = ()
    record_missing: tuple[str, ...] = ()


@dataclass(frozen=True)
class Model:
    """A fitted logistic model: ``p = sigmoid(bias + weights . (x - mean) / scale)``; answer when
    ``p >= threshold``. ``origin`` says what it was fitted on."""

    names: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float
    threshold: float
    origin: str
    papers: int = 0  # the collection's size when it was calibrated on it (0: fitted on labelled questions)
    # the logistic map from this model's logit to the labels of its collection's own derived questions
    # (``calibration.synthetic_examples``): another collection is calibrated by matching it
    reference: tuple[float, ...] = ()
    # The second stage (judging.py): where the probability above falls in ``judge_band`` (low, high), the
    # judge model named ``judge`` reads the evidence and the decision is
    # ``sigmoid(w_logit * logit + w_judge * judged + bias) >= judge_threshold`` with
    # ``judge_weights = (w_logit, w_judge, bias)``; below the band it refuses, above it answers. Without
    # that judge (none configured, another model, no language model) ``threshold`` decides alone.
    judge: str = ""
    judge_band: tuple[float, ...] = ()
    judge_weights: tuple[float, ...] = ()
    judge_threshold: float = 0.5
    # how many of the top paper's sentences (those closest to the question) the judge reads: the input
    # its weights were fitted on (``calibration.JUDGE_SENTENCES`` when fitted; 3 for a model saved
    # before it was recorded)
    judge_sentences: int = 3
    # A linear probe over the judge's final hidden state where it says yes or no
    # (``judging.LlamaCppJudge.read``): one weight per dimension, the standardisation folded in, and the
    # bias last. With one, ``judged`` is the probe's log-odds instead of the yes/no token's: the yes/no is
    # one direction of that state, and a direction fitted on labelled questions separates near misses
    # from paraphrases better (``calibration.fit_probe``; docs/quality.md, sixteenth round). Empty: the
    # token's log-odds, as a model saved before it.
    judge_probe: tuple[float, ...] = ()
    # The judge's layer whose output the probe reads (``judging.LlamaCppJudge.read``): a middle layer
    # separates near misses from paraphrases better than the final state, and the judge's pass stops
    # there (``calibration.JUDGE_LAYER``). None: the final state, as a model saved before it.
    judge_layer: int | None = None

    def uses(self, judge_model: str) -> bool:
        """Whether this model has a second stage fitted with the judge ``judge_model``."""
        return bool(self.judge and self.judge == judge_model and len(self.judge_band) == 2
                    and len(self.judge_weights) == 3
                    and (self.judge_layer is None or bool(self.judge_probe)))  # a layer is read by a probe

    def judgement(self, log_odds: float, state: np.ndarray) -> float:
        """What the second stage reads from the judge: its yes/no log-odds, or with a probe, the
        probe's log-odds of the hidden state ``state``."""
        return probe_log_odds(self.judge_probe, state) if self.judge_probe else log_odds

    def judged_probability(self, logit: float, judged: float) -> float:
        w_logit, w_judge, bias = self.judge_weights
        return _sigmoid(w_logit * logit + w_judge * judged + bias)

    def logit(self, features: dict[str, float]) -> float:
        # a feature this code no longer computes (a model saved by an older version) contributes nothing
        x = np.array([features.get(n, m) for n, m in zip(self.names, self.mean)])
        return self.bias + float(np.dot(self.weights, (x - np.array(self.mean)) / np.array(self.scale)))

    def probability(self, features: dict[str, float]) -> float:
        return _sigmoid(self.logit(features))

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(self), indent=1) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> "Model":
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})


def probe_log_odds(probe: Sequence[float], state: np.ndarray) -> float:
    """A probe's log-odds of a hidden state: ``state . weights + bias``, the bias last in ``probe``."""
    weights = np.asarray(probe, dtype=np.float64)
    return float(np.dot(np.asarray(state, dtype=np.float64), weights[:-1]) + weights[-1])


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


def fit_logit_map(logits: Sequence[float], labels: Sequence[int]) -> tuple[float, float]:
    """(slope, intercept) of a balanced logistic fit of labels on a model's logits."""
    from sklearn.linear_model import LogisticRegression

    lr = LogisticRegression(class_weight="balanced").fit(np.array(logits).reshape(-1, 1), np.array(labels))
    return round(float(lr.coef_[0][0]), 6), round(float(lr.intercept_[0]), 6)


def fit(rows: Sequence[dict[str, float]], labels: Sequence[int], origin: str,
        weights: Sequence[float] | None = None, threshold: float = 0.5) -> Model:
    """Fit the logistic model. Without ``weights`` the two classes are weighted to balance, so that
    0.5 is where a wrong answer and a wrong refusal are equally likely."""
    from sklearn.linear_model import LogisticRegression

    x = np.array([[r[n] for n in FEATURES] for r in rows], dtype=np.float64)
    y = np.array(labels)
    if len(set(y.tolist())) < 2:
        raise ValueError("calibration needs both answerable and unanswerable examples")
    if weights is None:
        weights = np.where(y == 1, len(y) / (2 * y.sum()), len(y) / (2 * (len(y) - y.sum())))
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    model = LogisticRegression(C=1.0, max_iter=3000).fit((x - mean) / scale, y, sample_weight=np.asarray(weights))
    return Model(FEATURES, tuple(mean.round(6)), tuple(scale.round(6)), tuple(model.coef_[0].round(6)),
                 round(float(model.intercept_[0]), 6), round(float(threshold), 4), origin)


class Answerability:
    """Computes a question's features against the collection and decides with a ``Model``."""

    def __init__(self, model: Model, keyword_index, papers: dict[str, Paper], sentences,
                 judge: Callable[[], Judge | None] | None = None, judge_model: str = ""):
        self.model = model
        # the judge (``judge_model`` names it) is loaded on first use: most questions never need it
        self._judge = judge or (lambda: None)
        self.judge_model = judge_model if judge else ""
        self.keyword = keyword_index
        self.papers = papers
        self.sentences = sentences
        generic = vocabulary()["answerability"]["generic"]
        self._generic = set(keyword_index.stems(" ".join(generic)))
        # the last reading, ((judge, question, passage, layer), (log-odds, state)): a question read twice over
        # the same evidence (judge_affirms, then decide; calibration's labelled questions after
        # decide, ``reading``) costs one judge call
        self._last_reading: tuple[tuple, tuple[float, np.ndarray] | None] = ((), None)

    def decide(self, question: str, kind: QuestionKind, hits: Sequence[Hit], question_vector: np.ndarray,
               follow_up: bool = False, judge: bool = True) -> Decision:
        """``judge=False``: the first stage alone (calibration's derived questions need only features)."""
        features, missing, no_figures = self.features(question, kind, hits, question_vector, follow_up)
        p = self.model.probability(features)
        record = asks_for_record(question)
        if record:
            return self._record_decision(question, record, hits, features, p, missing)
        refused_anyway = no_figures and kind in FIGURE_BOUND
        answer, judged = p >= self.model.threshold, None
        if judge and not refused_anyway and self.model.uses(self.judge_model):
            low, high = self.model.judge_band
            if not low <= p < high:
                answer = p >= high
            else:  # a judge that is not there (failed to load) or fails: the threshold, as without one
                judged = self._judgement(question, hits, question_vector)
                if judged is not None:
                    p = self.model.judged_probability(self.model.logit(features), judged)
                    answer = p >= self.model.judge_threshold
        answer = answer and not refused_anyway
        return Decision(answer, round(p, 4), features, missing, no_figures, judged)

    def _record_decision(self, question: str, record: tuple[str, ...], hits: Sequence[Hit],
                         features: dict[str, float], p: float, missing: tuple[str, ...]) -> Decision:
        """A question for a paper's authors, year or venue: answered from the top paper's record when
        the retrieval features say it is the paper meant (the first stage alone: the judge reads the
        abstract, which never holds the answer) and the question speaks of a paper or names its title
        (not of a thing the paper only uses: "When was the Rumack-Matthew nomogram published?"),
        refused when the record lacks what is asked."""
        found = [h for h in hits if h.paper_id in self.papers]
        paper = self.papers[found[0].paper_id] if found else None
        if paper and not speaks_of_a_paper(question) and not self._names_title(question, paper.title):
            return Decision(False, round(p, 4), features, missing)
        lacking = tuple(name for name in record if not getattr(paper, name, None))  # routing.RECORD_FIELDS
        answer = bool(paper) and not lacking and p >= self.model.threshold
        return Decision(answer, round(p, 4), features, missing, record=record, record_missing=lacking)

    @staticmethod
    def _names_title(question: str, title: str) -> bool:
        """A name or quoted phrase of the question is in the paper's title."""
        return any(mentions(title.lower(), n) for n in name_terms(question) + quoted_phrases(question))

    def judge_affirms(self, question: str, hits: Sequence[Hit], question_vector: np.ndarray) -> bool:
        """Whether the judge reads the top paper's passage as answering the question: its log-odds
        of "yes" above even odds, the judgement's own boundary. False without a fitted judge."""
        if not self.model.uses(self.judge_model):
            return False
        judged = self._judgement(question, hits, question_vector)
        return judged is not None and judged > 0.0

    def _judgement(self, question: str, hits: Sequence[Hit], question_vector: np.ndarray) -> float | None:
        given = self.judge_input(hits, question_vector)
        judge = self._judge() if given else None
        if judge is None:
            return None
        try:
            return round(self.model.judgement(*self.reading(question, given, judge)), 4)
        except (RuntimeError, ValueError) as error:  # llama.cpp's decode failures
            log.warning("the answerability judge failed (%s); deciding from retrieval alone", error)
            return None

    def reading(self, question: str, passage: str, judge: Judge) -> tuple[float, np.ndarray]:
        """``judge``'s reading of ``passage`` for ``question`` (``judging.LlamaCppJudge.read``) at the
        model's layer (``Model.judge_layer``)."""
        return self.reading_at(question, passage, judge, self.model.judge_layer)

    def reading_at(self, question: str, passage: str, judge: Judge, layer: int | None) -> tuple[float, np.ndarray]:
        """``judge``'s reading at ``layer`` (None: the final state): the last one taken, when it was
        this judge's of the same question and passage at that layer, else read now."""
        key, reading = self._last_reading
        if reading is not None and key == (judge, question, passage, layer):
            return reading
        reading = judge.read(question, passage, layer)
        self._last_reading = ((judge, question, passage, layer), reading)
        return reading

    def judge_input(self, hits: Sequence[Hit], question_vector: np.ndarray) -> str | None:
        """The passage the judge reads: the top paper's sentences closest to the question, as many as
        the model's judge was fitted on (``Model.judge_sentences``)."""
        found = [h.paper_id for h in hits if h.paper_id in self.papers]
        if not found:
            return None
        top = self.papers[found[0]]
        sentences, vectors = self.sentences.sentences(top.paper_id)
        if not len(sentences):
            return top.abstract
        return passage_of(sentences, vectors @ question_vector, self.model.judge_sentences)

    def features(self, question: str, kind: QuestionKind, hits: Sequence[Hit], question_vector: np.ndarray,
                 follow_up: bool = False) -> tuple[dict[str, float], tuple[str, ...], bool]:
        hits = [h for h in hits if h.paper_id in self.papers]
        f = dict.fromkeys(FEATURES, 0.0)
        f.update({"kind_list": float(kind is QuestionKind.LIST),
                  "kind_which_paper": float(kind is QuestionKind.WHICH_PAPER),
                  "kind_overview": float(kind is QuestionKind.OVERVIEW), "follow_up": float(follow_up)})
        if not hits:
            f["names_missing"] = 1.0
            return f, tuple(name_terms(question) + quoted_phrases(question)), False
        dense = [h.similarity for h in hits]
        f["top_dense"] = max(dense[:3])
        f["gap"] = dense[0] - (dense[1] if len(dense) > 1 else 0.0)
        # how far the best paper stands out from the rest of the ranking (a query-performance
        # predictor): one paper far ahead of a flat field is found even when the wording differs
        spread = float(np.std(dense[:10])) if len(dense) > 2 else 0.0
        f["top_z"] = min(5.0, (max(dense[:3]) - float(np.mean(dense[:10]))) / spread) if spread > 1e-6 else 0.0
        if len(dense) < 3:
            # a filter (or a tiny collection) left too few papers to say how far the best stands out:
            # unknown, so the model's mean (no weight either way), not a lead of 0 or over all
            f["gap"], f["top_z"] = (self._neutral(n) for n in ("gap", "top_z"))
        top = self.papers[hits[0].paper_id]
        sentences, vectors = self.sentences.sentences(top.paper_id)
        cosines = vectors @ question_vector if len(sentences) else np.zeros(0)
        f["best_sentence"] = float(cosines.max()) if len(cosines) else 0.0
        missing = self._missing_names(question, hits[:NAME_WINDOW])
        names = name_terms(question) + quoted_phrases(question)
        in_top = set(names) - set(self._missing_names(question, hits[:1]))
        f["coverage"], f["passage_coverage"] = self._coverages(question, top, sentences, in_top)
        f["names_missing"] = len(missing) / len(names) if names else 0.0
        # every name the question uses is in the top paper: a new acronym anchors the question to it
        # however little the rest of the wording matches
        f["anchored"] = float(bool(names) and not self._missing_names(question, hits[:1]))
        # a question that is little more than a name found in the top paper ("What is XATL short for?")
        # matches it poorly in meaning, yet the paper is the one that defines the name
        others = [t for t in self.keyword.stems(question) if t not in self._generic
                  and t not in set(self.keyword.stems(" ".join(names)))]
        f["name_only"] = float(kind is QuestionKind.OVERVIEW and f["anchored"] == 1.0 and len(set(others)) <= 2)
        proper = proper_nouns(question)
        lowered = [self.papers[h.paper_id].named_text.lower() for h in hits[:NAME_WINDOW]]
        f["proper_missing"] = (sum(not any(mentions(t, n) for t in lowered) for n in proper) / len(proper)
                               if proper else 0.0)
        no_figures = False
        if asks_for_quantity(question):
            with_figure = [c for s, c in zip(sentences, cosines) if _FIGURE.search(s)]
            no_figures = not with_figure
            f["figure_gap"] = (max(with_figure) - f["best_sentence"]) if with_figure else -1.0
        return f, missing, no_figures

    def _neutral(self, name: str) -> float:
        """A feature's mean in the data the model was fitted on: what contributes nothing to its logit."""
        return float(dict(zip(self.model.names, self.model.mean)).get(name, 0.0))

    def _coverages(self, question: str, paper: Paper, sentences: Sequence[str], names_found=(),
                   window: int = 2) -> tuple[float, float]:
        """The rarity-weighted share of the question's specific words that the paper contains, and that
        its best ``window`` consecutive sentences contain (the passage an answer would quote). A name
        the paper spells another way ("TinyTimeMixer", "Tiny Time Mixers") counts as contained."""
        terms = [t for t in dict.fromkeys(self.keyword.stems(question)) if t not in self._generic]
        if not terms:
            return 1.0, 1.0
        weights = {t: self.keyword.idf(t) for t in terms}
        total = sum(weights.values()) or 1.0
        named = set(self.keyword.stems(" ".join(names_found)))

        def share(have: set[str]) -> float:
            return sum(w for t, w in weights.items() if t in have) / total

        stems = [set(self.keyword.stems(sentence)) for sentence in sentences]
        passages = (set().union(*stems[start:start + window]) for start in range(max(1, len(stems) - window + 1)))
        return (share(self.keyword.paper_stems(paper.paper_id) | named),
                max(share(passage | named) for passage in passages))

    def _missing_names(self, question: str, hits: Sequence[Hit]) -> tuple[str, ...]:
        """Names the question uses that none of the top papers mentions or spells out."""
        texts = [self.papers[h.paper_id].named_text for h in hits]
        lowered = [t.lower() for t in texts]
        return tuple(n for n in name_terms(question) + quoted_phrases(question)
                     if not any(mentions(t, n) for t in lowered) and not any(spelled_out(n, t) for t in texts))


_PROPER = re.compile(r"(?<=\s)[^\W\d_]{3,}(?:-[^\W\d_]+)*\b")


def proper_nouns(question: str) -> list[str]:
    """Capitalised words inside a sentence ("Adam", "Kenya", "Hubble"): names that ``name_terms``
    (acronyms, mixed case, digits) does not catch. A word opening a sentence or a clause is none.

    >>> proper_nouns("What are the default betas of the Adam optimizer? Who wrote it in Kenya")
    ['Adam', 'Kenya']
    """
    found = [m.group(0) for m in _PROPER.finditer(question)
             if m.group(0)[0].isupper() and m.group(0)[1:3].islower() and question[:m.start()].strip()
             and not question[:m.start()].rstrip().endswith((".", "?", "!", ":", ";", '"'))]
    return list(dict.fromkeys(found))


def load_model(path: Path | None = None) -> Model:
    return Model.load(path or DEFAULT_MODEL)
