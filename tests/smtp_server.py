"""A real SMTP server for the tests (aiosmtpd), in a process of its own: every message it takes
goes into a Maildir. With a certificate it offers STARTTLS, and with a user it requires
authentication (after STARTTLS).

    python tests/smtp_server.py PORT MAILDIR [CERT KEY USER PASSWORD]
"""
from __future__ import annotations

import signal
import ssl
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import AuthResult, LoginPassword


def main() -> None:
    port, maildir, *secure = sys.argv[1:]
    options = {}
    if secure:
        cert, key, user, password = secure
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)

        def authenticate(server, session, envelope, mechanism, auth_data):
            ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user \
                and auth_data.password.decode() == password
            return AuthResult(success=ok, handled=False)  # a refusal is answered 535 by the server
        options = {"tls_context": context, "require_starttls": True, "authenticator": authenticate,
                   "auth_require_tls": True}
    controller = Controller(Mailbox(maildir), hostname="127.0.0.1", port=int(port), **options)
    controller.start()
    print("ready", flush=True)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    stopped.wait()
    controller.stop()


if __name__ == "__main__":
    main()
