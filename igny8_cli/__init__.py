"""``igny8``: the command line over the IGNY8 HTTP API.

Without ``--api`` the commands run against an in-process local AWS stack (moto), exactly as
``make demo`` does; with ``--api URL --key KEY`` they talk to a deployed API over HTTPS.
"""

__all__ = ["__version__"]
__version__ = "0.1.0"
