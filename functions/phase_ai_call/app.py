"""Engine phase AI_CALL as a Lambda (state machine Task)."""

from shared.ai.engine import run_ai_call
from shared.handlers import phase_handler

handler = phase_handler("AI_CALL", run_ai_call)
