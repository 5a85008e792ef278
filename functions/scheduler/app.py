"""EventBridge scheduled batches: start jobs for an account's pending work."""

from shared.engine.lambda_handler import phase_handler
from shared.services.scheduler import run_batch

handler = phase_handler("SCHEDULED_BATCH", run_batch)
