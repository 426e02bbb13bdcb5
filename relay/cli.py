"""`python -m relay ...`: run the relay, check its configuration, send a test message, list dead letters."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import sys

from common.errors import UserError, exit_code

DESCRIPTION = """\
The alert webhook relay: Alertmanager's webhook_configs POST to it; it stores each
notification durably, routes it by name or labels and delivers it to DingTalk, WeCom,
Feishu, Slack or a generic webhook, with rate limits, digests, retries and dead letters.

  python -m relay --config relay.yaml                   run the relay (SIGHUP reloads the config)
  python -m relay --config relay.yaml --check-config    validate relay.yaml and read every secret;
                                                        exit 1 naming each bad key or missing secret
  python -m relay --config relay.yaml --check-config --without-secrets
                                                        validate everything but the secrets' values
                                                        (for CI, where they do not exist)
  python -m relay send-test --target NAME               send a sample message through one target
  python -m relay dead-letters                          list notifications given up on
"""


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m relay", description=DESCRIPTION,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", default="relay.yaml", help="relay configuration (default: relay.yaml)")
    p.add_argument("--check-config", action="store_true", help="validate the configuration and exit")
    p.add_argument("--without-secrets", action="store_true",
                   help="with --check-config: do not read secret files or variables, list which are needed")
    p.add_argument("--log-level", default="INFO", choices=("DEBUG", "INFO", "WARNING", "ERROR"),
                   help="log level of the JSON log lines on stderr (default: INFO)")
    p.set_defaults(func=cmd_relay)
    tools = p.add_subparsers(dest="relay_command", metavar="TOOL")
    st = tools.add_parser("send-test", help="send a sample notification through one target, print the answer",
                          description="Build a sample firing notification and POST it to one configured target "
                                      "(nothing is stored or queued). Exit 0 if the target accepted it.")
    st.add_argument("--target", required=True, help="target name from relay.yaml")
    st.add_argument("--config", default=argparse.SUPPRESS, help="relay configuration (default: relay.yaml)")
    st.set_defaults(func=cmd_send_test)
    dl = tools.add_parser("dead-letters", help="list deliveries given up on (permanent errors, expired)",
                          description="List the dead-letter table of the relay's store (read-only; safe while it "
                                      "runs). Needs relay.yaml only for the store's path: no secret is read.")
    dl.add_argument("--config", default=argparse.SUPPRESS, help="relay configuration (default: relay.yaml)")
    dl.add_argument("--json", action="store_true", help="one JSON object per line, with the stored payload")
    dl.set_defaults(func=cmd_dead_letters)
    return p


def cmd_relay(args) -> int:
    from relay.config import load_relay_config
    from relay.secrets import SecretReader

    if args.without_secrets and not args.check_config:
        raise UserError("--without-secrets only applies with --check-config: the relay cannot run without its secrets")
    if args.check_config:
        secrets = SecretReader(read=not args.without_secrets)
        cfg = load_relay_config(args.config, secrets)
        secrets.check(args.config)
        summary = (f"{len(cfg.targets)} targets, {len(cfg.router.routes)} routes"
                   f"{', heartbeat ' + cfg.heartbeat.alertname if cfg.heartbeat else ''}")
        if args.without_secrets:
            print(f"{args.config}: ok without secrets ({summary}); it reads {len(secrets.wanted)} secrets:")
            for key, source in secrets.wanted:
                print(f"  {source}  ({key.removeprefix(args.config + ': ')})")
        else:
            print(f"{args.config}: ok ({summary}, {len(secrets.wanted)} secrets read)")
        return 0
    from relay import logs, server

    cfg = load_relay_config(args.config)  # every bad key and missing secret, before logging starts
    logs.setup(args.log_level)
    try:
        return server.run(args.config, cfg)
    except UserError as exc:  # e.g. the port is taken: one JSON line, like everything else it logs
        logging.getLogger("relay.server").error("cannot start", extra={"fields": {"error": str(exc)}})
        return 1


def cmd_send_test(args) -> int:
    import asyncio

    import aiohttp

    from common.errors import ConfigError
    from relay.config import load_relay_config
    from relay.samples import sample_notification
    from relay.worker import send

    cfg = load_relay_config(args.config)
    if args.target not in cfg.targets:
        raise ConfigError(f"{args.config}: no target named {args.target!r} (defined: {', '.join(cfg.targets)})")
    target = cfg.targets[args.target].target
    n = sample_notification()

    async def go():
        async with aiohttp.ClientSession() as session:
            return await send(session, target, target.build([n], dt.datetime.now(dt.timezone.utc)), cfg.delivery_timeout)

    outcome, status = asyncio.run(go())
    print(f"{args.target}: {outcome.kind} (HTTP {status if status is not None else 'none'})"
          + (f": {outcome.detail}" if outcome.detail else ""))
    return 0 if outcome.kind == "ok" else 1


def cmd_dead_letters(args) -> int:
    from relay import store
    from relay.config import load_relay_config
    from relay.secrets import SecretReader

    secrets = SecretReader(only="store.")  # a PostgreSQL store's connection string; nothing else
    cfg = load_relay_config(args.config, secrets)
    secrets.check(args.config)
    letters = store.dead_letters(cfg.store.open())
    for d in letters:
        when = dt.datetime.fromtimestamp(d.given_up_at, dt.timezone.utc).isoformat(timespec="seconds")
        if args.json:
            print(json.dumps({"delivery_id": d.delivery_id, "notification_id": d.notification_id, "target": d.target,
                              "reason": d.reason, "detail": d.detail, "attempts": d.attempts, "given_up_at": when,
                              "payload": json.loads(d.body)}, ensure_ascii=False, sort_keys=True))
        else:
            group = json.loads(d.body).get("groupKey", "")
            print(f"{when}  delivery {d.delivery_id}  notification {d.notification_id}  target {d.target}  "
                  f"{d.reason}  attempts {d.attempts}  {group}  {d.detail}")
    if not args.json:
        print(f"{len(letters)} dead letters", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return exit_code(lambda: args.func(args))
