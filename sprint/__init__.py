"""The sprint engine: store, ingest and every figure of the VSS year-end sprint."""
import importlib

from .accounts import (Account, AccountError, SignInError, account, account_for_email, email_of, add_account, client_address,
                       close_session, demo_accounts, list_accounts, open_session, session_account, set_disabled,
                       set_password, sign_in, trusted_proxies)
from .allocation import allocate, share_of
from .anomalies import anomalies, file_flags
from .audit import audit_log
from .campaigns import campaign_for, current_phase, load_campaign, load_metrics, load_shipped_campaigns
from .errors import OutOfScopeError, Problem, SprintError, StoreBusyError, StoreError, UnknownError, ValidationError
from .forecast import backtest, backtest_all_metrics, chance_of_all_metrics, forecast, outlook
from .ingest import (IngestResult, ingest, ingest_collections, load_collectors, load_network_targets, load_targets,
                     load_units, upload_history)
from .leaderboard import leaderboard, neighbours, top_movers
from .network import collectors, network, network_metrics, network_summary, network_template
from .progress import (attainment_matrix, complete_date, complete_day, coverage, late_payment, latest_date, metrics, progress, reporting,
                       year_before, year_end_before, groups,
                       reporting_days, reporting_summary, series, target_path, targets, template_rows, trend,
                       units)
from .delivery import deliver, subscribe, subscriptions, unsubscribe
from .late_payers import (ingest_late_payers, late_payer_changes, late_payers, late_payers_check,
                          late_payers_published)
from .late_payers import published_pdf as late_payers_pdf
from .results import close_phase, closings_version, late_corrections, phase_of, phases, results
from .store import connect, data_version, data_versions, default_db_path, upload_version, vietnam_today

__all__ = [
    "Account", "AccountError", "SignInError", "account", "account_for_email", "email_of", "add_account", "audit_log",
    "close_session", "complete_date", "complete_day", "template_rows", "reporting_days", "demo_accounts", "list_accounts", "open_session", "session_account", "set_disabled",
    "set_password", "sign_in", "client_address", "trusted_proxies",
    "IngestResult", "Problem", "SprintError", "StoreBusyError", "StoreError", "UnknownError",
    "ValidationError", "attainment_matrix", "campaign_for", "connect", "coverage", "current_phase",
    "data_version", "data_versions", "metrics", "reporting_summary", "targets", "trend", "units",
    "upload_version", "year_before", "year_end_before", "groups", "network", "network_metrics", "network_summary",
    "deliver", "subscribe", "subscriptions", "unsubscribe", "ingest_late_payers", "late_payer_changes", "late_payers",
    "late_payers_check", "late_payers_published", "late_payers_pdf",
    "close_phase", "closings_version", "late_corrections", "phase_of", "phases", "results",
    "collectors", "network_template", "ingest_collections", "load_collectors", "load_network_targets",
    "default_db_path", "ingest", "init_store", "late_payment", "latest_date",
    "leaderboard", "load_campaign", "load_metrics", "load_shipped_campaigns", "load_targets",
    "load_units", "neighbours", "progress", "reporting", "series", "target_path", "top_movers",
    "upload_history", "vietnam_today", "allocate", "share_of", "anomalies", "backtest", "backtest_all_metrics", "chance_of_all_metrics", "file_flags", "forecast", "outlook", "briefing_pdf", "results_pdf", "OutOfScopeError",
]


def init_store(con) -> None:
    """Load the reference data every store has: metrics and the shipped campaigns."""
    load_metrics(con)
    load_shipped_campaigns(con)



def __getattr__(name: str):
    """briefing_pdf: the briefing (fpdf2, Plotly, kaleido) loads when first used, not with every command."""
    if name == "briefing_pdf":
        return importlib.import_module("sprint.briefing").briefing_pdf
    if name == "results_pdf":
        return importlib.import_module("sprint.results").results_pdf
    raise AttributeError(f"module 'sprint' has no attribute '{name}'")
