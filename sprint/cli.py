"""The command line: `python -m sprint …`. Each command parses, calls one function, formats."""
from __future__ import annotations

import functools
import getpass
import json
import sys
from datetime import date, datetime
from pathlib import Path

import click
import duckdb
import pandas as pd

from . import accounts as accounts_module
from . import tokens as tokens_module
from . import i18n, remote
from .allocation import allocate
from .anomalies import anomalies
from .audit import KINDS, audit_log
from .campaigns import campaign_for, current_phase, load_campaign, load_metrics, load_shipped_campaigns
from .errors import SprintError, StoreBusyError, ValidationError
from .export import spreadsheet_safe
from .forecast import backtest, backtest_all_metrics, chance_of_all_metrics, forecast, outlook
from .inbox import handoff, prepare_inbox, process_once, watch as watch_inbox
from .ingest import ingest as ingest_file
from .ingest import load_targets as load_targets_file
from .ingest import load_units as load_units_file
from .ingest import upload_history
from .ingest import ingest_collections, load_collectors
from .ingest import load_network_targets as load_network_targets_file
from .ingest.network import KINDS as COLLECTOR_KINDS
from .leaderboard import MOVERS_DAYS, leaderboard, top_movers
from .network import network, network_summary
from .results import close_phase, late_corrections, results, results_pdf
from .alerts import alerts as alerts_read
from .delivery import FREQUENCIES, deliver, subscribe, subscriptions, unsubscribe
from .late_payers import (ingest_late_payers, late_payer_changes, late_payers, late_payers_check,
                          late_payers_published, published_pdf)
from .progress import (LEVELS, attainment_matrix, complete_date, coverage, groups, late_payment, progress, reporting,
                       series, trend)
from .store import connect, default_db_path, is_url, store_folder

FORMATS = click.Choice(["table", "csv", "json"])
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")
YEARS = (2000, 2100)


class AsOf(click.ParamType):
    """A date written 2025-11-20 or 20/11/2025."""

    name = "date"

    def convert(self, value, param, ctx):
        if isinstance(value, date):
            return value
        for pattern in DATE_FORMATS:
            try:
                day = datetime.strptime(value.strip(), pattern).date()
            except ValueError:
                continue
            if not YEARS[0] <= day.year <= YEARS[1]:  # a campaign's dates; 0001 or 9999 overflow date arithmetic
                self.fail(f"'{value}' is outside the years {YEARS[0]}–{YEARS[1]}", param, ctx)
            return day
        self.fail(f"'{value}' is not a date; write 2025-11-20 or 20/11/2025", param, ctx)


db_option = click.option(
    "--db", "db", default=None, metavar="FILE|URL",
    help="The store: a file, or a postgresql:// URL (default: $SPRINT_DB, else data/sprint.duckdb).")
format_option = click.option("--format", "output_format", type=FORMATS, default="table", show_default=True)


def _store_path(db: str | None) -> Path | str:
    """--db after the command, else --db before it, else $SPRINT_DB, else data/sprint.duckdb; a
    postgresql:// URL stays a URL."""
    if db is None:
        context = click.get_current_context(silent=True)
        db = (context.find_root().obj or {}).get("db") if context else None
    location = db or default_db_path()
    return str(location) if is_url(location) else Path(location)


def _open(db: str | None):
    return connect(_store_path(db))


def _fail(message: str) -> None:
    click.echo(message, err=True)
    sys.exit(1)


def _output(frame: pd.DataFrame, output_format: str) -> None:
    click.echo(render(frame, output_format), nl=False)


def render(frame: pd.DataFrame, output_format: str) -> str:
    """A read's rows as the command line prints them (the read API answers the same text)."""
    frame = frame.reset_index() if frame.index.name else frame.copy()
    for column in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[column]):
            whole_days = (frame[column].dt.normalize() == frame[column]) | frame[column].isna()
            frame[column] = frame[column].dt.strftime("%Y-%m-%d" if whole_days.all() else "%Y-%m-%d %H:%M:%S")
    if output_format == "json":
        return json.dumps(json.loads(frame.to_json(orient="records", double_precision=15)),
                          ensure_ascii=False, indent=1) + "\n"
    if output_format == "csv":
        return spreadsheet_safe(frame).to_csv(index=False)
    if frame.empty:
        return "No rows.\n"
    return frame.to_string(index=False, na_rep="") + "\n"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@db_option
@click.option("--server", envvar="SPRINT_SERVER", default=None, metavar="URL",
              help="Read the figures from this deployment's API (with --token) instead of a store.")
@click.option("--token", envvar="SPRINT_TOKEN", default=None, help="An API token for --server.")
@click.pass_context
def cli(context, db, server, token) -> None:
    """The VSS year-end sprint: store, ingest and every figure of the campaign."""
    context.obj = {"db": db, "server": server, "token": token}


@cli.command()
@db_option
@click.option("--demo", is_flag=True, help="Also load the demo units, targets and counts.")
@click.option("--scale", type=click.Choice(["demo", "national"]), default="demo", show_default=True,
              help="With --demo: the 375-unit demo, or every commune of the nation (3,356 units).")
@click.option("--days", type=click.IntRange(1, 123), default=123, show_default=True,
              help="With --scale national: days of reports from 2025-08-31 (123: to the campaign's end).")
@click.option("--reset", is_flag=True, help="Delete the store file first (start again).")
def init(db, demo, scale, days, reset):
    """Create the store with the shipped campaigns and their national targets."""
    path = _store_path(db)
    if reset and is_url(path):
        _fail("--reset deletes a store file; to start a PostgreSQL store again, drop its database and create it anew.")
    if reset:
        for leftover in (path, path.with_name(path.name + ".wal")):
            leftover.unlink(missing_ok=True)
    try:
        con = connect(path)
        load_metrics(con)
        campaigns = load_shipped_campaigns(con)
        if demo and con.execute("SELECT count(*) FROM counts").fetchall()[0][0]:
            click.echo(f"{path} already holds counts, so the demo was not loaded "
                       "(--reset replaces the store with the demo).", err=True)
        elif demo and scale == "national":
            from .national import build_national  # the generators load only for the commands that use them

            build_national(con, days=days, folder=store_folder(_store_path(db)))
        elif demo:
            from .demo import build_demo

            build_demo(con)
    except SprintError as exc:
        _fail(str(exc))
    counts = con.execute("SELECT count(*), count(DISTINCT unit_code) FROM counts").fetchall()[0]
    click.echo(f"Store {path}: campaigns {', '.join(campaigns)}; {counts[0]} counts from {counts[1]} units.")


def default_inbox(db: str | None) -> Path:
    """The inbox of a store: the folder `inbox` beside the store file."""
    return store_folder(_store_path(db)) / "inbox"


def _handoff_all(db, files, as_name: str | None) -> None:
    """Give the files to the program that owns the store, through its inbox; sent --as an
    account, through that account's folder (inbox/@NAME), where the owner applies its scope."""
    if as_name is not None and not accounts_module.NAME_PATTERN.fullmatch(as_name):
        _fail(f"There is no account {as_name!r}: an account's name is 2 to 40 small letters, digits, '.', '_' or '-'.")
    inbox = default_inbox(db) / f"@{as_name}" if as_name else default_inbox(db)
    click.echo(f"The store is in use by another program; handing the files to it through {inbox}.", err=True)
    rejected = False
    for file in files:
        outcome = handoff(file, inbox)
        rejected |= not outcome.committed
        click.echo(outcome.message, err=not outcome.committed)
    if rejected:
        sys.exit(1)


def _cli_user() -> str:
    """Who the command line acts as without --as: the server's administrator, by OS user."""
    return f"cli:{getpass.getuser()}"


def _sender(con, as_name: str | None, *, admin_only: bool = False) -> dict:
    """Who sends (the name the audit log keeps) and the scope of what they may send: without
    --as, the server's administrator (cli:<os user>); with it, that account, under its rules."""
    if as_name is None:
        return {"uploaded_by": _cli_user()}
    account = accounts_module.account(con, as_name)
    if account is None:
        _fail(f"There is no account {as_name} (or it is disabled).")
    if admin_only and not account.is_admin:
        _fail(f"{as_name} is not an administrator's account: only administrators load units and targets.")
    if not account.may_upload:
        _fail(f"{as_name} is a leader's account: leaders read the figures but do not send files.")
    return {"uploaded_by": account.name, **({} if admin_only else {"scope": account.scope})}


def _load(loader, db, files, as_name, *, admin_only: bool = False) -> None:
    try:
        con = _open(db)
    except StoreBusyError:
        if loader is not ingest_file:
            raise
        _handoff_all(db, files, as_name)
        return
    sender = _sender(con, as_name, admin_only=admin_only)
    rejected = False
    for file in files:
        try:
            result = loader(con, file, **sender)
        except ValidationError as exc:
            rejected = True
            click.echo(str(exc), err=True)
            continue
        for warning in result.warnings:
            click.echo(f"warning: {warning}", err=True)
        click.echo(result.summary())
    if rejected:
        sys.exit(1)


def _guarded(function):
    """Turn a SprintError into its message on stderr and exit code 1; a file or store the
    system refuses becomes one sentence too (never a traceback)."""
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except SprintError as exc:
            _fail(str(exc))
        except OSError as exc:
            _fail(f"{exc.filename or 'A file'} cannot be used: {exc.strerror or exc}.")
        except duckdb.Error as exc:
            _fail(f"The store failed: {exc}. Nothing was changed.")
    return wrapper


files_argument = click.argument("files", nargs=-1, required=True,
                                type=click.Path(exists=True, dir_okay=False, path_type=Path))
file_argument = click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
as_option = click.option("--as", "as_name", default=None, metavar="NAME",
                         help="Send as this account: its scope applies and its name is recorded "
                              "(default: the server's administrator, recorded as cli:<os user>).")


@cli.command("load-units")
@db_option
@as_option
@file_argument
@_guarded
def load_units(db, as_name, file):
    """Add new units and update known ones from a units file (unit_code,name,parent_code)."""
    _load(load_units_file, db, [file], as_name, admin_only=True)


@cli.command("load-targets")
@db_option
@as_option
@click.option("--replace-all", is_flag=True,
              help="The file is the whole targets table: drop the campaign's targets it leaves out.")
@file_argument
@_guarded
def load_targets(db, as_name, replace_all, file):
    """Replace the campaign's targets with a targets file (unit_code,metric,milestone,target)."""
    _load(functools.partial(load_targets_file, replace_all=replace_all), db, [file], as_name, admin_only=True)


@cli.command("load-campaign")
@db_option
@file_argument
@_guarded
def load_campaign_command(db, file):
    """Add or update a campaign from its JSON file (dates, phases, national targets)."""
    campaign_id = load_campaign(_open(db), file, by=_cli_user())
    click.echo(f"Campaign {campaign_id} loaded from {file}.")


@cli.command()
@db_option
@as_option
@files_argument
@_guarded
def ingest(db, as_name, files):
    """Take the day's count files (CSV or Excel, long or wide). Exit 1 if any was rejected."""
    _load(ingest_file, db, files, as_name)


@cli.command("load-reference")
@db_option
@as_option
@files_argument
@_guarded
def load_reference(db, as_name, files):
    """Load counts of years before the campaign's (reference history: a year earlier, the end of
    the year before), in the counts files' form. Exit 1 if any was rejected."""
    _load(functools.partial(ingest_file, reference=True), db, files, as_name, admin_only=True)


@cli.command("load-network")
@db_option
@as_option
@file_argument
@_guarded
def load_network(db, as_name, file):
    """Add or update the collection network's organisations, points and staff
    (collector_code,kind,name,unit_code[,organisation])."""
    _load(load_collectors, db, [file], as_name, admin_only=True)


@cli.command("load-network-targets")
@db_option
@as_option
@click.option("--replace-all", is_flag=True,
              help="The file is the whole table: drop the campaign's network targets it leaves out.")
@file_argument
@_guarded
def load_network_targets(db, as_name, replace_all, file):
    """Replace the campaign's targets of the collection network (collector_code,metric,milestone,target)."""
    _load(functools.partial(load_network_targets_file, replace_all=replace_all), db, [file], as_name, admin_only=True)


@cli.command("ingest-network")
@db_option
@as_option
@files_argument
@_guarded
def ingest_network(db, as_name, files):
    """Take reports of collection points and staff (date,collector_code,metric,value: the new
    participants each brought in since the baseline), long or wide. Exit 1 if any was rejected."""
    _load(ingest_collections, db, files, as_name)


as_of_option = click.option("--as-of", "as_of", type=AsOf(), default=None,
                            help="Default: the latest complete day (enough units have reported for it).")
unit_option = click.option("--unit", default=None, help="One unit (its code).")
level_option = click.option("--level", type=click.Choice(list(LEVELS)), default=None)
parent_option = click.option("--parent", default=None, help="The children of this unit.")
metric_option = click.option("--metric", default=None, help="One metric (its code).")
board_options = [
    click.option("--metric", default="all", show_default=True),
    click.option("--level", type=click.Choice(["province", "grassroots"]), default="province", show_default=True),
    click.option("--parent", default=None, help="Rank the children of this unit instead of a level."),
]


# a read command's name -> what it computes from its parsed options: the command line prints it,
# the read API (sprint/api.py) answers it
READS: dict[str, object] = {}


def _read_command(name: str, compute, doc: str, options) -> None:
    def command(db, output_format, **arguments):
        root = click.get_current_context().find_root().obj or {}
        server = (root["server"], root["token"]) if root.get("server") else None
        if server is None:
            try:
                _output(compute(_open(db), **arguments), output_format)
                return
            except StoreBusyError:  # the dashboard owns the store: it answers through its API
                server = remote.owner(_store_path(db))
                if server is None:
                    raise
        if not server[1]:
            _fail("--server needs --token (or $SPRINT_TOKEN): an API token of an account.")
        click.echo(remote.ask(*server, name, remote.query(cli.commands[name], arguments), output_format), nl=False)

    command.__doc__ = doc.split("\n\n")[0]
    for option in reversed([db_option, format_option, *options]):
        command = option(command)
    cli.command(name)(_guarded(command))
    READS[name] = compute


def read_command(name: str, function, *options):
    """A command that prints what `function(con, **options)` returns: the page's figure, from
    the same function. --as-of, where the function takes it, defaults to the latest complete day."""
    def compute(con, **arguments):
        if "as_of" in arguments:
            arguments["as_of"] = _as_of(con, arguments["as_of"])
            _say_if_ended(con, arguments["as_of"])
        return function(con, **arguments)

    _read_command(name, compute, function.__doc__, options)


def _as_of(con, as_of):
    if as_of is not None:
        return as_of
    complete = complete_date(con)
    if complete is None:
        raise SprintError("The store has no counts yet; give --as-of or ingest a file first.")
    return complete


def _say_if_ended(con, as_of) -> None:
    """Past the campaign's end, say on stderr that the figures are its final result (stdout stays the rows)."""
    campaign = campaign_for(con, as_of)
    phase = current_phase(campaign, as_of)
    if phase and phase["ended"]:
        click.echo(f"The campaign {campaign['campaign_id']} ended on {phase['milestone'].isoformat()}: "
                   "these are its final results.", err=True)


start_option = click.option("--start", type=AsOf(), required=True)
end_option = click.option("--end", type=AsOf(), required=True)
required_metric = click.option("--metric", required=True, help="One metric (its code).")

read_command("progress", progress, as_of_option, unit_option, level_option, parent_option, metric_option)
read_command("leaderboard", leaderboard, as_of_option, *board_options,
             click.option("--chances", is_flag=True, help="Add each unit's chance of its current milestone."))
read_command("movers", top_movers, as_of_option, *board_options,
             click.option("--days", type=click.IntRange(1, 60), default=MOVERS_DAYS, show_default=True),
             click.option("--limit", type=click.IntRange(1, 1000), default=5, show_default=True))
read_command("reporting", reporting, as_of_option,
             click.option("--unit", default="VN", show_default=True, help="The leaves below this unit."))
read_command("late-payment", late_payment, as_of_option, unit_option, level_option, parent_option)
read_command("coverage", coverage, as_of_option, unit_option, level_option, parent_option)
read_command("groups", groups, as_of_option, unit_option, level_option, parent_option,
             click.option("--metric", default=None, help="The groups of one metric (compulsory_si), or one group."))
network_unit = click.option("--unit", default=None, help="Collectors contracted by this unit or below it (default: all).")
read_command("network", network, as_of_option, network_unit,
             click.option("--kind", type=click.Choice(COLLECTOR_KINDS), default="point", show_default=True),
             click.option("--metric", default=None, help="One metric (default: each the network collects)."))
read_command("network-summary", network_summary, as_of_option, network_unit,
             click.option("--metric", default=None, help="One metric (default: each the network collects)."))
read_command("matrix", attainment_matrix, as_of_option,
             click.option("--parent", default="VN", show_default=True, help="The children of this unit."))
read_command("series", series, click.option("--unit", required=True), required_metric, start_option,
             end_option, click.option("--by-child", is_flag=True, help="One series per child of --unit."))
read_command("trend", trend, click.option("--parent", required=True), required_metric, start_option,
             end_option)
read_command("audit", audit_log, click.option("--since", type=AsOf(), default=None, help="Entries from this day on."),
             click.option("--unit", default=None, help="Entries about this unit's subtree."),
             click.option("--account", default=None), click.option("--kind", type=click.Choice(KINDS), default=None),
             click.option("--limit", type=click.IntRange(1, 10_000_000), default=None, help="Default: every entry."))
read_command("outlook", outlook, as_of_option, unit_option, level_option, parent_option, metric_option)
read_command("allocate", allocate, as_of_option, click.option("--unit", required=True, help="The parent (its code)."),
             required_metric)
read_command("anomalies", anomalies, as_of_option,
             click.option("--unit", default="VN", show_default=True, help="Reports of this unit's subtree."))


phase_option = click.option("--phase", type=click.IntRange(1, 99), required=True, help="The phase's number.")
campaign_option = click.option("--campaign", default=None, help="Default: the campaign of today (else the last).")
read_command("results", results, phase_option, campaign_option,
             click.option("--level", type=click.Choice(["province", "grassroots"]), default=None),
             click.option("--metric", default=None, help="Each unit's figures of one metric instead of the standings."))
read_command("late-corrections", late_corrections, phase_option, campaign_option)


@cli.command("close-phase")
@db_option
@phase_option
@campaign_option
@_guarded
def close_phase_command(db, phase, campaign):
    """Freeze a phase's results once its cut-off has passed (an administrator's act, audited)."""
    closed = close_phase(_open(db), phase=phase, campaign=campaign, by=_cli_user())
    click.echo(f"Phase {phase} of {closed['campaign_id']} closed: its results are frozen as of "
               f"{closed['milestone'].isoformat()}, from the reports received by {closed['cutoff']:%Y-%m-%d %H:%M}.")


@cli.command("results-pdf")
@db_option
@phase_option
@campaign_option
@click.option("--lang", type=click.Choice(list(i18n.LANGUAGES)), default="vi", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="The PDF to write.")
@_guarded
def results_pdf_command(db, phase, campaign, lang, out):
    """A phase's results as a PDF (closed, or provisional)."""
    out.write_bytes(results_pdf(_open(db), phase=phase, campaign=campaign, lang=lang))
    click.echo(f"{out}: the results of phase {phase}.")


read_command("subscriptions", subscriptions, click.option("--account", default=None))
read_command("late-payers", late_payers, as_of_option, unit_option)

read_command("alerts", alerts_read, click.option("--account", default=None),
             click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True))
read_command("late-payer-changes", late_payer_changes, as_of_option, unit_option)
months_option = click.option("--months", type=click.IntRange(1, 600), default=1, show_default=True,
                             help="Only employers this many months late or more.")
read_command("late-payers-published", late_payers_published, as_of_option, unit_option, months_option)
read_command("late-payers-check", late_payers_check, as_of_option, unit_option)


@cli.command("ingest-late-payers")
@db_option
@as_option
@files_argument
@_guarded
def ingest_late_payers_command(db, as_name, files):
    """Take late payers files (date,unit_code,employer_code,employer_name,amount,months_late: each
    unit's list of that day, amounts in VND). Exit 1 if any was rejected."""
    _load(ingest_late_payers, db, files, as_name)


@cli.command("late-payers-pdf")
@db_option
@as_of_option
@unit_option
@months_option
@click.option("--lang", type=click.Choice(list(i18n.LANGUAGES)), default="vi", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="The PDF to write.")
@_guarded
def late_payers_pdf_command(db, as_of, unit, months, lang, out):
    """The list of late payers for publication, as a PDF."""
    con = _open(db)
    out.write_bytes(published_pdf(con, as_of=_as_of(con, as_of), unit=unit, months=months, lang=lang))
    click.echo(f"{out}: the late payers of {unit or 'VN'} for publication.")


@cli.command("subscribe")
@db_option
@click.option("--account", required=True, help="The account that receives it (it needs an e-mail address).")
@click.option("--frequency", type=click.Choice(FREQUENCIES), default="daily", show_default=True)
@click.option("--at", "send_at", default="06:30", show_default=True, help="The time of day, Vietnam's (HH:MM).")
@click.option("--weekday", type=click.IntRange(1, 7), default=None, help="Weekly: 1 (Monday) to 7 (Sunday).")
@click.option("--unit", default=None, help="Default: the account's own unit (the nation for a leader).")
@click.option("--lang", type=click.Choice(list(i18n.LANGUAGES)), default="vi", show_default=True)
@_guarded
def subscribe_command(db, account, frequency, send_at, weekday, unit, lang):
    """Subscribe an account to the morning briefing by e-mail (the PDF attached)."""
    number = subscribe(_open(db), account=account, frequency=frequency, send_at=send_at, weekday=weekday, unit=unit,
                       lang=lang, by=_cli_user())
    click.echo(f"Subscription {number}: {account} receives the briefing {frequency} at {send_at}.")


@cli.command("unsubscribe")
@db_option
@click.argument("subscription_id", type=int)
@_guarded
def unsubscribe_command(db, subscription_id):
    """End a subscription (its number: `subscriptions`)."""
    unsubscribe(_open(db), subscription_id=subscription_id, by=_cli_user())
    click.echo(f"Subscription {subscription_id} ended.")


@cli.command("deliver")
@db_option
@click.option("--now", "now", type=click.DateTime(formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]), default=None,
              help="As if it were this moment in Vietnam (default: now).")
@_guarded
def deliver_command(db, now):
    """Send the briefings due now over SMTP (settings: SPRINT_SMTP_*), each once per period; for
    cron or a systemd timer where no dashboard runs. Exit 1 if a send failed (it is tried again)."""
    from .delivery import Smtp
    from .store import VIETNAM

    if Smtp.from_environment() is None:
        _fail("No SMTP server is set: give SPRINT_SMTP_HOST (and SPRINT_SMTP_PORT, …).")
    done = deliver(_open(db), now=now.replace(tzinfo=VIETNAM) if now else None)
    for subscription_id, period in done.sent:
        click.echo(f"sent: subscription {subscription_id} for {period}")
    for subscription_id, period, error in done.failed:
        click.echo(f"failed: subscription {subscription_id} for {period}: {error} (tried again at the next run)",
                   err=True)
    if done.failed:
        sys.exit(1)


def judged_command(name: str, function, judge, judge_help: str, *options):
    """A command that prints `function(con, as_of=…, **options)` or, with --backtest, `judge(con,
    until=…, **options)`: the figure, or how it did on every past day up to --as-of."""
    def compute(con, as_of, judged, **filters):
        as_of = _as_of(con, as_of)
        return judge(con, until=as_of, **filters) if judged else function(con, as_of=as_of, **filters)

    backtest_option = click.option("--backtest", "judged", is_flag=True, help=judge_help)
    _read_command(name, compute, function.__doc__, [as_of_option, *options, backtest_option])


judged_command("forecast", forecast, backtest,
               "Judge the forecast instead: every past day up to --as-of, 7 days ahead and to the next milestone, "
               "with the share of outcomes inside the 80 % band and the Brier score.",
               unit_option, level_option, parent_option, metric_option)
judged_command("chances", chance_of_all_metrics, backtest_all_metrics,
               "Judge it instead: every past day up to --as-of whose milestones have passed, against whether every "
               "metric made it, beside the weakest metric's chance and the mean of the chances.",
               unit_option, level_option, parent_option)


@cli.command()
@db_option
@as_of_option
@click.option("--unit", default=None, help="Default: the unit of the --as account, else the nation.")
@click.option("--lang", type=click.Choice(list(i18n.LANGUAGES)), default="vi", show_default=True)
@click.option("--as", "as_name", default=None, metavar="NAME",
              help="For this account: a unit head's briefing covers their own subtree only.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="The PDF to write.")
@_guarded
def briefing(db, as_of, unit, lang, as_name, out):
    """The morning briefing: one A4 page (PDF) of a unit's figures, chances, laggards and climbers."""
    from .briefing import briefing_pdf  # fpdf2 and Plotly load only for this command

    con = _open(db)
    scope = None
    if as_name is not None:
        account = accounts_module.account(con, as_name)
        if account is None:
            _fail(f"There is no account {as_name} (or it is disabled).")
        scope = account.scope
    as_of = _as_of(con, as_of)
    _say_if_ended(con, as_of)
    pdf = briefing_pdf(con, as_of=as_of, unit=unit, lang=lang, scope=scope)
    out.write_bytes(pdf)
    click.echo(f"Briefing of {unit or scope or 'VN'} on {as_of.isoformat()} written to {out} "
               f"({len(pdf) // 1024} KB).")


read_command("history", upload_history, click.option("--unit", default=None),
             click.option("--limit", type=click.IntRange(1, 100_000), default=50, show_default=True))


@cli.command("migrate")
@click.option("--from", "source", type=click.Path(dir_okay=False, exists=True, path_type=Path), required=True,
              help="The embedded store file to move (stop the dashboard that owns it first).")
@click.option("--to", "target", required=True, metavar="URL", help="The PostgreSQL system of record: postgresql://…")
@_guarded
def migrate_command(source, target):
    """Move an embedded store into PostgreSQL, history and accounts included (again: no change)."""
    if not is_url(target):
        _fail(f"{target} is not a PostgreSQL URL; write postgresql://user@host:port/database.")
    from .postgres import migrate_store, where

    con = connect(source)
    moved = migrate_store(con, target)
    click.echo(f"Moved {source} to PostgreSQL at {where(target)}:")
    for table, (rows, there) in moved.items():
        click.echo(f"  {table}: {rows:,} rows moved" + (f", {there:,} already there" if there else ""))
    if not any(rows for rows, _ in moved.values()):
        click.echo("Nothing new: everything was there already.")


@cli.command()
@db_option
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--interval", type=float, default=1.0, show_default=True, help="Seconds between looks.")
@click.option("--settle", type=float, default=2.0, show_default=True,
              help="A file is taken once it has not changed for this many seconds.")
@click.option("--once", is_flag=True, help="Take what is there now, then stop.")
@_guarded
def watch(db, directory, interval, settle, once):
    """Ingest every CSV or Excel file dropped into DIRECTORY (→ processed/ or rejected/)."""
    con = _open(db)  # first: only the store's owner may put back files claimed by a watcher that died
    prepare_inbox(directory)  # an inbox that cannot be used is said at once, not every second

    def report(outcome):
        click.echo(outcome.message if outcome.committed else f"rejected: {outcome.message}")

    if once:
        for outcome in process_once(con, directory, settle=settle):
            report(outcome)
        return
    click.echo(f"Watching {directory} (Ctrl+C to stop).")
    try:
        watch_inbox(con, directory, interval=interval, settle=settle, on_outcome=report)
    except KeyboardInterrupt:
        click.echo("Stopped.")


@cli.command()
@click.option("--inbox", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where to write the files (default: the inbox beside the store).")
@db_option
@click.option("--every", type=float, default=5.0, show_default=True, help="Seconds between two days.")
@click.option("--start", type=AsOf(), default=None, help="First day to send (default: the day after the demo's last).")
@click.option("--days", type=int, default=None, help="How many days to send (default: to the campaign's end).")
@_guarded
def simulate(inbox, db, every, start, days):
    """Replay the demo's next days into an inbox, one file a day, so the dashboard moves."""
    import time

    inbox = inbox or default_inbox(db)
    inbox.mkdir(parents=True, exist_ok=True)
    from . import demo as demo_module

    first = start or demo_module.LAST_LOADED_DAY + pd.Timedelta(days=1)
    sent = 0
    for day, frame in demo_module.days_after(first - pd.Timedelta(days=1)):
        if days is not None and sent >= days:
            break
        if sent:
            time.sleep(every)
        name = f"sim-{day.isoformat()}.csv"
        part = inbox / f".{name}.part"
        frame.to_csv(part, index=False)
        part.replace(inbox / name)
        sent += 1
        click.echo(f"{name}: {len(frame)} rows written to {inbox}")


@cli.group()
def user():
    """Accounts: who may sign in to the dashboard, with which role and unit."""


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@user.command("add")
@db_option
@click.argument("name")
@click.option("--role", type=click.Choice(accounts_module.ROLES), required=True)
@click.option("--unit", default=None, help="A unit head's unit (its code).")
@click.option("--email", default=None, help="The e-mail a sign-in provider vouches for (OIDC deployments).")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
@click.option("--no-password", is_flag=True, help="No password: the account signs in through the provider only.")
@_guarded
def user_add(db, name, role, unit, email, password_stdin, no_password):
    """Add an account."""
    con = _open(db)
    password = None if no_password else _password(password_stdin)
    accounts_module.add_account(con, name, role=role, unit=unit, email=email, password=password,
                                by=_cli_user())
    click.echo(f"Account {name} added ({role}{', ' + unit if unit else ''}).")


@user.command("list")
@db_option
@format_option
@_guarded
def user_list(db, output_format):
    """Every account: role, unit, e-mail, disabled, last sign-in."""
    _output(accounts_module.list_accounts(_open(db)), output_format)


def _switch_command(name: str, disabled: bool, summary: str) -> None:
    """`user disable NAME` or `user enable NAME`."""
    @db_option
    @click.argument("account")
    @_guarded
    def command(db, account):
        accounts_module.set_disabled(_open(db), account, disabled, by=_cli_user())
        click.echo(f"Account {account} {name}d.")

    command.__doc__ = summary
    user.command(name)(command)


_switch_command("disable", True, "Disable an account: it is signed out at its next page load and cannot sign in.")
_switch_command("enable", False, "Enable a disabled account again.")


@user.command("password")
@db_option
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
@_guarded
def user_password(db, name, password_stdin):
    """Set an account's password."""
    con = _open(db)
    accounts_module.set_password(con, name, _password(password_stdin), by=_cli_user())
    click.echo(f"Password of {name} changed.")


@cli.group()
def token():
    """API tokens: keys an account gives a program to read the figures (/api/v1/…)."""


@token.command("create")
@db_option
@click.argument("account")
@click.option("--name", required=True, help="What the token is for (a spreadsheet, a notebook…).")
@click.option("--days", type=int, default=90, show_default=True, help="Days until it expires (at most 365).")
@_guarded
def token_create(db, account, name, days):
    """Make a token for ACCOUNT. It is printed this once: the store keeps only its hash."""
    token_id, secret = tokens_module.create_token(_open(db), account, name, days=days, by=_cli_user())
    click.echo(f"Token {token_id} for {account}, valid {days} days. Keep it now; it is not shown again:", err=True)
    click.echo(secret)


@token.command("list")
@db_option
@click.option("--account", default=None, help="One account's tokens.")
@format_option
@_guarded
def token_list(db, account, output_format):
    """Tokens with their account, name, expiry, revocation and uses (never the token)."""
    _output(tokens_module.list_tokens(_open(db), account), output_format)


@token.command("revoke")
@db_option
@click.argument("token_id")
@_guarded
def token_revoke(db, token_id):
    """Revoke a token by its id (from `token list`): it reads nothing from then on."""
    tokens_module.revoke_token(_open(db), token_id, by=_cli_user())
    click.echo(f"Token {token_id} revoked.")
