"""Outgoing email through a real SMTP relay (``smtplib``).

The relay comes from the org config (``smtp_host``, ``smtp_port``,
``smtp_username``/``smtp_password``, ``smtp_security``, ``mail_from``).
Any plugin sends with ``app.send_email(...)`` / ``app.send_emails([...])``,
which a plugin implementing the ``missionbase_send_emails`` hook may take
over (another transport); no plugin needs another plugin's code to send
mail. Send after the transaction that decided to send has committed, so a
rolled-back change never emails anyone.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.charset import QP, Charset
from email.header import Header
from email.mime.text import MIMEText
from email.utils import make_msgid

from .errors import ConfigError, MissionbaseError

SMTP_TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    body: str


def _utf8() -> Charset:
    charset = Charset("utf-8")
    charset.header_encoding = charset.body_encoding = QP  # readable in the raw message, unlike base64
    return charset


UTF8 = _utf8()


def build_message(email: Email, sender: str) -> MIMEText:
    """A plain-text message. Built with the classic ``email.mime`` classes: the modern
    ``EmailMessage`` parses every header it is given and took half of a 10k-user digest run.
    Non-ASCII text is encoded (quoted-printable body, RFC 2047 subject); ASCII goes as is."""
    subject = " ".join(email.subject.splitlines())  # a header is one line
    message = MIMEText(email.body, "plain", "us-ascii" if email.body.isascii() else UTF8)
    message["From"] = sender
    message["To"] = email.to
    message["Subject"] = subject if subject.isascii() else Header(subject, UTF8)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    return message


def send_emails(settings, emails: list[Email]) -> int:
    """Send each email over one SMTP connection; returns how many were sent.

    Raises ConfigError when no relay is configured and MissionbaseError
    (one line naming the relay) when it refuses or cannot be reached.
    """
    if not emails:
        return 0
    if not settings.smtp_host:
        raise ConfigError(
            "email is not configured: set smtp_host (and smtp_port, mail_from) in missionbase.toml"
        )
    where = f"{settings.smtp_host}:{settings.smtp_port}"
    try:
        if settings.smtp_security == "ssl":
            client = smtplib.SMTP_SSL(
                settings.smtp_host,
                settings.smtp_port,
                timeout=SMTP_TIMEOUT_SECONDS,
                context=ssl.create_default_context(),
            )
        else:
            client = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=SMTP_TIMEOUT_SECONDS)
        with client:
            if settings.smtp_security == "starttls":
                client.starttls(context=ssl.create_default_context())
            if settings.smtp_username:
                client.login(settings.smtp_username, settings.smtp_password or "")
            for email in emails:
                client.send_message(build_message(email, settings.mail_from))
    except (OSError, smtplib.SMTPException) as exc:
        raise MissionbaseError(f"cannot send email through SMTP relay {where}: {exc}") from None
    return len(emails)
