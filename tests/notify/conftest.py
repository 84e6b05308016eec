"""A small notify project, and real servers on the loopback: SMTP (aiosmtpd) and HTTP.

The project (as of 2017-06-20: 20 of June's 30 days elapsed, so 2/3 of the month):

    rep  name     team   Jan-May         June so far  target (Mar-May)  pace
    R1   Ann Lee  North  10 x $100/month  7 x $100     $1,000   700 / (1000 x 2/3) = 105%  on track
    R2   Bo Chen  North  10 x $100/month  4 x $100     $1,000   400 / 666.67       =  60%  behind
    R3   Cy Diaz  South  10 x $100/month  1 x $100     $1,000   100 / 666.67       =  15%  behind

    North: $1,100 of $2,000 -> pace 1100 / 1333.33 = 82% (behind); South as R3;
    company: $1,200 of $3,000 -> pace 1200 / 2000 = 60% (behind).

behind_pace fires for R2 (warning: 60% is below 70%, not below 50%) and R3 (critical);
off_history (critical) for both: $400 and $100 by the 20th against a usual $800.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import socket
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

AS_OF = dt.date(2017, 6, 20)

JUNE_ORDERS = {"R1": 7, "R2": 4, "R3": 1}

ROSTER = {
    "en": [
        ("R1", "Ann Lee", "North", "ann@example.com", "north-lead@example.com", "k-ann-0001"),
        ("R2", "Bo Chen", "North", "bo@example.com", "north-lead@example.com", "k-bo-00002"),
        ("R3", "Cy Diaz", "South", "cy@example.com", "south-lead@example.com", "k-cy-00003"),
    ],
    "zh-CN": [
        ("R1", "李娜", "华北", "lina@example.com", "north-lead@example.com", "k-ann-0001"),
        ("R2", "王强", "华北", "wangqiang@example.com", "north-lead@example.com", "k-bo-00002"),
        ("R3", "张伟", "华南", "zhangwei@example.com", "south-lead@example.com", "k-cy-00003"),
    ],
}

SPEC_HEAD = """
version: 1
title: {title}
locale: {locale}
period: month
sources:
  orders:
    path: orders.csv
    columns: {{date: Date, rep: Rep, amount: Amount, customer: Customer, order_id: Order}}
    key: order_id
org:
  path: roster.csv
  columns: {{rep: id, name: name, team: team, email: email, lead_email: lead_email, robot: robot}}
alerts: {{history_min: 3, min_sample: 1}}
kpis:
  - id: revenue
    name: {kpi_name}
    source: orders
    measure: sum
    column: amount
    unit: currency
    weight: 100
    target: {{method: trailing_mean, periods: 3}}
"""


def orders_csv() -> str:
    lines = ["Order,Date,Rep,Customer,Amount"]
    number = 1
    for month in range(1, 7):
        for rep in ("R1", "R2", "R3"):
            count = 10 if month < 6 else JUNE_ORDERS[rep]
            last_day = 28 if month < 6 else 20
            for i in range(count):
                day = 1 + (i * (last_day - 1)) // max(count, 1)
                lines.append(f"{number},2017-{month:02d}-{day:02d},{rep},C{number % 7},100")
                number += 1
    return "\n".join(lines) + "\n"


def write_project(folder: Path, notify: str, locale: str = "en") -> Path:
    """kpi.yaml (with the given `notify:` YAML), orders.csv and roster.csv in ``folder``."""
    title, kpi_name = ("Mini Co", "Revenue") if locale == "en" else ("华北销售公司", "销售额")
    rows = ["id,name,team,email,lead_email,robot"]
    rows += [",".join(r) for r in ROSTER[locale]]
    (folder / "roster.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (folder / "orders.csv").write_text(orders_csv(), encoding="utf-8")
    spec = SPEC_HEAD.format(title=title, locale=locale, kpi_name=kpi_name)
    spec += textwrap.dedent(notify)
    path = folder / "kpi.yaml"
    path.write_text(spec.lstrip("\n"), encoding="utf-8")
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- SMTP ----------------------------------------------------------------------------------------


@dataclass
class Mailbox:
    port: int
    messages: list[Any] = field(default_factory=list)  # (mail_from, rcpt_tos, raw bytes)
    #: Replies to give before accepting (e.g. ["451 4.3.0 try again later"]).
    replies: list[str] = field(default_factory=list)
    attempts: int = 0
    #: (user, password, over TLS) of each login.
    logins: list[tuple[str, str, bool]] = field(default_factory=list)
    #: The CA that signed the server's certificate (PEM), for TLS servers.
    ca_file: Path | None = None

    def parsed(self) -> list[Any]:
        import email
        import email.policy

        policy = email.policy.default
        return [email.message_from_bytes(raw, policy=policy) for *_, raw in self.messages]


class _Handler:
    def __init__(self, box: Mailbox) -> None:
        self.box = box

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.box.attempts += 1
        if self.box.replies:
            return self.box.replies.pop(0)
        self.box.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[Mailbox]:
    from aiosmtpd.controller import Controller

    box = Mailbox(free_port())
    controller = Controller(_Handler(box), hostname="127.0.0.1", port=box.port)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


@pytest.fixture
def tls_smtp_server(tmp_path: Path) -> Iterator[Mailbox]:
    """An SMTP server that requires STARTTLS (certificate from a throwaway CA, trustme) and
    a login over TLS: user "ops", password "s3cret-pass"."""
    import ssl

    import trustme
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    authority = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    box = Mailbox(free_port(), ca_file=tmp_path / "ca.pem")
    authority.cert_pem.write_to_path(str(box.ca_file))

    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        user, password = data.login.decode(), data.password.decode()
        box.logins.append((user, password, session.ssl is not None))
        # handled=False: aiosmtpd then answers 535 itself (its default is to stay silent).
        return AuthResult(success=(user, password) == ("ops", "s3cret-pass"), handled=False)

    controller = Controller(
        _Handler(box),
        hostname="127.0.0.1",
        port=box.port,
        tls_context=context,
        require_starttls=True,
        authenticator=authenticate,
        auth_required=True,
        auth_require_tls=True,
    )
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


# -- HTTP ----------------------------------------------------------------------------------------


@dataclass
class Hooks:
    """Records every request; answers from ``replies`` (status, body, delay s) per path,
    then 200 with ``default``."""

    port: int
    requests: list[dict[str, Any]] = field(default_factory=list)
    replies: dict[str, list[tuple[int, str, float]]] = field(default_factory=dict)
    default: dict[str, str] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def to(self, path: str) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["path"] == path]


def _http_handler(hooks: Hooks) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            hooks.requests.append(
                {
                    "path": parts.path,
                    "query": {k: v[0] for k, v in parse_qs(parts.query).items()},
                    "headers": dict(self.headers),
                    "json": json.loads(body.decode("utf-8")),
                    "at": time.monotonic(),
                }
            )
            queue = hooks.replies.get(parts.path) or []
            ok = hooks.default.get(parts.path, '{"errcode": 0, "errmsg": "ok"}')
            status, text, delay = queue.pop(0) if queue else (200, ok, 0.0)
            if delay:
                time.sleep(delay)
            data = text.encode("utf-8")
            with contextlib.suppress(OSError):
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def http_server() -> Iterator[Hooks]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _http_handler(Hooks(0)))
    hooks = Hooks(server.server_address[1])
    server.RequestHandlerClass = _http_handler(hooks)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield hooks
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def fast() -> Callable[..., Any]:
    """A Transport with short timeouts and back-off, recording the waits instead of sleeping."""
    from salesperf.notify.channels import Transport

    def make(timeout: float = 2.0, retries: int = 2, backoff: float = 0.01) -> Any:
        # transport.sleep.__self__ is the list of waits.
        waits: list[float] = []
        return Transport(timeout, retries, backoff, sleep=waits.append)

    return make
