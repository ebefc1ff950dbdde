"""Mail: SMTP in production, .eml files in an outbox folder as the embedded default."""

from __future__ import annotations

import smtplib
import uuid
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

from domain.errors import PermanentError, RetryableError
from resources.resilience import guard
from resources.secrets import Secret, secret_from_settings


class Mailer(Protocol):
    def send(
        self, to: list[str], subject: str, body: str, attachments: list[tuple[str, bytes, str]] | None = None
    ) -> str: ...


def build_message(sender: str, to: list[str], subject: str, body: str, attachments=None) -> EmailMessage:
    if not to or any("@" not in a or "\n" in a or "\r" in a for a in to):
        raise PermanentError("An email recipient is not a valid address.", to=",".join(to))
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(to)
    message["Subject"] = subject.replace("\r", " ").replace("\n", " ")
    message["Message-ID"] = f"<{uuid.uuid4().hex}@nextpoint.local>"
    message.set_content(body)
    for filename, data, mime in attachments or []:
        maintype, _, subtype = mime.partition("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype or "octet-stream", filename=filename)
    return message


class LocalMailer:
    def __init__(self, outbox: Path, sender: str) -> None:
        self.outbox = Path(outbox)
        self.sender = sender

    def send(self, to, subject, body, attachments=None) -> str:
        message = build_message(self.sender, to, subject, body, attachments)
        self.outbox.mkdir(parents=True, exist_ok=True)
        name = message["Message-ID"].strip("<>").split("@")[0] + ".eml"
        tmp = self.outbox / f".{name}.part"
        tmp.write_bytes(bytes(message))
        tmp.replace(self.outbox / name)
        return message["Message-ID"]


class SmtpMailer:
    def __init__(
        self, host: str, port: int, sender: str, user: str | None, password: Secret, starttls: bool
    ) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.user, self.password, self.starttls = user, password, starttls

    def send(self, to, subject, body, attachments=None) -> str:
        """Send through the mail server's circuit breaker (a connection fault is retried with backoff)."""
        message = build_message(self.sender, to, subject, body, attachments)
        return guard("mail_server").call(self._send, message, to)

    def _send(self, message: EmailMessage, to) -> str:
        try:
            with smtplib.SMTP(self.host, self.port, timeout=30) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.user:
                    smtp.login(self.user, self.password.get())
                smtp.send_message(message)
        except (
            smtplib.SMTPServerDisconnected,
            smtplib.SMTPConnectError,
            ConnectionError,
            TimeoutError,
        ) as exc:
            raise RetryableError("The mail server could not be reached; sending will be retried.") from exc
        except smtplib.SMTPRecipientsRefused as exc:
            raise PermanentError("The mail server refused the recipients.", to=",".join(to)) from exc
        return message["Message-ID"]


def open_mailer(
    backend: str,
    outbox: Path,
    sender: str,
    host: str,
    port: int,
    user: str | None,
    password: Secret,
    starttls: bool,
) -> Mailer:
    """The mailer `backend` names: the one switch, for the resource and for plain code."""
    if backend == "smtp":
        return SmtpMailer(host, port, sender, user, password, starttls)
    return LocalMailer(Path(outbox), sender)


def build_mailer(settings) -> Mailer:
    return open_mailer(
        settings.mailer,
        settings.outbox_dir,
        settings.mail_from,
        settings.smtp_host,
        settings.smtp_port,
        settings.smtp_user,
        secret_from_settings(settings, "NP_SMTP_PASSWORD"),
        settings.smtp_starttls,
    )
