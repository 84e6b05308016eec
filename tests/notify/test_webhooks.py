"""Chat webhooks: a real HTTP server on 127.0.0.1 plays WeCom, DingTalk, Feishu, Slack and a
generic endpoint; each request is checked against the service's documented format."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from salesperf.cli import app
from salesperf.notify import deliver, plan
from salesperf.notify.state import load_state
from tests.notify.conftest import AS_OF, Hooks, write_project

SECRETS = {
    "WECOM_KEY": "wecom-key-1234",
    "DT_TOKEN": "dingtalk-token-5678",
    "DT_SECRET": "SECdingtalk-secret-abcd",
    "LARK_HOOK": "lark-hook-9012",
    "LARK_SECRET": "lark-secret-efgh",
    "SLACK_PATH": "T000/B000/slack-secret-ijkl",
}


@pytest.fixture(autouse=True)
def _secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)


def _notify(hooks: Hooks, rules: str) -> str:
    base = f"http://127.0.0.1:{hooks.port}"
    return f"""
notify:
  channels:
    wecom: {{type: wecom, url: "{base}/cgi-bin/webhook/send?key=${{WECOM_KEY}}"}}
    ding:
      type: dingtalk
      url: "{base}/robot/send?access_token=${{DT_TOKEN}}"
      secret_env: DT_SECRET
    lark:
      type: feishu
      url: "{base}/open-apis/bot/v2/hook/${{LARK_HOOK}}"
      secret_env: LARK_SECRET
    slack: {{type: slack, url: "{base}/services/${{SLACK_PATH}}"}}
    hook: {{type: webhook, url: "{base}/hook"}}
    personal: {{type: wecom, url: "{base}/personal/send?key={{address}}"}}
  contacts:
    personal: {{rep: robot}}
  rules:
{rules}
"""


DIGEST = (
    "    - {name: digest, to: company, via: [wecom, ding, lark, slack, hook], "
    "send: [progress, alerts], when: [always]}"
)
LARK_PATH = "/open-apis/bot/v2/hook/lark-hook-9012"
SLACK_PATH = "/services/T000/B000/slack-secret-ijkl"


def _answers(hooks: Hooks) -> None:
    hooks.default[LARK_PATH] = '{"code": 0, "msg": "success", "data": {}}'
    hooks.default[SLACK_PATH] = "ok"
    hooks.default["/hook"] = "{}"


def _run(spec: Path, transport: Any) -> list[Any]:
    return deliver(plan(spec, as_of=AS_OF), transport)


def test_each_service_gets_its_documented_shape(
    tmp_path: Path, http_server: Hooks, fast: Any
) -> None:
    _answers(http_server)
    spec = write_project(tmp_path, _notify(http_server, DIGEST))
    done = _run(spec, fast())
    assert [(d.via, d.error) for d in done] == [
        (via, None) for via in ("wecom", "ding", "lark", "slack", "hook")
    ]
    # WeCom group robot: {"msgtype": "markdown", "markdown": {"content": "..."}}
    (wecom,) = http_server.to("/cgi-bin/webhook/send")
    assert wecom["query"] == {"key": "wecom-key-1234"}
    assert wecom["headers"]["Content-Type"] == "application/json; charset=utf-8"
    assert list(wecom["json"]) == ["msgtype", "markdown"]
    assert wecom["json"]["msgtype"] == "markdown"
    content = wecom["json"]["markdown"]["content"]
    assert content.startswith("### Mini Co · 2017-06\n\nPeriod 2017-06 · As of 2017-06-20\n")
    # Company: $1,200 of $3,000 -> attainment 40%, pace 1200 / 2000 = 60%.
    line = "- **Revenue**: Actual $1,200 · Target $3,000 · Attainment 40% · Pace 60% · behind"
    assert line in content
    assert "- **critical** · behind pace · Revenue: Cy Diaz (R3): Revenue at 15% of pace" in content
    # DingTalk: {"msgtype": "markdown", "markdown": {"title": ..., "text": ...}}
    (ding,) = http_server.to("/robot/send")
    assert ding["json"] == {
        "msgtype": "markdown",
        "markdown": {"title": "Mini Co · 2017-06", "text": content},
    }
    # Feishu: {"msg_type": "post", "content": {"post": {"en_us": {"title", "content"}}}}
    (lark,) = http_server.to(LARK_PATH)
    body = lark["json"]
    assert set(body) == {"timestamp", "sign", "msg_type", "content"}
    assert body["msg_type"] == "post"
    post = body["content"]["post"]["en_us"]
    assert post["title"] == "Mini Co · 2017-06"
    assert post["content"][0] == [{"tag": "text", "text": "Period 2017-06 · As of 2017-06-20"}]
    texts = [p[0]["text"] for p in post["content"]]
    assert "- Revenue: Actual $1,200 · Target $3,000 · Attainment 40% · Pace 60% · behind" in texts
    # Slack: {"text": mrkdwn}
    (slack,) = http_server.to(SLACK_PATH)
    assert list(slack["json"]) == ["text"]
    assert slack["json"]["text"].startswith("*Mini Co · 2017-06*\n\n")
    # Generic: the salesperf.notify/1 document.
    (hook,) = http_server.to("/hook")
    document = hook["json"]
    assert document["schema"] == "salesperf.notify/1"
    assert document["recipient"] == {"level": "company", "entity": "company", "name": "Mini Co"}
    assert document["progress"][0]["attainment"] == "40%"
    assert {a["rule"] for a in document["alerts"]} >= {"behind_pace", "off_history"}


def test_dingtalk_signature_verifies(tmp_path: Path, http_server: Hooks, fast: Any) -> None:
    rules = "    - {name: d, to: company, via: [ding], when: [always]}"
    spec = write_project(tmp_path, _notify(http_server, rules))
    _run(spec, fast())
    (ding,) = http_server.to("/robot/send")
    query = ding["query"]
    assert query["access_token"] == "dingtalk-token-5678"
    stamp = int(query["timestamp"])
    assert abs(stamp - time.time() * 1000) < 60_000  # milliseconds, now
    secret = SECRETS["DT_SECRET"]
    # DingTalk's check: base64(HMAC-SHA256(key=secret, msg="timestamp\nsecret")).
    expected = base64.b64encode(
        hmac.new(secret.encode(), f"{stamp}\n{secret}".encode(), hashlib.sha256).digest()
    ).decode()
    assert query["sign"] == expected  # parse_qs undid the url-encoding


def test_feishu_signature_verifies(tmp_path: Path, http_server: Hooks, fast: Any) -> None:
    _answers(http_server)
    rules = "    - {name: f, to: company, via: [lark], when: [always]}"
    spec = write_project(tmp_path, _notify(http_server, rules))
    _run(spec, fast())
    (lark,) = http_server.to(LARK_PATH)
    stamp = lark["json"]["timestamp"]
    assert abs(int(stamp) - time.time()) < 60  # seconds
    key = f"{stamp}\n{SECRETS['LARK_SECRET']}".encode()
    expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    assert lark["json"]["sign"] == expected


def test_server_errors_are_retried_with_backoff(
    tmp_path: Path, http_server: Hooks, fast: Any
) -> None:
    _answers(http_server)
    http_server.replies["/hook"] = [(500, "oops", 0.0), (503, "busy", 0.0)]
    rules = "    - {name: h, to: company, via: [hook], when: [always]}"
    spec = write_project(tmp_path, _notify(http_server, rules))
    transport = fast(retries=3, backoff=0.01)
    (done,) = _run(spec, transport)
    assert done.delivered and done.attempts == 3
    assert transport.sleep.__self__ == [0.01, 0.02]  # doubled each time
    assert len(http_server.to("/hook")) == 3


def test_a_timeout_is_retried(tmp_path: Path, http_server: Hooks, fast: Any) -> None:
    _answers(http_server)
    http_server.replies["/hook"] = [(200, "{}", 0.6)]
    rules = "    - {name: h, to: company, via: [hook], when: [always]}"
    spec = write_project(tmp_path, _notify(http_server, rules))
    (done,) = _run(spec, fast(timeout=0.2, retries=1))
    assert done.delivered and done.attempts == 2


def test_giving_up_after_timeouts_says_why(tmp_path: Path, http_server: Hooks, fast: Any) -> None:
    http_server.replies["/hook"] = [(200, "{}", 0.4), (200, "{}", 0.4)]
    rules = "    - {name: h, to: company, via: [hook], when: [always]}"
    spec = write_project(tmp_path, _notify(http_server, rules))
    (done,) = _run(spec, fast(timeout=0.15, retries=1))
    assert not done.delivered
    assert done.error == "no answer within 0.15 s (gave up after 2 attempts)"


def test_a_4xx_is_reported_not_retried(tmp_path: Path, http_server: Hooks, fast: Any) -> None:
    http_server.replies[SLACK_PATH] = [(400, "invalid_payload", 0.0)]
    rules = "    - {name: s, to: company, via: [slack], when: [always]}"
    spec = write_project(tmp_path, _notify(http_server, rules))
    (done,) = _run(spec, fast())
    assert not done.delivered and done.attempts == 1
    assert done.error == "HTTP 400: invalid_payload"
    assert len(http_server.to(SLACK_PATH)) == 1


def test_an_error_code_in_a_200_reply_is_a_failure(
    tmp_path: Path, http_server: Hooks, fast: Any
) -> None:
    http_server.default["/robot/send"] = '{"errcode": 310000, "errmsg": "sign not match"}'
    rules = "    - {name: d, to: company, via: [ding], when: [always]}"
    spec = write_project(tmp_path, _notify(http_server, rules))
    (done,) = _run(spec, fast())
    assert done.error == "dingtalk error 310000: sign not match" and done.attempts == 1


def test_a_failed_channel_does_not_stop_the_others(
    tmp_path: Path, http_server: Hooks, fast: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _answers(http_server)
    http_server.replies[SLACK_PATH] = [(404, "no_service", 0.0)]
    spec = write_project(tmp_path, _notify(http_server, DIGEST))
    spec.write_text(
        spec.read_text() + "  delivery: {timeout: 2, retries: 0, backoff: 0}\n", encoding="utf-8"
    )
    result = CliRunner().invoke(app, ["notify", str(spec), "--as-of", "2017-06-20"])
    assert result.exit_code == 1
    assert "failed  digest · slack → Mini Co: HTTP 404: no_service" in result.stderr
    for via in ("wecom", "ding", "lark", "hook"):
        assert f"sent    digest · {via} → Mini Co: Mini Co · 2017-06" in result.stdout
    for secret in SECRETS.values():
        assert secret not in result.output
    state = load_state(tmp_path / "salesperf-notify-state.json")
    assert sorted(state.rules["digest"]["2017-06"]) == [
        "ding|company:company",
        "hook|company:company",
        "lark|company:company",
        "wecom|company:company",
    ]
    # The next run tries only what failed.
    again = CliRunner().invoke(app, ["notify", str(spec), "--as-of", "2017-06-20"])
    assert again.exit_code == 0, again.output
    assert again.stdout == "sent    digest · slack → Mini Co: Mini Co · 2017-06\n"
    assert len(http_server.requests) == 6


def test_data_is_escaped_for_each_markup(tmp_path: Path, http_server: Hooks, fast: Any) -> None:
    _answers(http_server)
    spec = write_project(tmp_path, _notify(http_server, DIGEST))
    roster = tmp_path / "roster.csv"
    roster.write_text(
        roster.read_text().replace("Cy Diaz", "*Cy* <!channel> [x](http://e.vil) _D_"),
        encoding="utf-8",
    )
    _run(spec, fast())
    markdown = http_server.to("/cgi-bin/webhook/send")[0]["json"]["markdown"]["content"]
    assert "\\*Cy\\* \\<!channel\\> \\[x\\](http://e.vil) _D_ (R3)" in markdown
    slack = http_server.to(SLACK_PATH)[0]["json"]["text"]
    assert "<!channel>" not in slack
    zw = "\u200b"
    assert f"*{zw}Cy*{zw} &lt;!channel&gt; [x](http://e.vil) _{zw}D_{zw} (R3)" in slack
    lark = http_server.to(LARK_PATH)[0]["json"]["content"]["post"]["en_us"]["content"]
    texts = "\n".join(p[0]["text"] for p in lark)
    assert "*Cy* <!channel> [x](http://e.vil) _D_ (R3)" in texts  # text tags are not markup


def test_personal_robots_get_only_their_reps_figures(
    tmp_path: Path, http_server: Hooks, fast: Any
) -> None:
    rules = "    - {name: mine, to: rep, via: [personal], when: [always]}"
    spec = write_project(tmp_path, _notify(http_server, rules))
    done = _run(spec, fast())
    assert [d.error for d in done] == [None, None, None]
    by_key = {r["query"]["key"]: r["json"]["markdown"]["content"] for r in http_server.requests}
    assert set(by_key) == {"k-ann-0001", "k-bo-00002", "k-cy-00003"}
    names = {"k-ann-0001": "Ann Lee", "k-bo-00002": "Bo Chen", "k-cy-00003": "Cy Diaz"}
    for key, content in by_key.items():
        assert names[key] in content
        assert not [n for k, n in names.items() if k != key and n in content]
    # Ann: $700 of $1,000, pace 105%; no alert.
    assert (
        "- **Revenue**: Actual $700 · Target $1,000 · Attainment 70% · Pace 105% · on track"
        in (by_key["k-ann-0001"])
    )


def test_dry_run_shows_payloads_without_secrets(tmp_path: Path, http_server: Hooks) -> None:
    spec = write_project(tmp_path, _notify(http_server, DIGEST))
    result = CliRunner().invoke(app, ["notify", str(spec), "--as-of", "2017-06-20", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert http_server.requests == []
    assert not (tmp_path / "salesperf-notify-state.json").exists()
    out = result.stdout
    assert out.startswith(
        "Dry run: Mini Co · 2017-06 · as of 2017-06-20. Nothing is sent and the state file "
        "is not changed.\n5 messages due.\n"
    )
    assert "[2] rule digest · ding (dingtalk, signed) → Mini Co\n" in out
    assert "    POST http://127.0.0.1:" in out and "/robot/send?access_token=${DT_TOKEN}\n" in out
    for secret in SECRETS.values():
        assert secret not in out
    first = out.index("    {")
    document = json.loads(out[first : out.index("\n\n[2]")].replace("\n    ", "\n"))
    assert document["msgtype"] == "markdown"


def test_chinese_spec_speaks_chinese_in_chat(tmp_path: Path, http_server: Hooks, fast: Any) -> None:
    _answers(http_server)
    rules = "    - {name: z, to: company, via: [wecom, lark], when: [always]}"
    spec = write_project(tmp_path, _notify(http_server, rules), locale="zh-CN")
    _run(spec, fast())
    content = http_server.to("/cgi-bin/webhook/send")[0]["json"]["markdown"]["content"]
    assert content.startswith("### 华北销售公司 · 2017-06\n\n期间 2017-06 · 数据截至 2017-06-20\n")
    # The company: US$1,200 of US$3,000 (see conftest), labels as in the reports.
    # The report's glossary (issue 14): pace is 进度达成率.
    line = "- **销售额**: 实际 US$1,200 · 目标 US$3,000 · 达成率 40% · 进度达成率 60% · 落后"
    assert "**业绩达成**\n" + line in content
    assert "**预警**" in content and "- **严重** · 进度落后 · 销售额: 张伟 (R3)" in content
    post = http_server.to(LARK_PATH)[0]["json"]["content"]["post"]
    assert list(post) == ["zh_cn"] and post["zh_cn"]["title"] == "华北销售公司 · 2017-06"
