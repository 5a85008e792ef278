"""Logger, Metrics and Tracer, created once; every module logs through this ``logger``.

Every handler uses the same decorators in the same order. The Tracer records X-Ray subsegments
only inside Lambda with tracing on. Anywhere else (tests, the local stack, scripts, or
``POWERTOOLS_TRACE_DISABLED=true``) it gets a no-op provider, so its decorators and
``tracer.provider.in_subsegment`` cost nothing and the X-Ray SDK is never imported: building
the SDK's recorder alone takes ~200 ms of import here, which only a traced Lambda should pay.
"""

from __future__ import annotations

import warnings
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.tracing.base import BaseProvider, BaseSegment

# A phase that fails before recording its metric is reported by Step Functions; no warning needed.
warnings.filterwarnings("ignore", message="No application metrics to publish")


class _NoSegment(BaseSegment):
    """A subsegment that records nothing."""

    def close(self, end_time: int | None = None) -> None:
        return None

    def add_subsegment(self, subsegment: Any) -> None:
        return None

    def remove_subsegment(self, subsegment: Any) -> None:
        return None

    def put_annotation(self, key: str, value: Any) -> None:
        return None

    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None:
        return None

    def add_exception(self, exception: BaseException, stack: Any, remote: bool = False) -> None:
        return None


class _NoTracing(BaseProvider):
    """Tracing provider used outside a traced Lambda: every call is a no-op."""

    @contextmanager
    def in_subsegment(self, name: str | None = None, **kwargs: Any) -> Iterator[BaseSegment]:
        yield _NoSegment()

    @asynccontextmanager
    async def in_subsegment_async(self, name: str | None = None, **kwargs: Any) -> AsyncIterator[BaseSegment]:
        yield _NoSegment()

    def put_annotation(self, key: str, value: Any) -> None:
        return None

    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None:
        return None

    def patch(self, modules: Sequence[str]) -> None:
        return None

    def patch_all(self) -> None:
        return None


def _make_tracer() -> Tracer:
    if Tracer._is_tracer_disabled():  # powertools' own rule: not in Lambda, SAM local, or disabled
        return Tracer(service="igny8", disabled=True, auto_patch=False, provider=_NoTracing())
    return Tracer(service="igny8")


logger = Logger(service="igny8")
metrics = Metrics(namespace="Igny8", service="igny8")
tracer = _make_tracer()


def bind_job(state: dict) -> None:
    """Correlation ids on every log line of this invocation: job, account, function, item."""
    logger.append_keys(
        task_id=state.get("task_id"),
        account_id=state.get("account_id"),
        function_name=state.get("function_name"),
        item=state.get("item"),
    )
