"""The command line's own handling of paths and of output it cannot write (real index, subprocesses)."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rag_assistant import cli

ENV = {**os.environ, "RAG_GENERATOR": "extractive"}


def test_output_piped_into_a_reader_that_stops_early_is_not_a_traceback(assistant, config):
    proc = subprocess.run(f"{sys.executable} -m rag_assistant.cli --data-dir '{config.data_dir}' search learning "
                          "-k 50 --json | head -c 1", shell=True, env=ENV,
                          text=True, capture_output=True, timeout=300, executable="/bin/bash")
    assert proc.stdout == "["
    assert "Traceback" not in proc.stderr and "BrokenPipeError" not in proc.stderr


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_output_to_a_full_disk_is_one_error_line(assistant, config):
    with open("/dev/full", "w") as full:
        proc = subprocess.run([sys.executable, "-m", "rag_assistant.cli", "--data-dir", str(config.data_dir),
                               "search", "learning"], env=ENV, stdout=full, stderr=subprocess.PIPE, text=True,
                              timeout=300)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1] == "error: cannot write the output (No space left on device)"


def test_paths_expand_the_home_folder_and_an_empty_one_is_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HOME", str(tmp_path))
    args = cli._parser().parse_args(["--data-dir=~/index", "ingest", "~/papers.jsonl"])
    assert args.data_dir == tmp_path / "index" and args.paths == [tmp_path / "papers.jsonl"]
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--data-dir", str(tmp_path), "ingest", ""])
    assert exit_.value.code == 2 and "empty path: name a file or folder" in capsys.readouterr().err
