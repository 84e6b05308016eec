"""Where outputs go: devices, pipes and links are never replaced; a multi-file output is
written whole or not at all; inputs (templates included) are never overwritten.

Run as root in CI: the device tests make their own device nodes under tmp_path, so a bug
can never replace the machine's /dev/null.
"""

from __future__ import annotations

import os
import shutil
import socket
import stat
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from salesperf.cli import app
from salesperf.errors import UsageError
from salesperf.outputs import atomic_write_bytes, write_files

MINI = Path(__file__).parents[1] / "fixtures" / "mini"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copytree(MINI, tmp_path / "mini")
    return tmp_path / "mini"


def run(*args: str):
    return CliRunner().invoke(app, list(args))


def _null_device(folder: Path) -> Path:
    """A character device that discards writes: our own node where we may make one (root),
    else the system's /dev/null (which a non-root bug could not replace anyway)."""
    node = folder / "null"
    try:
        os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except (PermissionError, AttributeError):
        return Path("/dev/null")
    return node


def test_a_character_device_is_written_through_never_replaced(project: Path) -> None:
    null = _null_device(project)
    for args in (
        ["targets", "-f", "csv", "-o", str(null)],
        ["report", "-f", "html", "-o", str(null)],
        ["report", "-f", "md", "-o", str(null)],  # no chart files beside a device
    ):
        result = run(args[0], str(project / "kpi.yaml"), *args[1:])
        assert result.exit_code == 0, result.output
        assert stat.S_ISCHR(os.stat(null).st_mode)
    assert not list(null.parent.glob("null-*.svg"))
    assert not list(null.parent.glob(".null.*"))


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="this system has no /dev/full")
def test_a_full_device_is_exit_2_no_space_left(project: Path) -> None:
    result = run("targets", str(project / "kpi.yaml"), "-f", "csv", "-o", "/dev/full")
    assert result.exit_code == 2, result.output
    assert "/dev/full: No space left on device" in result.stderr
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


def test_a_named_pipe_is_written_through(project: Path) -> None:
    fifo = project / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    result = run("targets", str(project / "kpi.yaml"), "-f", "csv", "-o", str(fifo))
    reader.join(10)
    assert result.exit_code == 0, result.output
    assert received and received[0].startswith(b"kpi,period,level,entity")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_a_symlink_stays_a_link_and_its_target_is_replaced(project: Path) -> None:
    (project / "real").mkdir()
    target = project / "real" / "targets.csv"
    target.write_text("previous\n")
    target.chmod(0o640)
    link = project / "link.csv"
    link.symlink_to(target)
    result = run("targets", str(project / "kpi.yaml"), "-f", "csv", "-o", str(link))
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text().startswith("kpi,period,level,entity")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640  # a replaced file keeps its mode
    # A link to nothing yet: its target is made, the link kept.
    dangling = project / "dangling.csv"
    dangling.symlink_to(project / "real" / "new.csv")
    assert (
        run("targets", str(project / "kpi.yaml"), "-f", "csv", "-o", str(dangling)).exit_code == 0
    )
    assert dangling.is_symlink() and (project / "real" / "new.csv").is_file()


def test_a_symlink_to_a_device_writes_to_the_device(project: Path) -> None:
    null = _null_device(project)
    link = project / "out.csv"
    link.symlink_to(null)
    assert run("targets", str(project / "kpi.yaml"), "-f", "csv", "-o", str(link)).exit_code == 0
    assert link.is_symlink() and stat.S_ISCHR(os.stat(null).st_mode)


def test_a_symlink_loop_sockets_and_folders_are_refused(project: Path) -> None:
    (project / "a.csv").symlink_to(project / "b.csv")
    (project / "b.csv").symlink_to(project / "a.csv")
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(project / "sock"))
    try:
        for name, reason in (
            ("a.csv", "Too many levels of symbolic links"),
            ("sock", "is not a regular file, a character device or a named pipe"),
            (".", "is a folder; name a file inside it"),
        ):
            out = str(project / name)
            result = run("targets", str(project / "kpi.yaml"), "-f", "csv", "-o", out)
            assert result.exit_code == 2, result.output
            assert reason in result.stderr
        assert stat.S_ISSOCK(os.lstat(project / "sock").st_mode)
    finally:
        server.close()


def test_new_files_follow_the_umask(tmp_path: Path) -> None:
    previous = os.umask(0o027)
    try:
        atomic_write_bytes(tmp_path / "new.csv", b"x\n")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "new.csv").stat().st_mode) == 0o640


# --- all or nothing ----------------------------------------------------------------------------


def test_writing_onto_a_template_is_refused(project: Path) -> None:
    tpl = project / "tpl"
    tpl.mkdir()
    original = (Path(__file__).parents[2] / "salesperf/templates/report.md.j2").read_text()
    (tpl / "report.md.j2").write_text(original)
    (tpl / "parts").mkdir()
    (tpl / "parts" / "note.md").write_text("included\n")
    for out in ("tpl/report.md.j2", "tpl/parts/note.md"):
        result = run(
            "report", str(project / "kpi.yaml"), "-f", "md", "--template-dir", str(tpl), "-o",
            str(project / out),
        )  # fmt: skip
        assert result.exit_code == 2, result.output
        assert "the output path is one of the inputs" in result.stderr
    assert (tpl / "report.md.j2").read_text() == original
    assert (tpl / "parts" / "note.md").read_text() == "included\n"


def _previous_md_run(project: Path) -> dict[str, bytes]:
    result = run("report", str(project / "kpi.yaml"), "-o", str(project / "r.md"))
    assert result.exit_code == 0, result.output
    files = {p.name: p.read_bytes() for p in project.glob("r*")}
    assert "r.md" in files and any(n.endswith(".svg") for n in files)
    return files


@pytest.mark.parametrize("per_rep", ["a-file", "a-file/below"])
def test_a_bad_per_rep_folder_writes_nothing(project: Path, per_rep: str) -> None:
    before = _previous_md_run(project)
    (project / "a-file").write_text("not a folder\n")
    (project / "orders.csv").write_text(
        (project / "orders.csv").read_text().replace(",100,", ",150,")
    )
    result = run(
        "report", str(project / "kpi.yaml"), "-o", str(project / "r.md"), "--per-rep",
        str(project / per_rep),
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert {p.name: p.read_bytes() for p in project.glob("r*")} == before
    assert not list(project.rglob("*.tmp"))


def test_a_failure_after_the_charts_leaves_the_earlier_charts(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _previous_md_run(project)
    rep_folder = project / "reps"
    real_stage = __import__("salesperf.outputs", fromlist=["_stage"])._stage
    staged: list[str] = []

    def stage(plan, data):  # the charts and the report are staged; the third rep fails
        staged.append(plan.target.name)
        if plan.target.parent == rep_folder and len(staged) > 3:
            raise UsageError("Cannot write the output file: disk full")
        return real_stage(plan, data)

    monkeypatch.setattr("salesperf.outputs._stage", stage)
    result = run(
        "report", str(project / "kpi.yaml"), "-o", str(project / "r.md"), "--per-rep",
        str(rep_folder), "--period", "2017-05",
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert any(name.endswith(".svg") for name in staged)
    assert {p.name: p.read_bytes() for p in project.glob("r*")} == before
    assert not rep_folder.exists()  # the folder it made is gone again
    assert not list(project.rglob("*.tmp"))


def test_write_files_checks_every_location_before_writing_any(tmp_path: Path) -> None:
    (tmp_path / "first.txt").write_text("old\n")
    with pytest.raises(UsageError, match="nothing was written"):
        write_files([(tmp_path / "first.txt", b"new\n"), (tmp_path, b"x")])
    assert (tmp_path / "first.txt").read_text() == "old\n"
