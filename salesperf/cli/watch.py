"""`salesperf watch`: recompute when the spec or any input file changes.

Polls file fingerprints (path, size, mtime) every ``interval`` seconds: a handful of
``stat`` calls, cheap and portable (no inotify needed on network drives where exports
often land). Globs are re-expanded on every poll, so a new monthly part is picked up.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from salesperf import paths
from salesperf.errors import SalesperfError


class View(Protocol):
    def __enter__(self) -> View: ...
    def __exit__(self, *exc: object) -> None: ...
    def show(self, result: Any) -> None: ...
    def show_error(self, error: SalesperfError) -> None: ...


def fingerprint(spec_path: Path) -> tuple[tuple[str, int, int], ...]:
    """Size and mtime of the spec and of every file its sources and roster match."""
    files = [spec_path]
    try:
        from salesperf.spec import load_spec

        spec = load_spec(spec_path, check_paths=False)
        patterns = [s.path for s in spec.sources.values()]
        if spec.org is not None:
            patterns.append(spec.org.path)
        if spec.targets is not None and spec.targets.overrides:
            patterns.append(spec.targets.overrides)
        for pattern in patterns:
            files.extend(paths.expand(spec_path.parent, pattern))
    except SalesperfError:
        pass  # the spec is being edited: watch the spec itself until it parses again
    out = []
    for file in files:
        try:
            stat = file.stat()
        except OSError:
            continue
        out.append((str(file), stat.st_size, stat.st_mtime_ns))
    return tuple(out)


def watch_files(
    spec_path: Path,
    compute: Callable[[], Any],
    view: View,
    *,
    interval: float = 2.0,
    max_updates: int | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Show ``compute()`` now and after every change; returns the number of updates.

    Errors (a half-saved file, a typo in the spec) are shown in place and the loop goes on:
    the next save fixes the view. ``max_updates`` bounds the loop (tests).
    """
    updates = 0
    last = None
    try:
        with view:
            while True:
                current = fingerprint(spec_path)
                if current != last:
                    last = current
                    try:
                        view.show(compute())
                    except SalesperfError as exc:
                        view.show_error(exc)
                    updates += 1
                    if max_updates is not None and updates >= max_updates:
                        return updates
                sleep(interval)
    except KeyboardInterrupt:
        return updates
