"""`salesperf diff`: two JSON reports compared, on constructed pairs and one real rerun."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from salesperf.cli import app
from salesperf.cli import render as cli_render
from salesperf.diff import diff_reports, load_report
from salesperf.errors import DataError

MINI = Path(__file__).parents[1] / "fixtures" / "mini"


def cell(kpi: str, actual: float, target: float, status: str) -> dict[str, Any]:
    return {
        "kpi": kpi,
        "actual": actual,
        "actual_fmt": f"${actual:,.0f}",
        "target": target,
        "target_fmt": f"${target:,.0f}",
        "status": status,
        "status_label": status.replace("_", " "),
    }


def card(entity: str, name: str, total: float, tier: str, rank: int, level: str = "rep"):
    return {
        "level": level,
        "entity": entity,
        "name": name,
        "total": total,
        "total_fmt": f"{total * 100:.1f}",
        "tier": tier,
        "rank": rank,
        "rank_fmt": str(rank),
    }


def alert(severity: str, rule: str, kpi: str | None, level: str, entity: str, who: str):
    return {
        "severity": severity,
        "rule": rule,
        "kpi": kpi,
        "level": level,
        "entity": entity,
        "who": who,
        "message": f"{who}: {rule}",
    }


BASE: dict[str, Any] = {
    "schema": "salesperf.report/1",
    "kind": "company",
    "meta": {"title": "Mini Co", "period": "2017-06", "as_of": "2017-06-15", "version": "0.1.0"},
    "headline": [{"name": "Revenue", **cell("revenue", 1900.0, 4400.0, "behind")}],
    "levels": [
        {
            "level": "team",
            "entities": [
                {
                    "entity": "North",
                    "name": "North",
                    "parent": "company",
                    "kpis": [cell("revenue", 1500.0, 2200.0, "at_risk")],
                }
            ],
        },
        {
            "level": "rep",
            "entities": [
                {
                    "entity": "R1",
                    "name": "Ann",
                    "parent": "North",
                    "kpis": [cell("revenue", 800.0, 1650.0, "at_risk")],
                },
                {
                    "entity": "R2",
                    "name": "Bob",
                    "parent": "North",
                    "kpis": [cell("revenue", 700.0, 550.0, "on_track")],
                },
            ],
        },
    ],
    "scorecard": {
        "rows": [card("R2", "Bob", 1.2, "A", 1), card("R1", "Ann", 0.97, "A", 2)],
        "groups": [card("North", "North", 1.01, "A", 1, "team")],
    },
    "alerts": [
        alert("warning", "behind_pace", "revenue", "company", "company", "Mini Co"),
        alert("warning", "duplicate_key", None, "rep", "R1", "Ann"),
    ],
    "provenance": {
        "spec": {"path": "mini/kpi.yaml", "sha256": "a" * 64},
        "inputs": [
            {"path": "mini/orders.csv", "rows": 8, "sha256": "b" * 64},
            {"path": "mini/roster.csv", "rows": 3, "sha256": "c" * 64},
        ],
        "version": "0.1.0",
        "period": "2017-06",
        "as_of": "2017-06-15",
    },
}


def changed(edit) -> dict[str, Any]:
    report = copy.deepcopy(BASE)
    edit(report)
    return report


def rep(report: dict[str, Any], entity: str) -> dict[str, Any]:
    return next(e for e in report["levels"][1]["entities"] if e["entity"] == entity)


def test_identical_and_float_noise() -> None:
    assert diff_reports(BASE, copy.deepcopy(BASE)).identical

    def noise(r):  # a different summation order, not a change
        r["headline"][0]["actual"] = 1900.0000000000002
        rep(r, "R1")["kpis"][0]["target"] = 1650.0 * (1 + 1e-12)

    assert diff_reports(BASE, changed(noise)).identical


def test_a_changed_value_and_what_follows() -> None:
    def restated(r):
        rep(r, "R1")["kpis"][0].update(actual=850.0, actual_fmt="$850")
        r["scorecard"]["rows"][1].update(total=0.99, total_fmt="99.0")
        r["scorecard"]["rows"][0].update(tier="B", rank=2, rank_fmt="2")
        r["scorecard"]["rows"][1].update(rank=1, rank_fmt="1")

    result = diff_reports(BASE, changed(restated))
    assert not result.identical
    (value,) = result.section("values")
    assert (value.what, value.kpi, value.level, value.entity, value.name) == (
        "actual",
        "revenue",
        "rep",
        "R1",
        "Ann",
    )
    assert (value.old, value.new, value.old_fmt, value.new_fmt) == (800.0, 850.0, "$800", "$850")
    scores = [(c.entity, c.what, c.old_fmt, c.new_fmt) for c in result.section("scores")]
    assert scores == [
        ("R2", "tier", "A", "B"),
        ("R2", "rank", "1", "2"),
        ("R1", "total", "97.0", "99.0"),
        ("R1", "rank", "2", "1"),
    ]
    assert result.to_dict()["counts"] == {
        "run": 0,
        "inputs": 0,
        "values": 1,
        "scores": 4,
        "alerts": 0,
    }


def test_alerts_appear_clear_and_change_severity() -> None:
    def moved(r):
        r["alerts"][0]["severity"] = "critical"
        del r["alerts"][1]
        r["alerts"].append(alert("warning", "off_history", "revenue", "rep", "R1", "Ann"))

    result = diff_reports(BASE, changed(moved))
    alerts = [(c.what, c.rule, c.kpi, c.entity, c.old, c.new) for c in result.section("alerts")]
    assert alerts == [
        ("severity", "behind_pace", "revenue", "company", "warning", "critical"),
        ("cleared", "duplicate_key", None, "R1", "warning", None),
        ("appeared", "off_history", "revenue", "R1", None, "warning"),
    ]


def test_inputs_changed_added_removed_and_moved() -> None:
    def rerun(r):
        r["provenance"]["spec"]["sha256"] = "d" * 64
        r["provenance"]["inputs"] = [
            # the same file, run from another folder: not a change
            {"path": "/srv/sales/mini/orders.csv", "rows": 8, "sha256": "b" * 64},
            {"path": "mini/pipeline.csv", "rows": 6, "sha256": "e" * 64},
        ]

    result = diff_reports(BASE, changed(rerun))
    inputs = [(c.what, c.entity) for c in result.section("inputs")]
    assert inputs == [
        ("spec", "mini/kpi.yaml"),
        ("removed", "mini/roster.csv"),
        ("added", "mini/pipeline.csv"),
    ]

    def restated(r):
        r["provenance"]["inputs"][0].update(rows=9, sha256="f" * 64)

    (change,) = diff_reports(BASE, changed(restated)).changes
    assert (change.section, change.what, change.entity) == ("inputs", "changed", "mini/orders.csv")
    assert (change.old_fmt, change.new_fmt) == (
        "8 rows, sha256 bbbbbbbbbbbb…",
        "9 rows, sha256 ffffffffffff…",
    )


def test_entities_added_and_run_changes() -> None:
    def later(r):
        r["meta"]["as_of"] = "2017-06-21"
        new = {"entity": "R4", "name": "Dee", "parent": "North"}
        r["levels"][1]["entities"].append({**new, "kpis": [cell("revenue", 5, 0, "no_target")]})

    result = diff_reports(BASE, changed(later))
    assert [(c.section, c.what, c.entity) for c in result.changes] == [
        ("run", "as_of", None),
        ("values", "added", "R4"),
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not JSON (line 1, column 2: Expecting property name"),
        ('{"schema": "salesperf.alerts/1"}', "not a salesperf report (schema 'salesperf.alerts/1'"),
        ("[1, 2]", "not a salesperf report (no schema, expected 'salesperf.report/1')"),
        ('{"schema": "salesperf.report/1", "kind": "rep"}', "a per-rep report (kind 'rep')"),
        ('{"schema": "salesperf.report/1", "meta": {}}', "'headline' is a required property"),
    ],
)
def test_load_report_refuses(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "old.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DataError) as caught:
        load_report(path)
    finding = caught.value.findings[0]
    assert finding.location.file == str(path)
    assert finding.message.startswith(message)


# -- the command -------------------------------------------------------------------------------


def invoke(*args: str) -> tuple[int, str]:
    # A wide terminal: messages name tmp_path files, whose paths (longer under pytest-xdist)
    # would otherwise wrap mid-name at 80 columns.
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "400"})
    assert "Traceback" not in result.output
    return result.exit_code, result.output


@pytest.fixture
def pair(tmp_path: Path):
    def write(name: str, report: dict[str, Any]) -> str:
        path = tmp_path / name
        path.write_text(json.dumps(report), encoding="utf-8")
        return str(path)

    return write


def test_cli_identical_is_exit_0(pair) -> None:
    code, out = invoke("diff", pair("a.json", BASE), pair("b.json", BASE))
    assert code == 0
    assert "identical" in out


def test_cli_differences_are_exit_1_and_listed(pair, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli_render.out, "width", 200)  # one line per row

    def all_three(r):
        rep(r, "R1")["kpis"][0].update(actual=850.0, actual_fmt="$850")
        r["alerts"].append(alert("critical", "gone_quiet", None, "rep", "R2", "Bob"))
        r["provenance"]["inputs"][0]["sha256"] = "f" * 64

    old, new = pair("old.json", BASE), pair("new.json", changed(all_three))
    code, out = invoke("diff", old, new)
    assert code == 1
    assert "3 change(s) (inputs 1, values 1, alerts 1)" in out
    assert "mini/orders.csv" in out and "8 rows, sha256 bbbbbbbbbbbb…" in out
    assert "Ann (R1)" in out and "$800" in out and "$850" in out and "+6.2%" in out
    assert "+ appeared (critical) gone_quiet · Bob (R2)" in out
    code, out = invoke("diff", old, new, "--format", "md")
    assert code == 1
    assert "| revenue | rep | Ann (R1) | actual | $800 | $850 | +6.2% |" in out
    assert "- **appeared (critical) gone_quiet · Bob (R2)**: Bob: gone_quiet" in out
    code, out = invoke("diff", old, new, "--format", "json")
    assert code == 1
    doc = json.loads(out)
    assert (doc["schema"], doc["identical"]) == ("salesperf.diff/1", False)
    assert doc["values"][0]["old"] == 800.0 and doc["values"][0]["new"] == 850.0
    assert doc["alerts"][0]["what"] == "appeared"
    assert doc["inputs"][0]["what"] == "changed"


def test_cli_bad_input_is_exit_2(pair, tmp_path: Path) -> None:
    good = pair("good.json", BASE)
    wrong = pair("alerts.json", {"schema": "salesperf.alerts/1", "alerts": []})
    code, out = invoke("diff", good, wrong)
    assert code == 2
    assert f"{wrong}: not a salesperf report (schema 'salesperf.alerts/1'" in out
    text = tmp_path / "notes.json"
    text.write_text("hello", encoding="utf-8")
    code, out = invoke("diff", str(text), good)
    assert code == 2
    assert f"{text}: not JSON" in out
    code, out = invoke("diff", good, str(tmp_path / "missing.json"))
    assert code == 2
    assert "missing.json" in out and "does not exist" in out


def test_a_real_rerun_after_a_data_correction(tmp_path: Path) -> None:
    # Mini Co's report, then the same after R1's June order of 800 is corrected to 900.
    project = tmp_path / "mini"
    shutil.copytree(MINI, project)
    spec = str(project / "kpi.yaml")
    old, new = str(tmp_path / "old.json"), str(tmp_path / "new.json")
    assert invoke("report", spec, "-f", "json", "-o", old)[0] == 0
    orders = project / "orders.csv"
    orders.write_text(orders.read_text().replace("800.00", "900.00"), encoding="utf-8")
    assert invoke("report", spec, "-f", "json", "-o", new)[0] == 0
    result = diff_reports(load_report(old), load_report(new))
    # Inputs are named relative to kpi.yaml's folder (the report's provenance, issue 14).
    assert [c.entity for c in result.section("inputs")] == ["orders.csv"]
    revenue = [c for c in result.section("values") if (c.kpi, c.what) == ("revenue", "actual")]
    actuals = {(c.level, c.entity): (c.old, c.new) for c in revenue}
    assert actuals == {
        ("company", "company"): (1900.0, 2000.0),
        ("team", "North"): (1500.0, 1600.0),
        ("rep", "R1"): (800.0, 900.0),
    }
    assert invoke("diff", old, old)[0] == 0


# -- damaged reports: checked against the report's JSON Schema first (issue 20 #18) -----------


def test_damaged_reports_name_the_file_and_field(tmp_path: Path) -> None:
    cases = [
        (lambda r: r.update(headline=[None]), "headline[0]", "expected an object, got null"),
        (lambda r: r.update(alerts=[{}]), "alerts[0]", "'severity' is a required property"),
        (
            lambda r: rep(r, "R1")["kpis"][0].update(actual="12"),
            "levels[1].entities[0].kpis[0].actual",
            "expected a number or null, got text",
        ),
        (
            lambda r: r["provenance"].update(inputs={}),
            "provenance.inputs",
            "expected a list, got an object",
        ),
    ]
    for edit, key, message in cases:
        path = tmp_path / "bad.json"
        path.write_text(json.dumps(changed(edit)), encoding="utf-8")
        with pytest.raises(DataError) as caught:
            load_report(path)
        first = caught.value.findings[0]
        assert (first.location.file, first.location.key) == (str(path), key)
        assert first.message.startswith(message), first.message


def test_json_nested_a_hundred_thousand_deep_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text('{"schema": "salesperf.report/1", "meta": ' + "[" * 100_000, encoding="utf-8")
    code, out = invoke("diff", str(path), str(path))
    assert code == 2, out
    assert "nested too deeply" in out or "not JSON" in out


def _wrong_type(value: Any) -> Any:
    """A value of another JSON type than ``value``."""
    if isinstance(value, bool) or value is None:
        return {"x": None}
    if isinstance(value, str):
        return 1
    if isinstance(value, int | float):
        return "x"
    return [] if isinstance(value, dict) else {}


def _leaves(node: Any, path: tuple = ()):  # every key path of a report
    if isinstance(node, dict):
        for key, value in node.items():
            yield (*path, key), value
            yield from _leaves(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield (*path, i), value
            yield from _leaves(value, (*path, i))


def test_every_single_field_edit_of_a_real_report_is_compared_or_refused(tmp_path: Path) -> None:
    """Each field of a real report set to null and to a value of another type: diff exits
    0, 1 or 2 and never crashes (77 of ~1,300 such edits crashed before the schema check)."""
    project = tmp_path / "mini"
    shutil.copytree(MINI, project)
    good = tmp_path / "good.json"
    assert invoke("report", str(project / "kpi.yaml"), "-f", "json", "-o", str(good))[0] == 0
    report = json.loads(good.read_text(encoding="utf-8"))
    report.pop("labels")  # translated words: nothing in them is compared
    old = load_report(good)
    edits = refused = 0
    for where, original in list(_leaves(report)):
        for value in (None, _wrong_type(original)):
            damaged = copy.deepcopy(report)
            node = damaged
            for part in where[:-1]:
                node = node[part]
            node[where[-1]] = value
            path = tmp_path / "bad.json"
            path.write_text(json.dumps(damaged), encoding="utf-8")
            try:
                diff_reports(old, load_report(path))
            except DataError as exc:
                assert exc.findings[0].location.file == str(path)
                refused += 1
            edits += 1
    assert edits > 1000 and refused > 500
