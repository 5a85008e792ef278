"""The AI calls of one item: what a function's ``stage_call`` gets, and how their usage is kept.

An item's call is, by default, the chat completion the seed's AI_CALL makes (``ItemCall.chat``,
with one larger-budget retry after an answer cut off at the token limit). A function may make
any other call instead (an embeddings request, local compute): it reports each provider
answer through ``ItemCall.record`` so its tokens and cost are accounted like a chat answer's,
and returns the ``AIResult`` whose ``content`` PARSE receives.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from shared.ai.ai_core import AICore, AIResult
from shared.ai.embeddings import EmbeddingConfig, EmbeddingResult
from shared.ai.model_settings import ModelConfig, call_budget_seconds, larger_max_tokens
from shared.ai.tracker import StepTracker
from shared.db.models import Job, JobItem
from shared.engine import store
from shared.engine.accounting import AI_PHASE, AI_RETRY_PHASE, record_spend
from shared.errors import AIResponseRefused, AIResponseTruncated, EngineError
from shared.observability import logger

#: The model name of an item answered by local compute (no provider, no cost).
LOCAL_COMPUTE = "local-compute"


class ItemCall:
    """The AI calls of one item: the engine's chat call, and the record of any other call."""

    def __init__(
        self,
        account_id: str,
        function_name: str,
        config: ModelConfig,
        stage: str | None,
        prior_usage: list[Any],
        task_id: str = "",
    ) -> None:
        self.core = AICore(account_id)
        self.account_id = account_id
        self.task_id = task_id
        self.function_name = function_name
        self.config = config
        self.stage = stage
        self.steps = StepTracker()
        #: ``time.monotonic()`` by which every provider call of this item must be done.
        self.deadline = time.monotonic() + call_budget_seconds()
        self.calls: list[tuple[str, AIResult]] = []
        #: Usage an earlier attempt of this item recorded (empty on a first attempt).
        self.prior_usage = list(prior_usage)
        self._bigger = larger_max_tokens(config)
        # An earlier attempt of this item was cut off and its retry never answered: retry now.
        self._resume = self._bigger is not None and any(
            u.get("finish_reason") == "length" for u in prior_usage
        )

    @property
    def retried(self) -> bool:
        return self._resume or sum(1 for phase, _ in self.calls if phase == AI_RETRY_PHASE) > 0

    def record(self, result: AIResult, phase: str = AI_PHASE) -> AIResult:
        """Account a provider answer this item got (tokens, cost, model); returns it."""
        self.calls.append((phase, result))
        return result

    def embed(self, texts: list[str], config: EmbeddingConfig) -> EmbeddingResult:
        """One embeddings request (within the endpoint's limits), accounted like a chat answer."""
        result = self.core.run_embedding_request(
            texts, config, step_tracker=self.steps, deadline=self.deadline
        )
        self.record(
            AIResult(
                content="",
                model=result.model,
                input_tokens=result.input_tokens,
                cost=result.cost,
                offline=result.offline,
                provider=result.provider,
                attempts=result.attempts,
                extra={"inputs": len(texts)},
            )
        )
        return result

    def local(self, content: Any) -> AIResult:
        """The answer of local compute: no provider, no tokens, nothing to account."""
        text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
        self.steps.add_request_step("LOCAL_COMPUTE", message=f"{self.function_name}: computed locally")
        return AIResult(content=text, model=LOCAL_COMPUTE, provider="local")

    def chat(
        self, prompt: str, offline_answer: Callable[[], Any] | None = None, response_model: Any = None
    ) -> AIResult:
        """The chat completion of ``prompt``; one retry with a larger budget after a cut-off answer."""

        def call(cfg: ModelConfig, phase: str) -> AIResult:
            result = self.core.run_ai_request(
                prompt,
                cfg,
                self.function_name,
                offline_answer=offline_answer,
                step_tracker=self.steps,
                response_model=response_model,
                deadline=self.deadline,
            )
            return self.record(result, phase)

        bigger = self._bigger
        if self._resume and bigger is not None:
            self.steps.add_request_step(
                "AI_RETRY", message=f"resuming the larger-budget retry: max_tokens={bigger}"
            )
            return call(replace(self.config, max_tokens=bigger), AI_RETRY_PHASE)
        result = call(self.config, AI_PHASE)
        if result.finish_reason == "length" and not result.refusal and bigger is not None:
            self.steps.add_request_step(
                "AI_RETRY",
                message=f"answer cut off at max_tokens={self.config.max_tokens}; retrying once with {bigger}",
            )
            result = call(replace(self.config, max_tokens=bigger), AI_RETRY_PHASE)
        return result

    def usage(self) -> list[dict[str, Any]]:
        records = [result.usage_record(phase) for phase, result in self.calls]
        if self.stage is not None:
            records = [{**record, "stage": self.stage} for record in records]
        return records


def answer_problem(result: AIResult, retried: bool) -> EngineError | None:
    """Why an answer must not be saved, or None."""
    if result.refusal:
        return AIResponseRefused(f"the model refused to answer: {result.refusal[:300]}; nothing was saved")
    if result.finish_reason == "content_filter":
        return AIResponseRefused("the provider's content filter stopped the answer; nothing was saved")
    if result.finish_reason == "length":
        if retried:
            return AIResponseTruncated(
                "the answer was cut off at the token limit (finish_reason 'length') even after a retry with "
                f"max_tokens={result.max_tokens}; nothing was saved. Select fewer records per job."
            )
        return AIResponseTruncated(
            "the answer was cut off at the token limit (finish_reason 'length', "
            f"max_tokens={result.max_tokens}, the most {result.model} allows here); nothing was saved. "
            "Select fewer records per job, or raise max_tokens in the account's AI settings."
        )
    return None


def record_calls(job: Job, item: JobItem, ai: ItemCall, answer: AIResult | None, accepted: bool) -> None:
    """Store the item's answer and usage, then add the usage to the job and the monthly counter.

    The item update is conditioned on the item still waiting for its answer, so a duplicate
    invocation cannot count the same answer twice.
    """
    usage = ai.usage()
    stored = None
    if answer is not None:
        stored = {
            "content": answer.content,
            "refusal": answer.refusal,
            "model": answer.model,
            "finish_reason": answer.finish_reason,
            "offline": answer.offline,
        }
    steps = (ai.steps.request_steps, ai.steps.response_steps)
    if not store.record_answer(item, steps, usage, stored, accepted):
        logger.warning("answer already recorded", extra={"item": item.item})
        return
    if not ai.calls:
        return
    results = [result for _, result in ai.calls]
    cost = round(sum(r.cost for r in results), 8)
    last = results[-1]
    tokens_in, tokens_out = sum(r.input_tokens for r in results), sum(r.output_tokens for r in results)
    store.add_usage(job, tokens_in, tokens_out, cost, last.model, last.offline)
    provider_calls = sum(1 for r in results if not r.offline)
    if provider_calls:
        record_spend(job.account_id, cost, provider_calls)
