"""Typed errors, named once.

The class name is the error name Step Functions sees (Lambda reports ``errorType``), so the
state machine's Retry/Catch match these names; the API maps them to status codes in one place
(``shared/api/resolver.py``, from ``status_code``). Never choose an error by searching its message text.
"""

from __future__ import annotations


class EngineError(Exception):
    """Base of every error the engine raises on purpose."""

    status_code = 500


class InputInvalid(EngineError):
    """The request or the job payload is wrong; the message says what to fix."""

    status_code = 400


class NotFound(EngineError):
    """A record does not exist in the caller's account."""

    status_code = 404


class Unauthorized(EngineError):
    """No API key, or an unknown one."""

    status_code = 401


class InsufficientCredits(EngineError):
    """The account's credits or monthly budget would be exceeded."""

    status_code = 402


class AIProviderTransient(EngineError):
    """A provider failure worth retrying (429, 5xx, timeouts, connection errors)."""

    status_code = 502


class AIProviderError(EngineError):
    """A provider failure not worth retrying (bad key, bad request, retries exhausted)."""

    status_code = 502


class AIResponseInvalid(EngineError):
    """The model answered, but the answer cannot be used (malformed, refused, cut off)."""

    status_code = 502


class RecordBusy(EngineError):
    """A record the job would change is claimed by another job still running (``shared.engine.claims``).

    The message names the record and the job, and where to follow it; ``task_id``,
    ``function_name`` and ``status`` are the holder's (empty when it could not be read).
    """

    status_code = 409

    def __init__(
        self, message: str, ref: str = "", task_id: str = "", function_name: str = "", status: str = ""
    ) -> None:
        super().__init__(message)
        self.ref = ref
        self.task_id = task_id
        self.function_name = function_name
        self.status = status


class ItemFailed(EngineError):
    """One item of a job failed and the function does not isolate item failures."""


class BatchIncomplete(EngineError):
    """DynamoDB still left keys or writes unprocessed after every resend of a batch (throttling)."""

    status_code = 503


class AIConcurrencyLimited(AIProviderTransient):
    """The account already has as many provider calls in flight as it may; retried with backoff.

    Its own name lets the state machine give it a longer, separate Retry entry.
    """


class AIResponseRefused(AIResponseInvalid):
    """The model refused to answer (or the provider's content filter stopped the answer)."""


class AIResponseTruncated(AIResponseInvalid):
    """The answer was cut off at the token limit (finish_reason "length")."""


class BadRequest(EngineError):
    """The request cannot be read: a body that is not JSON or not UTF-8, or nested too deeply."""

    status_code = 400


class MethodNotAllowed(EngineError):
    """The path exists, but not with this method (the response's ``Allow`` header lists the methods)."""

    status_code = 405

    def __init__(self, message: str, allow: list[str]) -> None:
        super().__init__(message)
        self.allow = allow


class PayloadTooLarge(EngineError):
    """The request body is over the API's limit."""

    status_code = 413


class UnsupportedMediaType(EngineError):
    """The route does not read bodies of the request's content type."""

    status_code = 415


class RequestInvalid(EngineError):
    """A field of the request is invalid; ``errors`` names each field and what is wrong with it."""

    status_code = 422

    def __init__(self, message: str, errors: list[dict[str, str]]) -> None:
        super().__init__(message)
        self.errors = errors


class StateConflict(EngineError):
    """The record's state does not allow the request now (an idea not approved yet, an article
    whose site has no CMS connection or that is being published); the message says what to do."""

    status_code = 409


class UpstreamFailed(EngineError):
    """A service the account connected (its WordPress site) refused or failed the request.

    A 502 whose message is ours (what the service answered, in words) and safe to show: unlike
    other 5xx, the API returns it (``public_message``).
    """

    status_code = 502
    public_message = True
