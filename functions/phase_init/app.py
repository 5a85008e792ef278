"""Engine phase INIT as a Lambda (state machine Task)."""

from shared.ai.engine import run_init
from shared.handlers import phase_handler

handler = phase_handler("INIT", run_init)
