"""The relay's own kinds of user error (besides common.errors.ConfigError for relay.yaml)."""

from __future__ import annotations

from common.errors import UserError


class PayloadError(UserError):
    """An inbound request that can never succeed (bad JSON, wrong schema, too large, wrong
    content type); `status` is the HTTP status the relay answers with."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


class StoreError(UserError):
    """The relay's store cannot be opened or written (disk full, locked, read-only; a
    PostgreSQL server that cannot be reached or refuses the credentials)."""
