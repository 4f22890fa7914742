"""Item 11: `migrate` alone leaves a working server: the database cache's table included."""

import sqlite3

from tests.factories import run_manage


def test_migrate_alone_creates_the_cache_table(tmp_path):
    database = tmp_path / "fresh.sqlite3"
    result = run_manage(
        "migrate",
        "--no-input",
        env={
            "DATABASE_URL": f"sqlite:///{database}",
            "SECRET_KEY": "x" * 50,
            "WORKSPACE_DEMO": "true",
        },
    )
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(database) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    assert "disks_cache" in tables
