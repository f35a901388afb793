"""Errors raised by the LLM clients. Messages say how to fix the problem."""


class LLMError(Exception):
    """Base class: the language model could not produce an answer."""


class LLMUnavailable(LLMError):
    """The LLM server cannot be reached or answered with a server error."""


class LLMTimeout(LLMError):
    """The server accepted the request but went silent for longer than the idle timeout."""


class ModelNotFound(LLMError):
    """The server is up but does not have the configured model."""


class LLMBadRequest(LLMError):
    """The server refused the request (bad parameters, prompt too long, bad API key)."""


__all__ = ["LLMBadRequest", "LLMError", "LLMTimeout", "LLMUnavailable", "ModelNotFound"]
