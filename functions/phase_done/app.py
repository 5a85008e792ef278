"""Engine phase DONE as a Lambda (state machine Task)."""

from shared.ai.engine import run_done
from shared.handlers import phase_handler

handler = phase_handler("DONE", run_done)
