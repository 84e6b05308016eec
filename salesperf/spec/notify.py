"""The `notify:` section of kpi.yaml: who hears what, when, and through which channel.

Nothing is ever sent without this section. Secrets (SMTP password, webhook tokens, signing
secrets) are never written in kpi.yaml: they are named by environment variable, either as
``*_env`` keys or as ``${NAME}`` placeholders inside a webhook ``url``. Cross-object checks
(a rule's ``via`` names a channel, contacts name mapped roster fields...) live in
:mod:`salesperf.spec.rules`; this module checks each object on its own.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator

from salesperf.spec.base import _Model

#: An environment variable name, as a shell would accept it.
ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
#: ``${NAME}`` in a webhook url: replaced by that environment variable when sending.
ENV_PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
#: ``{address}`` in a webhook url: replaced by the recipient's contact (a robot key...).
ADDRESS_PLACEHOLDER = "{address}"
#: The built-in e-mail channel's name in a rule's ``via``.
EMAIL = "email"

EnvName = Annotated[str, Field(pattern=ENV_NAME)]
Seconds = Annotated[float, Field(gt=0, le=600, strict=True)]


class ChannelType(StrEnum):
    """Chat services, each with its own documented message format."""

    WECOM = "wecom"  # 企业微信 group robot
    DINGTALK = "dingtalk"  # 钉钉 custom robot
    FEISHU = "feishu"  # 飞书 / Lark custom bot
    SLACK = "slack"  # Slack incoming webhook
    WEBHOOK = "webhook"  # any endpoint that takes a JSON document


#: Services whose robots can sign each request with a secret (`secret_env`).
SIGNED_CHANNELS = frozenset({ChannelType.DINGTALK, ChannelType.FEISHU})


class Content(StrEnum):
    """What a rule sends: a recipient's progress (KPI lines), their alerts, their page."""

    PROGRESS = "progress"
    ALERTS = "alerts"
    REPORT = "report"


class Condition(StrEnum):
    """When a rule speaks (any one listed suffices)."""

    ALWAYS = "always"
    BEHIND = "behind"  # a KPI of the recipient has status behind
    AT_RISK = "at_risk"  # ... behind or at risk
    ALERT = "alert"  # an alert about the recipient at or above min_severity


class PageMode(StrEnum):
    """How an e-mail carries a rep's HTML page (`send: [report]`)."""

    ATTACH = "attach"
    INLINE = "inline"


class MinSeverity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class SmtpSpec(_Model):
    """`notify.smtp:` the mail server. The password comes from the environment only."""

    host: Annotated[str, Field(min_length=1)]
    port: Annotated[int, Field(ge=1, le=65535, strict=True)] = 587
    #: Upgrade the connection with STARTTLS (port 587). `ssl: true` is TLS from the start (465).
    starttls: bool = True
    ssl: bool = False
    user_env: EnvName | None = None
    password_env: EnvName | None = None
    sender: str = Field(alias="from")
    timeout: Seconds | None = None
    #: A PEM file of certificate authorities to trust (relative to kpi.yaml), for a mail
    #: server whose certificate an internal CA signed. Default: the system's.
    ca_file: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> SmtpSpec:
        if self.ssl and self.starttls:
            raise ValueError("use `starttls: true` (port 587) or `ssl: true` (port 465), not both")
        if (self.user_env is None) != (self.password_env is None):
            raise ValueError("give both `user_env` and `password_env`, or neither (no login)")
        if "@" not in self.sender:
            raise ValueError(
                f"`from:` '{self.sender}' holds no e-mail address, e.g. Sales Ops <ops@example.com>"
            )
        return self


class ChannelSpec(_Model):
    """A chat webhook. `url` may hold ``${ENV}`` placeholders (tokens stay out of kpi.yaml)
    and ``{address}`` (each recipient's robot key, from `contacts:`)."""

    type: ChannelType
    url: Annotated[str, Field(min_length=1)]
    #: DingTalk and Feishu/Lark: the robot's signing secret (加签), from this variable.
    secret_env: EnvName | None = None
    timeout: Seconds | None = None

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:

        parts = urlsplit(value.replace(ADDRESS_PLACEHOLDER, "x"))
        if parts.scheme not in ("https", "http") or not parts.netloc:
            raise ValueError(f"'{value}' is not an http(s) address, e.g. https://host/path")
        if "$" in ENV_PLACEHOLDER.sub("", value):
            raise ValueError("write environment variables as ${NAME} (letters, digits and _)")
        if "${" in parts.netloc.split("@")[-1]:
            raise ValueError("the host must be written out: only the path and query may use ${}")
        return value

    @model_validator(mode="after")
    def _signing(self) -> ChannelSpec:
        if self.secret_env is not None and self.type not in SIGNED_CHANNELS:
            raise ValueError(f"`secret_env` signs DingTalk and Feishu requests, not {self.type}")
        return self


class RuleSpec(_Model):
    """One notification rule: who (`to`), what (`send`), when, and through what (`via`)."""

    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
    #: rep, a roster level (team, region...) or company.
    to: str
    send: Annotated[list[Content], Field(min_length=1)] = Field(
        default_factory=lambda: [Content.PROGRESS, Content.ALERTS]
    )
    when: Annotated[list[Condition], Field(min_length=1)] = Field(
        default_factory=lambda: [Condition.BEHIND, Condition.ALERT]
    )
    min_severity: MinSeverity = MinSeverity.WARNING
    #: `email` and/or channel names.
    via: Annotated[list[str], Field(min_length=1)]
    #: E-mail only: the rep's HTML page attached (default) or as the message body.
    page: PageMode = PageMode.ATTACH


class DeliverySpec(_Model):
    """Timeouts and retries of every channel."""

    timeout: Seconds = 10.0
    #: Further attempts after a failure that may pass (timeout, 5xx, 429, SMTP 4xx).
    retries: Annotated[int, Field(ge=0, le=10, strict=True)] = 3
    #: Seconds before the first retry; doubled before each further one.
    backoff: Annotated[float, Field(ge=0, le=300, strict=True)] = 2.0


#: A contact: a roster field holding it, or {entity key: address}.
Contact = str | dict[str, str]


class NotifySpec(_Model):
    """`notify:` reminders by e-mail and chat (see docs/notify.md)."""

    #: The state file (what was delivered, per period and rule), relative to kpi.yaml.
    state: Annotated[str, Field(min_length=1)] = "salesperf-notify-state.json"
    smtp: SmtpSpec | None = None
    channels: dict[str, ChannelSpec] = Field(default_factory=dict)
    #: via -> level -> roster field or {entity: address}.
    contacts: dict[str, dict[str, Contact]] = Field(default_factory=dict)
    rules: Annotated[list[RuleSpec], Field(min_length=1)]
    delivery: DeliverySpec = Field(default_factory=DeliverySpec)

    @field_validator("channels")
    @classmethod
    def _channel_names(cls, value: dict[str, ChannelSpec]) -> dict[str, ChannelSpec]:
        for name in value:
            if name == EMAIL:
                raise ValueError("`email` is the built-in e-mail channel; name this one otherwise")
            if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", name):
                raise ValueError(f"channel name '{name}': use letters, digits, _ . -")
        return value
