"""Config checks every setting where it is built: one line naming the setting (and its variable)."""
import pytest

from rag_assistant.config import Config
from rag_assistant.errors import ConfigError


@pytest.mark.parametrize("env, message", [
    ({"RAG_LLM_CONTEXT": "16"}, "RAG_LLM_CONTEXT \\(llm_context\\) must be from 1024 to 32768, got 16"),
    ({"RAG_LLM_CONTEXT": "-5"}, "RAG_LLM_CONTEXT \\(llm_context\\) must be from 1024"),
    ({"RAG_LLM_CONTEXT": "10000000"}, "RAG_LLM_CONTEXT \\(llm_context\\) must be from 1024 to 32768"),
    ({"RAG_LLM_THREADS": "nan"}, "RAG_LLM_THREADS must be a whole number, got 'nan'"),
    ({"RAG_LLM_CONTEXT": "2.5"}, "RAG_LLM_CONTEXT must be a whole number, got '2.5'"),
    ({"RAG_LLM_THREADS": "-2"}, "RAG_LLM_THREADS \\(llm_threads\\) must be at least 0"),
    ({"RAG_COLLECTION": "bad name!"}, "RAG_COLLECTION \\(collection\\) must be 3-512 characters"),
    ({"RAG_COLLECTION": "ab"}, "RAG_COLLECTION"),
    ({"RAG_COLLECTION": "_papers"}, "RAG_COLLECTION"),
    ({"RAG_COLLECTION": "a..b"}, "RAG_COLLECTION"),
    ({"RAG_COLLECTION": "10.0.0.1"}, "RAG_COLLECTION"),
    ({"RAG_COLLECTION": "x" * 513}, "RAG_COLLECTION"),
])
def test_unusable_environment_values_are_one_line_errors(env, message):
    with pytest.raises(ConfigError, match=message) as error:
        Config.from_env(env)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("changes, message", [
    ({"embed_batch_size": 0}, "embed_batch_size must be at least 1, got 0"),
    ({"dense_candidates": -1}, "dense_candidates must be at least 1"),
    ({"evidence_sentences": 2.5}, "evidence_sentences must be a whole number, got 2.5"),
    ({"lead_max_tokens": True}, "lead_max_tokens must be a whole number"),
    ({"list_min_similarity": 1.5}, "list_min_similarity must be from -1.0 to 1.0"),
    ({"list_min_similarity": float("nan")}, "list_min_similarity must be a finite number"),
    ({"list_margin": float("-inf")}, "list_margin must be a finite number"),
    ({"evidence_margin": -0.1}, "evidence_margin must be from 0.0 to 2.0"),
    ({"list_min_score": 3.0}, "list_min_score must be from 0.0 to 1.0"),
    ({"keyword_candidates": 0}, "keyword_candidates must be at least 1, got 0"),
    ({"llm_context": 256}, "RAG_LLM_CONTEXT \\(llm_context\\) must be from 1024"),
])
def test_unusable_settings_are_refused_by_replace_and_the_constructor(changes, message):
    with pytest.raises(ConfigError, match=message):
        Config().replace(**changes)
    with pytest.raises(ConfigError, match=message):
        Config(**changes)


def test_usable_values_pass():
    cfg = Config.from_env({"RAG_LLM_CONTEXT": "1024", "RAG_COLLECTION": "My-papers_v2.0", "RAG_LLM_THREADS": "0"})
    assert (cfg.llm_context, cfg.llm_threads, cfg.collection) == (1024, 0, "My-papers_v2.0")
    assert cfg.replace(list_min_similarity=-1, rrf_k=0, llm_threads=0, llm_context=32768).list_min_similarity == -1
    assert Config.from_env({"RAG_COLLECTION": "x" * 512}).collection == "x" * 512
