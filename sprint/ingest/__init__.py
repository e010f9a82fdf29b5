"""Files in: read → validate (in SQL, over the whole file) → commit (one transaction).

A file with any problem changes nothing in the figures; its rejection is written to the upload
history so a unit head can see what happened. Counts, units and targets files share the reader
and the number/date rules; each kind has its own checks and its own commit.
"""
from __future__ import annotations

from .counts import ingest
from .history import IngestResult, upload_history
from .reading import EXCEL_SUFFIXES, shown_name
from .network import ingest_collections, load_collectors
from .reference import load_network_targets, load_targets, load_units

__all__ = ["EXCEL_SUFFIXES", "IngestResult", "ingest", "ingest_collections", "load_collectors", "load_network_targets",
           "load_targets", "load_units", "shown_name", "upload_history"]
