"""The HTTP API: the resolver with every router included."""

from __future__ import annotations

from shared.api import jobs, planner
from shared.api.resolver import build_app

app = build_app()
app.include_router(planner.router)
app.include_router(jobs.router)
