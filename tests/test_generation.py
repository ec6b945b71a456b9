"""Both generator backends pass the same contract test.

llama.cpp runs the real bundled 0.5B model; transformers runs a tiny Qwen2 model built
here (random weights, greedy decoding), plus one slow test converting the real GGUF.
"""
from pathlib import Path

import pytest

from rag_assistant.config import Config
from rag_assistant.generation import LlamaCppGenerator, TransformersGenerator, make_generator
from rag_assistant.models import BUNDLED, join_pieces, resolve_gguf
from rag_assistant.errors import ModelUnavailableError

MESSAGES = [
    {"role": "system", "content": "You are a helpful assistant."},
    {"role": "user", "content": "Name three colours of the rainbow."},
]


def check_generator(generator, max_tokens=12):
    """The contract every backend meets: streamed str pieces, bounded length, greedy = reproducible."""
    first = list(generator.stream(MESSAGES, max_tokens))
    assert first and all(isinstance(p, str) for p in first)
    assert generator.count_tokens("".join(first)) <= max_tokens + 2
    assert "".join(generator.stream(MESSAGES, max_tokens)) == "".join(first)
    assert isinstance(generator.name, str) and generator.name


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("models")


def test_bundled_pieces_join_once(models_dir):
    target = models_dir / "qwen2.5-coder-0.5b.gguf"
    path = join_pieces(BUNDLED["qwen2.5-coder-0.5b"], target)
    assert path.read_bytes()[:4] == b"GGUF" and path.stat().st_size > 400_000_000
    mtime = path.stat().st_mtime_ns
    assert join_pieces(BUNDLED["qwen2.5-coder-0.5b"], target).stat().st_mtime_ns == mtime  # reused


def test_llama_cpp_backend(models_dir):
    check_generator(LlamaCppGenerator(resolve_gguf("qwen2.5-coder-0.5b", models_dir), n_ctx=512, threads=2))


def _tiny_qwen(path: Path) -> Path:
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM

    words = "<|im_start|> <|im_end|> <unk> system user assistant you are a helpful name three colours of the rainbow . red green blue".split()
    tok = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="<unk>", eos_token="<|im_end|>",
                                        bos_token="<|im_start|>", pad_token="<|im_end|>")
    tokenizer.chat_template = ("{% for m in messages %}<|im_start|> {{ m['role'] }} {{ m['content'] }} <|im_end|> "
                               "{% endfor %}{% if add_generation_prompt %}<|im_start|> assistant {% endif %}")
    config = Qwen2Config(vocab_size=len(words), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=128,
                         eos_token_id=1, bos_token_id=0)
    Qwen2ForCausalLM(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def test_transformers_backend(tmp_path):
    import torch

    torch.manual_seed(0)
    check_generator(TransformersGenerator(str(_tiny_qwen(tmp_path / "tiny")), dtype="float32", threads=2))


def test_unknown_model_and_backend_are_clear_errors(tmp_path):
    with pytest.raises(ModelUnavailableError, match="not found"):
        resolve_gguf("no-such-model", tmp_path)
    not_gguf = tmp_path / "x.gguf"
    not_gguf.write_bytes(b"nope")
    with pytest.raises(ModelUnavailableError, match="not a GGUF"):
        resolve_gguf(str(not_gguf), tmp_path)
    with pytest.raises(ModelUnavailableError, match="unknown generator"):
        make_generator(Config(data_dir=tmp_path, generator="gpt"))
    with pytest.raises(ModelUnavailableError, match="Hugging Face model folder"):
        TransformersGenerator(str(tmp_path))  # a folder with no model in it


def test_truncated_gguf_is_a_clear_error(models_dir, tmp_path):
    """A partly downloaded or copied model: valid header, missing tensors."""
    whole = resolve_gguf("qwen2.5-coder-0.5b", models_dir)
    half = tmp_path / "half.gguf"
    with whole.open("rb") as src:
        half.write_bytes(src.read(20_000_000))
    with pytest.raises(ModelUnavailableError, match="truncated or corrupt"):
        LlamaCppGenerator(resolve_gguf(str(half), tmp_path), n_ctx=256, threads=1)


@pytest.mark.llm
def test_transformers_backend_on_the_bundled_gguf_converts_once(models_dir):
    """The real 0.5B GGUF through transformers: dequantized once into a HF folder, then loaded from it."""
    cfg = Config(data_dir=models_dir.parent, model_cache=models_dir, generator="transformers",
                 llm_model="qwen2.5-coder-0.5b")
    generator = make_generator(cfg)
    hf_dir = models_dir / "qwen2.5-coder-0.5b-hf"
    assert (hf_dir / "config.json").exists()
    text = "".join(generator.stream(MESSAGES, 16)).lower()
    assert any(colour in text for colour in ("red", "orange", "yellow", "green", "blue"))
