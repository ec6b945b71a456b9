"""rag_assistant: an offline research assistant with verified citations.

>>> from rag_assistant import Assistant          # doctest: +SKIP
>>> a = Assistant.from_config()                  # doctest: +SKIP
>>> a.ask("What is R2-Tuning?").citations        # doctest: +SKIP

Importing this package is cheap: torch, chromadb and the models load on first use.
"""
from .config import Config
from .errors import RagAssistantError
from .filters import Filters
from .types import Answer, Chunk, Citation, Evidence, Hit, IngestReport, Paper, Sources, Timings

__all__ = [
    "Answer", "Assistant", "Chunk", "Citation", "Config", "Evidence", "Filters", "Hit", "IngestReport", "Paper",
    "RagAssistantError", "Sources", "Timings",
]


def __getattr__(name: str):
    if name == "Assistant":  # keeps `import rag_assistant` light
        from .assistant import Assistant

        return Assistant
    raise AttributeError(name)
