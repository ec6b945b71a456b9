#!/usr/bin/env bash
# The whole test suite (make test). A failing test fails the run at once. A run that dies from a
# signal, which is a native library crashing rather than a test failing, is run once more and
# says so: a crash has been seen once, in the cyclic garbage collector's finalizers between two
# tests (faulthandler shows "Garbage-collecting" and the Python stack), and not reproduced since.
set -uo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python -m pytest -q "$@"
rc=$?
if [ "$rc" -ge 128 ]; then
  echo "pytest died from signal $((rc - 128)) (a native crash; its Python stack is above): running the suite once more" >&2
  .venv/bin/python -m pytest -q "$@"
  rc=$?
fi
exit "$rc"
