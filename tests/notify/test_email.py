"""E-mail over SMTP: a real server (aiosmtpd) on 127.0.0.1 receives every mail."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from salesperf.notify import deliver, plan
from salesperf.notify.state import load_state
from tests.notify.conftest import AS_OF, Mailbox, write_project


def _notify(port: int, rules: str, extra: str = "") -> str:
    return f"""
notify:
  smtp: {{host: 127.0.0.1, port: {port}, starttls: false, from: "Sales Ops <ops@example.com>"}}
  contacts:
    email: {{rep: email, team: lead_email, company: {{company: "vp@example.com, ops@example.com"}}}}
  rules:
{rules}
{extra}
"""


REPS = "    - {name: reps, to: rep, via: [email], send: [progress, alerts, report], when: [always]}"
LEADS = "    - {name: leads, to: team, via: [email]}"
CEO = "    - {name: ceo, to: company, via: [email], when: [always]}"


def _run(spec: Path, transport: Any) -> list[Any]:
    return deliver(plan(spec, as_of=AS_OF), transport)


def _text(mail: Any, kind: str = "plain") -> str:
    return str(mail.get_body((kind,)).get_content()).replace("\r\n", "\n")


def _by_to(box: Mailbox) -> dict[str, Any]:
    return {str(mail["To"].addresses[0].addr_spec): mail for mail in box.parsed()}


def test_rep_mail_headers_parts_and_attachment(
    tmp_path: Path, smtp_server: Mailbox, fast: Any
) -> None:
    spec = write_project(tmp_path, _notify(smtp_server.port, REPS))
    done = _run(spec, fast())
    assert [d.error for d in done] == [None, None, None]
    assert len(smtp_server.messages) == 3
    sender, rcpts, _ = smtp_server.messages[0]
    assert sender == "ops@example.com"
    assert rcpts == ["ann@example.com"]
    mail = _by_to(smtp_server)["ann@example.com"]
    assert mail["From"].addresses[0].display_name == "Sales Ops"
    assert mail["To"].addresses[0].display_name == "Ann Lee"
    assert mail["Subject"] == "Performance feedback: Ann Lee · 2017-06"
    assert mail["Message-ID"] and mail["Date"]
    assert mail.get_content_type() == "multipart/mixed"
    text = _text(mail)
    html = _text(mail, "html")
    # R1: $700 of a $1,000 target; 2/3 of June elapsed: pace 700 / 666.67 = 105%.
    assert "- Revenue: Actual $700 · Target $1,000 · Attainment 70% · Pace 105% · on track" in text
    assert "Your performance page is attached." in text
    assert '<th scope="row">Revenue</th><td class="num">$700</td>' in html
    attachments = list(mail.iter_attachments())
    assert [a.get_filename() for a in attachments] == ["R1-Ann Lee.html"]
    page = attachments[0].get_content()
    assert "Performance feedback: Ann Lee" in page and "$700" in page


def test_inline_page_is_the_html_body(tmp_path: Path, smtp_server: Mailbox, fast: Any) -> None:
    rules = (
        "    - {name: reps, to: rep, via: [email], send: [progress, report], "
        "when: [always], page: inline}"
    )
    spec = write_project(tmp_path, _notify(smtp_server.port, rules))
    _run(spec, fast())
    mail = _by_to(smtp_server)["ann@example.com"]
    assert mail.get_content_type() == "multipart/alternative"
    assert not list(mail.iter_attachments())
    html = _text(mail, "html")
    assert "<h1>Performance feedback: Ann Lee</h1>" in html


def test_chinese_names_and_subject_are_encoded(
    tmp_path: Path, smtp_server: Mailbox, fast: Any
) -> None:
    spec = write_project(tmp_path, _notify(smtp_server.port, REPS), locale="zh-CN")
    _run(spec, fast())
    raw = next(raw for _, rcpts, raw in smtp_server.messages if rcpts == ["lina@example.com"])
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")  # headers are pure ASCII on the wire
    assert re.search(r"^Subject: =\?utf-8\?", head, flags=re.M)
    assert re.search(r"^To: =\?utf-8\?[bq]\?.+\?= <lina@example.com>", head, flags=re.M)
    mail = _by_to(smtp_server)["lina@example.com"]
    assert mail["Subject"] == "个人业绩反馈: 李娜 · 2017-06"
    assert mail["To"].addresses[0].display_name == "李娜"
    text = _text(mail)
    # The report's glossary (issue 14): pace is 进度达成率, and an open period on track is
    # 进度正常 (达标 means the target was met, which it is not: 70%).
    assert "- 销售额: 实际 US$700 · 目标 US$1,000 · 达成率 70% · 进度达成率 105% · 进度正常" in text
    assert "附件为你的个人业绩反馈页。" in text
    (attachment,) = mail.iter_attachments()
    assert attachment.get_filename() == "R1-李娜.html"
    assert "filename*=utf-8''R1-" in raw.decode("ascii")


def test_rep_messages_hold_no_other_reps_names_or_figures(
    tmp_path: Path, smtp_server: Mailbox, fast: Any
) -> None:
    spec = write_project(tmp_path, _notify(smtp_server.port, REPS))
    _run(spec, fast())
    mails = _by_to(smtp_server)
    # Each rep's own June revenue (see conftest): nobody else's may appear.
    own = {
        "ann@example.com": ("Ann Lee", "R1", "$700"),
        "bo@example.com": ("Bo Chen", "R2", "$400"),
        "cy@example.com": ("Cy Diaz", "R3", "$100"),
    }
    for address, mail in mails.items():
        parts = [_text(mail), _text(mail, "html")]
        parts += [a.get_content() for a in mail.iter_attachments()]
        parts.append(str(mail["Subject"]))
        everything = "\n".join(parts)
        assert own[address][0] in everything
        for other, (name, rep, actual) in own.items():
            if other == address:
                continue
            assert name not in everything, (address, name)
            assert not re.search(rf"\b{rep}\b", everything), (address, rep)
            assert f"Actual {actual}" not in everything and f">{actual}<" not in everything
    # Bo is behind (pace 60%, a warning) and Cy far behind (critical): each hears of their own.
    bo = _text(mails["bo@example.com"])
    assert "- warning · behind pace · Revenue: Bo Chen (R2): Revenue at 60% of pace" in bo
    assert "Cy Diaz" not in bo


def test_lead_gets_the_team_view_and_its_reps_alerts(
    tmp_path: Path, smtp_server: Mailbox, fast: Any
) -> None:
    spec = write_project(tmp_path, _notify(smtp_server.port, LEADS))
    _run(spec, fast())
    mails = _by_to(smtp_server)
    assert set(mails) == {"north-lead@example.com", "south-lead@example.com"}
    north = _text(mails["north-lead@example.com"])
    # North: $1,100 of $2,000 -> attainment 55%, pace 1100 / 1333.33 = 82%.
    assert "- Revenue: Actual $1,100 · Target $2,000 · Attainment 55% · Pace 82% · behind" in north
    bo = "- Bo Chen · Revenue: Actual $400 · Target $1,000 · Attainment 40% · Pace 60% · behind"
    assert bo in north
    assert "Ann Lee" not in north  # on track: not listed
    assert "Cy Diaz" not in north  # another team
    assert "Bo Chen (R2): Revenue at 60% of pace" in north


def test_second_run_sends_nothing_and_state_holds_only_deliveries(
    tmp_path: Path, smtp_server: Mailbox, fast: Any
) -> None:
    spec = write_project(tmp_path, _notify(smtp_server.port, REPS + "\n" + LEADS))
    first = _run(spec, fast())
    assert len(first) == 5 and all(d.delivered for d in first)
    again = plan(spec, as_of=AS_OF)
    assert again.deliveries == []
    assert _run(spec, fast()) == []
    assert len(smtp_server.messages) == 5
    state = load_state(tmp_path / "salesperf-notify-state.json")
    slots = state.rules["reps"]["2017-06"]
    assert set(slots) == {"email|rep:R1", "email|rep:R2", "email|rep:R3"}
    assert slots["email|rep:R2"] == {
        "progress": True,
        "alerts": ["behind_pace|revenue|rep|R2|warning", "off_history|revenue|rep|R2|critical"],
    }


def test_a_new_alert_sends_only_that_alert(tmp_path: Path, smtp_server: Mailbox, fast: Any) -> None:
    spec = write_project(tmp_path, _notify(smtp_server.port, REPS))
    _run(spec, fast())
    # Pretend R2's warning was never delivered: the next run sends it alone.
    path = tmp_path / "salesperf-notify-state.json"
    state = load_state(path)
    state.rules["reps"]["2017-06"]["email|rep:R2"]["alerts"] = [
        "off_history|revenue|rep|R2|critical"
    ]
    from salesperf.notify.state import save_state

    save_state(state)
    before = len(smtp_server.messages)
    done = _run(spec, fast())
    assert [d.message.recipient.entity for d in done] == ["R2"]
    mail = smtp_server.parsed()[before]
    assert mail["Subject"] == "New alerts: Bo Chen · 2017-06"
    text = _text(mail)
    assert "Progress" not in text and "Actual $400" not in text
    assert "- warning · behind pace · Revenue: Bo Chen (R2)" in text
    assert not list(mail.iter_attachments())


def test_temporary_smtp_failure_is_retried(tmp_path: Path, smtp_server: Mailbox, fast: Any) -> None:
    spec = write_project(tmp_path, _notify(smtp_server.port, CEO))
    smtp_server.replies = ["451 4.3.0 Try again later"]
    transport = fast(retries=2, backoff=0.01)
    (done,) = _run(spec, transport)
    assert done.delivered and done.attempts == 2
    assert transport.sleep.__self__ == [0.01]
    assert smtp_server.messages[0][1] == ["vp@example.com", "ops@example.com"]


def test_permanent_smtp_failure_is_reported_not_retried(
    tmp_path: Path, smtp_server: Mailbox, fast: Any
) -> None:
    spec = write_project(tmp_path, _notify(smtp_server.port, CEO))
    smtp_server.replies = ["554 5.7.1 Message rejected"]
    (done,) = _run(spec, fast())
    assert not done.delivered and done.attempts == 1
    assert done.error == "SMTP 554: 5.7.1 Message rejected"
    assert not (tmp_path / "salesperf-notify-state.json").exists()


def test_missing_password_fails_without_printing_anything_secret(
    tmp_path: Path, smtp_server: Mailbox, fast: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    notify = _notify(smtp_server.port, CEO)
    login = "starttls: false, user_env: SP_USER, password_env: SP_PASS,"
    notify = notify.replace("starttls: false,", login)
    spec = write_project(tmp_path, notify)
    monkeypatch.setenv("SP_USER", "ops")
    monkeypatch.delenv("SP_PASS", raising=False)
    (done,) = _run(spec, fast())
    assert done.error == "environment variable SP_PASS is not set"
    assert smtp_server.messages == []


def test_nothing_listens(tmp_path: Path, fast: Any) -> None:
    from tests.notify.conftest import free_port

    port = free_port()
    spec = write_project(tmp_path, _notify(port, CEO))
    transport = fast(retries=1, backoff=0.01)
    (done,) = _run(spec, transport)
    assert not done.delivered and done.attempts == 2
    assert done.error.startswith(f"cannot connect to 127.0.0.1:{port}: ")
    assert done.error.endswith("(gave up after 2 attempts)")


def test_overlapping_runs_do_not_send_twice(
    tmp_path: Path, smtp_server: Mailbox, fast: Any
) -> None:
    spec = write_project(tmp_path, _notify(smtp_server.port, REPS))
    # Two cron jobs both decide before either has sent: the later one finds it done.
    first, second = plan(spec, as_of=AS_OF), plan(spec, as_of=AS_OF)
    assert len(first.deliveries) == len(second.deliveries) == 3
    assert len(deliver(first, fast())) == 3
    assert deliver(second, fast()) == []
    assert len(smtp_server.messages) == 3


def _tls_notify(box: Mailbox, ca: str) -> str:
    smtp = (
        f"{{host: 127.0.0.1, port: {box.port}, starttls: true, user_env: SP_USER, "
        f'password_env: SP_PASS, from: "ops@example.com"{ca}}}'
    )
    return (
        f"notify:\n  smtp: {smtp}\n  rules:\n"
        + CEO.replace("[always]}", "[always]}\n")
        + ('  contacts: {email: {company: {company: "vp@example.com"}}}\n')
    )


def test_starttls_and_login_from_the_environment(
    tmp_path: Path, tls_smtp_server: Mailbox, fast: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SP_USER", "ops")
    monkeypatch.setenv("SP_PASS", "s3cret-pass")
    spec = write_project(tmp_path, _tls_notify(tls_smtp_server, ", ca_file: ca.pem"))
    (done,) = _run(spec, fast())
    assert done.error is None
    assert tls_smtp_server.logins == [("ops", "s3cret-pass", True)]  # over TLS only
    assert tls_smtp_server.messages[0][1] == ["vp@example.com"]


def test_an_untrusted_certificate_is_refused(
    tmp_path: Path, tls_smtp_server: Mailbox, fast: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SP_USER", "ops")
    monkeypatch.setenv("SP_PASS", "s3cret-pass")
    spec = write_project(tmp_path, _tls_notify(tls_smtp_server, ""))  # the system's CAs only
    (done,) = _run(spec, fast())
    assert done.attempts == 1 and done.error.startswith("TLS failed: CERTIFICATE_VERIFY_FAILED")
    assert tls_smtp_server.logins == [] and tls_smtp_server.messages == []


def test_a_wrong_password_is_reported_without_it(
    tmp_path: Path, tls_smtp_server: Mailbox, fast: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SP_USER", "ops")
    monkeypatch.setenv("SP_PASS", "wrong-password")
    spec = write_project(tmp_path, _tls_notify(tls_smtp_server, ", ca_file: ca.pem"))
    (done,) = _run(spec, fast())
    assert done.attempts == 1
    assert done.error.startswith("SMTP 535: ")
    assert "wrong-password" not in done.error
