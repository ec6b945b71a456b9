"""Indexing: parse -> chunk -> embed -> write, into one collection of the store; index versions
and migration (an index built with other embedding settings, or by an earlier layout, is
re-embedded when opened).

>>> index = Index(config, embedder, store)                 # doctest: +SKIP
>>> index.ingest(["library.bib"]).by_file[0].added        # doctest: +SKIP
('Attention Is All You Need', ...)
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np

from .chunking import chunk_papers
from .config import Config, check_data_dir
from .corpus import FileResult, corpus_files, load_corpus_checked, load_files, normalize_title, paper_id
from .errors import ConfigError, CorpusError, IndexMissingError, RagAssistantError
from .retrieval import CENTROID_WEIGHT, SENTENCE_WEIGHT, TITLE_WEIGHT, paper_vector
from .store_records import paper_record_id
from .types import CollectionInfo, FileIngest, IngestReport, Paper

# The layout of the index: sentence chunks ({paper_id}:s0, :s1, ...) as Bling Fire splits them, each
# with its paper's year, and paper records. An index of an earlier version is re-embedded when opened.
INDEX_VERSION = "v5"
UNFINISHED = "unfinished re-embedding"  # the fingerprint while a re-embedding runs: an interrupted one is redone


def fingerprint(embedder_name: str) -> str:
    """What an index was built with: the layout's version, the embedder and the paper vector's weights."""
    return f"{INDEX_VERSION}|{embedder_name}|sentences|{SENTENCE_WEIGHT}/{CENTROID_WEIGHT}/{TITLE_WEIGHT}"


def open_store(config: Config, *, build_if_missing: bool = True, embedder=None):
    """The embedder and the configured collection's store, opened (an embedded store is created if
    absent). Without ``build_if_missing``, an index that is absent, empty or built with other
    settings is an ``IndexMissingError`` instead. ``embedder``: one already loaded, to share."""
    from .embedding import Embedder
    from .store import ChromaStore, index_absent

    missing = f"no index at {config.chroma_url or config.chroma_dir}: run `rag-assistant ingest` " \
              f"(it builds from {config.corpus_paths[0]})"
    if not config.chroma_url:
        check_data_dir(config.data_dir)
        if not build_if_missing and index_absent(config.chroma_dir):
            raise IndexMissingError(missing)  # before opening the store, which would create it
    if embedder is None:
        embedder = Embedder(config.embed_model, config.embed_dtype, config.embed_batch_size, config.models_dir,
                            config.embed_backend)
    wanted = fingerprint(embedder.name)
    store = ChromaStore(embedder, config.chroma_url, config.chroma_dir, config.collection, wanted)
    count, built_with = store.count(), store.stored_fingerprint
    if not build_if_missing and (count == 0 or built_with != wanted):
        raise IndexMissingError(missing if count == 0 else f"{_built_with(store.location, built_with)}: run "
                                f"`rag-assistant ingest` to re-embed its papers with {wanted}")
    return embedder, store


def list_collections(config: Config, count: bool = True) -> list[CollectionInfo]:
    """The collections of the configured data dir (or Chroma server), by name, with their paper
    counts (None without ``count``); opening none, creating nothing."""
    from .store import list_collections as listed

    return [CollectionInfo(name, papers) for name, papers in listed(config.chroma_url, config.chroma_dir, count)]


def check_collection_exists(config: Config) -> None:
    """A ``ConfigError`` saying how to list or make them when the configured collection is not there."""
    if config.collection not in {c.name for c in list_collections(config, count=False)}:
        raise ConfigError(f"no collection '{config.collection}' in {config.chroma_url or config.data_dir}: "
                          f"`rag-assistant collections` lists them, `rag-assistant --collection "
                          f"{config.collection} ingest PATH...` makes it")


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


class Index:
    """One collection's index: the papers it holds, and the writes that change them. After every
    write, ``on_change`` gets the papers the collection now holds (the assistant rebuilds its
    keyword index and sentence cache from them)."""

    def __init__(self, config: Config, embedder, store,
                 on_change: Callable[[dict[str, Paper]], None] = lambda papers: None):
        self.config = config
        self.embedder = embedder
        self.store = store
        self.on_change = on_change
        self.papers: dict[str, Paper] = {p.paper_id: p for p in store.papers()}

    def _refresh(self) -> None:
        self.papers = {p.paper_id: p for p in self.store.papers()}
        self.on_change(self.papers)

    def bring_up_to_date(self, *, create_empty: bool = False, progress: bool = False) -> None:
        """Build an empty collection from the configured corpus (unless ``create_empty``); re-embed
        one built with other embedding settings, by an earlier layout, or left unfinished."""
        count, built_with = self.store.count(), self.store.stored_fingerprint
        if count == 0:
            if not create_empty:
                self.ingest(self.config.corpus_paths, progress=progress)
        elif built_with != self.store.fingerprint:
            self._reembed(built_with, progress)

    def ingest(self, paths: Iterable[str | Path] | None = None, format: str | None = None,  # noqa: A002
               progress: bool = False) -> IngestReport:
        """Parse every file (all or nothing), then add the new papers and rewrite the changed ones,
        embedding only what changed (see ``Assistant.ingest``)."""
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
        self._write(todo_chunks, chunk_vectors, papers=by_id, paper_vectors=paper_vectors, stale=stale,
                    relabel=relabel, undo=None if reembed else bool(stored or stale))
        self.store.mark_built()
        self._refresh()
        return _Changes(chunks, len(todo_chunks), len(stale), frozenset(todo_set - stored.keys()),
                        frozenset(todo_set & stored.keys()) | {p.paper_id for p in relabel}, tuple(updated))

    def _write(self, chunks, vectors, *, papers: dict[str, Paper], paper_vectors, stale: list[str],
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
        self._refresh()
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


def _built_with(location: str, built: str | None) -> str:
    if built is None:
        return f"the index at {location} is from a build that did not finish"
    if built == UNFINISHED:
        return f"the index at {location} is from a re-embedding that did not finish"
    return f"the index at {location} was built with {built}"


def _file_ingest(result: FileResult, changes: _Changes) -> FileIngest:
    """One file's share of an ingest: its papers by what happened to them."""
    kinds: dict[str, list[str]] = {"added": [], "updated": [], "unchanged": []}
    for paper in result.papers:
        kind = "added" if paper.paper_id in changes.added else "updated" if paper.paper_id in changes.updated \
            else "unchanged"
        kinds[kind].append(paper.title)
    return FileIngest(result.path, result.format, *(tuple(titles) for titles in kinds.values()),
                      duplicates=result.duplicates, skipped=result.skipped)
