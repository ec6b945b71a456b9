"""The bundled page scrape (``.txt``): 2 header lines, then title / abstract line pairs. No metadata.

>>> _has_header(["Get papers daily!", "Get papers!", "SubscribeA Title", "An abstract."])
True
>>> _has_header(["A Title", "We study things. " * 20, "Another Title", "Its abstract."])
False
>>> _has_header(["A Title", "One sentence of abstract, with no full stop inside it, yet well over twice "
...              "the length of the title before it", "T", "A"])
False
"""
from __future__ import annotations

from pathlib import Path

from ..errors import CorpusError
from .record import Parsed, Skipped, paper_or_skip

HEADER_LINES = 2
SUBSCRIBE_PREFIX = "Subscribe"


def _has_header(lines: list[str]) -> bool:
    """A page scrape starts with 2 header lines (and its first title with "Subscribe"); a file of
    title/abstract pairs without them has an abstract as its second line, much longer than the
    title before it, and its first paper must not be lost. (A first abstract under 100
    characters, or under twice its title's length, is taken for a header.)"""
    if len(lines) > HEADER_LINES and lines[HEADER_LINES].startswith(SUBSCRIBE_PREFIX):
        return True  # the scrape's own layout
    if len(lines) < 2:
        return True
    first, second = lines[0].strip(), lines[1].strip()
    return not (len(second) >= 100 and len(second) > 2 * len(first))


def parse(path: Path, text: str) -> Parsed:
    """Title/abstract line pairs after the header. The pairs are positional, so an empty title or
    abstract is an error (the lines after it would pair up wrongly), not a skipped entry."""
    lines = text.splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    header = HEADER_LINES if _has_header(lines) else 0
    body = lines[header:]
    if not body:
        raise CorpusError(f"{path}: no papers after the {HEADER_LINES} header lines")
    if len(body) % 2:
        raise CorpusError(
            f"{path}:{header + len(body)}: odd number of lines" + (" after the header" if header else "") + " "
            f"({len(body)}): every title needs an abstract on the next line"
        )
    papers = []
    for i in range(0, len(body), 2):
        title, line = body[i], header + i + 1
        if i == 0 and title.startswith(SUBSCRIBE_PREFIX):
            title = title[len(SUBSCRIBE_PREFIX):]
        paper = paper_or_skip(f"{path}:{line}", f"line {line}", path.name, title, body[i + 1])
        if isinstance(paper, Skipped):
            raise CorpusError(f"{path}:{line}: empty title" if paper.reason == "no title" else
                              f"{path}:{line + 1}: empty abstract for title {paper.title[:60]!r}")
        papers.append(paper)
    return Parsed("page", tuple(papers))
