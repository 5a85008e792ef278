"""Engine phase PARSE as a Lambda (state machine Task)."""

from shared.ai.engine import run_parse
from shared.handlers import phase_handler

handler = phase_handler("PARSE", run_parse)
