"""Engine phase DONE as a Lambda (state machine Task)."""

from shared.engine.lambda_handler import phase_handler
from shared.engine.phases import run_done

handler = phase_handler("DONE", run_done)
