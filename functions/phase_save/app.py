"""Engine phase SAVE as a Lambda (state machine Task)."""

from shared.ai.engine import run_save
from shared.handlers import phase_handler

handler = phase_handler("SAVE", run_save)
