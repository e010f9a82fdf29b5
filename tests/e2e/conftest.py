import shutil

import pytest


@pytest.fixture
def live_store(demo_store_file, tmp_path):
    """A private copy of the demo store for a dashboard under test."""
    path = tmp_path / "store" / "sprint.duckdb"
    path.parent.mkdir()
    shutil.copy(demo_store_file, path)
    return path
