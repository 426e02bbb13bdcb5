"""The relay process: aiohttp server (POST /alerts, health, metrics), store, delivery engine,
heartbeat watcher, SIGHUP reload, graceful stop on SIGTERM.

Order of checks on POST /alerts, cheapest refusal first and nothing stored before the end:
auth (401) -> content type (415) -> size (413) -> JSON (400) -> schema (422) -> commit to the
store (503 if that fails) -> 200. Alertmanager retries 5xx only and drops a notification
answered 4xx, so 4xx is kept for input that can never succeed: a route name relay.yaml does
not know is not such input (the notification goes to the default targets, with a warning and
relay_unknown_route_notifications_total{route}).
"""

from __future__ import annotations

import asyncio
import base64
import gc
import hmac
import logging
import re
import signal
import time

import msgspec
from aiohttp import web

from common.errors import UserError
from relay.errors import PayloadError, StoreError
from relay import payload, store
from relay.config import Auth, RelayConfig, load_relay_config
from relay.heartbeat import HeartbeatWatch, seen_op
from relay.metrics import CONTENT_TYPE, Metrics
from relay.order import priority
from relay.worker import Engine

log = logging.getLogger("relay.server")

_ROUTE_LABEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
PRUNE_EVERY = 600.0  # seconds between clean-ups of old dedupe keys and delivered rows
KEEP_DELIVERED = 7 * 86400.0  # delivered notifications stay this long for inspection


def authorized(auth: Auth | None, header: str) -> bool:
    """Constant-time comparison of every credential that is configured."""
    if auth is None:
        return True
    ok = False
    if auth.bearer_token is not None and header[:7].lower() == "bearer ":
        ok |= hmac.compare_digest(header[7:].strip().encode(), auth.bearer_token)
    if auth.basic_username is not None and header[:6].lower() == "basic ":
        try:
            user, _, password = base64.b64decode(header[6:].strip(), validate=True).partition(b":")
        except ValueError:
            return False
        same_user = hmac.compare_digest(user, auth.basic_username)
        same_password = hmac.compare_digest(password, auth.basic_password or b"")
        ok |= same_user and same_password
    return ok


def _error(status: int, message: str, **headers: str) -> web.Response:
    return web.json_response({"error": message, "status": status}, status=status, headers=headers or None)


class Relay:
    def __init__(self, cfg: RelayConfig):
        self.cfg = cfg
        self.metrics = Metrics()
        self.store: store.Store | None = None
        self.engine: Engine | None = None
        self.heartbeat: HeartbeatWatch | None = None
        self.runner: web.AppRunner | None = None
        self.port: int | None = None
        self._tasks: list[asyncio.Task] = []

    # --- HTTP -------------------------------------------------------------------------
    def app(self) -> web.Application:
        app = web.Application(client_max_size=1 << 40)  # the size check is ours (413 with a JSON error)
        app.router.add_post("/alerts", self.post_alerts)
        app.router.add_post("/alerts/{route}", self.post_alerts)
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/readyz", self.readyz)
        app.router.add_get("/metrics", self.metrics_handler)
        return app

    async def healthz(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def readyz(self, request: web.Request) -> web.Response:
        """Ready while the store takes writes: a write the size of a large notification
        succeeds, and the last write of any request did not fail (a full disk may still
        take a small write while refusing every notification)."""
        try:
            await self.store.run(store.probe_write)
        except StoreError as exc:
            return _error(503, str(exc))
        failing = self.store.failing_since
        if failing is not None:
            return _error(503, f"the store refused a write at {failing:.3f} and has not taken one since")
        return web.json_response({"status": "ready"})

    async def metrics_handler(self, request: web.Request) -> web.Response:
        return web.Response(body=self.metrics.exposition(), headers={"Content-Type": CONTENT_TYPE})

    async def post_alerts(self, request: web.Request) -> web.Response:
        try:
            resp = await self._post_alerts(request)
        except Exception:  # a bug, never the input's fault: 503 so that Alertmanager retries, nothing lost
            log.exception("request failed", extra={"fields": {"path": request.path}})
            resp = _error(503, "internal error while taking the notification; Alertmanager will retry")
        self.metrics.requests.labels(str(resp.status)).inc()
        return resp

    async def _read_body(self, request: web.Request) -> bytes:
        limit = self.cfg.max_body_bytes
        if request.content_length is not None and request.content_length > limit:
            raise PayloadError(413, f"body of {request.content_length} bytes is over max_body_bytes ({limit})")
        body = bytearray()
        async for chunk in request.content.iter_any():
            body += chunk
            if len(body) > limit:
                raise PayloadError(413, f"body is over max_body_bytes ({limit})")
        return bytes(body)

    async def _post_alerts(self, request: web.Request) -> web.Response:
        cfg = self.cfg
        if not authorized(cfg.auth, request.headers.get("Authorization", "")):
            log.warning("unauthorized request", extra={"fields": {"remote": request.remote, "path": request.path}})
            return _error(401, "missing or wrong credentials (bearer token or basic auth)",
                          **{"WWW-Authenticate": 'Bearer realm="relay", Basic realm="relay"'})
        route = request.match_info.get("route")
        try:
            payload.check_content_type(request.headers.get("Content-Type"))
            body = await self._read_body(request)
            n = payload.parse_body(body)
        except PayloadError as exc:
            log.warning("rejected notification", extra={"fields": {"status": exc.status, "error": str(exc)}})
            return _error(exc.status, str(exc))
        self.metrics.received.inc()
        now = n.received_at.timestamp()
        hb = self.heartbeat if cfg.heartbeat else None
        is_hb = hb is not None and hb.is_heartbeat(n)
        deliver = self.engine.for_delivery(n)
        targets: tuple[str, ...] = ()
        if deliver.alerts:
            labels = {**deliver.common_labels, **deliver.group_labels}
            targets = cfg.router.targets_for(labels, route)
        prio = priority(deliver)
        key = payload.dedup_key(n, route)
        window = cfg.dedup_window
        hb_op = seen_op(cfg.heartbeat, now) if is_hb else None

        def op(conn):
            recovered = hb_op(conn) if hb_op else None
            if not deliver.alerts:
                return "heartbeat", None, [], recovered
            if window > 0 and store.seen_recently(conn, key, now, window):
                return "duplicate", None, [], recovered
            nid, deliveries = store.insert_notification(conn, now, route, key, body, targets, prio)
            return "stored", nid, deliveries, recovered

        try:
            result, nid, deliveries, recovered = await self.store.run(op)
        except StoreError as exc:
            log.error("cannot store notification", extra={"fields": {"group_key": n.group_key, "error": str(exc)}})
            return _error(503, f"{exc}; Alertmanager will retry")
        if is_hb:
            hb.seen(now)
            hb.dispatch(recovered, "recovered")
        if route is not None and deliver.alerts and not cfg.router.knows(route):
            self._unknown_route(route, nid, n.group_key, targets)
        if result == "stored":
            self.metrics.stored.inc()
            self.engine.dispatch(msgspec.structs.replace(deliver, id=nid), deliveries, prio)
        elif result == "duplicate":
            self.metrics.duplicates.inc()
        log.info("received", extra={"fields": {
            "notification_id": nid, "result": result, "group_key": n.group_key, "status": n.status,
            "alerts": len(n.alerts), "route": route, "targets": [t for t, _ in deliveries]}})
        return web.json_response({"status": result, "id": nid, "targets": [t for t, _ in deliveries]})

    def _unknown_route(self, route: str, nid: int | None, group_key: str, targets: tuple[str, ...]) -> None:
        label = route if _ROUTE_LABEL.fullmatch(route) else "(not a route name)"  # bounded label values
        self.metrics.unknown_route.labels(label).inc()
        fields = {"route": route, "notification_id": nid, "group_key": group_key, "targets": list(targets),
                  "known_routes": self.cfg.router.route_names()}
        if targets:
            log.warning("notification for a route relay.yaml does not name: delivered to the default targets",
                        extra={"fields": fields})
        else:
            log.error("notification for a route relay.yaml does not name, and default_targets is empty: "
                      "stored, delivered to nobody", extra={"fields": fields})

    # --- life cycle --------------------------------------------------------------------
    async def start(self) -> None:
        self.store = store.Store(self.cfg.store.open(), observe=self.metrics.commit_seconds.observe)
        self.engine = Engine(self.cfg, self.store, self.metrics)
        await self.engine.start()
        if self.cfg.heartbeat:
            self.heartbeat = HeartbeatWatch(self.cfg.heartbeat, self.store, self.engine, self.metrics)
            await self.heartbeat.start()
        self.runner = web.AppRunner(self.app(), access_log=None, handle_signals=False)
        await self.runner.setup()
        site = web.TCPSite(self.runner, self.cfg.listen_host, self.cfg.listen_port, backlog=1024)
        try:
            await site.start()
        except OSError as exc:
            raise UserError(f"{self.cfg.path}: listen: cannot listen on {self.cfg.listen_host}:{self.cfg.listen_port}: "
                            f"{exc.strerror or exc} (another process has the port, or set `listen`)") from None
        self.port = self.runner.addresses[0][1]
        self._tasks.append(asyncio.create_task(self._prune_loop(), name="prune"))
        log.info("listening", extra={"fields": {"host": self.cfg.listen_host, "port": self.port,
                                                "store": self.cfg.store.describe(), "targets": sorted(self.cfg.targets)}})

    async def _prune_loop(self) -> None:
        while True:
            await asyncio.sleep(PRUNE_EVERY)
            cfg = self.cfg
            try:
                await self.store.run(lambda c: store.prune(c, time.time(), cfg.dedup_window, max(KEEP_DELIVERED, cfg.max_age)))
            except StoreError as exc:
                log.error("prune failed", extra={"fields": {"error": str(exc)}})

    async def reload(self, path: str) -> bool:
        """SIGHUP: re-read relay.yaml; on any error keep running with the old config."""
        try:
            new = load_relay_config(path)
        except UserError as exc:
            self.metrics.config_reloads.labels("failed").inc()
            log.error("reload failed; keeping the running config", extra={"fields": {"error": str(exc)}})
            return False
        for key in ("listen_host", "listen_port", "store"):
            if getattr(new, key) != getattr(self.cfg, key):
                log.warning("a change of listen or store needs a restart; kept the running value",
                            extra={"fields": {"key": key}})
                setattr(new, key, getattr(self.cfg, key))
        self.cfg = new
        await self.engine.reload(new)
        if new.heartbeat and self.heartbeat:
            self.heartbeat.update(new.heartbeat)
        elif new.heartbeat:
            self.heartbeat = HeartbeatWatch(new.heartbeat, self.store, self.engine, self.metrics)
            await self.heartbeat.start()
        elif self.heartbeat:
            await self.heartbeat.stop()
            self.heartbeat = None
        self.metrics.config_reloads.labels("ok").inc()
        log.info("reloaded", extra={"fields": {"targets": sorted(new.targets), "routes": len(new.router.routes)}})
        return True

    async def stop(self) -> None:
        """Stop taking requests, let the deliveries in flight finish (bounded), then close."""
        if self.runner:
            await self.runner.cleanup()
        for task in self._tasks:
            task.cancel()
        if self.heartbeat:
            await self.heartbeat.stop()
        if self.engine:
            await self.engine.stop()
        if self.store:
            self.store.close()


async def serve(path: str, cfg: RelayConfig | None = None) -> None:
    relay = Relay(cfg or load_relay_config(path))
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    reloads: list[asyncio.Task] = []
    try:
        await relay.start()
        # What start-up made (modules, config, templates, the aiohttp app) lives as long as the
        # process: out of the cyclic collector's way, so its full passes under load scan only
        # what requests allocate (bench/README.md: shorter pauses, lower p99).
        gc.freeze()
        loop.add_signal_handler(signal.SIGHUP, lambda: reloads.append(asyncio.create_task(relay.reload(path))))
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        loop.add_signal_handler(signal.SIGINT, stop.set)
        await stop.wait()
        log.info("stopping")
    finally:
        await asyncio.gather(*reloads, return_exceptions=True)
        await relay.stop()


def run(path: str, cfg: RelayConfig | None = None) -> int:
    """`python -m relay --config relay.yaml`: serve until SIGTERM/SIGINT (`cfg`: that file, loaded)."""
    asyncio.run(serve(path, cfg))
    return 0
