"""Engine phase PREP as a Lambda (state machine Task)."""

from shared.ai.engine import run_prep
from shared.handlers import phase_handler

handler = phase_handler("PREP", run_prep)
