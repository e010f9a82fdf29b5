"""The morning briefing by e-mail (issue 23, item 3): a real SMTP server (aiosmtpd, a process of
its own on 127.0.0.1, started and stopped here), the demo store, and the schedule's moments."""
from __future__ import annotations

import email
import email.policy
import mailbox
import socket
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

import sprint
from sprint import delivery
from sprint.cli import cli
from sprint.delivery import Smtp
from sprint.store import VIETNAM

SERVER = Path(__file__).parent / "smtp_server.py"
# Friday 21/11/2025 in Vietnam: the demo's latest complete day is 20/11
FRIDAY = datetime(2025, 11, 21, 6, 45, tzinfo=VIETNAM)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpServer:
    """aiosmtpd in a process of its own; the messages it took, from its Maildir."""

    def __init__(self, folder: Path, *secure: str):
        self.port, self.maildir = free_port(), folder / "maildir"
        self.process = subprocess.Popen([sys.executable, str(SERVER), str(self.port), str(self.maildir), *secure],
                                        stdout=subprocess.PIPE, text=True)
        assert self.process.stdout.readline().strip() == "ready"  # waits for the server, no fixed sleep

    def messages(self, *, alerts: bool = False) -> list:
        """The briefings it took (with alerts, the alerts' digests instead)."""
        if not self.maildir.exists():
            return []
        taken = [email.message_from_bytes(bytes(m), policy=email.policy.default) for m in mailbox.Maildir(self.maildir)]
        return [m for m in taken if m["Subject"].startswith("Sprint BHXH:") == alerts]

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        self.process.stdout.close()


@pytest.fixture
def smtp_server(tmp_path):
    server = SmtpServer(tmp_path)
    yield server
    server.stop()


@pytest.fixture
def subscribed(demo_con):
    """Ea Kar's head daily at 06:30, a leader daily at 06:30, Thanh Hóa's head weekly on Friday at 07:00."""
    sprint.add_account(demo_con, "eakar-mail", role="unit", unit="66-EAKAR", email="eakar@example.vn", password=None)
    sprint.add_account(demo_con, "lanhdao-mail", role="leader", email="lanhdao@example.vn", password=None)
    sprint.add_account(demo_con, "thanhhoa", role="unit", unit="38", email="thanhhoa@example.vn", password=None)
    ids = {"eakar": sprint.subscribe(demo_con, account="eakar-mail", frequency="daily", send_at="06:30", by="quantri"),
           "leader": sprint.subscribe(demo_con, account="lanhdao-mail", frequency="daily", send_at="06:30",
                                      lang="en", by="quantri"),
           "thanhhoa": sprint.subscribe(demo_con, account="thanhhoa", frequency="weekly", weekday=5, send_at="07:00",
                                        by="quantri")}
    return demo_con, ids


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1, signed by itself (the client trusts it as its CA file)."""
    import ipaddress
    from datetime import timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now().astimezone()
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(hours=1))
                   .not_valid_after(now + timedelta(days=1))
                   .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                                  critical=False)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .sign(key, hashes.SHA256()))
    cert, key_file = folder / "cert.pem", folder / "key.pem"
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                           serialization.NoEncryption()))
    return cert, key_file


def pdf_text(message, folder: Path) -> str:
    [attachment] = [part for part in message.walk() if part.get_content_type() == "application/pdf"]
    path = folder / attachment.get_filename()
    path.write_bytes(attachment.get_payload(decode=True))
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def body(message) -> str:
    return next(part for part in message.walk() if part.get_content_type() == "text/plain").get_content()


def test_a_day_s_schedule_sends_each_subscriber_one_message_with_their_own_slice(subscribed, smtp_server, tmp_path):
    con, ids = subscribed
    smtp = Smtp("127.0.0.1", smtp_server.port)
    first = delivery.deliver(con, now=FRIDAY, smtp=smtp)
    assert sorted(first.sent) == sorted([(ids["eakar"], "2025-11-21"), (ids["leader"], "2025-11-21")])
    later = delivery.deliver(con, now=FRIDAY.replace(hour=7, minute=5), smtp=smtp)
    assert later.sent == [(ids["thanhhoa"], "2025-W47")]  # the daily ones are not sent again
    messages = {m["To"]: m for m in smtp_server.messages()}
    assert sorted(messages) == ["eakar@example.vn", "lanhdao@example.vn", "thanhhoa@example.vn"]
    assert len(smtp_server.messages()) == 3
    eakar = messages["eakar@example.vn"]
    assert eakar["Subject"] == "Bản tin sáng Ea Kar · số liệu đến ngày 20/11/2025"
    assert "Bản tin sáng của Ea Kar, số liệu đến ngày 20/11/2025" in body(eakar)
    assert "Ea Kar" in pdf_text(eakar, tmp_path) and "Thanh Hóa" not in pdf_text(eakar, tmp_path)
    leader = messages["lanhdao@example.vn"]
    assert leader["Subject"].startswith("Morning briefing Bảo hiểm xã hội Việt Nam")
    assert "Bảo hiểm xã hội Việt Nam" in pdf_text(leader, tmp_path)
    assert "Thanh Hóa" in pdf_text(messages["thanhhoa@example.vn"], tmp_path)
    sent = sprint.audit_log(con, kind="delivery")
    assert sorted(sent["outcome"]) == ["sent"] * 3


def test_a_restart_in_the_middle_sends_nothing_twice(subscribed, smtp_server, monkeypatch):
    """The process stops while it sends the second message: after a restart the first is not sent
    again, the one it was sending is reported as interrupted (whether it left is not known), and
    the rest are sent."""
    con, ids = subscribed
    smtp = Smtp("127.0.0.1", smtp_server.port)
    real_send, sends = Smtp.send, []

    def stops_on_the_second(self, message):
        if not message["Subject"].startswith("Sprint BHXH:"):  # a briefing (not an alerts digest)
            sends.append(message["To"])
            if len(sends) == 2:
                raise KeyboardInterrupt  # the process is stopped mid-send
        real_send(self, message)
    monkeypatch.setattr(Smtp, "send", stops_on_the_second)
    with pytest.raises(KeyboardInterrupt):
        delivery.deliver(con, now=FRIDAY.replace(hour=7, minute=5), smtp=smtp)
    monkeypatch.setattr(Smtp, "send", real_send)
    after = delivery.deliver(con, now=FRIDAY.replace(hour=7, minute=30), smtp=smtp)
    received = [m["To"] for m in smtp_server.messages()]
    assert len(received) == len(set(received)) == 2  # the first and the third, each once
    assert sends[1] not in received and len(after.sent) == 1
    states = con.execute("SELECT status, count(*) FROM deliveries GROUP BY status ORDER BY status").fetchall()
    assert states == [("interrupted", 1), ("sent", 2)]
    assert "interrupted" in set(sprint.audit_log(con, kind="delivery")["outcome"])


def test_a_refused_connection_is_retried_and_audited(subscribed, smtp_server):
    con, ids = subscribed
    closed = Smtp("127.0.0.1", free_port(), timeout=5)
    failed = delivery.deliver(con, now=FRIDAY, smtp=closed)
    briefings = [f for f in failed.failed if f[1] != "alerts"]
    assert not failed.sent and len(briefings) == 2 and "ConnectionRefusedError" in briefings[0][2]
    assert set(sprint.audit_log(con, kind="delivery")["outcome"]) == {"failed"}
    retried = delivery.deliver(con, now=FRIDAY.replace(minute=50), smtp=Smtp("127.0.0.1", smtp_server.port))
    assert len(retried.sent) == 2 and len(smtp_server.messages()) == 2
    attempts = con.execute("SELECT max(attempts) FROM deliveries WHERE status = 'sent'").fetchall()
    assert attempts == [(2,)]


def test_starttls_and_authentication(subscribed, tmp_path):
    con, ids = subscribed
    cert, key = self_signed(tmp_path)
    server = SmtpServer(tmp_path, str(cert), str(key), "sprint", "mat-khau-smtp")
    try:
        wrong = Smtp("127.0.0.1", server.port, starttls=True, user="sprint", password="sai", cafile=str(cert))
        refused = [f for f in delivery.deliver(con, now=FRIDAY, smtp=wrong).failed if f[1] != "alerts"]
        assert len(refused) == 2 and "SMTPAuthenticationError" in refused[0][2]
        right = Smtp("127.0.0.1", server.port, starttls=True, user="sprint", password="mat-khau-smtp", cafile=str(cert))
        assert len(delivery.deliver(con, now=FRIDAY.replace(minute=55), smtp=right).sent) == 2
        assert len(server.messages()) == 2
    finally:
        server.stop()


def test_the_period_of_a_daily_and_a_weekly_subscription():
    assert delivery.period_due("daily", None, "06:30", FRIDAY) == "2025-11-21"
    assert delivery.period_due("daily", None, "07:00", FRIDAY) is None
    assert delivery.period_due("weekly", 5, "07:00", FRIDAY) is None
    assert delivery.period_due("weekly", 3, "07:00", FRIDAY) == "2025-W47"  # Wednesday's, still this week's
    assert delivery.period_due("weekly", 6, "00:00", FRIDAY) is None


def test_a_subscription_needs_an_address_and_stays_in_scope(demo_con):
    sprint.add_account(demo_con, "khongthu", role="unit", unit="66-EAKAR", password="mat-khau-dai-du")
    with pytest.raises(sprint.SprintError, match="has no e-mail address"):
        sprint.subscribe(demo_con, account="khongthu", frequency="daily", send_at="06:30")
    sprint.add_account(demo_con, "eakar-mail", role="unit", unit="66-EAKAR", email="e@example.vn", password=None)
    with pytest.raises(sprint.SprintError, match="reads 66-EAKAR and the units under it, not 38"):
        sprint.subscribe(demo_con, account="eakar-mail", frequency="daily", send_at="06:30", unit="38")
    with pytest.raises(sprint.SprintError, match="not a time of day"):
        sprint.subscribe(demo_con, account="eakar-mail", frequency="daily", send_at="6h30")


def test_the_command_line_subscribes_and_delivers(demo_store_file, tmp_path, smtp_server, monkeypatch):
    store = tmp_path / "cli.duckdb"
    store.write_bytes(demo_store_file.read_bytes())
    con = sprint.connect(store)
    sprint.add_account(con, "eakar-mail", role="unit", unit="66-EAKAR", email="eakar@example.vn", password=None)
    con.close()
    runner = CliRunner()
    result = runner.invoke(cli, ["subscribe", "--db", str(store), "--account", "eakar-mail", "--at", "06:00"])
    assert result.exit_code == 0, result.output
    monkeypatch.setenv("SPRINT_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SPRINT_SMTP_PORT", str(free_port()))
    refused = runner.invoke(cli, ["deliver", "--db", str(store), "--now", "2025-11-21T06:45"])
    assert refused.exit_code == 1 and "tried again at the next run" in refused.output
    monkeypatch.setenv("SPRINT_SMTP_PORT", str(smtp_server.port))
    sent = runner.invoke(cli, ["deliver", "--db", str(store), "--now", "2025-11-21T06:50"])
    assert sent.exit_code == 0 and "sent: subscription" in sent.output
    assert [m["To"] for m in smtp_server.messages()] == ["eakar@example.vn"]
    listed = runner.invoke(cli, ["subscriptions", "--db", str(store), "--format", "csv"]).output
    assert "eakar-mail,eakar@example.vn,66-EAKAR,daily" in listed and ",2025-11-21,sent" in listed


def test_two_replicas_delivering_at_once_send_each_message_once(postgres_url, demo_store_file, tmp_path, smtp_server):
    """Two dashboard replicas of one PostgreSQL system of record run their schedule at the same
    moment: the claims in the store let exactly one send each subscriber's message."""
    import threading

    from sprint.postgres import migrate_store

    migrate_store(sprint.connect(demo_store_file, read_only=True), postgres_url)
    first, second = sprint.connect(postgres_url), sprint.connect(postgres_url)
    for name in ("mot", "hai", "ba"):
        sprint.add_account(first, name, role="leader", email=f"{name}@example.vn", password=None)
        sprint.subscribe(first, account=name, frequency="daily", send_at="06:00", by="quantri")
    smtp, done, failures = Smtp("127.0.0.1", smtp_server.port), [], []

    def run(con):
        try:
            done.append(delivery.deliver(con, now=FRIDAY, smtp=smtp))
        except Exception as failure:  # a replica's failure fails the test below
            failures.append(failure)
    threads = [threading.Thread(target=run, args=(con,)) for con in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert not failures
    assert sum(len(d.sent) for d in done) == 3
    received = [m["To"] for m in smtp_server.messages()]
    assert sorted(received) == ["ba@example.vn", "hai@example.vn", "mot@example.vn"]


def test_the_schedule_in_the_server_sends_when_it_is_due(subscribed, smtp_server, monkeypatch):
    """The dashboard's schedule (APScheduler) runs the delivery by itself."""
    import time

    from sprint.scheduler import start_schedule

    con, ids = subscribed
    monkeypatch.setenv("SPRINT_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SPRINT_SMTP_PORT", str(smtp_server.port))
    monkeypatch.setattr(delivery, "datetime", type("Clock", (), {"now": staticmethod(lambda tz=None: FRIDAY)}))
    schedule = start_schedule(con, every=1)
    try:
        deadline = time.monotonic() + 300
        while len(smtp_server.messages()) < 2 and time.monotonic() < deadline:  # a condition, not a fixed sleep
            time.sleep(0.2)
    finally:
        schedule.shutdown(wait=True)
    assert sorted(m["To"] for m in smtp_server.messages()) == ["eakar@example.vn", "lanhdao@example.vn"]
