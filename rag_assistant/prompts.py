"""Prompts are files under ``prompts/``, rendered strictly.

A missing variable raises ``KeyError`` and so does an unused one, so a prompt
and the code that fills it cannot silently drift apart.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from string import Template


@lru_cache(maxsize=64)
def load(prompts_dir: Path, name: str) -> Template:
    return Template((Path(prompts_dir) / f"{name}.txt").read_text(encoding="utf-8").strip())


def render(prompts_dir: Path, name: str, **variables: str) -> str:
    """Fill ``$name`` placeholders; missing or unexpected variables are errors."""
    template = load(Path(prompts_dir), name)
    expected = {m.group("named") or m.group("braced") for m in template.pattern.finditer(template.template)} - {None}
    unexpected = set(variables) - expected
    if unexpected:
        raise KeyError(f"prompt {name!r} has no variable(s) {sorted(unexpected)}")
    return template.substitute(variables)
