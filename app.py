"""The sprint dashboard's server: `streamlit run app.py`.

Streamlit serves it as an ASGI app (st.App). Its lifespan runs before the first connection: it
opens the store (building the demo store on a first start) and starts watching the inbox beside
it (SPRINT_INBOX names another folder, or "off"), so files dropped overnight are taken at once,
not when someone first opens a page; and the schedule that raises the alerts and, where SMTP is
configured, e-mails them and the subscribed briefings (sprint/scheduler.py). Every browser session then runs dashboard.py: the
navigation, the shared sidebar and the chosen page.
"""
from __future__ import annotations

import getpass
import os
import secrets
import sys
from contextlib import asynccontextmanager
from pathlib import Path

import streamlit as st
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from pages import reads
from pages.session import COOKIE, PEER_HEADER, SESSION_ROUTE, SESSION_SECONDS
from sprint import api, remote, tokens
from sprint.accounts import Account, session_account
from sprint.inbox import start_watcher
from sprint.scheduler import start_schedule
from sprint.store import is_url, store_folder


class PeerHeader:
    """ASGI middleware: writes the peer of each WebSocket connection into its handshake's
    headers as PEER_HEADER, dropping any header of that name the browser sent.

    Streamlit's st.context.ip_address cannot be used: it reports a local peer as None, and it is
    scope["client"], which uvicorn's proxy-headers middleware has already replaced with an
    X-Forwarded-For entry whenever the peer is in FORWARDED_ALLOW_IPS (by default 127.0.0.1 and
    ::1), so any local process, or a proxy that passes the browser's header on, could name any
    address. uvicorn's connection keeps the peer it accepted as the `client` of the protocol
    whose bound method `send` is (all three of its WebSocket implementations); under another
    server, scope["client"] is the best there is."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket":
            peer = getattr(getattr(send, "__self__", None), "client", None) or scope.get("client")
            headers = [(name, value) for name, value in scope["headers"] if name.lower() != PEER_HEADER.encode()]
            if peer:
                headers.append((PEER_HEADER.encode(), str(peer[0]).encode("latin-1")))
            scope = {**scope, "headers": headers}
        await self.app(scope, receive, send)



# The inbox's writer releases the GIL at each of its DuckDB statements (about 40 a file) and must
# win it back from the pages' Python work each time: at Python's default 5 ms switch interval a
# commune's file took 1.4 s while three threads ran Python (0.7 files/s), at 1 ms 0.25 s (4 files/s).
sys.setswitchinterval(0.001)


# the command line's key to this server's API while it owns a store file (sprint/remote.py): it
# reads as the server's administrator, as the command line does on a store it can open
CLI_KEY = secrets.token_urlsafe(32)


@asynccontextmanager
async def lifespan(_app):
    path = reads.store_path()
    con = reads.get_store(path)
    inbox = os.environ.get("SPRINT_INBOX", str(store_folder(path) / "inbox"))
    stop = None
    if inbox != "off":
        stop = start_watcher(con, inbox, interval=1.0, settle=float(os.environ.get("SPRINT_INBOX_SETTLE", "1")))
    schedule = start_schedule(con)  # the alerts, and the briefings by e-mail where SMTP is configured
    announced = None
    if not is_url(path):  # the file is this process's alone: the command line reads through the API
        host = st.get_option("server.address") or "127.0.0.1"
        host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        announced = remote.announce(Path(path), f"http://{host}:{st.get_option('server.port')}", CLI_KEY)
    yield
    if stop is not None:
        stop.set()
    if schedule is not None:
        schedule.shutdown(wait=False)
    if announced is not None:
        announced.unlink(missing_ok=True)


RATE_LIMIT = tokens.RateLimit(int(os.environ.get("SPRINT_API_RATE", tokens.RATE)))


def _read(request, read: str, output_format: str) -> api.Answer:
    """One API request, in a worker thread: its token, its rate, its answer (sprint/api.py)."""
    header = request.headers.get("authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else None
    con = reads.get_store(reads.store_path()).cursor()
    con.execute("SET TimeZone = 'Asia/Ho_Chi_Minh'")  # a cursor's own setting: moments as the CLI prints them
    try:
        viewer = (Account(f"cli:{getpass.getuser()}", "admin", None) if token and secrets.compare_digest(token, CLI_KEY)
                  else tokens.token_account(con, token))
        if viewer is None:
            return api.error(401, "A valid API token is needed: send 'Authorization: Bearer <token>' "
                                  "(make one on the Accounts page or with `python -m sprint token create`).")
        wait = RATE_LIMIT.wait(token)
        if wait:
            answer = api.error(429, f"Too many requests with this token: wait {wait:.0f} s.")
            return api.Answer(answer.status, answer.media_type, answer.body, retry_after=int(wait) + 1)
        return api.answer(con, read, list(request.query_params.multi_items()), viewer=viewer,
                          output_format=output_format)
    finally:
        con.close()


async def read_endpoint(request):
    read, accept = request.path_params["read"], request.headers.get("accept", "")
    # JSON by default; CSV by suffix or Accept; the command line's table for text/plain (sprint/remote.py)
    output_format = "csv" if read.endswith(".csv") or "text/csv" in accept else "table" if "text/plain" in accept else "json"
    answer = await run_in_threadpool(_read, request, read.removesuffix(".csv"), output_format)
    headers = {"Retry-After": str(answer.retry_after)} if answer.retry_after else None
    return Response(answer.body, status_code=answer.status, media_type=answer.media_type, headers=headers)


async def openapi_endpoint(_request):
    return JSONResponse(api.openapi())


def _session_cookie(request, token: str | None) -> Response:
    """The session cookie of a live session (or its end): HttpOnly, so no script reads it."""
    secure = (request.headers.get("x-forwarded-proto") or request.url.scheme) == "https"
    response = JSONResponse({"ok": True})
    if token is None:
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict", secure=secure)
    else:
        response.set_cookie(COOKIE, token, max_age=int(SESSION_SECONDS), path="/", httponly=True,
                            samesite="strict", secure=secure)
    return response


def _live_session(token) -> bool:
    con = reads.get_store(reads.store_path()).cursor()
    try:
        return isinstance(token, str) and session_account(con, token) is not None
    finally:
        con.close()


async def session_endpoint(request):
    """POST a live session's token: the browser gets it as an HttpOnly cookie; DELETE: it is
    cleared. Only the dashboard's own pages ask (their header, their origin)."""
    origin = request.headers.get("origin")
    if request.headers.get("x-sprint-session") != "1" or (origin and origin.split("//", 1)[-1] != request.headers.get("host")):
        return JSONResponse({"error": "Only the dashboard's own pages may set its session."}, status_code=403)
    if request.method == "DELETE":
        return _session_cookie(request, None)
    try:
        token = await request.json()
    except ValueError:
        token = None
    if not await run_in_threadpool(_live_session, token):
        return JSONResponse({"error": "That is not a live session."}, status_code=401)
    return _session_cookie(request, token)


ROUTES = [Route(SESSION_ROUTE, session_endpoint, methods=["POST", "DELETE"]),
          Route(f"/api/{api.VERSION}/openapi.json", openapi_endpoint),
          Route(f"/api/{api.VERSION}/{{read}}", read_endpoint)]

app = st.App("dashboard.py", lifespan=lifespan, routes=ROUTES, middleware=[Middleware(PeerHeader)])
