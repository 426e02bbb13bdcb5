"""Fixtures shared across test modules: one PostgreSQL server for the whole run (started on
first use), a fresh database per test."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def postgres_server():
    from postgres_server import running_postgres

    with running_postgres() as server:
        yield server


@pytest.fixture
def postgres_dsn(postgres_server) -> str:
    return postgres_server.create_database()
