"""Baselines the evaluation and the benchmark compare against.

- ``BM25Baseline``: bm25s over "title abstract", one document per paper (paper-level ranking).
- ``StockRecipe``: the stock LangChain RAG recipe, as a tutorial would write it:
  ``RecursiveCharacterTextSplitter(chunk_size=800, chunk_overlap=100)`` over "title\\nabstract"
  documents, ``HuggingFaceEmbeddings`` (the same all-MiniLM-L6-v2 folder, default settings),
  ``Chroma.from_documents`` in a temporary directory, ``similarity_search(q, k=4)``, and the
  four chunks stuffed into one plain "answer and cite" prompt (``prompts/baseline.txt``) for
  the same local LLM. It never abstains, never condenses follow-ups, and its citations are
  whatever it names, unverified.
"""
from __future__ import annotations

import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from .corpus import normalize_title
from .types import Paper

STOCK_CHUNK_SIZE = 800
STOCK_CHUNK_OVERLAP = 100
STOCK_K = 4
_MARKER = re.compile(r"\[\s*(\d+(?:\s*[,;\u2013-]\s*\d+)*)\s*\]")


class BM25Baseline:
    """Keyword-only retrieval: BM25 (bm25s, English stop words, Snowball stemmer) over title + abstract."""

    name = "bm25"

    def __init__(self, papers: Sequence[Paper]):
        import bm25s
        import Stemmer

        self._bm25s = bm25s
        self._stemmer = Stemmer.Stemmer("english")
        self.titles = [p.title for p in papers]
        self.retriever = bm25s.BM25()
        corpus = bm25s.tokenize([f"{p.title} {p.abstract}" for p in papers], stopwords="en",
                                stemmer=self._stemmer, show_progress=False)
        self.retriever.index(corpus, show_progress=False)

    def search(self, query: str, k: int = 10) -> list[str]:
        """Titles of the best ``k`` papers with a positive score (ties keep index order)."""
        tokens = self._bm25s.tokenize([query], stopwords="en", stemmer=self._stemmer, show_progress=False)
        if not self.titles or not tokens.ids or not tokens.ids[0]:
            return []
        try:
            docs, scores = self.retriever.retrieve(tokens, k=min(k, len(self.titles)), show_progress=False,
                                                   n_threads=1)
        except (ValueError, KeyError):  # no query token in the vocabulary
            return []
        return [self.titles[int(d)] for d, s in zip(docs[0], scores[0]) if s > 0]


@dataclass
class StockAnswer:
    text: str
    cited: list[str]
    ranking: list[str]
    retrieval_s: float
    first_token_s: float
    total_s: float
    tokens: int = 0
    chunks: list = field(default_factory=list)


def stock_documents(papers: Sequence[Paper]):
    """One LangChain ``Document`` per paper: "title\\nabstract", metadata title."""
    from langchain_core.documents import Document

    return [Document(page_content=f"{p.title}\n{p.abstract}", metadata={"title": p.title}) for p in papers]


def stock_split(documents):
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(chunk_size=STOCK_CHUNK_SIZE, chunk_overlap=STOCK_CHUNK_OVERLAP)
    return splitter.split_documents(documents)


def stock_embeddings(model_path: str):
    """``HuggingFaceEmbeddings`` with its defaults, on the local all-MiniLM-L6-v2 folder."""
    from langchain_huggingface import HuggingFaceEmbeddings

    return HuggingFaceEmbeddings(model_name=str(model_path))


def chroma_settings():
    from chromadb.config import Settings

    return Settings(anonymized_telemetry=False)


def cited_titles(text: str, chunk_titles: Sequence[str]) -> list[str]:
    """Titles an answer cites: by a marker [n] (1-based chunk number, ranges and lists allowed)
    or by naming a retrieved chunk's title verbatim (case/whitespace-insensitive). Unverified.

    >>> cited_titles("X holds [2]. See Alpha Beta.", ["Alpha Beta", "Gamma", "Gamma"])
    ['Gamma', 'Alpha Beta']
    """
    found: list[str] = []
    for group in _MARKER.findall(text):
        numbers = [int(n) for n in re.findall(r"\d+", group)]
        if re.search(r"[\u2013-]", group) and len(numbers) == 2 and numbers[0] <= numbers[1] <= 50:
            numbers = list(range(numbers[0], numbers[1] + 1))
        found += [chunk_titles[n - 1] for n in numbers if 1 <= n <= len(chunk_titles)]
    haystack = normalize_title(text)
    found += [t for t in chunk_titles if normalize_title(t) and normalize_title(t) in haystack]
    return list(dict.fromkeys(found))


def format_context(chunks) -> str:
    return "\n\n".join(f"[{n}] Title: {c.metadata.get('title', '')}\n{c.page_content}"
                       for n, c in enumerate(chunks, start=1))


class StockRecipe:
    """The stock LangChain recipe over a paper collection (build once, then search / answer)."""

    name = "langchain"

    def __init__(self, vectorstore, workdir: Path | None = None, chunks: int = 0):
        self.vectorstore = vectorstore
        self.workdir = workdir
        self.chunks = chunks

    @classmethod
    def build(cls, papers: Sequence[Paper], model_path: str, embeddings=None,
              workdir: Path | None = None) -> "StockRecipe":
        """Split, embed and index ``papers`` into ``workdir`` (a new temporary folder by default)."""
        from langchain_chroma import Chroma

        workdir = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="stock-chroma-"))
        chunks = stock_split(stock_documents(papers))
        store = Chroma.from_documents(
            chunks, embeddings or stock_embeddings(model_path), collection_name="stock",
            persist_directory=str(workdir), client_settings=chroma_settings(),
        )
        return cls(store, workdir, len(chunks))

    def search(self, query: str, k: int = STOCK_K):
        return self.vectorstore.similarity_search(query, k=k)

    def ranking(self, query: str, k: int = STOCK_K) -> list[str]:
        """Distinct titles of the retrieved chunks, in order (at most ``k``)."""
        return list(dict.fromkeys(d.metadata.get("title", "") for d in self.search(query, k)))

    def messages(self, prompts_dir, question: str, chunks) -> list[dict[str, str]]:
        from .prompts import render

        prompt = render(prompts_dir, "baseline", context=format_context(chunks), question=question)
        return [{"role": "user", "content": prompt}]

    def answer(self, question: str, generator, prompts_dir, max_tokens: int) -> StockAnswer:
        """Retrieve 4 chunks, stuff them into the prompt, stream the answer; timings from the start."""
        start = time.perf_counter()
        chunks = self.search(question)
        retrieval_s = time.perf_counter() - start
        pieces, first = [], 0.0
        for piece in generator.stream(self.messages(prompts_dir, question, chunks), max_tokens):
            if piece and not first:
                first = time.perf_counter() - start
            pieces.append(piece)
        total = time.perf_counter() - start
        text = "".join(pieces).strip()
        titles = [c.metadata.get("title", "") for c in chunks]
        return StockAnswer(text, cited_titles(text, titles), list(dict.fromkeys(titles)), retrieval_s,
                           first or total, total, len(pieces), chunks)

    def close(self) -> None:
        try:
            self.vectorstore.delete_collection()
        except Exception:  # noqa: BLE001 - best-effort cleanup of a temp store
            pass
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None
