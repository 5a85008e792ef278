"""EventBridge scheduled batches: start jobs for an account's pending work."""

from shared.handlers import phase_handler
from shared.scheduler import run_batch

handler = phase_handler("SCHEDULED_BATCH", run_batch)
