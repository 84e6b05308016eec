"""Delivering a message: e-mail over SMTP and chat webhooks, each in its documented format.

Standard library only (smtplib, email, urllib.request, hmac): a POST of a JSON document
needs no HTTP client. Every attempt has a timeout; failures that may pass (a timeout, a
refused connection, HTTP 5xx or 429, an SMTP 4xx reply) are retried with exponential
back-off, others (HTTP 4xx, a rejected signature, SMTP 5xx) are reported at once. Reasons
never carry a secret: the url (which may hold a token) is never part of one, and the
values of the environment variables used are masked in any text a server sends back.

Documented formats followed here:

- WeCom group robot: ``{"msgtype": "markdown", "markdown": {"content": ...}}`` (4096 bytes),
  reply ``{"errcode": 0, "errmsg": "ok"}``.
- DingTalk custom robot: ``{"msgtype": "markdown", "markdown": {"title": ..., "text": ...}}``;
  signing: ``timestamp`` (ms) and ``sign`` = url-encoded base64 of HMAC-SHA256 over
  ``"{timestamp}\\n{secret}"`` keyed with the secret, as query parameters; reply ``errcode``.
- Feishu/Lark custom bot: ``{"msg_type": "post", "content": {"post": {"zh_cn": {"title",
  "content": [[{"tag": "text", "text": ...}]]}}}}`` (text tags are never markup); signing:
  ``timestamp`` (s) and ``sign`` = base64 of HMAC-SHA256 keyed with ``"{timestamp}\\n{secret}"``
  over nothing, in the body; reply ``{"code": 0}``.
- Slack incoming webhook: ``{"text": mrkdwn}``; reply ``ok``.
- Generic webhook: the :meth:`Message.to_dict` document; any 2xx reply.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import smtplib
import socket
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, getaddresses, make_msgid
from typing import TYPE_CHECKING, Any

from salesperf import __version__
from salesperf.notify import render
from salesperf.notify.render import plain_text
from salesperf.spec.notify import ADDRESS_PLACEHOLDER, ENV_PLACEHOLDER, ChannelType

if TYPE_CHECKING:
    from pathlib import Path

    from salesperf.notify.render import Message
    from salesperf.spec.notify import ChannelSpec, SmtpSpec

#: Largest message each chat service accepts (bytes of UTF-8), with a margin.
LIMITS = {
    ChannelType.WECOM: 4000,
    ChannelType.DINGTALK: 19000,
    ChannelType.FEISHU: 29000,
    ChannelType.SLACK: 39000,
}


class DeliveryError(Exception):
    """One attempt failed; ``retry`` says whether another attempt may succeed."""

    def __init__(self, reason: str, *, retry: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry = retry


@dataclass(frozen=True)
class Transport:
    """Timeouts and retries (from `notify.delivery`; tests pass short ones)."""

    timeout: float = 10.0
    retries: int = 3
    backoff: float = 2.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.time


def attempt(send: Callable[[], None], transport: Transport) -> tuple[int, str | None]:
    """Run ``send`` until it succeeds, fails for good, or retries run out.

    Returns (attempts made, None on success or the last reason)."""
    reason = None
    for n in range(transport.retries + 1):
        try:
            send()
            return n + 1, None
        except DeliveryError as exc:
            reason = exc.reason
            if not exc.retry:
                return n + 1, reason
        if n < transport.retries:
            transport.sleep(transport.backoff * 2**n)
    return transport.retries + 1, f"{reason} (gave up after {transport.retries + 1} attempts)"


# -- environment ---------------------------------------------------------------------------------


def env_value(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise DeliveryError(f"environment variable {name} is not set", retry=False)
    return value


def expand_url(url: str, address: str | None) -> tuple[str, list[str]]:
    """The url with ``${ENV}`` and ``{address}`` filled in, and the secret values used."""
    secrets: list[str] = []

    def value(match: Any) -> str:
        found = env_value(match.group(1))
        secrets.append(found)
        return urllib.parse.quote(found, safe="/")

    out = ENV_PLACEHOLDER.sub(value, url)
    if ADDRESS_PLACEHOLDER in out:
        if not address:
            raise DeliveryError("no address for this recipient", retry=False)
        secrets.append(address)
        out = out.replace(ADDRESS_PLACEHOLDER, urllib.parse.quote(address, safe=""))
    return out, secrets


def mask(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return text


# -- chat payloads -------------------------------------------------------------------------------


def payload(channel: ChannelSpec, message: Message) -> dict[str, Any]:
    """The JSON document the service documents for a formatted message (unsigned)."""

    kind = channel.type
    if kind is ChannelType.WECOM:
        content = render.chat_markdown(message, LIMITS[kind])
        return {"msgtype": "markdown", "markdown": {"content": content}}
    if kind is ChannelType.DINGTALK:
        text = render.chat_markdown(message, LIMITS[kind])
        return {"msgtype": "markdown", "markdown": {"title": message.subject, "text": text}}
    if kind is ChannelType.FEISHU:
        lines = render.body_lines(message, render._plain)
        text = render.fit(lines, LIMITS[kind], message.words["more"])
        paragraphs = [[{"tag": "text", "text": line}] for line in text.split("\n")]
        language = "zh_cn" if message.locale == "zh-CN" else "en_us"
        post = {language: {"title": message.subject, "content": paragraphs}}
        return {"msg_type": "post", "content": {"post": post}}
    if kind is ChannelType.SLACK:
        return {"text": render.slack_mrkdwn(message, LIMITS[kind])}
    return message.to_dict()


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's `sign`: base64 HMAC-SHA256 of "timestamp\\nsecret", keyed with the secret,
    url-encoded."""
    digest = hmac.new(
        secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256
    ).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest).decode("ascii"))


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """Feishu/Lark's `sign`: base64 HMAC-SHA256 keyed with "timestamp\\nsecret", over b""."""
    key = f"{timestamp_s}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode("ascii")


def post_chat(
    channel: ChannelSpec, message: Message, address: str | None, transport: Transport
) -> None:
    """One attempt at posting ``message`` to ``channel`` (raises :class:`DeliveryError`)."""
    url, secrets = expand_url(channel.url, address)
    body = payload(channel, message)
    if channel.secret_env is not None:
        secret = env_value(channel.secret_env)
        secrets.append(secret)
        if channel.type is ChannelType.DINGTALK:
            stamp = int(transport.clock() * 1000)
            joiner = "&" if urllib.parse.urlsplit(url).query else "?"
            url += f"{joiner}timestamp={stamp}&sign={dingtalk_sign(secret, stamp)}"
        else:
            stamp = int(transport.clock())
            body = {"timestamp": str(stamp), "sign": feishu_sign(secret, stamp), **body}
    status, reply = _post_json(url, body, channel.timeout or transport.timeout, secrets)
    _check_reply(channel.type, status, reply, secrets)


class _NoRedirect:
    """Redirects are not followed: a message goes only where kpi.yaml says."""

    @staticmethod
    def handler() -> Any:

        class Handler(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args: Any, **kwargs: Any) -> None:
                return None

        return Handler()


def _post_json(
    url: str, body: dict[str, Any], timeout: float, secrets: list[str]
) -> tuple[int, str]:

    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(
        url,
        data=data,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": f"salesperf/{__version__}",
        },
    )
    opener = urllib.request.build_opener(_NoRedirect.handler())
    try:
        with opener.open(request, timeout=timeout) as response:
            return response.status, response.read(65536).decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        text = mask(exc.read(2000).decode("utf-8", "replace"), secrets)
        text = " ".join(text.split())[:200]
        retry = exc.code >= 500 or exc.code == 429
        if 300 <= exc.code < 400:
            raise DeliveryError(f"HTTP {exc.code}: redirect not followed", retry=False) from None
        raise DeliveryError(f"HTTP {exc.code}{': ' + text if text else ''}", retry=retry) from None
    except TimeoutError:
        raise DeliveryError(f"no answer within {timeout:g} s", retry=True) from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, TimeoutError | socket.timeout):
            raise DeliveryError(f"no answer within {timeout:g} s", retry=True) from None
        text = mask(str(getattr(reason, "strerror", None) or reason), secrets)
        raise DeliveryError(f"cannot connect: {text}", retry=True) from None
    except OSError as exc:
        text = mask(exc.strerror or type(exc).__name__, secrets)
        raise DeliveryError(f"connection failed: {text}", retry=True) from None


def _check_reply(kind: ChannelType, status: int, reply: str, secrets: list[str]) -> None:
    """Chat services answer 200 with an error code in the body; read it."""
    if kind in (ChannelType.WEBHOOK, ChannelType.SLACK):
        return
    try:
        data = json.loads(reply)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        shown = mask(" ".join(reply.split())[:200], secrets)
        raise DeliveryError(f"unexpected reply (HTTP {status}): {shown}", retry=False)
    code = data.get("errcode", data.get("code", data.get("StatusCode", 0)))
    if code not in (0, "0", None):
        text = data.get("errmsg") or data.get("msg") or data.get("StatusMessage") or ""
        # 130101 (DingTalk) and 45009 (WeCom): sending too fast; worth another try.
        retry = code in (130101, 45009)
        raise DeliveryError(f"{kind.value} error {code}: {mask(str(text), secrets)}", retry=retry)


# -- e-mail --------------------------------------------------------------------------------------


def parse_addresses(text: str, name: str) -> list[Any]:
    """``a@x.com, b@y.com`` as headerregistry Addresses (the first gets the display name)."""

    out = []
    name = " ".join(str(name).split())  # a display name is one line (no header injection)
    for i, part in enumerate(p.strip() for p in str(text).replace(";", ",").split(",")):
        if not part:
            continue
        try:
            out.append(Address(display_name=name if i == 0 else "", addr_spec=part))
        except (HeaderParseError, ValueError, IndexError):
            raise DeliveryError(f"'{part}' is not an e-mail address", retry=False) from None
        if "@" not in part:
            raise DeliveryError(f"'{part}' is not an e-mail address", retry=False)
    if not out:
        raise DeliveryError("no e-mail address for this recipient", retry=False)
    return out


def build_email(smtp: SmtpSpec, message: Message, address: str, html: str) -> EmailMessage:
    """A multipart mail: plain text and HTML alternatives, and the page attached."""

    mail = EmailMessage()
    mail["Subject"] = message.subject
    name, sender = getaddresses([smtp.sender])[0]
    mail["From"] = Address(display_name=name, addr_spec=sender)
    mail["To"] = parse_addresses(address, message.recipient.name)
    mail["Date"] = formatdate(localtime=False, usegmt=True)
    mail["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    mail.set_content(plain_text(message))
    mail.add_alternative(html, subtype="html")
    if message.page is not None and not message.page.inline:
        mail.add_attachment(
            message.page.html.encode("utf-8"),
            maintype="text",
            subtype="html",
            filename=message.page.filename,
        )
    return mail


def send_email(
    smtp: SmtpSpec, mail: EmailMessage, transport: Transport, ca_file: Path | None = None
) -> None:
    """One attempt at handing ``mail`` to the SMTP server (``ca_file``: CAs to trust)."""

    secrets: list[str] = []
    user = password = None
    if smtp.user_env is not None and smtp.password_env is not None:
        user, password = env_value(smtp.user_env), env_value(smtp.password_env)
        secrets = [password]
    timeout = smtp.timeout or transport.timeout
    try:
        context = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    except (OSError, ssl.SSLError) as exc:
        raise DeliveryError(f"cannot read ca_file {ca_file}: {exc}", retry=False) from None
    try:
        if smtp.ssl:
            server: smtplib.SMTP = smtplib.SMTP_SSL(
                smtp.host, smtp.port, timeout=timeout, context=context
            )
        else:
            server = smtplib.SMTP(smtp.host, smtp.port, timeout=timeout)
        with server:
            if smtp.starttls:
                server.starttls(context=context)
            if user is not None and password is not None:
                server.login(user, password)
            server.send_message(mail)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        text = "; ".join(f"{who}: {code}" for who, (code, _) in exc.recipients.items())
        retry = all(c < 500 for c in codes)
        raise DeliveryError(f"recipient refused ({text})", retry=retry) from None
    except smtplib.SMTPResponseException as exc:
        said = exc.smtp_error
        text = said.decode("utf-8", "replace") if isinstance(said, bytes) else str(said)
        text = mask(" ".join(text.split())[:200], secrets)
        retry = 400 <= exc.smtp_code < 500
        raise DeliveryError(f"SMTP {exc.smtp_code}: {text}", retry=retry) from None
    except (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError) as exc:
        text = mask(str(exc), secrets)
        raise DeliveryError(f"SMTP connection lost: {text}", retry=True) from None
    except smtplib.SMTPException as exc:
        raise DeliveryError(f"SMTP: {mask(str(exc), secrets)}", retry=False) from None
    except TimeoutError:
        raise DeliveryError(f"no answer within {timeout:g} s", retry=True) from None
    except ssl.SSLError as exc:
        raise DeliveryError(f"TLS failed: {exc.reason or exc}", retry=False) from None
    except OSError as exc:
        text = f"cannot connect to {smtp.host}:{smtp.port}: {exc.strerror or type(exc).__name__}"
        raise DeliveryError(text, retry=True) from None
