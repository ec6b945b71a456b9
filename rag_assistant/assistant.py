"""The facade every entry point uses: ingest, retrieve, ask, stream.

>>> a = Assistant.from_config()                       # doctest: +SKIP
>>> a.retrieve("video temporal grounding", k=3)[0].title  # doctest: +SKIP
"""
from __future__ import annotations

import sys
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Iterable, Iterator, Mapping, Sequence

from . import composing
from .answerability import Answerability, Model, load_model
from .answering import Answerer, Assessment
from .config import Config, apply_offline_env
from .conversation import History, continued_query, is_follow_up, may_continue, standalone_query
from .errors import InvalidQuestionError, ModelUnavailableError, NoMatchingPapersError
from .evidence import SentenceIndex
from .filters import Filters
from .indexing import INDEX_VERSION, UNFINISHED, Index, check_collection_exists, list_collections, open_store
from .retrieval import HybridRetriever, KeywordIndex, QueryRewriter
from .routing import QuestionKind, classify, new_topic
from .types import Answer, CollectionInfo, Hit, IngestReport, Paper, Sources, Timings

__all__ = ["Assistant", "Assessment", "Filters", "INDEX_VERSION", "UNFINISHED", "StreamEvent"]
StreamEvent = Sources | str | Answer


class Assistant:
    """Grounded question answering over a paper collection."""

    def __init__(self, config: Config, embedder, store):
        self.config = config
        self.embedder = embedder
        self.store = store
        self._generator = None
        self._generator_lock = threading.Lock()
        self._generator_owner: Assistant | None = None  # open_collection: the assistant whose model this one uses
        self._judge = None
        self._judge_failed = False
        self._judge_lock = threading.Lock()  # loading the judge does not hold up the answer model
        self.index = Index(config, embedder, store, on_change=self._use_papers)
        papers = self.index.papers
        self.retriever = HybridRetriever(
            store, embedder, papers, KeywordIndex(list(papers.values())),
            dense_candidates=config.dense_candidates, keyword_candidates=config.keyword_candidates, rrf_k=config.rrf_k,
        )
        if config.rewrite_queries and config.generator != "extractive":  # opt-in, see Config
            self.retriever.rewriter = QueryRewriter(lambda: self.generator, config.prompts_dir)
        self._answerability_model = self._calibration_model()
        self._answer_from(papers)

    def _use_papers(self, papers: dict[str, Paper]) -> None:
        """After a write to the index: retrieve from, decide and answer with the papers it now holds."""
        self.retriever.papers = papers
        self.retriever.keyword = KeywordIndex(list(papers.values()))
        self._answer_from(papers)

    def _answer_from(self, papers: dict[str, Paper]) -> None:
        self.sentences = SentenceIndex(self.embedder, papers, self.store)
        self.answerability = self._answerability(self._answerability_model, papers)
        self.answerer = Answerer(self.config, self.embedder, self.sentences, papers, self.retriever.keyword,
                                 lambda: self.generator)

    def _calibration_model(self) -> Model:
        """The collection's own calibration (``rag-assistant calibrate``) when it has one, else the
        model fitted on the bundled collection's labelled questions."""
        from .calibration import calibration_path

        path = calibration_path(self.config)
        packaged = load_model()
        if path.exists():
            try:
                own = Model.load(path)
            except (OSError, ValueError, TypeError, KeyError):
                print(f"note: the calibration file {path} is unreadable; using the default one "
                      "(run `rag-assistant calibrate` to redo it)", file=sys.stderr)
            else:  # one calibrated before the judge existed takes the packaged second stage
                if not own.judge and packaged.judge:
                    own = replace(own, judge=packaged.judge, judge_band=packaged.judge_band,
                                  judge_weights=packaged.judge_weights, judge_threshold=packaged.judge_threshold,
                                  judge_sentences=packaged.judge_sentences, judge_probe=packaged.judge_probe,
                                  judge_layer=packaged.judge_layer)
                return own
        return packaged

    def use_model(self, model: Model) -> None:
        """Decide answerability with this model from now on (calibration, evaluation)."""
        self._answerability_model = model
        self.answerability = self._answerability(model, self.papers)

    def _answerability(self, model: Model, papers: dict[str, Paper]) -> Answerability:
        with_judge = self.config.generator != "extractive"
        return Answerability(model, self.retriever.keyword, papers, self.sentences,
                             judge=(lambda: self.judge) if with_judge else None, judge_model=self.config.judge_model)

    # ---- construction -------------------------------------------------------------
    @classmethod
    def from_config(cls, config: Config | None = None, *, build_if_missing: bool = True, progress: bool = False,
                    generator=None, create_empty: bool = False, **overrides) -> "Assistant":
        """Open the index (the configured collection): built from the configured corpus if missing;
        re-embedded (every paper it holds, none lost) if built with other embedding settings or by an
        earlier version of this index's layout, or left unfinished. ``create_empty``: open a new or
        empty collection as it is, for ``ingest`` to fill, instead of building it from the corpus.
        ``generator``: a generator object to answer with (tests, custom backends), or a backend
        name ("llama_cpp", "transformers", "extractive"), the same as the ``generator`` setting."""
        apply_offline_env()
        if isinstance(generator, str):
            overrides["generator"], generator = generator, None
        overrides = {key: value for key, value in overrides.items() if value is not None}
        config = config.replace(**overrides) if config else Config.from_env(**overrides)
        embedder, store = open_store(config, build_if_missing=build_if_missing)
        assistant = cls(config, embedder, store)
        assistant.index.bring_up_to_date(create_empty=create_empty, progress=progress)
        if generator is not None:
            assistant._generator = generator
        return assistant

    def open_collection(self, name: str) -> "Assistant":
        """Another collection of the same data dir or Chroma server, sharing this assistant's
        embedder and language model (the chat's collection picker). It must exist.

        >>> thesis = assistant.open_collection("thesis")      # doctest: +SKIP
        """
        if name == self.config.collection:
            return self
        config = self.config.replace(collection=name)
        check_collection_exists(config)
        _, store = open_store(config, embedder=self.embedder)
        other = Assistant(config, self.embedder, store)
        other._generator_owner = self._generator_owner or self
        other.index.bring_up_to_date(create_empty=True)
        return other

    def warm_up(self, generator: bool = True) -> "Assistant":
        """Load the models now (the embedder, and the LLM and the judge unless ``generator=False``) so
        the first question does not pay for it; the UI and benchmarks call this at start-up."""
        self.embedder.embed_query("warm up")
        if generator and self.generator is not None:
            for _ in self.generator.stream(composing.primer_messages(self.config.prompts_dir), 1):
                pass  # the shared prompt prefix is now in the model's cache
            if self.answerability.model.uses(self.answerability.judge_model):
                _ = self.judge
        return self

    @property
    def papers(self) -> dict[str, Paper]:
        return self.retriever.papers

    # ---- indexing (indexing.Index) ---------------------------------------------------
    def ingest(self, paths: Iterable[str | Path] | None = None, format: str | None = None,  # noqa: A002
               progress: bool = False) -> IngestReport:
        """Parse every file (all or nothing: one bad file writes nothing), then add the papers new to the
        collection and rewrite those whose title, abstract or metadata changed (embedding only what
        changed); the rest stay as they are, so running it twice changes nothing. The same paper is one
        paper across files (same DOI, arXiv id or normalised title) and against the collection: a paper
        stored under the DOI or arXiv id of one that comes with a changed title keeps its id and takes
        the new title. ``format`` names every file's format (``formats.FORMATS``) instead of detecting it.
        ``IngestReport.by_file`` says per file what was added, updated, unchanged and skipped.

        >>> report = assistant.ingest(["library.bib"])           # doctest: +SKIP
        >>> report.by_file[0].added, report.by_file[0].skipped   # doctest: +SKIP
        (('Attention Is All You Need', ...), (Skipped(entry='knuth84', reason='no abstract', ...),))
        """
        return self.index.ingest(paths, format, progress)

    def remove(self, keys: Iterable[str] | str) -> tuple[Paper, ...]:
        """Remove papers from the collection, each named by its paper id, DOI, arXiv id or title
        (compared normalised), and return them. A key that names no paper is an error, and then
        nothing is removed.

        >>> [p.title for p in assistant.remove(["10.1109/5.726791"])]   # doctest: +SKIP
        ['Gradient-based learning applied to document recognition']
        """
        return self.index.remove(keys)

    def reindex(self, progress: bool = False) -> IngestReport:
        """Re-embed every paper of the collection from its stored title and abstract (after a change
        of the embedding model or its settings, or to rebuild a collection's vectors). An interrupted
        re-embedding is redone the next time the collection is opened."""
        return self.index.reindex(progress)

    @staticmethod
    def collections(config: Config | None = None, count: bool = True) -> list[CollectionInfo]:
        """The collections of the configured data dir (or Chroma server), by name, with their paper
        counts (None without ``count``); opening none, creating nothing.

        >>> Assistant.collections(Config.from_env())   # doctest: +SKIP
        [CollectionInfo(name='papers', papers=282), CollectionInfo(name='thesis', papers=41)]
        """
        return list_collections(config or Config.from_env(), count)

    @property
    def chunk_count(self) -> int:
        """Sentence chunks in the index (its records less one paper record per paper)."""
        return self.store.count() - len(self.papers)

    # ---- retrieval ----------------------------------------------------------------
    def _check(self, question: str) -> str:
        if question is not None and not isinstance(question, str):
            raise InvalidQuestionError(f"the question must be text (str), not {type(question).__name__}")
        dropped = False
        if question:  # undecodable bytes from a terminal arrive as lone surrogates: drop them
            text = question.encode("utf-8", "ignore").decode("utf-8")
            dropped, question = text != question, text
        if not question or not question.strip():
            if dropped:
                raise InvalidQuestionError("the question is not readable text (its bytes are not UTF-8): check the "
                                           "terminal's encoding and type it again")
            raise InvalidQuestionError("the question is empty: type a question about the papers")
        question = " ".join(question.split())
        if len(question) > self.config.max_question_chars:
            raise InvalidQuestionError(
                f"the question is {len(question):,} characters; the limit is {self.config.max_question_chars:,}. "
                "Shorten it to the question itself"
            )
        if not any(ch.isalnum() for ch in question):
            raise InvalidQuestionError("the question has no words in it: ask in words about the papers")
        return question

    def retrieve(self, question: str, k: int = 10, filters: Filters | Mapping | None = None) -> list[Hit]:
        """Ranked papers (each at most once) with fused score, dense score (``similarity``) and the
        best-matching sentence with its neighbours (``text``). ``filters``: only papers that pass them
        (``Filters``, or a dict such as ``{"year": "2021-2023", "author": "Smith", "category": "cs.CV",
        "keyword": "pruning"}``); ``NoMatchingPapersError`` when no paper does.

        >>> assistant.retrieve("pruning", k=3, filters={"year": "2021-"})   # doctest: +SKIP
        """
        filters = Filters.coerce(filters)
        return self.retriever.search(self._check(question), k=_check_k(k), filters=filters)

    def standalone_query(self, question: str, history: History) -> str:
        """The retrieval query for a follow-up: the question plus the conversation's paper(s)."""
        return standalone_query(question, history, self._titles())

    def _titles(self) -> list[str]:
        """Every paper's title: what a conversation's answers are searched for papers they named."""
        return [p.title for p in self.papers.values()]

    def as_retriever(self, k: int = 4):
        """This retriever as a LangChain ``BaseRetriever``."""
        from .langchain import PaperRetriever

        return PaperRetriever(assistant=self, k=k)

    # ---- answering ----------------------------------------------------------------
    @property
    def generator(self):
        """The local LLM, loaded on first use (None for the extractive mode)."""
        if self.config.generator == "extractive":
            return None
        if self._generator_owner is not None:
            return self._generator_owner.generator
        with self._generator_lock:
            if self._generator is None:
                from .generation import make_generator

                self._generator = make_generator(self.config)
            return self._generator

    @property
    def judge(self):
        """The model that judges whether the evidence states the answer (judging.py), loaded on first
        use; None without one (extractive mode, ``judge_model`` "none", or it failed to load: then the
        retrieval features decide alone, and a note says so once)."""
        if self._generator_owner is not None:
            return self._generator_owner.judge
        with self._judge_lock:
            if self._judge is None and not self._judge_failed:
                from .judging import make_judge

                try:
                    self._judge = make_judge(self.config)
                except ModelUnavailableError as error:
                    self._judge_failed = True
                    print(f"note: answering without the answerability judge: {error}", file=sys.stderr)
            return self._judge

    def ask(self, question: str, history: History = (), k: int | None = None,
            filters: Filters | Mapping | None = None) -> Answer:
        """Answer with verified citations (or abstain). ``history`` = [(question, answer), ...];
        ``filters`` as in ``retrieve``: the answer draws only on papers that pass them, and says so
        when none does."""
        answer = None
        for event in self.stream(question, history=history, k=k, filters=filters):
            if isinstance(event, Answer):
                answer = event
        assert answer is not None
        return answer

    def assess(self, question: str, history: History = (), k: int = 10, exclude: Sequence[str] = (),
               filters: Filters | Mapping | None = None, judge: bool = True) -> Assessment:
        """Route, retrieve and decide whether to answer, without answering. ``exclude``: paper ids
        to leave out of retrieval, as if the collection lacked them (calibration); ``filters`` as in
        ``retrieve``; ``judge=False``: decide without the judge model (only the features are wanted)."""
        start = time.perf_counter()
        filters = Filters.coerce(filters)
        question, started_anew = new_topic(self._check(question))
        history = [] if started_anew else _check_history(history)[-4:]
        kind = classify(question)
        query = self.standalone_query(question, history)
        hits = self.retriever.search(query, k=k + len(exclude), filters=filters)
        if exclude:
            kept = [h for h in hits if h.paper_id not in set(exclude)][:k]
            hits = [replace(h, rank=rank) for rank, h in enumerate(kept, start=1)]
        retrieval_s = time.perf_counter() - start
        # the query found the papers; the question itself picks their sentences (a follow-up's
        # query carries the earlier paper's title, which would favour the title-like sentence)
        question_vector = self.embedder.embed_query(question)
        decision = None
        if kind is not QuestionKind.INSTRUCTION:
            follow_up = bool(history) and is_follow_up(question)
            decision = self.answerability.decide(question, kind, hits, question_vector,
                                                 follow_up=follow_up, judge=judge)
            if judge and history and not follow_up and self._finds_nothing(decision) and may_continue(question):
                continued, searched_s = self._continued(question, kind, history, k, filters, question_vector)
                retrieval_s += searched_s  # the second search counts as retrieval
                if continued:
                    query, hits, decision = continued
        return Assessment(question, kind, query, tuple(hits), question_vector, decision, retrieval_s)

    def _finds_nothing(self, decision) -> bool:
        """Whether retrieval found nothing the question could be about: the first stage alone (the
        question's features against the papers found) refuses it, whatever the judge read. Only with
        a judge, which settles the reading. Not the judge band's lower edge: a band that reaches down
        to where almost nothing is found (``calibration.JUDGE_BANDS``) would leave too few questions
        below it."""
        model = self.answerability.model
        return bool(model.judge_band) and model.probability(decision.features) < model.threshold

    def _continued(self, question: str, kind: QuestionKind, history: History, k: int, filters: Filters,
                   question_vector) -> tuple[tuple | None, float]:
        """A nameless question that finds nothing on its own ("Over what follow-up window?"), read
        as continuing the conversation: taken so when the judge reads the conversation's paper as
        answering it. "What is the capital of Mongolia?" is not, and stays refused. Returns
        ((query, hits, decision) or None, the seconds its search took)."""
        start = time.perf_counter()
        query = continued_query(question, history, self._titles())
        hits = self.retriever.search(query, k=k, filters=filters)
        searched_s = time.perf_counter() - start
        if not self.answerability.judge_affirms(question, hits, question_vector):
            return None, searched_s
        decision = self.answerability.decide(question, kind, hits, question_vector, follow_up=True)
        return (query, hits, decision), searched_s

    def stream(self, question: str, history: History = (), k: int | None = None,
               filters: Filters | Mapping | None = None) -> Iterator[StreamEvent]:
        """Yield ``Sources`` first, then text pieces (str), then the final verified ``Answer``.
        When ``filters`` leave no paper, the answer says so and searches nothing else."""
        start = time.perf_counter()
        try:
            a = self.assess(question, history, 10 if k is None else _check_k(k), filters=filters)
        except NoMatchingPapersError as error:
            yield from _nothing_to_search(self._check(question), str(error), time.perf_counter() - start)
            return
        decision, hits = a.decision, list(a.hits)
        if decision is None or not decision.answer:
            yield Sources(a.hits, a.query, True)
            text = composing.abstention_text(hits, decision)
            yield text
            total = time.perf_counter() - start
            yield Answer(a.question, text, (), a.hits, True, a.query, "abstained",
                         Timings(a.retrieval_s, total, total), decision.probability if decision else 0.0)
            return
        yield Sources(a.hits, a.query, False)
        yield from self.answerer.answer(a, start)


def _nothing_to_search(question: str, reason: str, elapsed: float) -> Iterator[StreamEvent]:
    """The events of an answer to a question whose filters leave no paper: it says so, cites nothing."""
    text = f"{reason[0].upper()}{reason[1:]}."
    yield Sources((), question, True)
    yield text
    yield Answer(question, text, (), (), True, question, "abstained", Timings(elapsed, elapsed, elapsed), 0.0)


def _check_k(k) -> int:
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise InvalidQuestionError(f"k (the number of papers) must be a whole number of at least 1, got {k!r}")
    return k


def _check_history(history) -> list[tuple[str, str]]:
    """``history`` = [(question, answer), ...] (lists or tuples of two texts)."""
    if not history:
        return []
    if isinstance(history, (str, bytes, dict)):
        raise InvalidQuestionError("history must be a list of (question, answer) pairs")
    pairs = []
    for turn in history:
        if not isinstance(turn, (list, tuple)) or len(turn) != 2:
            raise InvalidQuestionError(f"history must be a list of (question, answer) pairs; got the turn {turn!r}")
        pairs.append((str(turn[0] or ""), str(turn[1] or "")))
    return pairs
