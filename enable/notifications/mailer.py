"""Sending one mail: composing it (plain text and HTML parts) and handing it to the configured backend.

Backends (MAIL_BACKEND): smtp (MAIL_HOST, with STARTTLS, implicit TLS or none), folder (one .eml file per mail in
a folder under the data dir, for demos and development) and log (a line in the log, nothing kept). No Flask here.
"""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
import tempfile
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

log = logging.getLogger(__name__)

SECURITY = ("starttls", "tls", "none")
DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}


class MailError(Exception):
    """The mail could not be handed over; the message says why (it is stored and shown to admins)."""


@dataclass(frozen=True)
class MailSettings:
    backend: str  # smtp, folder or log
    sender: str  # the From header, e.g. Enable <enable@example.com>
    host: str | None = None
    port: int = 0  # 0: the usual port of the security mode
    security: str = "starttls"
    username: str | None = None
    password: str | None = field(default=None, repr=False)  # never in a printed or logged settings object
    timeout_s: float = 30.0
    ca_file: str | None = None  # a CA bundle to trust besides the system's (an internal mail server)
    folder: Path | None = None

    @property
    def effective_port(self) -> int:
        return self.port or DEFAULT_PORTS[self.security]


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str
    html: str


def compose(mail: Mail, sender: str, message_id_domain: str | None = None) -> EmailMessage:
    """A multipart/alternative message: the plain-text part first, the HTML part second."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain=message_id_domain)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to it
    message.set_content(mail.text)
    message.add_alternative(mail.html, subtype="html")
    return message


def tls_context(settings: MailSettings) -> ssl.SSLContext:
    """Certificates are always checked: against the system's CAs, plus MAIL_CA_FILE when given."""
    context = ssl.create_default_context()
    if settings.ca_file:
        context.load_verify_locations(cafile=settings.ca_file)
    return context


def send(message: EmailMessage, settings: MailSettings) -> None:
    """Hand the message to the backend; raise MailError saying why when it was not accepted."""
    if settings.backend == "smtp":
        _send_smtp(message, settings)
    elif settings.backend == "folder":
        _write_file(message, settings)
    elif settings.backend == "log":
        log.info("mail (log backend, not sent) to %s: %s", message["To"], message["Subject"])
    else:
        raise MailError(f"unknown MAIL_BACKEND {settings.backend!r}: use smtp, folder or log")


def _send_smtp(message: EmailMessage, settings: MailSettings) -> None:
    if not settings.host:
        raise MailError("MAIL_HOST is not set")
    if settings.security not in SECURITY:
        raise MailError(f"MAIL_SECURITY must be starttls, tls or none, not {settings.security!r}")
    port = settings.effective_port
    try:
        client: smtplib.SMTP
        if settings.security == "tls":
            client = smtplib.SMTP_SSL(settings.host, port, timeout=settings.timeout_s, context=tls_context(settings))
        else:
            client = smtplib.SMTP(settings.host, port, timeout=settings.timeout_s)
        with client:
            client.ehlo()
            if settings.security == "starttls":
                client.starttls(context=tls_context(settings))
                client.ehlo()
            if settings.username:
                client.login(settings.username, settings.password or "")
            refused = client.send_message(message)
        if refused:
            raise MailError("refused recipients: " + ", ".join(f"{k} ({v[0]})" for k, v in refused.items()))
    except MailError:
        raise
    except smtplib.SMTPResponseException as e:
        text = e.smtp_error.decode("utf-8", "replace") if isinstance(e.smtp_error, bytes) else str(e.smtp_error)
        raise MailError(f"{type(e).__name__}: {e.smtp_code} {text}") from e
    except (OSError, smtplib.SMTPException, ssl.SSLError) as e:
        raise MailError(f"{type(e).__name__}: {e}") from e


def _write_file(message: EmailMessage, settings: MailSettings) -> None:
    """Write the mail as <folder>/<time>-<random>.eml, atomically (a reader never sees half a mail)."""
    folder = settings.folder
    if folder is None:
        raise MailError("no mail folder configured")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".mail-", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            fh.write(message.as_bytes())
            fh.flush()
            os.fsync(fh.fileno())
        name = Path(tmp).name.removeprefix(".mail-").removesuffix(".tmp")
        final = folder / f"{formatdate(usegmt=True)[5:25].replace(' ', '-').replace(':', '')}-{name}.eml"
        os.replace(tmp, final)
    except OSError as e:
        raise MailError(f"{type(e).__name__}: {e}") from e
    log.info("mail to %s written to %s (folder backend, not sent)", message["To"], final)
