"""Scheduled reaper: ends the jobs that were accepted but never started (credits back, claims released)."""

from shared.engine.lambda_handler import phase_handler
from shared.services.reaper import reap

handler = phase_handler("REAPER", reap)
