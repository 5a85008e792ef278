"""``igny8``: the command line over the IGNY8 HTTP API.

With ``--api URL --key KEY`` the commands talk to a deployed API over HTTPS; without it, to the
local API that ``make api`` runs (found through ``.igny8/local.json``), or, for ``import``,
``cluster`` and ``run`` when none runs, to a private in-process local stack (moto), as ``make
demo`` does.
"""

__all__ = ["__version__"]
__version__ = "0.1.0"
