"""The retriever passes LangChain's standard retriever test suite (langchain-tests)."""
import pytest
from langchain_tests.integration_tests import RetrieversIntegrationTests

from rag_assistant.langchain import PaperRetriever


class TestPaperRetrieverStandard(RetrieversIntegrationTests):
    @pytest.fixture(autouse=True)
    def _assistant(self, assistant):
        self._a = assistant

    @property
    def retriever_constructor(self) -> type[PaperRetriever]:
        return PaperRetriever

    @property
    def retriever_constructor_params(self) -> dict:
        return {"assistant": self._a}

    @property
    def retriever_query_example(self) -> str:
        return "efficient transfer learning for video temporal grounding"


def test_documents_carry_title_and_paper_id(assistant):
    docs = assistant.as_retriever(k=3).invoke("video temporal grounding with CLIP")
    assert len(docs) == 3
    assert len({d.metadata["paper_id"] for d in docs}) == 3
    assert docs[0].metadata["title"].startswith("$R^2$-Tuning")
    assert docs[0].page_content
