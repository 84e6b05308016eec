"""Every Markdown output keeps data as text: rendered the way GitHub renders it (cmark-gfm,
raw HTML allowed), no name, tier, comment or file name becomes a link, an image or HTML.

One escaping function (:func:`salesperf.markdown.md_text`) serves them all; these tests
render each output with the same hostile strings.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import cmarkgfm
import pytest
from cmarkgfm.cmark import Options
from typer.testing import CliRunner

from salesperf.cli import app
from salesperf.markdown import md_text

MINI = Path(__file__).parents[1] / "fixtures" / "mini"
LINK = "[click](javascript:alert(1))"
IMAGE = "![x](http://evil.example/p.png)"
HTML = "<img src=x onerror=alert(2)>"
TICKS = "a`<img src=x onerror=alert(4)>`b"
TIER = "<img src=x onerror=alert(3)>"
FILE = "o`<img src=x onerror=alert(5)>`.csv"


def _html(markdown: str) -> str:
    """The Markdown as GitHub renders it, raw HTML passed through (as many renderers do)."""
    return cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)


def _inert(markdown: str) -> str:
    """No image but our charts, no HTML from data, and no link whose target differs from
    its text (a URL in a name may be autolinked, as GitHub does with any URL in text: it
    shows where it goes)."""
    html = _html(markdown)
    for tag in ("<script", "<b>"):
        assert tag not in html, (tag, html)
    images = re.findall(r"<img[^>]*>", html)
    assert all(re.fullmatch(r'<img src="r-\w+\.svg" alt="[^"<>]*" />', i) for i in images), images
    for target, text in re.findall(r'<a href="([^"]*)">(.*?)</a>', html):
        assert target in (text, "http://" + text), html
    assert html.count("<a ") == len(re.findall(r'<a href="[^"]*">', html))
    return html


def _text(html: str) -> str:
    """What a reader sees: the tags removed, the entities decoded."""
    import html as entities

    return entities.unescape(re.sub(r"<[^>]+>", "", html))


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    project = tmp_path / "mini"
    shutil.copytree(MINI, project)
    (project / "roster.csv").write_text(
        f'id,name,team\nR1,"{LINK}",North\nR2,"{IMAGE}","{TICKS}"\nR3,"{HTML}",South\n',
        encoding="utf-8",
    )
    (project / "orders.csv").rename(project / FILE)
    spec = (project / "kpi.yaml").read_text(encoding="utf-8")
    spec = spec.replace("path: orders.csv", f"path: '{FILE}'")
    spec += f"tiers: {{'{TIER}': 0.5, '# heading': 0}}\n"
    (project / "kpi.yaml").write_text(spec, encoding="utf-8")
    return project


def test_report_and_rep_reports_keep_names_tiers_and_file_names_as_text(
    hostile: Path, tmp_path: Path
) -> None:
    out, reps = tmp_path / "r.md", tmp_path / "reps"
    args = ["report", str(hostile / "kpi.yaml"), "-o", str(out), "--per-rep", str(reps)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    shown = _text(_inert(out.read_text(encoding="utf-8")))
    # Shown as written: the escapes disappear when rendered.
    for text in (LINK, IMAGE, HTML, TICKS, FILE, TIER):
        assert text in shown, text
    rendered = [_inert(p.read_text(encoding="utf-8")) for p in sorted(reps.iterdir())]
    assert len(rendered) == 3
    assert any(LINK in _text(page) for page in rendered)


def test_alerts_digest_keeps_names_as_text(hostile: Path) -> None:
    result = CliRunner().invoke(app, ["alerts", str(hostile / "kpi.yaml"), "-f", "md"])
    assert result.exit_code == 0, result.output
    _inert(result.stdout)


def test_diff_markdown_keeps_names_from_report_files_as_text(hostile: Path, tmp_path: Path) -> None:
    spec = str(hostile / "kpi.yaml")
    for name, as_of in (("old.json", "2017-06-10"), ("new.json", "2017-06-20")):
        args = ["report", spec, "-o", str(tmp_path / name), "--as-of", as_of]
        assert CliRunner().invoke(app, args).exit_code == 0
    files = [str(tmp_path / "old.json"), str(tmp_path / "new.json")]
    result = CliRunner().invoke(app, ["diff", *files, "-f", "md"])
    assert result.exit_code in (0, 1), result.output
    assert LINK in _text(_inert(result.stdout))


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (LINK, LINK),
        ("![x](p.png)", "![x](p.png)"),
        (HTML, "&lt;img src=x onerror=alert(2)&gt;"),
        ("a | b\nc", "a | b c"),
        ("&lt;b&gt;", "&amp;lt;b&amp;gt;"),
        ("*bold* `code`", "*bold* `code`"),
    ],
)
def test_md_text_renders_as_the_text_itself(text: str, shown: str) -> None:
    html = _html(f"| x |\n|---|\n| {md_text(text)} |\n")
    assert f"<td>{shown}</td>" in html, html
    assert _inert(md_text(text))


@pytest.mark.parametrize("start", ["# h", "- x", "+ x", "> q", "1. x", "2) x", "===", "~~~"])
def test_md_text_at_a_line_start_starts_no_block(start: str) -> None:
    html = _html(f"para\n{md_text(start, line_start=True)}\n")
    assert html.strip() == f"<p>para\n{start.replace('>', '&gt;')}</p>", html
