"""The `salesperf` command: a thin typer skin over the library.

Each module registers its commands on :data:`app` (defined in :mod:`salesperf.cli.commands`)
when imported; the import order below is the order of `salesperf --help`.
"""

from __future__ import annotations

# isort: off
from salesperf.cli.commands import app
from salesperf.cli import review  # noqa: F401  evaluate, feedback-form, alerts, report
from salesperf.cli import compare  # noqa: F401  backtest, diff
from salesperf.cli import notify  # noqa: F401  notify
# isort: on

__all__ = ["app", "main"]


def main() -> None:
    """Console-script entry point (see :mod:`salesperf.__main__`, which imports this)."""
    from salesperf import interrupts

    try:
        app(prog_name="salesperf")
    except KeyboardInterrupt:  # outside any command: typer's own parsing, or its exit
        interrupts.report()
        raise SystemExit(130) from None
    except SystemExit as exc:
        if exc.code == 130:  # typer turns Ctrl-C outside a command into a silent 130
            interrupts.report()
        raise
