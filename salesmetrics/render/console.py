"""Consoles that behave at a terminal and stay plain in pipes, cron jobs, NO_COLOR and
TERM=dumb: no colour, ASCII marks and boxes, 80 columns when the width is unknown."""

from __future__ import annotations

import errno
import os
import sys
from typing import TextIO

from rich import box
from rich.console import Console

PLAIN_WIDTH = 80  # piped: the width of a terminal nobody measured


class _Console(Console):
    """rich's Console, but a closed output pipe is a BrokenPipeError for the CLI to handle
    (exit 141, as the README says), where rich would exit 1 itself."""

    def on_broken_pipe(self) -> None:
        self.quiet = True  # nothing more is written on the way out
        raise BrokenPipeError(errno.EPIPE, os.strerror(errno.EPIPE))


def make_console(stream: TextIO | None = None, *, no_color: bool = False) -> Console:
    """A console for `stream` (stdout by default): colour only on a terminal without NO_COLOR
    and not TERM=dumb."""
    stream = stream or sys.stdout
    tty = stream.isatty() if hasattr(stream, "isatty") else False
    dumb = os.environ.get("TERM") == "dumb"
    plain = not tty or no_color or bool(os.environ.get("NO_COLOR")) or dumb
    if plain:
        return _Console(
            file=stream,
            color_system=None,
            force_terminal=False,
            no_color=True,
            highlight=False,
            emoji=False,
            width=_plain_width() if not tty else None,
            soft_wrap=False,
        )
    return _Console(file=stream, highlight=False)


def _plain_width() -> int:
    """The width of output that is not a terminal: COLUMNS when it says, else PLAIN_WIDTH (never
    the size of a terminal the output does not go to)."""
    columns = os.environ.get("COLUMNS", "")
    return int(columns) if columns.isdigit() and int(columns) > 0 else PLAIN_WIDTH


def is_ascii(console: Console) -> bool:
    """Whether only ASCII may be written: the output is piped or colourless."""
    return console.no_color or not console.is_terminal


def table_box(console: Console) -> box.Box:
    """Box lines for a terminal; plain ASCII when the output is piped or colourless."""
    return box.ASCII2 if is_ascii(console) else box.SIMPLE_HEAD
