"""Engine phase PREP as a Lambda (state machine Task)."""

from shared.engine.lambda_handler import phase_handler
from shared.engine.phases import run_prep

handler = phase_handler("PREP", run_prep)
