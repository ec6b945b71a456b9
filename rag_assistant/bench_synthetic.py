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


# ---- metadata for generated papers (the scale bench) -------------------------------------------
YEARS = tuple(range(2005, 2026))
YEAR_WEIGHTS = tuple(1.18 ** (year - YEARS[0]) for year in YEARS)
FIRST_NAMES = (
    "Ada", "Alan", "Alice", "Amir", "Ana", "Andrea", "Anna", "Arjun", "Ben", "Carlos", "Chen", "Daniel", "David",
    "Elena", "Emma", "Fatima", "Felix", "Hana", "Hiro", "Ivan", "James", "Jia", "John", "Julia", "Kai", "Lars",
    "Laura", "Lei", "Li", "Lucas", "Maria", "Mark", "Mei", "Mohammed", "Nadia", "Noah", "Olga", "Omar", "Pablo",
    "Priya", "Rahul", "Sara", "Sofia", "Tom", "Wei", "Yuki", "Yusuf", "Zhen",
)
SURNAMES = (
    "Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu", "Sun", "Ma", "Zhu", "Hu",
    "Guo", "He", "Lin", "Gao", "Luo", "Kim", "Lee", "Park", "Choi", "Nguyen", "Tran", "Smith", "Johnson",
    "Williams", "Brown", "Jones", "Miller", "Davis", "Garcia", "Rodriguez", "Martinez", "Hernandez", "Lopez",
    "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Thompson", "White",
    "Harris", "Clark", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott", "Hill", "Green",
    "Adams", "Baker", "Nelson", "Carter", "Mitchell", "Roberts", "Turner", "Phillips", "Campbell", "Parker",
    "Evans", "Edwards", "Collins", "Stewart", "Morris", "Murphy", "Cook", "Rogers", "Morgan", "Cooper", "Peterson",
    "Reed", "Bailey", "Bell", "Kelly", "Howard", "Ward", "Cox", "Richardson", "Wood", "Watson", "Brooks", "Bennett",
    "Gray", "James", "Hughes", "Price", "Sanders", "Myers", "Long", "Ross", "Foster", "Sato", "Suzuki", "Takahashi",
    "Tanaka", "Watanabe", "Ito", "Yamamoto", "Nakamura", "Kobayashi", "Kato", "Singh", "Kumar", "Sharma", "Patel",
    "Gupta", "Shah", "Mehta", "Iyer", "Reddy", "Rao", "Mueller", "Schmidt", "Schneider", "Fischer", "Weber",
    "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann", "Rossi", "Russo", "Ferrari", "Esposito", "Bianchi",
    "Romano", "Colombo", "Ricci", "Dubois", "Lefebvre", "Moreau", "Laurent", "Simon", "Michel", "Ivanov",
    "Petrov", "Sidorov", "Kowalski", "Nowak", "Jansen", "de Vries", "Bakker", "Visser", "Silva", "Santos",
    "Oliveira", "Pereira", "Costa", "Ahmed", "Hassan", "Ali", "Khan", "Cohen", "Levi", "Novak", "Horvat",
)
SURNAME_WEIGHTS = tuple(1 / (rank + 8) for rank in range(len(SURNAMES)))  # a long tail, as in author lists
AUTHOR_COUNTS = ((1, 2, 3, 4, 5, 6, 7, 8), (6, 13, 18, 18, 15, 12, 9, 9))
CATEGORIES = (("cs.LG", 20), ("cs.CV", 18), ("cs.CL", 14), ("cs.AI", 10), ("stat.ML", 8), ("cs.RO", 5),
              ("cs.IR", 4), ("cs.CR", 4), ("cs.NE", 3), ("eess.IV", 3), ("cs.SD", 2), ("eess.AS", 2), ("cs.DC", 2),
              ("q-bio.QM", 2), ("cs.HC", 2), ("math.OC", 1))
VENUES = (("arXiv", 45), ("NeurIPS", 8), ("ICML", 6), ("ICLR", 6), ("CVPR", 7), ("ICCV", 3), ("ECCV", 3),
          ("ACL", 4), ("EMNLP", 4), ("NAACL", 2), ("AAAI", 4), ("IJCAI", 2), ("KDD", 2), ("SIGIR", 1),
          ("IEEE Transactions on Pattern Analysis and Machine Intelligence", 1),
          ("Journal of Machine Learning Research", 1), ("Nature Machine Intelligence", 1))


def paper_metadata(index: int, seed: int = 0) -> dict:
    """The generated paper ``index``'s metadata, from its own seeded generator (the same in every run,
    whatever N is).

    >>> paper_metadata(7) == paper_metadata(7) and paper_metadata(7) != paper_metadata(8)
    True
    """
    rng = random.Random(f"scale:{seed}:{index}")
    authors: list[str] = []
    for _ in range(rng.choices(*AUTHOR_COUNTS)[0]):
        name = f"{rng.choice(FIRST_NAMES)} {rng.choices(SURNAMES, SURNAME_WEIGHTS)[0]}"
        if name not in authors:
            authors.append(name)
    year = rng.choices(YEARS, YEAR_WEIGHTS)[0]
    names, weights = zip(*CATEGORIES)
    categories = list(dict.fromkeys(rng.choices(names, weights, k=rng.choice((1, 1, 2, 2, 3)))))
    venue = rng.choices(*zip(*VENUES))[0]
    number = rng.randrange(10_000, 100_000) if year >= 2015 else rng.randrange(1_000, 10_000)  # 5 digits from 2015
    arxiv_id = f"{year % 100:02d}{rng.randint(1, 12):02d}.{number}"
    return {"authors": authors, "year": year, "categories": categories,
            "venue": venue if venue == "arXiv" or " " in venue else f"{venue} {year}",
            "arxiv_id": arxiv_id, "url": f"https://arxiv.org/abs/{arxiv_id}"}
