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
from email.message import EmailMessage
from email.utils import make_msgid

from .errors import ConfigError, MissionbaseError

SMTP_TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    body: str


def build_message(email: Email, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = email.to
    message["Subject"] = email.subject.replace("\n", " ").replace("\r", " ")
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    message.set_content(email.body)
    return message


def send_emails(settings, emails: list[Email]) -> int:
    """Send each email over one SMTP connection; returns how many were sent.

    Raises ConfigError when no relay is configured and MissionbaseError
    (one line naming the relay) when it refuses or cannot be reached.
    """
    if not emails:
        return 0
    if not settings.smtp_host:
        raise ConfigError("email is not configured: set smtp_host (and smtp_port, mail_from) in missionbase.toml")
    where = f"{settings.smtp_host}:{settings.smtp_port}"
    try:
        if settings.smtp_security == "ssl":
            client = smtplib.SMTP_SSL(
                settings.smtp_host, settings.smtp_port, timeout=SMTP_TIMEOUT_SECONDS,
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
