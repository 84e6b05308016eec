"""The ``salesperf`` command and ``python -m salesperf``.

The entry point lives here, not in :mod:`salesperf.cli`: importing the CLI loads typer and
rich, and Ctrl-C during that start-up must be "Interrupted.", exit 130, not a traceback.
"""

from __future__ import annotations

import sys


def main() -> None:
    try:
        from salesperf.cli import main as cli_main
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr, flush=True)
        raise SystemExit(130) from None
    cli_main()


if __name__ == "__main__":
    main()
