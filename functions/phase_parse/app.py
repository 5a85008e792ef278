"""Engine phase PARSE as a Lambda (state machine Task)."""

from shared.engine.lambda_handler import phase_handler
from shared.engine.phases import run_parse

handler = phase_handler("PARSE", run_parse)
