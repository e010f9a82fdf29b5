"""The delivery schedule inside the dashboard's server: APScheduler runs sprint.delivery.deliver
(the alerts, then the briefings) every SPRINT_DELIVER_SECONDS (60; "off": never). Each send is
claimed in the store, so with several replicas each running its schedule, exactly one sends each
message. `python -m sprint deliver` is the same run, for cron or a systemd timer where no dashboard
runs."""
from __future__ import annotations

import logging
import os
from datetime import datetime

from apscheduler.schedulers.background import BackgroundScheduler

from .delivery import deliver
from .store import VIETNAM

log = logging.getLogger("sprint")


def _run(con) -> None:
    cur = con.cursor()
    try:
        done = deliver(cur)
    except Exception:  # a run that failed is logged; the next runs at its time
        log.exception("The delivery run failed")
        return
    finally:
        cur.close()
    for account, count in done.alerts:
        log.info("%s alerts e-mailed to %s", count, account)
    for subscription_id, period, error in done.failed:
        log.warning("The briefing of subscription %s for %s was not sent (%s); it is tried again at the next run.",
                    subscription_id, period, error)


def start_schedule(con, *, every: float | None = None) -> BackgroundScheduler | None:
    """Run the deliveries in the background (None, and nothing runs, with SPRINT_DELIVER_SECONDS=off)."""
    setting = os.environ.get("SPRINT_DELIVER_SECONDS", "60")
    if every is None and setting == "off":
        return None
    every = every or float(setting)
    scheduler = BackgroundScheduler(timezone=VIETNAM)
    scheduler.add_job(_run, "interval", args=[con], seconds=every, max_instances=1, coalesce=True,
                      next_run_time=datetime.now(VIETNAM), id="deliver")
    scheduler.start()
    return scheduler
