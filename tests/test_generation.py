"""Both generator backends pass the same contract test.

llama.cpp runs the real bundled 0.5B model; transformers runs a tiny Qwen2 model built
here (random weights, greedy decoding), plus one slow test converting the real GGUF.
"""
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from rag_assistant.config import Config
from rag_assistant.errors import InvalidQuestionError, ModelUnavailableError
from rag_assistant.generation import LlamaCppGenerator, TransformersGenerator, make_generator
from rag_assistant.models import BUNDLED, BundledModel, join_pieces, resolve_gguf

ROOT = Path(__file__).resolve().parents[1]

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


@pytest.mark.llm
def test_llama_cpp_backend(models_dir):
    check_generator(LlamaCppGenerator(resolve_gguf("qwen2.5-coder-0.5b", models_dir), n_ctx=512, threads=2))


def _tiny_qwen(path: Path) -> Path:
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM

    words = ("<|im_start|> <|im_end|> <unk> system user assistant you are a helpful name three colours of the "
             "rainbow . red green blue").split()
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


# ---- a stream left half-read never blocks the next one ---------------------------------------------

def _within(seconds: float, work):
    """Run ``work()`` in a thread: a deadlock fails the test instead of hanging the suite."""
    outcome = {}

    def run():
        try:
            outcome["value"] = work()
        except BaseException as exc:  # noqa: BLE001 - raised again below
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still waiting after {seconds} s: deadlocked"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


class FakeLlama:
    """Stands in for ``llama_cpp.Llama``: one model state, which each completion takes over (as the
    KV cache is), so a stream stepped after another one started fails loudly."""

    def __init__(self, **kwargs):
        self.state = None

    def tokenize(self, data: bytes, add_bos: bool = False) -> list[bytes]:
        return data.split()

    def create_chat_completion(self, messages, max_tokens, stream, **kwargs):
        def chunks():
            me = self.state = object()
            for word in messages[-1]["content"].split()[:max_tokens]:
                assert self.state is me, "another completion changed the model state mid-stream"
                time.sleep(0.01)
                yield {"choices": [{"delta": {"content": word + " "}}]}
        return chunks()


@pytest.fixture
def fake_llama(monkeypatch):
    import llama_cpp

    monkeypatch.setattr(llama_cpp, "Llama", FakeLlama)
    return LlamaCppGenerator(Path("fake.gguf"))


def _say(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


def test_a_half_read_stream_does_not_block_the_next_one_in_the_same_thread(fake_llama):
    """``ev = assistant.stream(q)``, read to the first piece, kept; then ``ask(q2)``: the old stream
    held the model's lock across ``yield``, so the second request waited for it forever."""
    def same_thread():
        first = fake_llama.stream(_say("one two three four"), 10)
        assert next(first) == "one "
        second = "".join(fake_llama.stream(_say("red green blue"), 10))
        with pytest.raises(ModelUnavailableError, match="left unread while a newer request"):
            next(first)  # it does not go on from the newer request's model state
        return second

    assert _within(30, same_thread) == "red green blue "
    assert "".join(fake_llama.stream(_say("again and again"), 2)) == "again and "  # the model is free again


def test_a_stream_read_in_another_thread_is_waited_for_not_cut(fake_llama):
    """The UI reads answers from worker threads: a second request waits for the one being read."""
    reading, results = threading.Event(), {}

    def slow_reader():
        pieces = []
        for piece in fake_llama.stream(_say(" ".join(f"w{i}" for i in range(20))), 20):
            pieces.append(piece)
            reading.set()
            time.sleep(0.02)  # the reader's own work between pieces
        results["slow"] = "".join(pieces)

    thread = threading.Thread(target=slow_reader, daemon=True)
    thread.start()
    assert reading.wait(10)
    results["second"] = _within(30, lambda: "".join(fake_llama.stream(_say("red green blue"), 10)))
    assert "slow" in results  # it finished before the second request started generating
    thread.join(10)
    assert results == {"slow": "".join(f"w{i} " for i in range(20)), "second": "red green blue "}


def test_a_closed_stream_frees_the_model_at_once(fake_llama):
    first = fake_llama.stream(_say("one two three"), 10)
    next(first)
    first.close()
    start = time.monotonic()
    assert _within(30, lambda: "".join(fake_llama.stream(_say("red green"), 10))) == "red green "
    assert time.monotonic() - start < 1.0  # no waiting for an abandoned stream


@pytest.mark.llm
def test_llama_cpp_half_read_stream_then_a_full_one(models_dir):
    """The same with the real model: the second answer is exactly what it is after the first question
    was read to its end (the shared system prompt's cache is reused either way, which can flip a word)."""
    generator = LlamaCppGenerator(resolve_gguf("qwen2.5-coder-0.5b", models_dir), n_ctx=512, threads=2)
    question = [MESSAGES[0], {"role": "user", "content": "What is the capital of France?"}]
    assert "Paris" in "".join(generator.stream(question, 12))
    alone = "".join(generator.stream(MESSAGES, 12))

    def same_thread():
        first = generator.stream(question, 12)
        next(first)
        again = "".join(generator.stream(MESSAGES, 12))
        with pytest.raises(ModelUnavailableError):
            next(first)
        return again

    assert _within(120, same_thread) == alone


@pytest.mark.llm
def test_assistant_ask_after_a_half_read_stream(config):
    """The reviewer's case through the Python API: a stream read to its first text piece and kept."""
    from rag_assistant import Answer, Assistant

    assistant = Assistant.from_config(config.replace(generator="llama_cpp"))

    def same_thread():
        events = assistant.stream("What does Big Transfer pre-train on?")
        next(event for event in events if isinstance(event, str))
        # a question the collection answers, so it reaches the model
        return events, assistant.ask("How much faster are the distilled crowd counting models?")

    events, answer = _within(300, same_thread)
    assert isinstance(answer, Answer) and answer.text
    with pytest.raises(ModelUnavailableError):
        list(events)


def test_transformers_half_read_stream_does_not_block_the_next_one(tmp_path):
    import torch

    torch.manual_seed(0)
    generator = TransformersGenerator(str(_tiny_qwen(tmp_path / "tiny")), dtype="float32", threads=2)
    alone = "".join(generator.stream(MESSAGES, 8))

    def same_thread():
        first = generator.stream(MESSAGES, 8)
        next(first)
        return "".join(generator.stream(MESSAGES, 8))

    assert _within(60, same_thread) == alone


# ---- llama.cpp context sizes ------------------------------------------------------------------------

@pytest.mark.llm
def test_a_context_llama_cpp_cannot_create_is_not_called_a_corrupt_file(models_dir):
    with pytest.raises(ModelUnavailableError, match="context of -5 tokens.*RAG_LLM_CONTEXT") as error:
        LlamaCppGenerator(resolve_gguf("qwen2.5-coder-0.5b", models_dir), n_ctx=-5, threads=1)
    assert "corrupt" not in str(error.value)


@pytest.mark.llm
def test_a_prompt_longer_than_the_context_is_a_clear_error(models_dir):
    generator = LlamaCppGenerator(resolve_gguf("qwen2.5-coder-0.5b", models_dir), n_ctx=256, threads=1)
    with pytest.raises(InvalidQuestionError, match="does not fit .*RAG_LLM_CONTEXT"):
        list(generator.stream(_say("colour " * 400), 8))
    assert "".join(generator.stream(MESSAGES, 4))  # the model still answers the next request


# ---- joining the bundled pieces ----------------------------------------------------------------------

def _fake_model(tmp_path, name: str, pieces: list[bytes | None]) -> tuple[BundledModel, Path]:
    """Piece packages ``<name>1``, ``<name>2``, ... in a folder for sys.path; None: a FIFO piece,
    whose read blocks until someone writes to it (an interrupt arrives mid-join)."""
    site = tmp_path / "site"
    for i, data in enumerate(pieces, 1):
        folder = site / f"{name}{i}" / "data"
        folder.mkdir(parents=True)
        (folder.parent / "__init__.py").write_text("")
        if data is None:
            os.mkfifo(folder / "part01.bin")
        else:
            (folder / "part01.bin").write_bytes(data)
    return BundledModel(name, name, len(pieces), "0"), site


def test_an_interrupted_join_leaves_no_partial_file(tmp_path):
    """Ctrl-C while the pieces are joined: the NAME.part-PID file goes too."""
    model, site = _fake_model(tmp_path, "interrupted_part", [b"GGUF" + b"x" * 1000, None])
    target = tmp_path / "models" / "m.gguf"
    # Ctrl-C raises KeyboardInterrupt even where the test run was started with SIGINT ignored (a
    # background job of a non-interactive shell), which the child would inherit
    script = ("import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
              "from pathlib import Path; from rag_assistant.models import BundledModel, join_pieces; "
              f"join_pieces(BundledModel({model.name!r}, {model.name!r}, 2, '0'), Path(sys.argv[1]))")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(ROOT)])}
    proc = subprocess.Popen([sys.executable, "-c", script, str(target)], env=env, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not list(target.parent.glob("m.part-*")) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert list(target.parent.glob("m.part-*")), "the join never started"
        time.sleep(0.2)  # now blocked reading the second piece
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert "KeyboardInterrupt" in stderr
    assert not list(target.parent.iterdir())


def test_a_full_disk_during_a_join_is_a_clear_error_and_leaves_nothing(tmp_path, monkeypatch):
    model, site = _fake_model(tmp_path, "full_disk_part", [b"GGUF" + b"x" * 100_000, b"y" * 100_000])
    monkeypatch.syspath_prepend(str(site))
    models = tmp_path / "models"
    models.mkdir()
    target = models / "m.gguf"
    target.with_suffix(f".part-{os.getpid()}").symlink_to("/dev/full")  # every write: no space left
    full = f"models folder {models} .*no space left on device.*RAG_MODELS_DIR"
    with pytest.raises(ModelUnavailableError, match=full):
        join_pieces(model, target)
    assert not list(models.iterdir())


def test_a_join_removes_partial_files_of_dead_processes_only(tmp_path, monkeypatch):
    model, site = _fake_model(tmp_path, "stale_part", [b"GGUF" + b"a" * 10, b"b" * 10])
    monkeypatch.syspath_prepend(str(site))
    models = tmp_path / "models"
    models.mkdir()
    dead, running, other = models / "m.part-999999999", models / f"m.part-{os.getppid()}", models / "m2.part-1"
    for path in (dead, running, other):
        path.write_bytes(b"partial")
    target = join_pieces(model, models / "m.gguf")
    assert target.read_bytes() == b"GGUF" + b"a" * 10 + b"b" * 10
    assert not dead.exists() and running.exists() and other.exists()


@pytest.mark.parametrize("where", ["a-file", "a-file/sub"])
def test_a_models_dir_that_is_not_a_folder_is_a_clear_error(tmp_path, where):
    (tmp_path / "a-file").write_text("x")
    with pytest.raises(ModelUnavailableError, match="models folder .*a-file is a file.*set RAG_MODELS_DIR"):
        resolve_gguf("qwen2.5-coder-0.5b", tmp_path / where)


def test_a_read_only_models_dir_is_a_clear_error(read_only_models_dir):
    models = read_only_models_dir
    with pytest.raises(ModelUnavailableError, match="models folder .* is not usable.*RAG_MODELS_DIR"):
        resolve_gguf("qwen2.5-coder-0.5b", models)
