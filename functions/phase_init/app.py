"""Engine phase INIT as a Lambda (state machine Task)."""

from shared.engine.lambda_handler import phase_handler
from shared.engine.phases import run_init

handler = phase_handler("INIT", run_init)
