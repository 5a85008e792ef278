"""The AI engine: one job through INIT, then per stage PREP -> per item (AI_CALL -> PARSE -> SAVE), then DONE.

- ``engine``: ``AIEngine.execute`` (sync mode) and ``run_ai_task``, the seed's entry points.
- ``phases``: the six phases, thin; ``context``: what each phase loads from the small state.
- ``calls``: an item's AI calls (the chat call, or the function's own: embeddings, local compute).
- ``store``: every Job/JobItem read and write, and the ProgressTracker.
- ``accounting``: usage and cost, the credits ledger, the monthly spend and the budget check.
- ``failures``: the seed's ``_handle_error`` and ``_log_to_database`` (AITaskLog).
- ``lambda_handler``: the shape of every phase Lambda (``functions/phase_*/app.py``).
"""
