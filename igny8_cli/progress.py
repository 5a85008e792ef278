"""Following a job on stderr: a redrawn line on a terminal, plain lines otherwise."""

from __future__ import annotations

import shutil
import sys
from typing import Any, TextIO


class JobProgress:
    """``on_update`` for ``Api.wait``: shows phase, percent and the job's messages.

    On a terminal one line is redrawn in place (a bar, the phase, the percent, the latest
    message); otherwise (a pipe, a CI log) each new history entry is printed once.
    """

    def __init__(self, label: str, stream: TextIO | None = None, tty: bool | None = None) -> None:
        self.label = label
        self.stream: TextIO = stream if stream is not None else sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.seen = 0
        self.last: tuple[Any, ...] | None = None
        self.drawn = False

    def __call__(self, job: dict[str, Any]) -> None:
        if self.tty:
            self._redraw(job)
        else:
            self._lines(job)

    def _lines(self, job: dict[str, Any]) -> None:
        history = list(job.get("history") or [])
        entries = history[self.seen :] if history else [job]  # no history: the job itself
        self.seen = len(history)
        for entry in entries:
            key = (entry.get("phase"), entry.get("progress"), entry.get("message"))
            if key != self.last:
                self._write(self._text(entry) + "\n")
            self.last = key

    def _redraw(self, job: dict[str, Any]) -> None:
        width = max(shutil.get_terminal_size((100, 20)).columns - 1, 20)
        percent = max(0, min(int(job.get("progress") or 0), 100))
        filled = percent * 20 // 100
        bar = "#" * filled + "-" * (20 - filled)
        line = f"{self.label} [{bar}] {self._text(job)}"[:width]
        self._write("\r" + line.ljust(width))
        self.drawn = True
        if job.get("status") in ("completed", "failed"):
            self.close()

    def close(self) -> None:
        """End the redrawn line (call before printing anything else)."""
        if self.drawn:
            self._write("\n")
            self.drawn = False

    def _text(self, entry: dict[str, Any]) -> str:
        phase = str(entry.get("phase") or "")
        percent = int(entry.get("progress") or 0)
        prefix = "" if self.tty else f"[{self.label}] "
        return f"{prefix}{phase:<7} {percent:>3}%  {entry.get('message') or ''}".rstrip()

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()
