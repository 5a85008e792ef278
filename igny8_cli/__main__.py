"""``python -m igny8_cli``: the same as the ``igny8`` command."""

from igny8_cli.main import cli

if __name__ == "__main__":
    cli()
