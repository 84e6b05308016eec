"""What was delivered, per rule, period and recipient: the memory that keeps cron quiet.

A small JSON file next to the kpi.yaml (``notify.state``), written atomically. It records
only deliveries that succeeded, so a failed one is tried again on the next run:

    {"schema": "salesperf.notify-state/1",
     "rules": {"rep-reminders": {"2017-06": {"email|rep:R01": {
         "progress": true, "alerts": ["behind_pace|revenue|rep|R01|warning"]}}}}}
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from salesperf.errors import Finding, Level, Location, UsageError
from salesperf.outputs import atomic_write_text

STATE_SCHEMA = "salesperf.notify-state/1"
#: Periods remembered per rule: older ones can no longer be sent to and are dropped.
KEEP_PERIODS = 24


@dataclass
class Sent:
    """What one recipient got through one channel under one rule in one period."""

    progress: bool = False
    alerts: set[str] = field(default_factory=set)


@dataclass
class State:
    path: Path
    rules: dict[str, dict[str, dict[str, dict[str, Any]]]] = field(default_factory=dict)

    def sent(self, rule: str, period: str, slot: str) -> Sent:
        entry = self.rules.get(rule, {}).get(period, {}).get(slot, {})
        return Sent(bool(entry.get("progress")), set(entry.get("alerts") or []))

    def record(self, rule: str, period: str, slot: str, progress: bool, alerts: list[str]) -> None:
        periods = self.rules.setdefault(rule, {})
        entry = periods.setdefault(period, {}).setdefault(slot, {"progress": False, "alerts": []})
        entry["progress"] = bool(entry.get("progress")) or progress
        entry["alerts"] = sorted(set(entry.get("alerts") or []) | set(alerts))
        for old in sorted(periods)[:-KEEP_PERIODS]:
            del periods[old]

    def to_dict(self) -> dict[str, Any]:
        return {"schema": STATE_SCHEMA, "rules": self.rules}


def load_state(path: Path) -> State:
    """The state at ``path``; a missing file is an empty state (nothing sent yet)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return State(path)
    except OSError as exc:
        raise _bad(path, exc.strerror or type(exc).__name__) from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise _bad(path, f"not JSON ({exc})") from None
    if not isinstance(data, dict) or data.get("schema") != STATE_SCHEMA:
        raise _bad(path, f"not a salesperf notify state file (expected schema {STATE_SCHEMA})")
    rules = data.get("rules")
    if not isinstance(rules, dict):
        raise _bad(path, "'rules' is not a mapping")
    return State(path, rules)


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock beside the state file, so two runs that overlap (a slow cron
    job and the next one) never both send what neither has recorded yet. Where the system
    has no fcntl (Windows), runs are not locked."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    lock = path.with_name(path.name + ".lock")
    try:
        handle = open(lock, "a+b")  # noqa: SIM115 - held for the whole block
    except OSError as exc:
        raise _bad(lock, exc.strerror or type(exc).__name__) from None
    with handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def save_state(state: State) -> None:

    text = json.dumps(state.to_dict(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    atomic_write_text(state.path, text)


def _bad(path: Path, reason: str) -> UsageError:
    return UsageError(
        "Cannot read the notify state file (delete it to start afresh: everything due this "
        "period is then sent again):",
        [Finding(Level.ERROR, reason, Location(str(path)), "notify-state")],
    )
