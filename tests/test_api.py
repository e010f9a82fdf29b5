"""The read API over real HTTP against `streamlit run app.py`: each read equals the command line
for the same options, scopes, 401, 403, 429, CSV and the OpenAPI document."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

import sprint
from deploy.servers import replica
from sprint import tokens
from sprint.accounts import _now
from sprint.cli import cli

ROOT = Path(__file__).resolve().parent.parent

# each read with the options a director would give it (the CLI's, as the query string)
READS = [
    ("progress", {"as-of": "2025-11-20", "level": "province", "metric": "health"}),
    ("outlook", {"as-of": "2025-11-20", "unit": "66"}),
    ("leaderboard", {"as-of": "2025-11-20", "chances": "true"}),
    ("movers", {"as-of": "2025-11-20", "level": "grassroots"}),
    ("reporting", {"as-of": "2025-11-20", "unit": "66"}),
    ("late-payment", {"as-of": "2025-11-20", "level": "province"}),
    ("coverage", {"as-of": "2025-11-20", "level": "province"}),
    ("groups", {"as-of": "2025-11-20", "parent": "66", "metric": "compulsory_si"}),
    ("network", {"as-of": "2025-11-20", "unit": "38", "kind": "staff", "metric": "voluntary_si"}),
    ("network-summary", {"as-of": "2025-11-20", "unit": "66"}),
    ("results", {"phase": "1", "level": "province"}),
    ("late-payers", {"as-of": "2025-11-20", "unit": "22"}),
    ("late-payer-changes", {"as-of": "2025-11-20", "unit": "22"}),
    ("late-payers-published", {"as-of": "2025-11-20", "unit": "22", "months": "6"}),
    ("late-payers-check", {"as-of": "2025-11-20", "unit": "22"}),
    ("matrix", {"as-of": "2025-11-20"}),
    ("series", {"unit": "66", "metric": "health", "start": "2025-11-01", "end": "2025-11-20"}),
    ("trend", {"parent": "VN", "metric": "health", "start": "2025-11-01", "end": "2025-11-20"}),
    ("forecast", {"as-of": "2025-11-20", "unit": "66"}),
    ("allocate", {"as-of": "2025-11-20", "unit": "66", "metric": "health"}),
    ("anomalies", {"as-of": "2025-11-10", "unit": "VN"}),
    ("history", {"limit": "5"}),
    ("audit", {"limit": "20"}),
]


@pytest.fixture(scope="module")
def served(demo_store_file, tmp_path_factory):
    """The demo store with tokens (an administrator's, a unit head's, a revoked and an expired
    one), a copy of it for the command line, and the dashboard serving the other."""
    folder = tmp_path_factory.mktemp("api")
    store, copy = folder / "served.duckdb", folder / "cli.duckdb"
    shutil.copy(demo_store_file, store)
    con = sprint.connect(store)
    made = {name: tokens.create_token(con, account, name)[1]
            for name, account in (("admin", "quantri"), ("head", "eakar"), ("revoked", "lanhdao"))}
    tokens.revoke_token(con, tokens.list_tokens(con, "lanhdao")["token_id"][0], by="test")
    made["expired"] = tokens.create_token(con, "lanhdao", "old", days=1, now=_now() - timedelta(days=2))[1]
    made["session"] = sprint.open_session(con, "lanhdao", hours=1)
    con.close()
    shutil.copy(store, copy)
    with replica(str(store), folder, env={"SPRINT_INBOX": "off", "SPRINT_API_RATE": "60"}) as url:
        yield url, copy, made


def get(url: str, token: str | None = None, accept: str | None = None) -> tuple[int, dict, str]:
    headers = {**({"Authorization": f"Bearer {token}"} if token else {}), **({"Accept": accept} if accept else {})}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=120) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as failure:
        return failure.code, dict(failure.headers), failure.read().decode()


def query(options: dict[str, str]) -> str:
    return "&".join(f"{k}={v}" for k, v in options.items())


def cli_arguments(read: str, options: dict[str, str], output_format: str) -> list[str]:
    flags = [f"--{k}" for k, v in options.items() if v == "true"]
    valued = [part for k, v in options.items() if v != "true" for part in (f"--{k}", v)]
    return [read, *valued, *flags, "--format", output_format]


@pytest.mark.parametrize("read,options", READS, ids=[r for r, _ in READS])
def test_each_read_answers_what_the_command_line_prints(served, read, options):
    url, copy, made = served
    status, headers, body = get(f"{url}/api/v1/{read}?{query(options)}", made["admin"])
    printed = CliRunner().invoke(cli, [*cli_arguments(read, options, "json"), "--db", str(copy)])
    assert printed.exit_code == 0, printed.output
    assert status == 200 and headers["content-type"].startswith("application/json")
    assert body == printed.stdout
    assert json.loads(body)  # rows, not an empty answer


def test_csv_by_suffix_or_by_accept(served):
    url, copy, made = served
    options = {"as-of": "2025-11-20", "level": "province"}
    printed = CliRunner().invoke(cli, [*cli_arguments("progress", options, "csv"), "--db", str(copy)]).stdout
    for address, accept in ((f"{url}/api/v1/progress.csv?{query(options)}", None),
                            (f"{url}/api/v1/progress?{query(options)}", "text/csv")):
        status, headers, body = get(address, made["admin"], accept)
        assert status == 200 and headers["content-type"].startswith("text/csv") and body == printed


def test_a_unit_heads_token_reads_their_subtree_only(served):
    url, _, made = served
    status, _, body = get(f"{url}/api/v1/progress?as-of=2025-11-20", made["head"])
    assert status == 200 and {row["unit_code"] for row in json.loads(body)} == {"66-EAKAR"}
    status, _, body = get(f"{url}/api/v1/leaderboard?as-of=2025-11-20&level=grassroots", made["head"])
    assert status == 200 and {row["unit_code"] for row in json.loads(body)} == {"66-EAKAR"}
    for address in ("progress?unit=66", "reporting?unit=VN", "audit"):
        status, _, body = get(f"{url}/api/v1/{address}", made["head"])
        assert status == 403 and list(json.loads(body)) == ["error"]


@pytest.mark.parametrize("token", [None, "sprint_wrong_token", "revoked", "expired"])
def test_no_token_or_a_bad_one_is_401_in_one_sentence(served, token):
    url, _, made = served
    status, headers, body = get(f"{url}/api/v1/progress", made.get(token, token))
    assert status == 401 and headers["content-type"].startswith("application/json")
    message = json.loads(body)["error"]
    assert message.count(". ") == 0 and "token" in message


def test_a_wrong_option_is_400_in_one_sentence(served):
    url, _, made = served
    status, _, body = get(f"{url}/api/v1/leaderboard?level=nowhere", made["admin"])
    assert status == 400 and "nowhere" in json.loads(body)["error"]
    status, _, body = get(f"{url}/api/v1/nothing", made["admin"])
    assert status == 404 and "progress" in json.loads(body)["error"]


def test_the_openapi_document_lists_every_read(served):
    url, _, _ = served
    status, _, body = get(f"{url}/api/v1/openapi.json")
    document = json.loads(body)
    assert status == 200 and document["openapi"].startswith("3.1")
    # the reads with no rows on the demo store are listed too
    assert {path.rsplit("/", 1)[1] for path in document["paths"]} == \
        {read for read, _ in READS} | {"chances", "late-corrections", "subscriptions", "alerts"}
    names = {p["name"] for p in document["paths"]["/api/v1/progress"]["get"]["parameters"]}
    assert names == {"as-of", "unit", "level", "parent", "metric"}


@pytest.mark.parametrize("output_format", ["table", "csv", "json"])
def test_the_command_line_reads_through_the_dashboard_that_owns_the_store(served, output_format):
    """The dashboard holds served.duckdb (no other process may open it): the command reads
    through its API, and prints what it prints on a store it can open."""
    _, copy, _ = served
    arguments = ["progress", "--as-of", "2025-11-20", "--level", "province", "--format", output_format]
    through = subprocess.run([sys.executable, "-m", "sprint", *arguments, "--db", str(copy.with_name("served.duckdb"))],
                             cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert through.returncode == 0, through.stderr
    assert through.stdout == CliRunner().invoke(cli, [*arguments, "--db", str(copy)]).stdout


def test_the_command_line_reads_any_deployment_with_a_token(served):
    url, _, made = served
    head = CliRunner().invoke(cli, ["--server", url, "--token", made["head"], "progress", "--as-of", "2025-11-20",
                                    "--format", "csv"])
    assert head.exit_code == 0 and {line.split(",")[0] for line in head.stdout.splitlines()[1:]} == {"66-EAKAR"}
    refused = CliRunner().invoke(cli, ["--server", url, "--token", "sprint_wrong", "progress"])
    assert refused.exit_code == 1 and refused.output.startswith(f"The dashboard at {url} refused the read: ")
    assert "Traceback" not in refused.output


def session_request(url: str, method: str, body: str, headers: dict) -> tuple[int, str]:
    request = urllib.request.Request(f"{url}/auth/session", data=body.encode(), method=method,
                                     headers={"Content-Type": "application/json", **headers})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.headers.get("set-cookie", "")
    except urllib.error.HTTPError as failure:
        return failure.code, failure.headers.get("set-cookie", "")


def test_the_session_cookie_is_set_by_the_servers_route_httponly(served):
    url, _, made = served
    status, cookie = session_request(url, "POST", json.dumps(made["session"]), {"X-Sprint-Session": "1"})
    assert status == 200 and cookie.startswith(f"sprint_session={made['session']};")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Secure" not in cookie  # plain HTTP here
    status, cookie = session_request(url, "POST", json.dumps("not-a-session"), {"X-Sprint-Session": "1"})
    assert status == 401 and not cookie
    status, cookie = session_request(url, "POST", json.dumps("whatever"), {})  # not the dashboard's page
    assert status == 403 and not cookie
    status, cookie = session_request(url, "POST", json.dumps("whatever"),
                                     {"X-Sprint-Session": "1", "Origin": "https://elsewhere.example"})
    assert status == 403 and not cookie
    status, cookie = session_request(url, "DELETE", "null", {"X-Sprint-Session": "1"})
    assert status == 200 and "sprint_session=" in cookie and "HttpOnly" in cookie and "Max-Age=0" in cookie


def test_too_many_requests_are_429_with_retry_after(served):
    """It spends the administrator's minute (SPRINT_API_RATE=60): the last test of the server."""
    url, _, made = served
    statuses = [get(f"{url}/api/v1/history?limit=1", made["admin"])[0] for _ in range(61)]
    assert 429 in statuses
    status, headers, body = get(f"{url}/api/v1/history?limit=1", made["admin"])
    assert status == 429 and 1 <= int(headers["retry-after"]) <= 60 and "wait" in json.loads(body)["error"]


def test_a_server_that_is_not_an_address_is_one_sentence():
    result = CliRunner().invoke(cli, ["--server", "dashboard.local", "--token", "sprint_x", "progress"])
    assert result.exit_code == 1 and result.output.startswith("--server dashboard.local is not an address")


def test_each_use_of_a_token_is_counted_and_a_revoked_one_reads_nothing(con):
    """On both stores: the uses, the audit of making and revoking, and nothing after revoking."""
    sprint.add_account(con, "reader", role="leader", password="reader-password")
    token_id, token = tokens.create_token(con, "reader", "sheet")
    for _ in range(3):
        assert tokens.token_account(con, token).name == "reader"
    assert tokens.list_tokens(con, "reader")["uses"].tolist() == [3]
    tokens.revoke_token(con, token_id, by="reader", owner="reader")
    assert tokens.token_account(con, token) is None
    assert tokens.list_tokens(con, "reader")["uses"].tolist() == [3]
    audited = con.execute("SELECT outcome FROM audit_log WHERE outcome LIKE 'token%' ORDER BY audit_id").fetchall()
    assert audited == [("token_created",), ("token_revoked",)]
