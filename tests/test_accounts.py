"""Accounts, sign-in, the failed-sign-in slow-down, a unit head's scope and the audit log."""
from __future__ import annotations

import hashlib
import json
import os
import time
from datetime import datetime, timedelta

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

import sprint
from conftest import SCENARIO, fresh_store, load_scenario
from sprint import accounts
from sprint.cli import cli
from sprint.inbox import PROCESSED, REJECTED, process_once
from sprint.store import SCHEMA_VERSION, VIETNAM

NOON = datetime(2025, 11, 20, 12, 0, tzinfo=VIETNAM)
HEADER = "date,unit_code,metric,value\n"


@pytest.fixture
def staffed(scenario_con):
    """The scenario store with a leader, the head of P1 (leaves A and B) and an administrator."""
    sprint.add_account(scenario_con, "boss", role="leader", password="boss-password")
    sprint.add_account(scenario_con, "head-p1", role="unit", unit="P1", password="head-password")
    sprint.add_account(scenario_con, "admin", role="admin", password="admin-password")
    return scenario_con


def failed(con, name: str, at: datetime, address: str = "10.0.0.1") -> sprint.SignInError:
    with pytest.raises(sprint.SignInError) as refused:
        sprint.sign_in(con, name, "not the password", address=address, now=at)
    return refused.value


def test_passwords_are_kept_only_as_argon2_hashes(staffed):
    stored = staffed.execute("SELECT password_hash FROM accounts WHERE name = 'boss'").fetchall()[0][0]
    assert stored.startswith("$argon2id$") and "boss-password" not in stored
    account = sprint.sign_in(staffed, "boss", "boss-password", now=NOON)
    assert (account.name, account.role, account.scope) == ("boss", "leader", None)
    assert sprint.sign_in(staffed, "head-p1", "head-password", now=NOON).scope == "P1"


def test_a_wrong_password_and_an_unknown_name_get_the_same_answer(staffed):
    assert str(failed(staffed, "boss", NOON)) == str(failed(staffed, "nobody", NOON))


def test_failed_sign_ins_slow_down_per_account(staffed):
    """Three failures are free; the fourth attempt waits 2 s after the third, the fifth 4 s after
    the fourth; a success starts the count again."""
    for second in (0, 1, 2):
        assert failed(staffed, "boss", NOON + timedelta(seconds=second)).wait is None
    held = failed(staffed, "boss", NOON + timedelta(seconds=3))  # 1 s after the third failure: wait 1 s more
    assert held.wait == timedelta(seconds=1)
    assert failed(staffed, "boss", NOON + timedelta(seconds=4)).wait is None  # 2 s passed: tried, failed
    assert failed(staffed, "boss", NOON + timedelta(seconds=7)).wait == timedelta(seconds=1)  # 4 s due
    sprint.sign_in(staffed, "boss", "boss-password", now=NOON + timedelta(seconds=8))
    assert failed(staffed, "boss", NOON + timedelta(seconds=9)).wait is None


def test_failed_sign_ins_slow_down_per_address_across_accounts(staffed):
    for second, name in enumerate(("boss", "admin", "head-p1")):
        failed(staffed, name, NOON + timedelta(seconds=second), address="203.0.113.9")
    assert failed(staffed, "someone", NOON + timedelta(seconds=3), address="203.0.113.9").wait == timedelta(seconds=1)
    assert failed(staffed, "someone", NOON + timedelta(seconds=3), address="198.51.100.1").wait is None


def test_the_slow_down_ends_after_the_window(staffed):
    for second in range(6):
        failed(staffed, "boss", NOON + timedelta(seconds=second))
    later = NOON + accounts.FAILURE_WINDOW + timedelta(seconds=6)
    assert sprint.sign_in(staffed, "boss", "boss-password", now=later).name == "boss"


def test_a_disabled_account_cannot_sign_in_and_its_sessions_end(staffed):
    token = sprint.open_session(staffed, "boss", hours=12)
    assert sprint.session_account(staffed, token).name == "boss"
    sprint.set_disabled(staffed, "boss", by="admin")
    assert sprint.session_account(staffed, token) is None
    assert str(failed(staffed, "boss", NOON)) == "The name or the password is wrong."


def test_a_session_expires(staffed):
    token = sprint.open_session(staffed, "boss", hours=12, now=NOON)
    assert sprint.session_account(staffed, token, now=NOON + timedelta(hours=11, minutes=59)).name == "boss"
    assert sprint.session_account(staffed, token, now=NOON + timedelta(hours=12, seconds=1)) is None
    stored = hashlib.sha256(token.encode()).hexdigest()  # the store keeps only the token's hash
    assert staffed.execute("SELECT count(*) FROM sessions WHERE token_sha256 = ?", [stored]).fetchall()[0][0] == 1
    sprint.open_session(staffed, "boss", hours=12, now=NOON + timedelta(hours=13))  # the next sign-in clears it
    assert staffed.execute("SELECT count(*) FROM sessions WHERE token_sha256 = ?", [stored]).fetchall()[0][0] == 0


def test_a_password_change_signs_the_account_out_everywhere(staffed):
    token = sprint.open_session(staffed, "head-p1", hours=12)
    sprint.set_password(staffed, "head-p1", "a-new-password", by="admin")
    assert sprint.session_account(staffed, token) is None
    assert sprint.sign_in(staffed, "head-p1", "a-new-password").name == "head-p1"


@pytest.mark.parametrize("name, options, says", [
    ("Bad Name", {"role": "leader", "password": "long-enough"}, "cannot be an account name"),
    ("x1", {"role": "king", "password": "long-enough"}, "not a role"),
    ("x1", {"role": "unit", "password": "long-enough"}, "needs --unit"),
    ("x1", {"role": "leader", "unit": "P1", "password": "long-enough"}, "needs --unit"),
    ("x1", {"role": "unit", "unit": "NOPE", "password": "long-enough"}, "There is no unit NOPE"),
    ("x1", {"role": "leader", "password": "short"}, "at least 8 characters"),
    ("x1", {"role": "leader"}, "needs a password"),
    ("boss", {"role": "leader", "password": "long-enough"}, "already an account boss"),
])
def test_an_account_that_cannot_be_is_refused_with_the_reason(staffed, name, options, says):
    with pytest.raises(sprint.AccountError, match=says):
        sprint.add_account(staffed, name, **options)


def test_a_unit_head_may_report_only_for_their_subtree(staffed):
    """P1's head sends a file with a row for F (under P2): rejected whole, the row named."""
    text = HEADER + "2025-10-20,A,voluntary_si,130\n2025-10-20,F,voluntary_si,40\n2025-10-20,B,voluntary_si,80\n"
    before = staffed.execute("SELECT count(*) FROM counts").fetchall()[0][0]
    with pytest.raises(sprint.ValidationError) as caught:
        sprint.ingest(staffed, text.encode(), name="p1.csv", uploaded_by="head-p1", scope="P1")
    [problem] = caught.value.problems
    assert (problem.line, problem.column, problem.value, problem.code) == (3, "unit_code", "F", "unit_outside_scope")
    assert "Province One (P1)" in problem.message
    assert staffed.execute("SELECT count(*) FROM counts").fetchall()[0][0] == before
    fine = HEADER + "2025-10-20,A,voluntary_si,130\n2025-10-20,B,voluntary_si,80\n"
    assert sprint.ingest(staffed, fine.encode(), name="p1.csv", uploaded_by="head-p1", scope="P1").committed


def test_the_audit_log_names_who_did_what(staffed):
    sprint.sign_in(staffed, "head-p1", "head-password", address="10.1.1.1")
    failed(staffed, "head-p1", datetime.now(VIETNAM), address="10.1.1.1")
    day = (HEADER + "2025-10-20,A,voluntary_si,130\n").encode()
    sprint.ingest(staffed, day, name="a.csv", uploaded_by="head-p1", scope="P1")
    sprint.ingest(staffed, day, name="again.csv", uploaded_by="head-p1", scope="P1")
    with pytest.raises(sprint.ValidationError):
        sprint.ingest(staffed, (HEADER + "2025-10-20,F,voluntary_si,1\n").encode(), name="f.csv",
                      uploaded_by="head-p1", scope="P1")
    log = sprint.audit_log(staffed, account="head-p1")
    assert list(zip(log["kind"], log["outcome"], log["file_name"].fillna(""), log["address"].fillna(""))) == [
        ("counts", "rejected", "f.csv", ""), ("counts", "already_taken", "again.csv", ""),
        ("counts", "committed", "a.csv", ""), ("sign_in", "failed", "", "10.1.1.1"),
        ("sign_in", "ok", "", "10.1.1.1")]
    assert log.iloc[0]["detail"] == "1"  # one problem
    added = sprint.audit_log(staffed, kind="account")
    assert set(added["detail"]) == {"boss", "head-p1", "admin"} and set(added["outcome"]) == {"added"}


def test_a_correction_is_logged_with_the_old_and_the_new_value(con):
    """counts-1 says A had 118 on 17/10; counts-2 corrects it to 117."""
    load_scenario(con)
    corrections = sprint.audit_log(con, kind="correction")
    assert corrections[["unit_code", "metric", "old_value", "new_value", "file_name"]].values.tolist() == [
        ["A", "voluntary_si", 118, 117, "counts-2-correction.csv"]]
    assert str(corrections.iloc[0]["date"].date()) == "2025-10-17"


def test_the_log_of_a_unit_covers_the_uploads_that_brought_its_counts(con):
    load_scenario(con)
    files = lambda unit: set(sprint.audit_log(con, unit=unit, kind="counts")["file_name"])  # noqa: E731
    assert files("A") == {"counts-1.csv", "counts-2-correction.csv"}
    assert files("P2") == {"counts-1.csv"}


# ---------------------------------------------------------------- the command line

@pytest.fixture
def run(tmp_store):
    runner = CliRunner()

    def invoke(*args, input=None):
        return runner.invoke(cli, [*args, "--db", str(tmp_store)], input=input)
    for command in (("init",), ("load-units", str(SCENARIO / "units.csv")),
                    ("load-targets", str(SCENARIO / "targets.csv"), "--replace-all")):
        assert invoke(*command).exit_code == 0
    return invoke


def test_user_commands_add_list_disable_and_set_passwords(run):
    result = run("user", "add", "head-p1", "--role", "unit", "--unit", "P1", "--password-stdin",
                 input="head-password\n")
    assert result.exit_code == 0, result.output
    assert run("user", "add", "boss", "--role", "leader", "--password-stdin", input="short\n").exit_code == 1
    listed = run("user", "list", "--format", "csv").output.splitlines()
    assert listed[0].startswith("name,role,unit_code") and listed[1].startswith("head-p1,unit,P1,Province One")
    assert run("user", "password", "head-p1", "--password-stdin", input="another-password\n").exit_code == 0
    assert run("user", "disable", "head-p1").exit_code == 0
    assert "True" in run("user", "list").output
    log = run("audit", "--kind", "account", "--format", "json").output
    assert '"outcome": "disabled"' in log and '"outcome": "password_changed"' in log
    assert f'"account": "cli:{os.environ.get("USER") or __import__("getpass").getuser()}"' in log


def test_ingest_as_a_unit_head_is_checked_against_their_scope(run, tmp_path):
    run("user", "add", "head-p1", "--role", "unit", "--unit", "P1", "--password-stdin", input="head-password\n")
    file = tmp_path / "mixed.csv"
    file.write_text(HEADER + "2025-10-20,A,voluntary_si,130\n2025-10-20,F,voluntary_si,40\n")
    result = run("ingest", str(file), "--as", "head-p1")
    assert result.exit_code == 1
    assert "mixed.csv, line 3, column unit_code: your account may report only for Province One (P1)" in result.output
    assert "No rows." in run("series", "--unit", "A", "--metric", "voluntary_si", "--start", "2025-10-20",
                             "--end", "2025-10-20").output
    file.write_text(HEADER + "2025-10-20,A,voluntary_si,130\n")
    assert run("ingest", str(file), "--as", "head-p1").exit_code == 0
    assert "head-p1,counts,committed" in run("audit", "--format", "csv").output


def test_without_as_the_cli_is_the_servers_administrator(run, tmp_path):
    file = tmp_path / "f.csv"
    file.write_text(HEADER + "2025-10-20,F,voluntary_si,40\n")
    assert run("ingest", str(file)).exit_code == 0
    history = run("history", "--format", "json").output
    assert '"uploaded_by": "cli:' in history


def test_leaders_send_no_files_and_only_administrators_load_targets(run, tmp_path):
    run("user", "add", "boss", "--role", "leader", "--password-stdin", input="boss-password\n")
    run("user", "add", "head-p1", "--role", "unit", "--unit", "P1", "--password-stdin", input="head-password\n")
    file = tmp_path / "f.csv"
    file.write_text(HEADER + "2025-10-20,A,voluntary_si,40\n")
    refused = run("ingest", str(file), "--as", "boss")
    assert refused.exit_code == 1 and "leaders read the figures but do not send files" in refused.output
    refused = run("load-targets", str(SCENARIO / "targets.csv"), "--as", "head-p1")
    assert refused.exit_code == 1 and "only administrators load units and targets" in refused.output
    assert run("ingest", str(file), "--as", "nobody").exit_code == 1


# ---------------------------------------------------------------- the inbox

def _aged(path):
    stamp = time.time() - 10
    os.utime(path, (stamp, stamp))
    return path


def test_a_units_inbox_folder_takes_only_that_units_subtree(staffed, tmp_path):
    folder = tmp_path / "inbox" / "P1"
    folder.mkdir(parents=True)
    (folder / "mine.csv").write_text(HEADER + "2025-10-20,A,voluntary_si,130\n")
    (folder / "theirs.csv").write_text(HEADER + "2025-10-20,F,voluntary_si,40\n")
    for name in ("mine.csv", "theirs.csv"):
        _aged(folder / name)
    outcomes = {o.file: o for o in process_once(staffed, tmp_path / "inbox", settle=1)}
    assert outcomes["mine.csv"].committed and not outcomes["theirs.csv"].committed
    assert (folder / PROCESSED / "mine.csv").exists() and (folder / REJECTED / "theirs.csv").exists()
    assert "Province One (P1)" in outcomes["theirs.csv"].message


def test_an_accounts_inbox_folder_sends_as_that_account(staffed, tmp_path):
    for name, text in (("@head-p1", "2025-10-20,A,voluntary_si,130\n"), ("@boss", "2025-10-20,B,voluntary_si,80\n")):
        folder = tmp_path / "inbox" / name
        folder.mkdir(parents=True)
        (folder / "day.csv").write_text(HEADER + text)
        _aged(folder / "day.csv")
    outcomes = process_once(staffed, tmp_path / "inbox", settle=1)
    assert sorted((o.destination.parent.parent.name, o.committed) for o in outcomes) == [
        ("@boss", False), ("@head-p1", True)]
    log = sprint.audit_log(staffed, kind="counts")
    assert log.iloc[0]["account"] == "head-p1"


def test_a_fresh_store_has_no_accounts_and_the_demo_has_one_per_role(tmp_path):
    assert sprint.list_accounts(fresh_store()).empty
    con = fresh_store()
    load_scenario(con)
    accounts.add_demo_accounts(con, "A")
    assert sprint.demo_accounts(con) == [("lanhdao", "leader", "lanhdao-demo"), ("eakar", "unit", "eakar-demo"),
                                         ("quantri", "admin", "quantri-demo")]
    sprint.set_password(con, "eakar", "changed-password")
    assert [name for name, _, _ in sprint.demo_accounts(con)] == ["lanhdao", "quantri"]


def test_the_server_keeps_its_guards_on():
    """Upload size capped, XSRF protection and cookies as Streamlit ships them, no secret tracked."""
    import subprocess
    import tomllib

    root = SCENARIO.parents[2]
    config = tomllib.loads((root / ".streamlit" / "config.toml").read_text())
    assert 0 < config["server"]["maxUploadSize"] <= 10
    assert config["server"].get("enableXsrfProtection", True) and config["server"].get("enableCORS", True)
    tracked = subprocess.run(["git", "ls-files", ".streamlit"], cwd=root, capture_output=True, text=True).stdout
    assert "secrets.toml\n" not in tracked and "secrets.toml.example" in tracked
    assert ".streamlit/secrets.toml" in (root / ".gitignore").read_text().splitlines()


def test_a_store_from_before_the_accounts_is_migrated_when_opened(tmp_path):
    """A schema-2 store (no accounts, sessions, audit log, complete share or English name; every
    row of every upload in count_history, one data version per unit) opens at the current schema with its
    data, and takes accounts and complete days. Its history keeps only what counts does not say,
    upload_rows every row, and each unit's data version is its version for every day."""
    path = tmp_path / "old.duckdb"
    con = fresh_store(path)
    load_scenario(con)
    brought = sorted(con.execute("SELECT * FROM upload_rows").fetchall())
    versions = sprint.data_versions(con)
    for statement in ("CREATE TABLE unit_versions AS SELECT unit_code, max(version) AS version FROM unit_changes "
                      "GROUP BY unit_code", "DROP TABLE unit_changes","DROP TABLE accounts", "DROP TABLE sessions", "DROP TABLE audit_log", "DROP SEQUENCE audit_id_seq",
                      "ALTER TABLE campaigns DROP COLUMN complete_share", "ALTER TABLE campaigns DROP COLUMN name_en",
                      "DROP VIEW upload_rows", "DELETE FROM count_history",
                      "ALTER TABLE count_history DROP COLUMN replaced_by", "DROP TABLE api_tokens",
                      "ALTER TABLE metrics DROP COLUMN sum_of", "ALTER TABLE metrics DROP COLUMN part_of",
                      "DROP TABLE collectors", "DROP TABLE collector_targets", "DROP TABLE collector_reports",
                      "ALTER TABLE campaigns DROP COLUMN results", "DROP TABLE phase_closings",
                      "DROP TABLE phase_standings", "DROP TABLE phase_results", "DROP TABLE subscriptions",
                      "DROP TABLE deliveries", "DROP TABLE late_payers", "DROP TABLE alerts", "DROP TABLE alert_mail",
                      "DROP TABLE alert_seen",
                      "UPDATE meta SET value = '2' WHERE key = 'schema_version'"):
        con.execute(statement)
    con.executemany("INSERT INTO count_history VALUES (?, ?, ?, ?, ?)", brought)
    counts = con.execute("SELECT count(*) FROM counts").fetchall()[0][0]
    con.close()
    con = sprint.connect(path)
    assert sprint.data_versions(con) == versions == sprint.data_versions(con, as_of=NOON.date())
    sprint.init_store(con)
    assert con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall() == [(str(SCHEMA_VERSION),)]
    assert con.execute("SELECT count(*) FROM counts").fetchall()[0][0] == counts
    assert sorted(con.execute("SELECT * FROM upload_rows").fetchall()) == brought
    history = con.execute("SELECT count(*) FROM count_history").fetchall()[0][0]
    assert 0 < history == len(brought) - counts  # the corrected and the re-sent values
    assert sprint.campaign_for(con, NOON.date())["name_en"].startswith("2025 peak emulation campaign")
    sprint.add_account(con, "head-p1", role="unit", unit="P1", password="head-password")
    assert sprint.sign_in(con, "head-p1", "head-password").scope == "P1"
    assert sprint.complete_date(con) is not None


# ---------------------------------------------------------------- the address a sign-in is recorded under

NO_PROXIES = ()
LOCAL_PROXY = accounts.trusted_proxies("127.0.0.1, ::1")


@pytest.mark.parametrize("peer, forwarded_for, trusted, address", [
    ("127.0.0.1", None, NO_PROXIES, "127.0.0.1"),  # a local browser: its own address, never None
    ("::1", [], NO_PROXIES, "::1"),
    ("127.0.0.1", "6.6.6.6", NO_PROXIES, "127.0.0.1"),  # a local process naming another address
    ("203.0.113.7", "6.6.6.6", NO_PROXIES, "203.0.113.7"),  # a browser's own header is not believed
    ("203.0.113.7", "6.6.6.6", LOCAL_PROXY, "203.0.113.7"),  # nor when it comes from no trusted proxy
    ("127.0.0.1", "6.6.6.6, 203.0.113.7", LOCAL_PROXY, "203.0.113.7"),  # the proxy appended what it saw
    ("127.0.0.1", "203.0.113.7", LOCAL_PROXY, "203.0.113.7"),
    ("10.0.0.2", ["6.6.6.6, 203.0.113.7", "10.0.0.1"], accounts.trusted_proxies("10.0.0.0/8"), "203.0.113.7"),
    ("127.0.0.1", "6.6.6.6, 203.0.113.7:4711", LOCAL_PROXY, "203.0.113.7"),
    ("127.0.0.1", "[2001:db8::7]:4711", LOCAL_PROXY, "2001:db8::7"),
    ("::ffff:127.0.0.1", "203.0.113.7", LOCAL_PROXY, "203.0.113.7"),
    ("::ffff:198.51.100.4", "203.0.113.7", LOCAL_PROXY, "198.51.100.4"),
    ("127.0.0.1", "203.0.113.7, <script>", LOCAL_PROXY, "127.0.0.1"),  # no address: the proxy's own
    ("127.0.0.1", " , ", LOCAL_PROXY, "127.0.0.1"),
    ("127.0.0.1", "::1, 127.0.0.1", LOCAL_PROXY, "::1"),  # every hop trusted: the first
    (None, "203.0.113.7", LOCAL_PROXY, None),  # no connection (AppTest)
])
def test_the_address_is_the_peer_unless_a_trusted_proxy_forwarded_it(peer, forwarded_for, trusted, address):
    assert accounts.client_address(peer, forwarded_for, trusted) == address


hosts = st.ip_addresses(v=4).map(str)


@given(claimed=st.text(), client=hosts, peer=hosts)
def test_no_header_names_the_address_of_a_connection_from_an_untrusted_peer(claimed, client, peer):
    assert accounts.client_address(peer, [claimed, f"{claimed}, {client}"], NO_PROXIES) == peer


@given(claimed=st.text(), client=st.ip_addresses(network="203.0.113.0/24").map(str),
       hops=st.lists(st.ip_addresses(network="10.0.0.0/8").map(str), max_size=3))
def test_behind_trusted_proxies_a_browser_cannot_name_any_address_but_its_own(claimed, client, hops):
    """Whatever the browser put in the header, each trusted proxy appends the address it saw."""
    header = ", ".join([claimed, client, *hops[:-1]]) if hops else f"{claimed}, {client}"
    peer = hops[-1] if hops else "127.0.0.1"
    trusted = accounts.trusted_proxies("127.0.0.1, 10.0.0.0/8")
    assert accounts.client_address(peer, header, trusted) == client


def test_trusted_proxies_are_read_from_the_setting():
    assert accounts.trusted_proxies(None) == accounts.trusted_proxies(" ") == ()
    assert [str(n) for n in accounts.trusted_proxies("127.0.0.1, 10.0.0.0/8 ,::1")] == [
        "127.0.0.1/32", "10.0.0.0/8", "::1/128"]
    with pytest.raises(sprint.AccountError, match="SPRINT_TRUSTED_PROXIES: 'proxy.local' is not an address"):
        accounts.trusted_proxies("127.0.0.1, proxy.local")


def test_forged_headers_from_a_local_connection_do_not_escape_the_slow_down(staffed):
    """A local process failing with a new X-Forwarded-For each time is one address, 127.0.0.1."""
    for second, name in enumerate(("boss", "admin", "head-p1")):
        address = accounts.client_address("127.0.0.1", f"198.51.100.{second}", NO_PROXIES)
        failed(staffed, name, NOON + timedelta(seconds=second), address=address)
    fourth = accounts.client_address("127.0.0.1", "198.51.100.99", NO_PROXIES)
    assert failed(staffed, "someone", NOON + timedelta(seconds=3), address=fourth).wait == timedelta(seconds=1)
    assert set(sprint.audit_log(staffed, kind="sign_in")["address"]) == {"127.0.0.1"}


async def _echo_handshake(scope, receive, send):
    """An ASGI app that sends back what its WebSocket handshake looked like."""
    await receive()
    await send({"type": "websocket.accept"})
    await send({"type": "websocket.send", "text": json.dumps({
        "client": scope["client"][0],
        "headers": [[name.decode(), value.decode()] for name, value in scope["headers"]]})})
    await send({"type": "websocket.close"})


def test_the_server_hands_the_page_the_peer_not_a_forwarded_address(monkeypatch):
    """Under uvicorn as Streamlit runs it (proxy headers on, FORWARDED_ALLOW_IPS unset: loopback
    trusted), a local connection with a forged X-Forwarded-For has scope["client"] replaced by the
    forged address; PeerHeader hands the page the real peer and drops a forged copy of its header."""
    import socket
    import threading

    import uvicorn
    from websockets.sync.client import connect

    from app import PeerHeader
    from pages.session import PEER_HEADER

    monkeypatch.delenv("FORWARDED_ALLOW_IPS", raising=False)
    listening = socket.create_server(("127.0.0.1", 0))  # connections wait in its backlog until uvicorn serves
    port = listening.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(PeerHeader(_echo_handshake), ws="websockets-sansio", lifespan="off",
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listening]}, daemon=True)
    thread.start()
    try:
        with connect(f"ws://127.0.0.1:{port}/", open_timeout=30,
                     additional_headers={"X-Forwarded-For": "6.6.6.6", PEER_HEADER: "6.6.6.7"}) as socket_:
            seen = json.loads(socket_.recv(timeout=30))
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        listening.close()
    assert seen["client"] == "6.6.6.6"  # what st.context.ip_address would have said
    peers = [value for name, value in seen["headers"] if name == PEER_HEADER]
    forwarded = [value for name, value in seen["headers"] if name == "x-forwarded-for"]
    assert peers == ["127.0.0.1"] and forwarded == ["6.6.6.6"]
    assert sprint.client_address(peers[0], forwarded, NO_PROXIES) == "127.0.0.1"
    assert sprint.client_address(peers[0], forwarded, LOCAL_PROXY) == "6.6.6.6"
