"""The facade every entry point uses: ingest, retrieve, ask, stream.

>>> a = Assistant.from_config()                       # doctest: +SKIP
>>> a.retrieve("video temporal grounding", k=3)[0].title  # doctest: +SKIP
"""
from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import numpy as np

from . import answering
from .chunking import CENTROID_WEIGHT, SENTENCE_WEIGHT, TITLE_WEIGHT, chunk_papers, paper_vector
from .citations import MarkerFilter, verify
from .config import Config, apply_offline_env, check_data_dir
from .answerability import Answerability, Decision, Model, load_model
from .conversation import History, is_follow_up, standalone_query
from .corpus import FileResult, corpus_files, load_corpus_checked, load_files, normalize_title, paper_id
from .errors import ConfigError, CorpusError, IndexMissingError, InvalidQuestionError, RagAssistantError
from .evidence import SentenceIndex, further_asks, select_sources, specific_asks
from .retrieval import HybridRetriever, KeywordIndex, QueryRewriter
from .routing import QuestionKind, classify
from .store import paper_record_id
from .types import Answer, CollectionInfo, FileIngest, Hit, IngestReport, Paper, Sources, Timings

# The layout of the index: sentence chunks ({paper_id}:s0, :s1, ...) as Bling Fire splits them, and
# paper records. An index of an earlier version is re-embedded when opened.
INDEX_VERSION = "v4"
TERM_IDF = 0.4  # idf scaled to 0..1: log(n / df) / log(n) >= 0.4 is df <= n^0.6 (15% of 282 papers)
UNFINISHED = "unfinished re-embedding"  # the fingerprint while a re-embedding runs: an interrupted one is redone
StreamEvent = Sources | str | Answer


@dataclass(frozen=True)
class _Changes:
    """What ``_index`` wrote: the papers' chunks, the chunks embedded, the records removed, and the ids of
    the papers added, of those rewritten (title, abstract or metadata), and the papers with a new abstract."""

    chunks: list
    embedded: int
    removed: int
    added: frozenset[str]
    updated: frozenset[str]
    new_abstracts: tuple[Paper, ...]


@dataclass(frozen=True)
class Assessment:
    """A question routed, its papers retrieved, and the decision whether to answer it (None: an
    instruction, not a question)."""

    question: str
    kind: QuestionKind
    query: str
    hits: tuple[Hit, ...]
    question_vector: np.ndarray
    decision: Decision | None
    retrieval_s: float


class Assistant:
    """Grounded question answering over a paper collection."""

    def __init__(self, config: Config, embedder, store):
        self.config = config
        self.embedder = embedder
        self.store = store
        self._generator = None
        self._generator_lock = threading.Lock()
        papers = {p.paper_id: p for p in store.papers()}
        self.retriever = HybridRetriever(
            store, embedder, papers, KeywordIndex(list(papers.values())),
            config.dense_candidates, config.keyword_candidates, config.rrf_k,
        )
        if config.rewrite_queries and config.generator != "extractive":  # opt-in, see Config
            self.retriever.rewriter = QueryRewriter(lambda: self.generator, config.prompts_dir)
        self.sentences = SentenceIndex(embedder, papers, store)
        self._answerability_model = self._calibration_model()
        self.answerability = Answerability(self._answerability_model, self.retriever.keyword, papers, self.sentences)

    def _calibration_model(self) -> Model:
        """The collection's own calibration (``rag-assistant calibrate``) when it has one, else the
        model fitted on the bundled collection's labelled questions."""
        from .calibration import calibration_path

        path = calibration_path(self.config)
        if path.exists():
            try:
                return Model.load(path)
            except (OSError, ValueError, TypeError, KeyError):
                print(f"note: the calibration file {path} is unreadable; using the default one "
                      "(run `rag-assistant calibrate` to redo it)", file=sys.stderr)
        return load_model()

    def use_model(self, model: Model) -> None:
        """Decide answerability with this model from now on (calibration, evaluation)."""
        self._answerability_model = model
        self.answerability = Answerability(model, self.retriever.keyword, self.papers, self.sentences)

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
        from .embedding import Embedder
        from .store import ChromaStore, index_absent

        overrides = {key: value for key, value in overrides.items() if value is not None}
        config = config.replace(**overrides) if config else Config.from_env(**overrides)
        missing = f"no index at {config.chroma_url or config.chroma_dir}: run `rag-assistant ingest` " \
                  f"(it builds from {config.corpus_paths[0]})"
        if not config.chroma_url:
            check_data_dir(config.data_dir)
            if not build_if_missing and index_absent(config.chroma_dir):
                raise IndexMissingError(missing)  # before opening the store, which would create it
        embedder = Embedder(config.embed_model, config.embed_dtype, config.embed_batch_size, config.models_dir,
                            config.embed_backend)
        fingerprint = f"{INDEX_VERSION}|{embedder.name}|sentences|{SENTENCE_WEIGHT}/{CENTROID_WEIGHT}/{TITLE_WEIGHT}"
        store = ChromaStore(embedder, config.chroma_url, config.chroma_dir, config.collection, fingerprint)
        count, built_with = store.count(), store.stored_fingerprint
        if not build_if_missing and (count == 0 or built_with != fingerprint):
            raise IndexMissingError(missing if count == 0 else f"{_built_with(store.location, built_with)}: run "
                                    f"`rag-assistant ingest` to re-embed its papers with {fingerprint}")
        assistant = cls(config, embedder, store)
        if count == 0:
            if not create_empty:
                assistant.ingest(config.corpus_paths, progress=progress)
        elif built_with != fingerprint:
            assistant._reembed(built_with, progress)
        if generator is not None:
            assistant._generator = generator
        return assistant

    def warm_up(self, generator: bool = True) -> "Assistant":
        """Load the models now (the embedder, and the LLM unless ``generator=False``) so the first
        question does not pay for it; the UI and benchmarks call this at start-up."""
        self.embedder.embed_query("warm up")
        if generator and self.generator is not None:
            for _ in self.generator.stream(answering.primer_messages(self.config.prompts_dir), 1):
                pass  # the shared prompt prefix is now in the model's cache
        return self

    @property
    def papers(self) -> dict[str, Paper]:
        return self.retriever.papers

    # ---- indexing -----------------------------------------------------------------
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
        start = time.perf_counter()
        if isinstance(paths, (str, Path)):
            paths = [paths]  # one file or folder
        try:
            paths = [Path(p) for p in (paths or self.config.corpus_paths)]
        except TypeError:
            raise CorpusError(f"ingest takes file or folder paths (str or Path), got {paths!r}") from None
        results = self._as_stored(load_files(paths, format))
        papers = [paper for result in results for paper in result.papers]
        changes = self._index(papers, progress)
        conflicts = dict.fromkeys(title for result in results for title in result.conflicts)
        by_file = tuple(_file_ingest(result, changes) for result in results)
        return IngestReport(len(results), len(papers), len(changes.chunks), changes.embedded, changes.removed,
                            time.perf_counter() - start, tuple(conflicts),
                            tuple(p.title for p in changes.new_abstracts), by_file)

    def _as_stored(self, results: list[FileResult]) -> list[FileResult]:
        """The papers that the collection holds under another id (another title) but the same DOI or
        arXiv id, given that id. A stored paper another incoming paper already names is left alone."""
        papers = [paper for result in results for paper in result.papers]
        incoming = {paper.paper_id for paper in papers}
        stored = {paper.paper_id for paper in self.store.stored_papers(list(incoming))}
        others = [paper for paper in papers if paper.paper_id not in stored]
        known: dict[tuple[str, str], str] = {}  # ("doi", lower-case DOI) -> stored paper id
        for name in ("doi", "arxiv_id"):
            given = [getattr(p, name) for p in others if getattr(p, name)]
            values = given + [v.lower() for v in given] + [v.upper() for v in given]  # the stored spelling unknown
            for found in self.store.find_papers(name, values) if values else ():
                known.setdefault((name, getattr(found, name).lower()), found.paper_id)
        renamed: dict[str, str] = {}
        for paper in others:
            target = next((known[key] for key in (("doi", paper.doi.lower()), ("arxiv_id", paper.arxiv_id.lower()))
                           if key[1] and key in known), None)
            if target and target not in incoming and target not in renamed.values():
                renamed[paper.paper_id] = target
        if not renamed:
            return results
        return [replace(result, papers=tuple(replace(p, paper_id=renamed.get(p.paper_id, p.paper_id))
                                             for p in result.papers)) for result in results]

    def _index(self, papers: Sequence[Paper], progress: bool, reembed: bool = False) -> _Changes:
        """Chunk every paper into sentences; embed the papers that are new or have a new title or
        abstract (every one when ``reembed``): their sentences and titles, in one batch; write their
        chunks and paper records, rewrite the records of papers whose metadata alone changed, drop
        the chunks they no longer have, mark the index built."""
        chunks = chunk_papers(papers, self.embedder.count_tokens, count_many=self.embedder.count_tokens_many)
        by_id = {p.paper_id: p for p in papers}
        stored = {} if reembed else {p.paper_id: p for p in self.store.stored_papers(list(by_id))}
        todo = [pid for pid, p in by_id.items()
                if reembed or pid not in stored or (stored[pid].title, stored[pid].abstract) != (p.title, p.abstract)]
        updated = [by_id[pid] for pid in todo if pid in stored and stored[pid].abstract != by_id[pid].abstract]
        todo_set = set(todo)
        # where a paper came from is not what it is: a new source alone does not rewrite it
        relabel = [p for pid, p in by_id.items() if pid in stored and pid not in todo_set
                   and replace(p, source="") != replace(stored[pid], source="")]
        todo_chunks = [c for c in chunks if c.paper_id in todo_set]
        keep = {c.chunk_id for c in chunks} | {paper_record_id(pid) for pid in by_id}
        stale = [i for i in self.store.ids() if i.split(":", 1)[0] in by_id and i not in keep]
        texts = [c.text for c in todo_chunks] + [by_id[pid].title for pid in todo]
        vectors = self.embedder.embed(texts, progress=progress) if texts else np.zeros((0, 0), dtype=np.float32)
        rows: dict[str, list[int]] = {}
        for row, chunk in enumerate(todo_chunks):
            rows.setdefault(chunk.paper_id, []).append(row)
        chunk_vectors, title_vectors = vectors[:len(todo_chunks)], vectors[len(todo_chunks):]
        paper_vectors = {pid: paper_vector(chunk_vectors[rows.get(pid, [])], title_vectors[j])
                         for j, pid in enumerate(todo)}
        self._write(todo_chunks, chunk_vectors, by_id, paper_vectors, stale, relabel,
                    undo=None if reembed else bool(stored or stale))
        self.store.mark_built()
        self._refresh_papers()
        return _Changes(chunks, len(todo_chunks), len(stale), frozenset(todo_set - stored.keys()),
                        frozenset(todo_set & stored.keys()) | {p.paper_id for p in relabel}, tuple(updated))

    def _write(self, chunks, vectors, papers: dict[str, Paper], paper_vectors, stale: list[str],
               relabel: Sequence[Paper], undo: bool | None) -> None:
        """Upsert ``chunks`` and the paper records, rewrite the ``relabel`` papers' metadata, delete
        ``stale``. Upserts go in batches, so a failure or Ctrl-C part-way would leave some: then the
        write is undone (best effort) and the error re-raised, so a failed ingest changes nothing.
        ``undo``: True when the write replaces stored records (they are kept to put back), False when
        it only adds, None for no undo (an unfinished re-embedding is redone on the next open instead)."""
        ids = [c.chunk_id for c in chunks] + [paper_record_id(pid) for pid in paper_vectors]
        relabelled = [paper_record_id(p.paper_id) for p in relabel]
        previous = self.store.records(ids + relabelled + stale) if undo else {"ids": []}
        try:
            if ids:
                self.store.upsert(chunks, vectors, papers, paper_vectors)
            if relabel:
                self.store.update_papers(relabel)
            self.store.delete(stale)
        except BaseException:
            if undo is not None:
                existed = set(previous["ids"])
                try:
                    self.store.restore(previous, [i for i in ids if i not in existed])
                except Exception as exc:  # noqa: BLE001 - the original error is the one to report
                    print(f"note: could not undo the unfinished ingest ({exc}); run it again to complete it",
                          file=sys.stderr)
            raise

    def _reembed(self, built_with: str | None, progress: bool) -> None:
        """Re-embed every paper the index holds, from the title and abstract its paper records keep
        (chunk-0 records in an index from before sentence chunks), with the current embedder: a
        changed setting loses no ingested paper. A first build that stopped part-way (no fingerprint
        yet) is finished from the corpus too."""
        why = _built_with(self.store.location, built_with)
        legacy = not (built_with or "").startswith(f"{INDEX_VERSION}|")
        papers = {p.paper_id: p for p in self.store.papers(legacy=legacy) if p.abstract}
        if built_with is None:
            corpus = corpus_files([Path(p) for p in self.config.corpus_paths])
            papers.update((p.paper_id, p) for p in load_corpus_checked(corpus)[0])
        lost = sorted({chunk_id.split(":", 1)[0] for chunk_id in self.store.ids()} - papers.keys())
        if lost:
            raise ConfigError(f"{why}, and {len(lost)} of its papers cannot be re-embedded (no stored abstract, e.g. "
                              f"paper id {lost[0]}): set the embedding settings back, or move the index "
                              "away and ingest the papers again")
        stored_dims, dims = self.store.dimension(), self.embedder.dimension
        if stored_dims not in (None, dims):
            raise ConfigError(f"{why}, which makes {stored_dims}-dimensional vectors; {self.embedder.name} makes "
                              f"{dims}: set the embedding model back, or move the index away and ingest the papers "
                              "again")
        print(f"note: {why}; re-embedding its {len(papers)} papers with {self.store.fingerprint}", file=sys.stderr)
        if built_with is not None:
            self.store.mark_built(UNFINISHED)
        self._index(list(papers.values()), progress, reembed=True)

    def remove(self, keys: Iterable[str] | str) -> tuple[Paper, ...]:
        """Remove papers from the collection, each named by its paper id, DOI, arXiv id or title
        (compared normalised), and return them. A key that names no paper is an error, and then
        nothing is removed.

        >>> [p.title for p in assistant.remove(["10.1109/5.726791"])]   # doctest: +SKIP
        ['Gradient-based learning applied to document recognition']
        """
        keys = [keys] if isinstance(keys, str) else list(keys)
        if not keys or any(not isinstance(k, str) or not k.strip() for k in keys):
            raise RagAssistantError(f"remove takes paper ids, DOIs, arXiv ids or titles (non-empty text), got {keys!r}")
        found: dict[str, Paper] = {}
        missing = []
        for key in keys:
            papers = self._papers_named(key.strip())
            found.update((p.paper_id, p) for p in papers)
            if not papers:
                missing.append(key)
        if missing:
            raise RagAssistantError(
                f"no paper in collection '{self.config.collection}' is named {', '.join(map(repr, missing))}: give a "
                "paper id, DOI, arXiv id or title (`rag-assistant search` shows titles); nothing was removed")
        self.store.delete_papers(list(found))
        self._refresh_papers()
        return tuple(found.values())

    def _papers_named(self, key: str) -> list[Paper]:
        """The stored papers ``key`` names: by paper id, else DOI, else arXiv id, else title."""
        from .formats.fields import clean_doi, find_arxiv_id

        by_id = self.store.stored_papers([key])
        if by_id:
            return by_id
        doi = clean_doi(key)
        if doi and (found := self.store.find_papers("doi", [doi, doi.lower(), doi.upper()])):
            return found
        arxiv_id = find_arxiv_id(key, bare=True)
        if arxiv_id and (found := self.store.find_papers("arxiv_id", [arxiv_id])):
            return found
        # a title: its id, or the title of a paper that kept its id under a changed title
        return self.store.stored_papers([paper_id(key)]) or [
            p for p in self.papers.values() if normalize_title(p.title) == normalize_title(key)]

    def reindex(self, progress: bool = False) -> IngestReport:
        """Re-embed every paper of the collection from its stored title and abstract (after a change
        of the embedding model or its settings, or to rebuild a collection's vectors). An interrupted
        re-embedding is redone the next time the collection is opened."""
        start = time.perf_counter()
        papers = list(self.store.papers())
        if not papers:
            raise IndexMissingError(f"the collection '{self.config.collection}' at {self.store.location} has no papers "
                                    "to re-embed: run `rag-assistant ingest PATH...`")
        self.store.mark_built(UNFINISHED)
        changes = self._index(papers, progress, reembed=True)
        return IngestReport(0, len(papers), len(changes.chunks), changes.embedded, changes.removed,
                            time.perf_counter() - start)

    @staticmethod
    def collections(config: Config | None = None, count: bool = True) -> list[CollectionInfo]:
        """The collections of the configured data dir (or Chroma server), by name, with their paper
        counts (None without ``count``); opening none, creating nothing.

        >>> Assistant.collections(Config.from_env())   # doctest: +SKIP
        [CollectionInfo(name='papers', papers=282), CollectionInfo(name='thesis', papers=41)]
        """
        from .store import list_collections

        config = config or Config.from_env()
        return [CollectionInfo(name, papers) for name, papers in list_collections(config.chroma_url, config.chroma_dir,
                                                                                 count)]

    def _refresh_papers(self) -> None:
        papers = {p.paper_id: p for p in self.store.papers()}
        self.retriever.papers = papers
        self.retriever.keyword = KeywordIndex(list(papers.values()))
        self.sentences = SentenceIndex(self.embedder, papers, self.store)
        self.answerability = Answerability(self._answerability_model, self.retriever.keyword, papers, self.sentences)

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

    def retrieve(self, question: str, k: int = 10) -> list[Hit]:
        """Ranked papers (each at most once) with fused score, dense score (``similarity``) and the
        best-matching sentence with its neighbours (``text``)."""
        return self.retriever.search(self._check(question), k=_check_k(k))

    def standalone_query(self, question: str, history: History) -> str:
        """The retrieval query for a follow-up: the question plus the conversation's paper(s)."""
        titles = [p.title for p in self.papers.values()]
        return standalone_query(question, history, titles)

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
        with self._generator_lock:
            if self._generator is None:
                from .generation import make_generator

                self._generator = make_generator(self.config)
            return self._generator

    def ask(self, question: str, history: History = (), k: int | None = None) -> Answer:
        """Answer with verified citations (or abstain). ``history`` = [(question, answer), ...]."""
        answer = None
        for event in self.stream(question, history=history, k=k):
            if isinstance(event, Answer):
                answer = event
        assert answer is not None
        return answer

    def assess(self, question: str, history: History = (), k: int = 10, exclude: Sequence[str] = ()) -> Assessment:
        """Route, retrieve and decide whether to answer, without answering. ``exclude``: paper ids
        to leave out of retrieval, as if the collection lacked them (calibration)."""
        start = time.perf_counter()
        question = self._check(question)
        history = _check_history(history)[-4:]
        kind = classify(question)
        query = self.standalone_query(question, history)
        hits = self.retriever.search(query, k=k + len(exclude))
        if exclude:
            kept = [h for h in hits if h.paper_id not in set(exclude)][:k]
            hits = [replace(h, rank=rank) for rank, h in enumerate(kept, start=1)]
        retrieval_s = time.perf_counter() - start
        # the query found the papers; the question itself picks their sentences (a follow-up's
        # query carries the earlier paper's title, which would favour the title-like sentence)
        question_vector = self.embedder.embed_query(question)
        decision = None
        if kind is not QuestionKind.INSTRUCTION:
            decision = self.answerability.decide(question, kind, hits, question_vector,
                                                 follow_up=bool(history) and is_follow_up(question))
        return Assessment(question, kind, query, tuple(hits), question_vector, decision, retrieval_s)

    def stream(self, question: str, history: History = (), k: int | None = None) -> Iterator[StreamEvent]:
        """Yield ``Sources`` first, then text pieces (str), then the final verified ``Answer``."""
        start = time.perf_counter()
        a = self.assess(question, history, 10 if k is None else _check_k(k))
        decision, hits = a.decision, list(a.hits)
        if decision is None or not decision.answer:
            yield Sources(a.hits, a.query, True)
            text = answering.abstention_text(hits, decision)
            yield text
            total = time.perf_counter() - start
            yield Answer(a.question, text, (), a.hits, True, a.query, "abstained",
                         Timings(a.retrieval_s, total, total), decision.probability if decision else 0.0)
            return
        yield Sources(a.hits, a.query, False)
        yield from self._answer(a.question, a.kind, a.query, hits, a.question_vector, decision.probability, start,
                                a.retrieval_s)

    def _answer(self, question, kind, query, hits, question_vector, confidence, start, retrieval_s):
        cfg = self.config
        if kind is QuestionKind.LIST:
            chosen = answering.list_candidates(hits, cfg.list_min_similarity, cfg.list_margin, cfg.list_max_papers,
                                               cfg.list_min_score)
            # "... ? Compare what they were evaluated on.": each paper also says that, and what it found
            asks = further_asks(question)
            per_paper = 3 if asks else 2
            sources = select_sources(chosen, self.sentences, question, question_vector, len(chosen),
                                     per_paper * len(chosen) + 1, per_paper=per_paper, cover=True,
                                     asks=specific_asks(asks), lead_extra=not asks)
            sources = [_renumber(s, hits) for s in sources]
            result, mode = answering.list_answer(sources, every=bool(asks)), "list"
            yield result.text
            first = time.perf_counter() - start
        elif kind is QuestionKind.WHICH_PAPER:
            sources = select_sources(hits[:1], self.sentences, question, question_vector, 1, cfg.paper_sentences,
                                     per_paper=cfg.paper_sentences - 1, cover=True)
            result, mode = answering.paper_answer(sources), "paper"
            yield result.text
            first = time.perf_counter() - start
        else:
            result, mode, first = yield from self._grounded(question, kind, question_vector, hits, start)
        total = time.perf_counter() - start
        yield Answer(question, result.text, result.citations, tuple(hits), False, query, mode,
                     Timings(retrieval_s, first, total), confidence)

    def _grounded(self, question, kind, question_vector, hits, start):
        """An ordinary question: the model's verified first sentence (or a bare answer span it
        copied), then the rest of the evidence verbatim; the evidence alone when nothing the
        model wrote verifies, or with no model. Returns (Verified, mode, first-token seconds)."""
        cfg = self.config
        overview = kind is QuestionKind.OVERVIEW
        sources, compare = self._evidence(question, kind, question_vector, hits)
        result, mode, first = None, "extractive", 0.0
        generator = self.generator
        if generator is not None:
            shown = answering.prompt_sources(sources, cfg.prompt_sentences)
            raw, first = yield from self._generate(generator, question, shown, start)
            result, mode = verify(raw, sources, self.sentences, self.embedder, question, self._is_term), "generated"
            if not result.citations:  # "86.3%": a bare answer span copied from the evidence
                result = answering.span_answer(raw, shown) or result
        budget = cfg.overview_answer_sentences if overview else cfg.answer_sentences
        if result is None or not result.citations:  # no model, or nothing it wrote was verifiable
            fallback = answering.list_answer(sources, "From the two papers:") if compare and len(sources) > 1 \
                else answering.extractive(sources, budget)
            result, mode = fallback, "extractive" if generator is None else "fallback"
        if overview:
            result = answering.with_expansion(result, question, sources, self.papers)
        if mode == "generated":
            result = answering.with_evidence(result, sources, budget, every_source=compare)
        if generator is None:
            yield result.text
            first = time.perf_counter() - start
        return result, mode, first

    def _is_term(self, word: str) -> bool:
        """A word rare enough in the collection (in at most about one paper in ten) to name a subject."""
        stems = self.retriever.keyword.stems(word)
        return bool(stems) and self.retriever.keyword.idf(stems[0]) >= TERM_IDF

    def _evidence(self, question, kind, question_vector, hits):
        """Numbered sources for an ordinary question, and whether it compares two papers: both
        papers for a comparison (when retrieval puts them close), else the focused top paper(s);
        more sentences for "what is X / summarize X"."""
        cfg = self.config
        overview = kind is QuestionKind.OVERVIEW
        pair = [h for h in hits[:2] if h.similarity >= hits[0].similarity - cfg.compare_margin]
        compare = kind is QuestionKind.COMPARE and len(pair) == 2
        if compare:
            focused, budget = pair, 2 * cfg.compare_sentences
        else:
            # "summarize the paper on X" is about one paper: a close runner-up only invited the model
            # to summarize the wrong one
            focused = hits[:1] if overview else answering.focus(hits, question, self.papers, cfg.evidence_papers,
                                                                 cfg.evidence_margin)
            budget = cfg.overview_sentences if overview else cfg.evidence_sentences
        # "what is X / summarize X" wants what the paper does and finds, not only the sentences that
        # echo the question (often its background): ``cover`` adds its contribution and a finding
        sources = select_sources(focused, self.sentences, question, question_vector, len(focused), budget,
                                 per_paper=cfg.compare_sentences if len(focused) > 1 else budget,
                                 cover=overview and not compare,
                                 background=cfg.overview_background_penalty if overview else 0.0)
        return sources, compare

    def _generate(self, generator, question, sources, start):
        """Stream the model's first sentence (markers checked on the fly); stop once it is complete."""
        messages = answering.build_messages(self.config.prompts_dir, question, sources)
        marker_filter = MarkerFilter({s.number for s in sources})
        raw, first = "", 0.0
        for piece in generator.stream(messages, self.config.lead_max_tokens):
            end = answering.first_sentence_end(raw + piece)
            if end is not None:
                piece = piece[:max(0, end - len(raw))]
            raw += piece
            shown = marker_filter.feed(piece)
            if shown:
                first = first or time.perf_counter() - start
                yield shown
            if end is not None or answering.degenerate(raw):
                break
        tail = marker_filter.flush()
        if tail:
            yield tail
        return raw, first or time.perf_counter() - start


def _built_with(location: str, fingerprint: str | None) -> str:
    if fingerprint is None:
        return f"the index at {location} is from a build that did not finish"
    if fingerprint == UNFINISHED:
        return f"the index at {location} is from a re-embedding that did not finish"
    return f"the index at {location} was built with {fingerprint}"


def _file_ingest(result: FileResult, changes: _Changes) -> FileIngest:
    """One file's share of an ingest: its papers by what happened to them."""
    kinds: dict[str, list[str]] = {"added": [], "updated": [], "unchanged": []}
    for paper in result.papers:
        kind = "added" if paper.paper_id in changes.added else "updated" if paper.paper_id in changes.updated \
            else "unchanged"
        kinds[kind].append(paper.title)
    return FileIngest(result.path, result.format, *(tuple(titles) for titles in kinds.values()),
                      duplicates=result.duplicates, skipped=result.skipped)


def _renumber(source, hits: Sequence[Hit]):
    """Number a source by its rank among all hits, so [n] always means sources[n-1]."""
    return replace(source, number=hits.index(source.hit) + 1)


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
