"""The ``salesperf`` command and ``python -m salesperf``.

The entry point lives here, not in :mod:`salesperf.cli`: importing the CLI loads typer and
rich, and Ctrl-C during that start-up must be "Interrupted.", exit 130, not a traceback.
For the same reason ``salesperf --version`` answers here, before the CLI loads: a script or
package manager asking for the version pays the interpreter's start only (0.04 s, against
0.14 s through typer; medians of 7 on the benchmark machine).
"""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:] == ["--version"]:
        # lazy: the version answers before the CLI loads (see the docstring).
        from salesperf import __version__

        # The line the CLI's own eager --version prints (salesperf/cli/commands.py).
        sys.stdout.write(f"salesperf {__version__}\n")
        return
    try:
        from salesperf.cli import main as cli_main
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr, flush=True)
        raise SystemExit(130) from None
    cli_main()


if __name__ == "__main__":
    main()
