"""The hybrid retriever as a LangChain ``BaseRetriever``, for use in users' LangChain apps.

>>> retriever = Assistant.from_config().as_retriever(k=4)   # doctest: +SKIP
>>> retriever.invoke("video temporal grounding")[0].metadata["title"]  # doctest: +SKIP
"""
from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict


class PaperRetriever(BaseRetriever):
    """Paper-level hybrid retrieval; each ``Document`` is a paper's best sentence with its neighbours,
    its title in metadata."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    assistant: Any
    k: int = 4

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, k: int | None = None, **kwargs: Any
    ) -> list[Document]:
        hits = self.assistant.retrieve(query, k=k or self.k)
        return [
            Document(
                page_content=hit.text,
                metadata={"title": hit.title, "paper_id": hit.paper_id, "score": hit.score,
                          "similarity": hit.similarity, "rank": hit.rank},
                id=hit.paper_id,
            )
            for hit in hits
        ]
