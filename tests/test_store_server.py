"""The HttpClient path against a real `chroma run` server on 127.0.0.1."""
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rag_assistant import Assistant
from rag_assistant.errors import StoreUnavailableError

pytestmark = pytest.mark.server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def chroma_server(chroma_process):
    return chroma_process[0]


@pytest.fixture
def chroma_process(tmp_path):
    """(url, process) of a real server on 127.0.0.1; stopped at the end even if the test stopped it already."""
    port = _free_port()
    chroma = Path(sys.executable).parent / "chroma"
    log = open(tmp_path / "chroma.log", "wb")
    proc = subprocess.Popen(
        [str(chroma), "run", "--path", str(tmp_path / "server-data"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT, env={"ANONYMIZED_TELEMETRY": "False", "PATH": "/usr/bin:/bin"},
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("chroma server did not start: " + (tmp_path / "chroma.log").read_text()[-2000:])
    yield f"http://127.0.0.1:{port}", proc
    proc.terminate()
    proc.wait(timeout=20)
    log.close()


def test_http_client_ingest_reopen_and_search(config, tmp_path, tiny_corpus, chroma_server):
    cfg = config.replace(data_dir=tmp_path / "local", chroma_url=chroma_server, corpus_paths=(tiny_corpus,))
    first = Assistant.from_config(cfg)
    assert len(first.papers) == 3
    # A second client (as a fresh process would) sees the same index, papers rebuilt from the server.
    second = Assistant.from_config(cfg, build_if_missing=False)
    assert {p.title for p in second.papers.values()} == {p.title for p in first.papers.values()}
    assert second.retrieve("speech recognition on phones", k=1)[0].title == "Tiny Speech Models"
    assert not (tmp_path / "local" / "chroma").exists()  # nothing was written to the embedded store


def test_server_down_gives_actionable_error(config, tmp_path):
    cfg = config.replace(data_dir=tmp_path, chroma_url=f"http://127.0.0.1:{_free_port()}")
    with pytest.raises(StoreUnavailableError, match="cannot reach the Chroma server .*chroma run"):
        Assistant.from_config(cfg)


@pytest.mark.parametrize("url", ["notaurl", "ftp://127.0.0.1:8000", "http://127.0.0.1:99999"])
def test_malformed_server_url_says_so(config, tmp_path, url):
    with pytest.raises(StoreUnavailableError, match="is not a Chroma server URL"):
        Assistant.from_config(config.replace(data_dir=tmp_path, chroma_url=url))


def test_server_stopping_mid_session_gives_actionable_error(config, tmp_path, tiny_corpus, chroma_process):
    url, proc = chroma_process
    a = Assistant.from_config(config.replace(data_dir=tmp_path / "local", chroma_url=url, corpus_paths=(tiny_corpus,)))
    assert a.retrieve("speech recognition on phones", k=1)[0].title == "Tiny Speech Models"
    proc.terminate()
    proc.wait(timeout=20)
    extra = tmp_path / "extra.jsonl"
    extra.write_text('{"title": "Another Paper", "abstract": "A paper about sparse attention."}\n')
    for call in (lambda: a.retrieve("protein backbones", k=1), lambda: a.ask("What does the diffusion model generate?"),
                 lambda: a.ingest([extra])):
        with pytest.raises(StoreUnavailableError, match=f"lost the connection to the Chroma server at {url} .*chroma "
                                                        "run"):
            call()
