"""Job events from the stack's bus (EventBridge rule) POSTed to the account's webhook."""

from shared.engine.lambda_handler import phase_handler
from shared.services.webhooks import deliver_event

handler = phase_handler("WEBHOOK", deliver_event)
