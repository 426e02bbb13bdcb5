"""Structured logs: one JSON object per line (time, level, logger, message, fields), so a log
pipeline can index ids and targets. Callers pass `extra={"fields": {...}}` and never secrets.

Every line the process writes is JSON: the relay's loggers, the libraries' (aiohttp, asyncio),
and exceptions nobody caught, in any thread (their traceback in the `exception` field)."""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
import threading


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        entry.update(getattr(record, "fields", None) or {})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def setup(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel("WARNING")  # libraries: what needs attention
    logging.getLogger("relay").setLevel(level)
    crash = logging.getLogger("relay.crash")

    def uncaught(kind, value, tb) -> None:
        crash.critical("uncaught exception", exc_info=(kind, value, tb))

    sys.excepthook = uncaught
    threading.excepthook = lambda args: uncaught(args.exc_type, args.exc_value, args.exc_traceback)
