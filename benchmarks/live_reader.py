"""A reader's page held open over Streamlit's websocket, kept live as a browser keeps it: no browser.

Streamlit's live refresh is driven by the browser. A fragment with `run_every` makes the server
send `auto_rerun` (interval, fragment id); the browser then sends `rerun_script` with that fragment
id every interval, carrying the widget states it holds, whatever the script is doing. A reader
that only listens never sees a page move, so a benchmark of live pages has to play the browser's
part. `Reader` plays it as Streamlit 1.67's frontend does (read from its proto files and from its
App, WidgetStateManager and ForwardMsgCache in streamlit/static):

- it opens `/_stcore/stream` (subprotocol "streamlit") with the sign-in cookie and asks for a run
  of the page at "/", with the browser's context (time zone, locale);
- widget states: a widget element sets its state to its default when first drawn, and to the value
  it carries when the server set it (`set_value`: a script that assigned st.session_state); a run
  that finishes drops the elements it did not draw again (a fragment run, those of its fragments)
  and the states of widgets no longer drawn, so every rerun sends what a browser would send;
- `auto_rerun` starts a timer per fragment (an interval already running is left alone);
  `stop_auto_rerun` stops the fragments it names; a full run's `new_session` stops them all (the
  run registers its fragments again); a full rerun the server starts itself (st.rerun() in a
  fragment) needs nothing from the client: its new_session and deltas just arrive;
- the message cache: a cacheable message is remembered by its hash, every rerun lists the hashes
  held, a `ref_hash` is read from the cache, and an entry not used for more than the server's
  `max_cached_message_age` finished runs is forgotten (what the server sends as a reference
  depends on the list, so the server does the same work as for a browser);
- `page_info_changed` sets the query string later reruns carry, `navigation` the page's hash.

Left out: rendering, and what only a person does (typing, scrolling); a widget's state is kept for
date inputs, select boxes, radios, multiselects, checkboxes, toggles and segmented controls/pills
(the dashboard's figure pages use no other stateful widget); chart and table selections, number
and text inputs, sliders and uploads are sent as the server last set them, i.e. not at all, which
the server reads as unchanged. Buttons are clicked with `click` (a trigger sent once, in the
button's fragment). The app's heartbeat is sent only when a host page asks for it, so never here.
"""
from __future__ import annotations

import asyncio
import time
import traceback
from collections import Counter
from dataclasses import dataclass

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

FULL_DONE, FULL_RESTARTED = ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_EARLY_FOR_RERUN
FRAGMENT_DONE = ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY
ERROR_ALERT = 1  # Alert.Format.ERROR: st.error, how the dashboard says a failure in words
BROWSER_CONTEXT = {"timezone": "Asia/Ho_Chi_Minh", "timezone_offset": -420, "locale": "vi-VN",
                   "is_embedded": False, "color_scheme": "light"}


@dataclass(slots=True)
class Drawn:
    """What the client keeps of one element or block: enough to track widgets, find texts and
    count exceptions (a cached message is kept as this, never as its bytes)."""

    kind: str
    fragment_id: str = ""
    widget_id: str = ""
    default: WidgetState | None = None  # the state a browser gives a widget it draws for the first time
    value: WidgetState | None = None  # the state the server set (set_value), None when it set none
    text: str = ""  # the body of a markdown, heading or alert element
    exception: str = ""  # an exception element's type and message
    error_alert: bool = False


@dataclass(slots=True)
class Node:
    run_id: str
    fragment_id: str
    widget_id: str


def _state(widget_id: str, kind: str, values) -> WidgetState:
    state = WidgetState(id=widget_id)
    if kind == "string":
        state.string_value = values
    elif kind == "strings":
        state.string_array_value.data.extend(values)
    else:
        state.bool_value = values
    return state


def drawn(delta) -> Drawn:
    """The summary of a delta (a new element or block)."""
    if delta.WhichOneof("type") != "new_element":
        return Drawn(delta.WhichOneof("type") or "", delta.fragment_id)
    element = delta.new_element
    kind = element.WhichOneof("type")
    proto = getattr(element, kind)
    found = Drawn(kind, delta.fragment_id, getattr(proto, "id", ""))
    if kind in ("markdown", "heading", "alert"):
        found.text = proto.body
        found.error_alert = kind == "alert" and proto.format == ERROR_ALERT
    elif kind == "exception":
        found.exception = f"{proto.type}: {proto.message}"
    elif kind == "date_input":
        found.default = _state(found.widget_id, "strings", proto.default)
        found.value = _state(found.widget_id, "strings", proto.value) if proto.set_value else None
    elif kind in ("selectbox", "radio"):
        if proto.HasField("default") and proto.default < len(proto.options):
            found.default = _state(found.widget_id, "string", proto.options[proto.default])
        found.value = _state(found.widget_id, "string", proto.raw_value) if proto.set_value else None
    elif kind == "multiselect":
        found.default = _state(found.widget_id, "strings", [proto.options[i] for i in proto.default])
        found.value = _state(found.widget_id, "strings", proto.raw_values) if proto.set_value else None
    elif kind == "button_group":
        found.default = _state(found.widget_id, "strings", [proto.options[i].content for i in proto.default])
        found.value = _state(found.widget_id, "strings", proto.raw_values) if proto.set_value else None
    elif kind == "checkbox":
        found.default = _state(found.widget_id, "bool", proto.default)
        found.value = _state(found.widget_id, "bool", proto.value) if proto.set_value else None
    return found


class MessageCache:
    """The browser's ForwardMsg cache: hash → what was drawn, with the run count it was last used in."""

    def __init__(self):
        self.entries: dict[str, tuple[Drawn, int]] = {}
        self.runs = 0

    def put(self, digest: str, element: Drawn) -> None:
        if digest not in self.entries:
            self.entries[digest] = (element, self.runs)

    def get(self, digest: str) -> Drawn | None:
        entry = self.entries.get(digest)
        if entry is None:
            return None
        self.entries[digest] = (entry[0], self.runs)
        return entry[0]

    def finished_run(self, max_age: int, fragment_ids) -> None:
        """A run finished: forget what it did not use for more than max_age runs (a fragment run
        judges only its own fragments' entries)."""
        self.runs += 1
        for digest, (element, used) in list(self.entries.items()):
            if fragment_ids and element.fragment_id not in fragment_ids:
                continue
            if self.runs - used > max_age:
                del self.entries[digest]


class Reader:
    """One browser tab on the dashboard, signed in by its cookie. Subclasses watch what it shows
    through `seen` (each element as it arrives) and `finished` (each run's end)."""

    def __init__(self, url: str, cookie: str):
        self.address = url.replace("http://", "ws://") + "/_stcore/stream"
        self.url = url
        self.cookie = cookie
        self.socket = None
        self.query_string = ""
        self.page_hash = ""
        self.run_id = ""
        self.max_cache_age = 2
        self.received_new_session = False
        self.nodes: dict[tuple, Node] = {}
        self.widgets: dict[str, WidgetState] = {}
        self.cache = MessageCache()
        self.timers: dict[str, tuple[float, asyncio.Task]] = {}
        self.runs = Counter()  # ("full" | "fragment", script_finished status) → how many
        self.exceptions: list[str] = []
        self.error_alerts = 0
        self.cache_misses = 0
        self.closed: str | None = None  # why the server closed the socket, if it did
        self.loaded = asyncio.Event()  # set by the first full run that finished
        self._listening: asyncio.Task | None = None
        self._sending: set[asyncio.Task] = set()

    async def open(self, timeout: float = 120) -> None:
        """Connect and ask for the page; a connection the server does not accept within `timeout`
        seconds is recorded in `closed`."""
        try:
            # a browser sends no ping frames of its own (the websockets library would, and would
            # close the socket when a busy server answers late)
            self.socket = await websockets.connect(self.address, subprotocols=["streamlit"], max_size=None,
                                                   additional_headers={"Cookie": self.cookie},
                                                   open_timeout=timeout, ping_interval=None)
        except (OSError, TimeoutError, websockets.WebSocketException) as failure:
            self.closed = f"could not connect: {failure!r}"
            return
        self._listening = asyncio.create_task(self._listen())
        self.rerun()

    async def close(self) -> None:
        for _, timer in self.timers.values():
            timer.cancel()
        if self._listening:
            self._listening.cancel()
        if self.socket:
            await self.socket.close()

    # ------------------------------------------------------------------ what the browser sends

    def rerun(self, fragment_id: str = "", *, auto: bool = False, trigger: str = "") -> None:
        """Send rerun_script with the widget states held (and a button's trigger, sent once)."""
        message = BackMsg()
        run = message.rerun_script
        run.query_string = self.query_string
        run.page_script_hash = self.page_hash
        run.fragment_id = fragment_id
        run.is_auto_rerun = auto
        run.widget_states.widgets.extend(self.widgets.values())
        if trigger:
            run.widget_states.widgets.add(id=trigger, trigger_value=True)
        run.cached_message_hashes.extend(self.cache.entries)
        run.context_info.url = self.url + "/"
        for field, value in BROWSER_CONTEXT.items():
            setattr(run.context_info, field, value)
        self._send(message.SerializeToString())

    def click(self, button: Drawn) -> None:
        self.rerun(button.fragment_id, trigger=button.widget_id)

    def _send(self, payload: bytes) -> None:
        if self.closed is not None:
            return
        task = asyncio.create_task(self.socket.send(payload))
        self._sending.add(task)
        task.add_done_callback(self._sent)

    def _sent(self, task: asyncio.Task) -> None:
        self._sending.discard(task)
        if not task.cancelled() and task.exception() is not None and self.closed is None:
            self.closed = f"could not send: {task.exception()}"

    async def _every(self, fragment_id: str, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            self.rerun(fragment_id, auto=True)

    # ------------------------------------------------------------------ what the server sends

    async def _listen(self) -> None:
        try:
            async for data in self.socket:
                self.receive(data, time.time())
        except websockets.ConnectionClosed as closed:
            self.closed = str(closed)
            return
        except Exception:  # a message this client cannot read: say so rather than stop reading unseen
            self.closed = "client failure: " + traceback.format_exc()
            raise
        self.closed = "closed by the server"

    def receive(self, data: bytes, at: float) -> None:
        message = ForwardMsg.FromString(data)
        kind = message.WhichOneof("type")
        if kind == "delta":
            element = drawn(message.delta)
            if message.metadata.cacheable:
                self.cache.put(message.hash, element)
            self._draw(tuple(message.metadata.delta_path), element, at)
        elif kind == "ref_hash":
            element = self.cache.get(message.ref_hash)
            if element is None:
                self.cache_misses += 1
            else:
                self._draw(tuple(message.metadata.delta_path), element, at)
        elif kind == "new_session":
            self._new_session(message)
        elif kind == "script_finished":
            self._script_finished(message, at)
        elif kind == "auto_rerun":
            self._auto_rerun(message.auto_rerun.fragment_id, message.auto_rerun.interval)
        elif kind == "stop_auto_rerun":
            for fragment_id in message.stop_auto_rerun.fragment_ids:
                self._stop(fragment_id)
        elif kind == "page_info_changed":
            self.query_string = message.page_info_changed.query_string
        elif kind == "navigation" and message.navigation.page_script_hash:
            self.page_hash = message.navigation.page_script_hash
        elif kind == "session_event" and message.session_event.HasField("script_compilation_exception"):
            self.exceptions.append(message.session_event.script_compilation_exception.message)

    def _draw(self, path: tuple, element: Drawn, at: float) -> None:
        self.nodes[path] = Node(self.run_id, element.fragment_id, element.widget_id)
        if element.value is not None:
            self.widgets[element.widget_id] = element.value
        elif element.default is not None and element.widget_id not in self.widgets:
            self.widgets[element.widget_id] = element.default
        if element.exception:
            self.exceptions.append(element.exception)
        self.error_alerts += element.error_alert
        self.seen(element, at)

    def _new_session(self, message) -> None:
        self.received_new_session = True
        self.run_id = message.metadata.run.script_run_id
        self.max_cache_age = message.new_session.config.max_cached_message_age or self.max_cache_age
        if not self.page_hash:
            self.page_hash = message.new_session.page_script_hash
        if not message.metadata.run.fragment_ids:
            for fragment_id in list(self.timers):
                self._stop(fragment_id)
        self.started(self.run_id, set(message.metadata.run.fragment_ids))

    def _script_finished(self, message, at: float) -> None:
        status = message.script_finished
        run = message.metadata.run
        fragment_ids = set(run.fragment_ids)
        self.runs["fragment" if fragment_ids else "full", status] += 1
        if status in (FULL_DONE, FRAGMENT_DONE) and (fragment_ids or run.script_run_id == self.run_id):
            self._clear_stale(run.script_run_id, fragment_ids)
        if status != FULL_RESTARTED and self.received_new_session:
            self.cache.finished_run(self.max_cache_age, fragment_ids)
        if status == FULL_DONE:
            self.loaded.set()
        self.finished(status, run.script_run_id, fragment_ids, at)

    def _clear_stale(self, run_id: str, fragment_ids: set) -> None:
        """Drop what the finished run did not draw again (a fragment run: within its fragments),
        with everything inside a dropped block, then the states of widgets no longer drawn."""
        stale = {path for path, node in self.nodes.items()
                 if node.run_id != run_id and (not fragment_ids or node.fragment_id in fragment_ids)}
        if stale:
            self.nodes = {path: node for path, node in self.nodes.items()
                          if not any(path[:length] in stale for length in range(1, len(path) + 1))}
        drawn_widgets = {node.widget_id for node in self.nodes.values() if node.widget_id}
        for widget_id in [widget_id for widget_id in self.widgets if widget_id not in drawn_widgets]:
            del self.widgets[widget_id]

    def _auto_rerun(self, fragment_id: str, interval: float) -> None:
        if fragment_id in self.timers and self.timers[fragment_id][0] == interval:
            return
        self._stop(fragment_id)
        self.timers[fragment_id] = (interval, asyncio.create_task(self._every(fragment_id, interval)))

    def _stop(self, fragment_id: str) -> None:
        timer = self.timers.pop(fragment_id, None)
        if timer:
            timer[1].cancel()

    # ------------------------------------------------------------------ for subclasses

    def started(self, run_id: str, fragment_ids: set) -> None:
        """A run began (new_session): a full run when fragment_ids is empty."""

    def seen(self, element: Drawn, at: float) -> None:
        """An element arrived (at: the time it was received)."""

    def finished(self, status: int, run_id: str, fragment_ids: set, at: float) -> None:
        """A run ended with this script_finished status."""
