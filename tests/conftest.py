"""Fixtures shared across test modules: one PostgreSQL server for the whole run (started on
first use), a fresh database per test; no bytecode for tests that rewrite catalog modules.
The relay's tests share theirs in tests/relay/conftest.py."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def postgres_server():
    from support.postgres_server import running_postgres

    with running_postgres() as server:
        yield server


@pytest.fixture
def postgres_dsn(postgres_server) -> str:
    return postgres_server.create_database()


@pytest.fixture
def no_bytecode(monkeypatch):
    """Tests that rewrite catalog modules within one second: a stale .pyc must never answer."""
    import sys

    monkeypatch.setattr(sys, "dont_write_bytecode", True)


def _tools_from_setup() -> None:
    """The engine finds promtool and amtool on PATH or through $PROMTOOL/$AMTOOL (gen.tools.promtool);
    the tests use the copies `make setup` unpacks, whatever folder a test runs `gen` in."""
    import os

    bin_dir = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tools", "bin")
    for name, var in (("promtool", "PROMTOOL"), ("amtool", "AMTOOL")):
        if not os.environ.get(var) and os.access(os.path.join(bin_dir, name), os.X_OK):
            os.environ[var] = os.path.join(bin_dir, name)


_tools_from_setup()
