"""Engine phase SAVE as a Lambda (state machine Task)."""

from shared.engine.lambda_handler import phase_handler
from shared.engine.phases import run_save

handler = phase_handler("SAVE", run_save)
