"""A real SMTP server (aiosmtpd) on 127.0.0.1 for each test that needs one: plain, or STARTTLS with a login."""

from __future__ import annotations

import socket
import subprocess
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

LOGIN, SECRET = "enable", "s3cret-pass"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Inbox:
    """What the server received: each mail parsed, with whether its session used TLS and a login."""

    port: int
    mails: list[EmailMessage] = field(default_factory=list)
    sessions: list[dict] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802  (aiosmtpd's hook name)
        self.mails.append(message_from_bytes(envelope.original_content, policy=policy.default))
        login = session.auth_data.login if session.authenticated else None
        tls = server.transport.get_extra_info("ssl_object") is not None  # STARTTLS or TLS from the first byte
        self.sessions.append({"tls": tls, "login": login, "rcpt": list(envelope.rcpt_tos)})
        return "250 OK"


def _authenticate(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (LOGIN.encode(),
                                                                                           SECRET.encode())
    return AuthResult(success=ok, auth_data=auth_data)


def start_server(port: int, tls_context=None, implicit_tls: bool = False) -> tuple[Controller, Inbox]:
    inbox = Inbox(port)
    options = {}
    if implicit_tls:
        options = {"ssl_context": tls_context}
    elif tls_context is not None:
        options = {"tls_context": tls_context, "require_starttls": True, "authenticator": _authenticate,
                   "auth_require_tls": True}
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **options)
    controller.start()
    return controller, inbox


@pytest.fixture
def smtp_server():
    """A plain SMTP server (no TLS, no login) on a free port; yields its Inbox."""
    controller, inbox = start_server(free_port())
    yield inbox
    controller.stop()


@pytest.fixture
def certificate(tmp_path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (openssl), and its key."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    return cert, key


@pytest.fixture
def tls_smtp_server(certificate):
    """An SMTP server that requires STARTTLS and a login; yields its Inbox."""
    import ssl

    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(cert), str(key))
    controller, inbox = start_server(free_port(), context)
    yield inbox
    controller.stop()


@pytest.fixture
def implicit_tls_smtp_server(certificate):
    """An SMTP server speaking TLS from the first byte (port 465 style); yields its Inbox."""
    import ssl

    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(cert), str(key))
    controller, inbox = start_server(free_port(), context, implicit_tls=True)
    yield inbox
    controller.stop()


def parts(mail: EmailMessage) -> tuple[str, str]:
    """The plain-text and HTML parts of a multipart/alternative mail."""
    assert mail.get_content_type() == "multipart/alternative"
    text = mail.get_body(("plain",))
    html = mail.get_body(("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()
