"""Engine phase AI_CALL as a Lambda (state machine Task)."""

from shared.engine.lambda_handler import phase_handler
from shared.engine.phases import run_ai_call

handler = phase_handler("AI_CALL", run_ai_call)
