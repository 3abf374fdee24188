"""Output files: a file appears whole or not at all, an earlier file survives any failure or
signal, and what is not a regular file (a device, a FIFO, `-` for stdout) is written to, never
replaced.

A regular file (or a new path) is written to a temporary file beside it, then renamed over it.
A device or FIFO cannot be: the rename would put a regular file where `/dev/null` was, so those
are opened and written in place. While a file is written, SIGTERM, SIGINT and SIGHUP raise
`Interrupted`, so the temporary file is removed on the way out; while it is made, and from the
rename on, a signal waits, so it finds either no temporary file yet or the new file complete.
Every OSError names the path the caller gave, not the temporary file.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import stat
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGINT", "SIGHUP") if hasattr(signal, name)
)


class Interrupted(BaseException):
    """A signal stopped the run while a file was written; the temporary file is gone and any
    earlier file at `path` is as it was. A BaseException, as KeyboardInterrupt is, so that no
    `except Exception` swallows it."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum
        self.path: str | None = None
        self.in_place = False  # a device or FIFO, which holds what was written before

    def __str__(self) -> str:
        stopped = f"stopped by {signal.Signals(self.signum).name}"
        if self.in_place:
            return f"{stopped} while writing {self.path}: part of the output went there"
        return f"{stopped}: {self.path} was not written (an earlier file there is as it was)"


def write_atomic(path: Path | str, write: Callable[[BinaryIO], object]) -> None:
    """Call `write(stream)` with a binary stream for `path`, whole or not at all."""
    path = Path(path)
    in_place = False
    with _Signals() as signals:
        try:
            if str(path) == "-":
                in_place = True
                _write_stdout(write)
            elif _in_place(path):
                in_place = True
                _write_in_place(path, write)
            else:
                _write_replacing(path, write, signals)
        except Interrupted as exc:
            exc.path, exc.in_place = str(path), in_place
            raise
        except OSError as exc:
            if exc.filename == str(path):
                raise
            cause = exc.strerror or str(exc)
            raise OSError(exc.errno, f"cannot write: {cause}", str(path)) from None


def write_text_atomic(path: Path | str, text: str) -> None:
    """`text` as UTF-8 at `path` (see write_atomic)."""
    write_atomic(path, lambda stream: stream.write(text.encode("utf-8")))


def _in_place(path: Path) -> bool:
    """True for what exists and is no regular file (a device, a FIFO): written, never replaced.
    A folder is an error."""
    try:
        mode = path.stat().st_mode  # through a link: /dev/stdout is a link to a pipe or a tty
    except FileNotFoundError:
        return False
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, "is a folder; give a file name", str(path))
    return not stat.S_ISREG(mode)


def _write_in_place(path: Path, write: Callable[[BinaryIO], object]) -> None:
    stream = open(path, "wb")  # noqa: SIM115 (closed below, without a flush on failure)
    try:
        write(stream)
        stream.flush()
    except BaseException:
        stream.raw.close()  # drop what is buffered: flushing it could block on a stuck reader
        raise
    finally:
        stream.close()


def _write_stdout(write: Callable[[BinaryIO], object]) -> None:
    sys.stdout.flush()  # what was printed before comes first
    write(sys.stdout.buffer)
    sys.stdout.buffer.flush()


def _write_replacing(path: Path, write: Callable[[BinaryIO], object], signals: _Signals) -> None:
    target = path.resolve() if path.is_symlink() else path  # a link keeps pointing at the file
    folder = target.parent
    if not folder.is_dir():
        raise FileNotFoundError(errno.ENOENT, "the output folder does not exist", str(path))
    mode = _mode(target)
    signals.hold()  # a signal while the temporary file is made would leave it behind
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as stream:
            signals.release()
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(tmp, mode)
        signals.hold()  # from the rename on, the new file stands: held until the end
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def _mode(target: Path) -> int:
    """The replaced file's permissions, or those a new file gets under the umask."""
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Inside write_atomic, SIGTERM, SIGINT and SIGHUP wait until the block is done, for a step
    that leaves files behind when cut (openpyxl's temporary sheet files); then one that came
    is raised as Interrupted."""
    signals = _Signals.current
    if signals is None or signals.held:
        yield
        return
    signals.hold()
    try:
        yield
    finally:
        signals.release()


class _Signals:
    """While entered, SIGTERM, SIGINT and SIGHUP raise Interrupted. `hold()` makes them wait
    over a step that must not be cut, `release()` raises one that came meanwhile. On exit the
    earlier handlers come back, and a signal still waiting is sent again, to act as it would
    have. Handlers are Python's, which run in the main thread whichever thread the signal
    reached (pyarrow has threads); outside the main thread, none can be set: nothing is done."""

    current: _Signals | None = None

    def __init__(self) -> None:
        self.active = threading.current_thread() is threading.main_thread()
        self.held = False
        self.waiting: int | None = None
        self.previous: dict[int, Any] = {}

    def _handle(self, signum: int, _frame: object) -> None:
        if self.held:
            self.waiting = self.waiting or signum
        else:
            raise Interrupted(signum)

    def hold(self) -> None:
        self.held = True

    def release(self) -> None:
        self.held = False
        if self.waiting is not None:
            signum, self.waiting = self.waiting, None
            raise Interrupted(signum)

    def __enter__(self) -> _Signals:
        if self.active:
            self.previous = {s: signal.signal(s, self._handle) for s in SIGNALS}
            _Signals.current = self
        return self

    def __exit__(self, *_: object) -> None:
        if not self.active:
            return
        self.held = True
        _Signals.current = None
        for signum, handler in self.previous.items():
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)
        if self.waiting is not None:
            signal.raise_signal(self.waiting)
