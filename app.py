"""The sprint dashboard's server: `streamlit run app.py`.

Streamlit serves it as an ASGI app (st.App). Its lifespan runs before the first connection: it
opens the store (building the demo store on a first start) and starts watching the inbox, so
files dropped overnight are taken at once, not when someone first opens a page. Every browser
session then runs dashboard.py: the navigation, the shared sidebar and the chosen page.
"""
from __future__ import annotations

from contextlib import asynccontextmanager

import streamlit as st
from starlette.middleware import Middleware

from pages import common


@asynccontextmanager
async def lifespan(_app):
    common.get_store(common.store_path())
    yield


app = st.App("dashboard.py", lifespan=lifespan, middleware=[Middleware(common.PeerHeader)])
