"""With outbound connections refused (loopback allowed), ingest + retrieve + ask still work,
and nothing even tries to reach the network."""
import json
import subprocess
import sys
import textwrap

import pytest

GUARD = textwrap.dedent('''
    import socket, os
    _real_connect = socket.socket.connect
    _attempts = os.environ["NET_ATTEMPTS_FILE"]
    def _guarded(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and (host.startswith("127.") or host in ("localhost", "::1") or host.startswith("/")):
            return _real_connect(self, address)
        with open(_attempts, "a") as f:
            f.write(repr(address) + "\\n")
        raise ConnectionRefusedError("network blocked by test")
    socket.socket.connect = _guarded
    _real_getaddrinfo = socket.getaddrinfo
    def _guarded_getaddrinfo(host, *args, **kwargs):
        if host not in (None, "localhost", "127.0.0.1", "::1") and not str(host).startswith("127."):
            with open(_attempts, "a") as f:
                f.write("dns " + repr(host) + "\\n")
            raise socket.gaierror("network blocked by test")
        return _real_getaddrinfo(host, *args, **kwargs)
    socket.getaddrinfo = _guarded_getaddrinfo
''')

SCRIPT = textwrap.dedent('''
    import json, sys
    from rag_assistant import Assistant, Config
    cfg = Config.from_env({}, data_dir=sys.argv[1], generator="extractive", corpus_paths=(sys.argv[2],))
    if len(sys.argv) > 3:  # int8, exported and quantized from scratch
        cfg = cfg.replace(embed_dtype="int8", model_cache=sys.argv[3])
    a = Assistant.from_config(cfg)
    hits = a.retrieve("distilling a speech recognizer for phones", k=2)
    ans = a.ask("How small is the distilled speech model?")
    # the answer path ran: its evidence (cited, or shown as the nearest paper when the decision,
    # here the first stage alone, refuses) is the paper
    shown = [c.title for c in ans.citations] or [p.title for p in ans.sources[:1]]
    print(json.dumps({"papers": len(a.papers), "top": hits[0].title, "shown": shown}))
''')


@pytest.mark.parametrize("dtype", ["bfloat16", "int8"])
def test_everything_works_with_network_blocked(tmp_path, tiny_corpus, dtype):
    """bfloat16 is the default; int8 also exports and quantizes from scratch here (NNCF, like
    OpenVINO, would report usage unless told otherwise)."""
    (tmp_path / "guard").mkdir()
    (tmp_path / "guard" / "sitecustomize.py").write_text(GUARD)
    attempts = tmp_path / "attempts.txt"
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tmp_path / "guard"), "NET_ATTEMPTS_FILE": str(attempts),
           "HOME": str(tmp_path)}
    args = [str(tmp_path / "data"), str(tiny_corpus)] + ([str(tmp_path / "models")] if dtype == "int8" else [])
    out = subprocess.run([sys.executable, "-c", SCRIPT, *args],
                         capture_output=True, text=True, env=env, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result == {"papers": 3, "top": "Tiny Speech Models", "shown": ["Tiny Speech Models"]}
    assert not attempts.exists(), f"code tried to reach the network: {attempts.read_text()}"
