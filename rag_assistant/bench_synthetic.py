"""The bench's synthetic collection: papers whose titles and abstracts recombine the corpus's title
words and abstract sentences (seeded, deterministic), their vectors made from the corpus's sentence
embeddings, and our store over them built from those vectors (see ``benchmark``'s method, 3)."""
from __future__ import annotations

import json
import random
import time
from pathlib import Path

from .config import Config


def synthetic_collection(papers, n_chunks: int, seed: int = 0, sentences_per_paper: tuple[int, int] = (4, 12)):
    """Deterministic synthetic papers: (corpus sentences, [(title, [sentence ids])]) with n_chunks
    sentences in all (a chunk is a sentence), 4-12 per paper (about as many as a bundled abstract has).

    Titles splice two corpus titles and carry a serial number (so each is unique); abstracts
    string together corpus sentences drawn at random.
    """
    from .chunking import split_sentences

    # only sentences that stay one sentence when joined to others, so that ingest splits a synthetic
    # abstract back into exactly the sentences it was made of
    sentences = sorted({s for p in papers for s in split_sentences(p.abstract)
                        if 40 <= len(s) <= 600 and split_sentences(f"{s} {s}") == [s, s]})
    title_words = [p.title.split() for p in papers if len(p.title.split()) >= 2]
    rng = random.Random(seed)
    out, total = [], 0
    while total < n_chunks:
        a, b = rng.choice(title_words), rng.choice(title_words)
        title = " ".join(a[: max(1, len(a) // 2)] + b[len(b) // 2:]) + f" (S{len(out) + 1})"
        ids = [rng.randrange(len(sentences)) for _ in range(min(rng.randint(*sentences_per_paper), n_chunks - total))]
        total += len(ids)
        out.append((title, ids))
    return sentences, out


def synthetic_vectors(sentence_vectors, title_vectors, collection, seed: int = 0):
    """Each synthetic chunk's vector (its sentence's, + tiny noise, normalized) and each paper's
    paper vector and weight (``retrieval.paper_vector`` of its chunks and its title's vector)."""
    import numpy as np

    from .retrieval import paper_vector

    rng = np.random.default_rng(seed)
    vectors = sentence_vectors[[i for _, ids in collection for i in ids]].astype(np.float32)
    vectors += rng.normal(0, 0.01, vectors.shape).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    papers, start = [], 0
    for (_, ids), title_vector in zip(collection, title_vectors):
        papers.append(paper_vector(vectors[start:start + len(ids)], title_vector))
        start += len(ids)
    return vectors, papers


def write_corpus_sample(sentences, collection, n_papers: int, path: Path) -> int:
    """The first ``n_papers`` synthetic papers as a JSONL corpus file; returns their number of sentences."""
    chosen = collection[:n_papers]
    with path.open("w", encoding="utf-8") as f:
        for title, ids in chosen:
            f.write(json.dumps({"title": title, "abstract": " ".join(sentences[i] for i in ids)}) + "\n")
    return sum(len(ids) for _, ids in chosen)


def build_synthetic_index(assistant, config: Config, sentences, collection, *, chunk_vectors, paper_vectors,
                          folder: Path):
    """Our store over the synthetic papers from precomputed vectors; returns (Assistant, seconds, chunks).
    The chunks' texts are stored too (which ingest does not do): LangChain's Chroma wrapper, the
    stock recipe's query path, reads them."""
    from .assistant import Assistant
    from .chunking import chunk_id
    from .corpus import paper_id
    from .store import ChromaStore
    from .types import Chunk, Paper

    start = time.perf_counter()
    store = ChromaStore(assistant.embedder, None, folder, "synthetic", "synthetic")
    chunks, papers, vectors = [], {}, {}
    for (title, ids), paper_vec in zip(collection, paper_vectors):
        pid = paper_id(title)
        papers[pid] = Paper(pid, title, " ".join(sentences[i] for i in ids), "synthetic")
        chunks += [Chunk(chunk_id(pid, n), pid, title, sentences[i], n) for n, i in enumerate(ids)]
        vectors[pid] = paper_vec
    store.upsert(chunks, chunk_vectors, papers, vectors, texts=True)
    store.mark_built()
    built = time.perf_counter() - start
    return Assistant(config.replace(data_dir=folder.parent), assistant.embedder, store), built, len(chunks)
