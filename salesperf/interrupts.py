"""Ctrl-C that is never lost: "Interrupted.", exit 130, and no output written.

Python turns SIGINT into :class:`KeyboardInterrupt` at the next bytecode, wherever that is:
inside a ``__del__`` method or a weakref callback (where CPython prints "Exception ignored"
and carries on), or inside a library's broad ``except``. Then the run would finish and
write its report as if nothing happened. :func:`install` puts a handler in place that also
records the interrupt, so :func:`check` (called before outputs are committed) and the CLI's
exit path can see it even when the exception itself was swallowed.

Library users who never call :func:`install` see plain Python behaviour.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from collections.abc import Iterator
from types import FrameType
from typing import Any

_state: dict[str, Any] = {"pending": False, "deferred": 0, "previous": None, "reported": False}


def _handler(signum: int, frame: FrameType | None) -> None:
    _state["pending"] = True
    if not _state["deferred"]:
        raise KeyboardInterrupt


def install() -> bool:
    """Route SIGINT through the recording handler (main thread only); True if installed."""
    if threading.current_thread() is not threading.main_thread():
        return False
    _state["pending"] = False
    _state["reported"] = False
    _state["previous"] = signal.signal(signal.SIGINT, _handler)
    return True


def uninstall() -> None:
    """Put back the handler :func:`install` replaced (a test session's own, for one)."""
    previous = _state["previous"]
    if previous is not None and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, previous)
    _state["previous"] = None
    _state["pending"] = False  # "reported" stays: the entry point must not print it twice


def reported() -> bool:
    """Whether "Interrupted." was printed already (by the CLI's error mapping)."""
    return bool(_state["reported"])


def report() -> None:
    """Print "Interrupted." on stderr, once per run."""
    if not _state["reported"]:
        _state["reported"] = True
        print("Interrupted.", file=sys.stderr, flush=True)


def pending() -> bool:
    """Whether Ctrl-C was pressed since :func:`install`."""
    return bool(_state["pending"])


def check() -> None:
    """Raise :class:`KeyboardInterrupt` if Ctrl-C was pressed, even if it was swallowed."""
    if _state["pending"]:
        raise KeyboardInterrupt


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Hold Ctrl-C until the block ends (a step that must not stop half-way), then raise."""
    _state["deferred"] += 1
    try:
        yield
    finally:
        _state["deferred"] -= 1
    if not _state["deferred"]:
        check()
