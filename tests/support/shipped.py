"""out/ as a team applies it, for tests that run it: the committed files read as they are, and
changed only where a test on loopback must (addresses, secrets, timings). Every change is one
of those three kinds and fails loudly if the file no longer has what it changes, so a test
never quietly runs something other than what ships.
"""

from __future__ import annotations

from support.paths import REPO
from pathlib import Path
from urllib.parse import urlsplit

import yaml

ROOT = REPO
OUT = ROOT / "out"
TIMING_FIELDS = ("group_wait", "group_interval", "repeat_interval")


def rule_files(out: Path = OUT) -> list[Path]:
    return sorted((out / "rules").glob("*.yaml"))


def alert_rules(out: Path = OUT) -> dict[str, dict]:
    """Alert name -> its rule as shipped."""
    return {r["alert"]: r for f in rule_files(out) for g in yaml.safe_load(f.read_text())["groups"]
            for r in g["rules"] if "alert" in r}


def write_rules(dest: Path, for_: dict[str, str], keep_firing_for: dict[str, str] | None = None,
                windows: dict[str, tuple[str, str]] | None = None, out: Path = OUT) -> list[str]:
    """out/rules/*.yaml into `dest` with these alerts' timings shortened: `for`,
    `keep_firing_for`, and a range window in the expression (old -> new, e.g. "[5m]" -> "[10s]")."""
    keep_firing_for, windows = keep_firing_for or {}, windows or {}
    dest.mkdir(parents=True, exist_ok=True)
    seen, paths = set(), []
    for path in rule_files(out):
        doc = yaml.safe_load(path.read_text())
        for group in doc["groups"]:
            for rule in group["rules"]:
                name = rule.get("alert")
                if name in for_:
                    rule["for"] = for_[name]
                    seen.add(name)
                if name in keep_firing_for:
                    rule["keep_firing_for"] = keep_firing_for[name]
                if name in windows:
                    old, new = windows[name]
                    assert old in rule["expr"], f"out/rules: {name} has no {old} window any more: {rule['expr']}"
                    rule["expr"] = rule["expr"].replace(old, new)
        (dest / path.name).write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
        paths.append(str(dest / path.name))
    assert seen == set(for_), f"out/rules has no alert {sorted(set(for_) - seen)}"
    return paths


def alertmanager_config(relay_url: str, token_file: Path, timings: dict[str, str],
                        heartbeat_timings: dict[str, str], out: Path = OUT) -> dict:
    """out/alertmanager/alertmanager.yaml posting to `relay_url` with the token in
    `token_file`; every route's explicit timing replaced (the heartbeat route's by its own)."""
    config = yaml.safe_load((out / "alertmanager" / "alertmanager.yaml").read_text())
    beats = {name for name, path in receiver_paths(out).items() if path == "/alerts"}
    for receiver in config["receivers"]:
        for hook in receiver["webhook_configs"]:
            hook["url"] = relay_url + urlsplit(hook["url"]).path
            hook["http_config"]["authorization"]["credentials_file"] = str(token_file)

    def walk(route: dict) -> None:
        heartbeat = route["receiver"] in beats
        for f in TIMING_FIELDS:
            if f in route:
                route[f] = (heartbeat_timings if heartbeat else timings)[f]
        for child in route.get("routes", []):
            walk(child)
    walk(config["route"])
    return config


def receiver_paths(out: Path = OUT) -> dict[str, str]:
    """Receiver -> the relay path it posts to (/alerts/<route> or /alerts)."""
    config = yaml.safe_load((out / "alertmanager" / "alertmanager.yaml").read_text())
    return {r["name"]: urlsplit(r["webhook_configs"][0]["url"]).path for r in config["receivers"]}


def relay_config(out: Path = OUT) -> dict:
    """The relay.yaml inside out/relay/configmap.yaml (what the pod reads)."""
    configmap = yaml.safe_load((out / "relay" / "configmap.yaml").read_text())
    return yaml.safe_load(configmap["data"]["relay.yaml"])


def relay_routes(config: dict) -> dict[str, list[str]]:
    return {r["name"]: r["targets"] for r in config.get("routes", []) if r.get("name")}


def contract_problems(paths: dict[str, str], config: dict) -> list[str]:
    """What breaks the contract between the receivers and the relay's routes: a receiver
    posting to a route the relay does not name, or a route without targets."""
    routes = relay_routes(config)
    problems = []
    for receiver, path in sorted(paths.items()):
        if path == "/alerts":
            continue  # the heartbeat: routed by the relay's heartbeat, never to people
        route = path.removeprefix("/alerts/")
        if route not in routes:
            problems.append(f"receiver {receiver} posts to {path}, a route relay.yaml does not name "
                            f"(it names {', '.join(routes) or 'none'})")
        elif not routes[route]:
            problems.append(f"receiver {receiver}: relay route {route} has no targets")
    return problems
