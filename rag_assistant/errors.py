"""Errors with actionable messages. The CLI and UI print ``str(error)`` as one line."""


class RagAssistantError(Exception):
    """Base class: a problem the user can fix, described in one actionable line."""


class CorpusError(RagAssistantError):
    """An input file could not be parsed; the message names the file and line."""


class IndexMissingError(RagAssistantError):
    """The index has not been built yet."""


class StoreUnavailableError(RagAssistantError):
    """The vector store (e.g. a Chroma server) cannot be reached."""


class ModelUnavailableError(RagAssistantError):
    """A model's weights are missing or cannot be loaded."""


class InvalidQuestionError(RagAssistantError):
    """The question is empty, too long, or otherwise unusable."""


class ConfigError(RagAssistantError):
    """A setting (flag, environment variable, folder) is unusable."""


class IndexDamagedError(RagAssistantError):
    """The index on disk is corrupt; it is never deleted automatically."""


class NoMatchingPapersError(RagAssistantError):
    """The filters leave no paper of the collection to search."""
