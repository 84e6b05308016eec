"""The `notify:` section's checks, the rules' conditions and --only, and the command's exits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from salesperf.cli import app
from salesperf.errors import SpecError
from salesperf.notify import plan
from salesperf.spec import load_spec
from tests.notify.conftest import AS_OF, write_project

SMTP = '  smtp: {host: 127.0.0.1, port: 2525, starttls: false, from: "Ops <ops@example.com>"}\n'


def _errors(tmp_path: Path, notify: str) -> str:
    spec = write_project(tmp_path, notify)
    with pytest.raises(SpecError) as caught:
        load_spec(spec)
    return str(caught.value)


def test_unknown_keys_get_a_did_you_mean(tmp_path: Path) -> None:
    text = _errors(
        tmp_path,
        """
notify:
  smtp: {host: mail.example.com, form: "ops@example.com"}
  rules:
    - {name: r, to: rep, via: [email], wehn: [always]}
""",
    )
    assert "notify.smtp.form: unknown key 'form' (did you mean 'from'?)" in text
    assert "notify.smtp.from: required key 'from' is missing" in text
    assert "notify.rules[0].wehn: unknown key 'wehn' (did you mean 'when'?)" in text


def test_cross_checks_point_at_the_line(tmp_path: Path) -> None:
    text = _errors(
        tmp_path,
        """
notify:
  channels:
    team-chat: {type: wecom, url: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=${K}"}
  contacts:
    email: {rep: e_mail}
  rules:
    - {name: reps, to: rep, via: [emial, team-chat]}
    - {name: reps, to: teams, via: [team-chat]}
""",
    )
    assert "kpi.yaml:28: notify.contacts.email.rep: roster field 'e_mail' is not mapped in " in text
    assert "(did you mean 'email'?)" in text
    assert (
        "kpi.yaml:30: notify.rules[0].via[0]: 'emial' is neither `email` nor a channel under "
        "`notify.channels:` (did you mean 'email'?)"
    ) in text
    assert (
        "notify.rules[0].via[1]: channel 'team-chat' posts to one group chat, so it can only "
        "carry `to: company`"
    ) in text
    assert "kpi.yaml:31: notify.rules[1]: rule name 'reps' is used twice" in text
    assert "notify.rules[1].to: 'teams' is not rep, a roster level or company (did you mean" in text


@pytest.mark.parametrize(
    ("smtp", "message"),
    [
        (
            '{host: h, starttls: true, ssl: true, from: "a@b.c"}',
            "use `starttls: true` (port 587) or `ssl: true` (port 465), not both",
        ),
        ('{host: h, user_env: U, from: "a@b.c"}', "give both `user_env` and `password_env`"),
        ("{host: h, from: Sales Ops}", "`from:` 'Sales Ops' holds no e-mail address"),
        ('{host: h, port: yes, from: "a@b.c"}', "notify.smtp.port: "),
        ('{host: h, password_env: "my secret", user_env: U, from: "a@b.c"}', "password_env"),
    ],
)
def test_smtp_settings(tmp_path: Path, smtp: str, message: str) -> None:
    notify = f"notify:\n  smtp: {smtp}\n  rules:\n    - {{name: r, to: company, via: [email]}}\n"
    assert message in _errors(tmp_path, notify)


@pytest.mark.parametrize(
    ("channel", "message"),
    [
        ("{type: slack, url: 'ftp://x/y'}", "is not an http(s) address"),
        ("{type: slack, url: 'https://${HOST}/x'}", "the host must be written out"),
        ("{type: slack, url: 'https://h/$TOKEN'}", "write environment variables as ${NAME}"),
        ("{type: slack, url: 'https://h/x', secret_env: S}", "signs DingTalk and Feishu requests"),
        ("{type: teams, url: 'https://h/x'}", "'teams' is not one of wecom, dingtalk, feishu"),
    ],
)
def test_channel_settings(tmp_path: Path, channel: str, message: str) -> None:
    rule = "{name: r, to: company, via: [c]}"
    notify = f"notify:\n  channels:\n    c: {channel}\n  rules:\n    - {rule}\n"
    assert message in _errors(tmp_path, notify)


def test_nothing_is_sent_without_a_notify_section(tmp_path: Path) -> None:
    spec = write_project(tmp_path, "")
    result = CliRunner().invoke(app, ["notify", str(spec)])
    assert result.exit_code == 2
    assert "no `notify:` section, and nothing is ever sent without one" in result.stderr


def _reps(tmp_path: Path, rule: str) -> Any:
    notify = f"notify:\n{SMTP}  contacts:\n    email: {{rep: email}}\n  rules:\n    - {rule}\n"
    return write_project(tmp_path, notify)


def test_behind_means_status_behind(tmp_path: Path) -> None:
    # Ann is on track (pace 105%); Bo (60%) and Cy (15%) are behind.
    spec = _reps(tmp_path, "{name: r, to: rep, via: [email], when: [behind]}")
    due = plan(spec, as_of=AS_OF)
    assert [d.message.recipient.name for d in due.deliveries] == ["Bo Chen", "Cy Diaz"]


def test_alert_condition_respects_min_severity(tmp_path: Path) -> None:
    # Bo: a warning (behind pace) and a critical (off history); Cy: two criticals.
    spec = _reps(
        tmp_path,
        "{name: r, to: rep, via: [email], send: [alerts], when: [alert], min_severity: critical}",
    )
    due = plan(spec, as_of=AS_OF)
    assert {
        d.message.recipient.name: [a.key for a in d.message.alerts] for d in due.deliveries
    } == {
        "Bo Chen": ["off_history|revenue|rep|R2|critical"],
        "Cy Diaz": ["behind_pace|revenue|rep|R3|critical", "off_history|revenue|rep|R3|critical"],
    }


def test_only_narrows_what_each_rule_sends(tmp_path: Path) -> None:
    spec = _reps(tmp_path, "{name: r, to: rep, via: [email], when: [always]}")
    alerts_only = plan(spec, as_of=AS_OF, only="alerts")
    assert [d.message.recipient.name for d in alerts_only.deliveries] == ["Bo Chen", "Cy Diaz"]
    assert all(not d.message.progress for d in alerts_only.deliveries)
    progress_only = plan(spec, as_of=AS_OF, only="progress")
    assert len(progress_only.deliveries) == 3
    assert all(not d.message.alerts for d in progress_only.deliveries)
    assert plan(spec, as_of=AS_OF, only="report").deliveries == []  # the rule sends no report


def test_a_rep_without_an_address_is_a_failure_with_its_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = _reps(tmp_path, "{name: r, to: rep, via: [email], when: [always]}")
    roster = tmp_path / "roster.csv"
    roster.write_text(roster.read_text().replace("cy@example.com", ""), encoding="utf-8")
    result = CliRunner().invoke(app, ["notify", str(spec), "--as-of", "2017-06-20", "--dry-run"])
    assert result.exit_code == 0
    assert "[3] rule r · email → Cy Diaz\n    cannot be sent: no address for Cy Diaz (R3) in " in (
        result.stdout
    )


def test_the_state_file_is_never_an_input(tmp_path: Path) -> None:
    spec = _reps(tmp_path, "{name: r, to: rep, via: [email]}")
    spec.write_text(
        spec.read_text().replace("notify:\n", "notify:\n  state: orders.csv\n"), encoding="utf-8"
    )
    result = CliRunner().invoke(app, ["notify", str(spec), "--as-of", "2017-06-20"])
    assert result.exit_code == 2
    assert "orders.csv" in result.stderr and "input" in result.stderr


def test_a_damaged_state_file_is_named(tmp_path: Path) -> None:
    spec = _reps(tmp_path, "{name: r, to: rep, via: [email]}")
    (tmp_path / "salesperf-notify-state.json").write_text("{not json", encoding="utf-8")
    result = CliRunner().invoke(app, ["notify", str(spec), "--as-of", "2017-06-20"])
    assert result.exit_code == 2
    assert "Cannot read the notify state file" in result.stderr
    assert "salesperf-notify-state.json: not JSON" in result.stderr


def test_a_missing_ca_file_is_named_by_check(tmp_path: Path) -> None:
    notify = (
        "notify:\n  smtp: {host: h, from: a@b.c, ca_file: certs/ca.pem}\n"
        "  rules:\n    - {name: r, to: company, via: [email]}\n"
        '  contacts: {email: {company: {company: "x@y.z"}}}\n'
    )
    spec = write_project(tmp_path, notify)
    result = CliRunner().invoke(app, ["check", str(spec)])
    assert result.exit_code == 2
    assert "notify.smtp.ca_file: file not found: 'certs/ca.pem'" in result.output
