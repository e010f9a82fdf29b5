"""The sprint dashboard's server: `streamlit run app.py`.

Streamlit serves it as an ASGI app (st.App). Its lifespan runs before the first connection: it
opens the store (building the demo store on a first start) and starts watching the inbox beside
it (SPRINT_INBOX names another folder, or "off"), so files dropped overnight are taken at once,
not when someone first opens a page. Every browser session then runs dashboard.py: the
navigation, the shared sidebar and the chosen page.
"""
from __future__ import annotations

import os
import sys
from contextlib import asynccontextmanager

import streamlit as st
from starlette.middleware import Middleware

from pages import reads
from pages.session import PEER_HEADER
from sprint.inbox import start_watcher
from sprint.store import store_folder


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


@asynccontextmanager
async def lifespan(_app):
    path = reads.store_path()
    con = reads.get_store(path)
    inbox = os.environ.get("SPRINT_INBOX", str(store_folder(path) / "inbox"))
    stop = None
    if inbox != "off":
        stop = start_watcher(con, inbox, interval=1.0, settle=float(os.environ.get("SPRINT_INBOX_SETTLE", "1")))
    yield
    if stop is not None:
        stop.set()


app = st.App("dashboard.py", lifespan=lifespan, middleware=[Middleware(PeerHeader)])
