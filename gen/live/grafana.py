"""Upload built dashboards (out/grafana/*.json) to Grafana through its HTTP API.

One `POST /api/dashboards/db` per dashboard with `overwrite: true`, so the files in git are
the truth and a push always replaces what the UI holds. Each dashboard gets its own result:
one failure (a 500, a timeout) does not stop the others; only failures that every later
request would repeat (token refused, Grafana unreachable) end the run early.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import subprocess
from dataclasses import dataclass, field
from urllib.parse import urljoin

import requests
from urllib3.exceptions import MaxRetryError, NewConnectionError

from gen.core.errors import DashboardFileError, GrafanaError, OptionError

log = logging.getLogger(__name__)

TOKEN_ENV = "GRAFANA_TOKEN"
FOLDER_PAGE_SIZE = 1000  # Grafana's default and maximum page for GET /api/folders


@dataclass(frozen=True)
class Dashboard:
    """One built dashboard file, read and checked before anything is sent."""

    path: str
    uid: str
    title: str
    model: dict = field(repr=False)


@dataclass(frozen=True)
class Folder:
    uid: str
    title: str
    created: bool


@dataclass(frozen=True)
class PushResult:
    """What happened to one dashboard: `action` is created, updated, failed or skipped."""

    dashboard: Dashboard
    action: str
    version: int | None = None
    url: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.action in ("created", "updated")


class ApiFailure(Exception):
    """A request failed; `fatal` when every later request would fail the same way."""

    def __init__(self, message: str, fatal: bool = False):
        super().__init__(message)
        self.fatal = fatal


# --- inputs -------------------------------------------------------------------------------


def load_dashboards(directory: str) -> list[Dashboard]:
    """Every *.json in the folder, sorted by file name; all problems reported at once."""
    if not os.path.isdir(directory):
        raise OptionError(f"--dir {directory}: no such folder (run `make build` first)")
    names = sorted(n for n in os.listdir(directory) if n.endswith(".json"))
    if not names:
        raise OptionError(f"--dir {directory}: no *.json dashboards in it (run `make build` first)")
    dashboards, problems, seen = [], [], {}
    for name in names:
        path = os.path.join(directory, name)
        try:
            dashboards.append(_read_dashboard(path))
        except DashboardFileError as exc:
            problems.append(str(exc))
            continue
        uid = dashboards[-1].uid
        if uid in seen:
            problems.append(f"{path}: uid {uid!r} is also the uid of {seen[uid]}")
        seen.setdefault(uid, path)
    if problems:
        raise DashboardFileError("\n".join(problems))
    return dashboards


def _read_dashboard(path: str) -> Dashboard:
    try:
        with open(path, encoding="utf-8") as fh:
            model = json.load(fh)
    except json.JSONDecodeError as exc:
        raise DashboardFileError(f"{path}:{exc.lineno}: not valid JSON: {exc.msg}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DashboardFileError(f"{path}: cannot read: {exc}") from None
    if not isinstance(model, dict):
        raise DashboardFileError(f"{path}: not a dashboard model (a JSON object with uid and title)")
    uid, title = model.get("uid"), model.get("title")
    # Without a uid Grafana invents one per push, and links between dashboards break.
    if not isinstance(uid, str) or not uid:
        raise DashboardFileError(f"{path}: dashboard has no uid (a non-empty string is required)")
    if not isinstance(title, str):
        raise DashboardFileError(f"{path}: dashboard {uid!r} has no title string")
    # id is Grafana's per-install number: always null, so the uid alone identifies the dashboard.
    return Dashboard(path, uid, title, {**model, "id": None})


def read_token(token_file: str | None) -> str:
    """The API token from --token-file (stripped), else from $GRAFANA_TOKEN; never logged."""
    if token_file is not None:
        try:
            with open(token_file, encoding="utf-8") as fh:
                token = fh.read().strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise OptionError(f"--token-file {token_file}: cannot read: {exc.strerror or exc}") from None
        if not token:
            raise OptionError(f"--token-file {token_file}: the file is empty")
        return token
    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        raise OptionError(f"no token: give --token-file FILE or set {TOKEN_ENV}")
    return token


def check_url(url: str) -> str:
    """Grafana's root URL without the trailing slash (sub-path kept: https://host/grafana)."""
    if not re.match(r"^https?://[^/\s]+", url):
        raise OptionError(f"--url {url!r}: expected Grafana's root URL, like https://grafana.example.com")
    return url.rstrip("/")


def folder_uid(name: str) -> str:
    """A stable uid for a folder title: readable slug plus a hash, within Grafana's 40 chars."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:24].rstrip("-") or "folder"
    return f"{slug}-{hashlib.sha256(name.encode('utf-8')).hexdigest()[:10]}"


def commit_message(directory: str) -> str:
    """`gen push <short sha>` of the checkout holding the dashboards, `gen push local` outside git."""
    try:
        run = subprocess.run(
            ["git", "-C", directory, "rev-parse", "--short", "HEAD"],
            capture_output=True, text=True, timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired):
        return "gen push local"
    sha = run.stdout.strip()
    return f"gen push {sha}" if run.returncode == 0 and sha else "gen push local"


# --- the client ---------------------------------------------------------------------------


class GrafanaClient:
    """The few Grafana endpoints a push needs, with errors turned into readable messages."""

    def __init__(self, url: str, token: str, timeout: float):
        self.url = check_url(url)
        self.timeout = timeout
        self._token = token
        self._session = requests.Session()
        self._session.headers.update({
            "Authorization": f"Bearer {token}",
            "Accept": "application/json",
        })

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> GrafanaClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _call(self, method: str, path: str, what: str, **kwargs) -> dict | list:
        endpoint = self.url + path
        log.debug("%s %s", method, endpoint)
        try:
            resp = self._session.request(method, endpoint, timeout=self.timeout, **kwargs)
        except requests.ConnectTimeout:
            raise ApiFailure(f"cannot connect to {self.url}: no answer within {self.timeout:g} s (--timeout)", fatal=True) from None
        except requests.Timeout:
            raise ApiFailure(f"{method} {endpoint}: no answer within {self.timeout:g} s (--timeout)") from None
        except requests.ConnectionError as exc:
            if _never_connected(exc):
                raise ApiFailure(f"cannot connect to {self.url}: {_connection_reason(exc)}", fatal=True) from None
            raise ApiFailure(f"{method} {endpoint}: connection lost: {_connection_reason(exc)}") from None
        except requests.RequestException as exc:
            raise ApiFailure(f"{method} {endpoint}: {exc}") from None
        if resp.status_code == 200:
            try:
                return resp.json()
            except ValueError:
                raise ApiFailure(f"{method} {endpoint}: answer is not JSON: {_snippet(resp.text)!r}") from None
        raise ApiFailure(self._redact(_describe_error(resp, what, endpoint)), fatal=resp.status_code == 401)

    def _redact(self, text: str) -> str:
        return text.replace(self._token, "***")

    def find_or_create_folder(self, title: str) -> Folder:
        """The top-level folder with this title; created (with a stable uid) when missing."""
        wanted = folder_uid(title)
        matches, page = [], 1
        while True:
            batch = self._call("GET", "/api/folders", f"folders (looking up {title!r})",
                               params={"limit": FOLDER_PAGE_SIZE, "page": page})
            if not isinstance(batch, list):
                raise ApiFailure(f"GET {self.url}/api/folders: expected a list, got {_snippet(json.dumps(batch))}")
            matches += [f for f in batch if isinstance(f, dict) and f.get("title") == title and f.get("uid")]
            if len(batch) < FOLDER_PAGE_SIZE:
                break
            page += 1
        if matches:
            # Prefer the folder an earlier push created; otherwise reuse the one made by hand.
            best = min(matches, key=lambda f: (f["uid"] != wanted, f["uid"]))
            return Folder(best["uid"], title, created=False)
        made = self._call("POST", "/api/folders", f"folder {title!r}", json={"title": title, "uid": wanted})
        return Folder(made.get("uid", wanted) if isinstance(made, dict) else wanted, title, created=True)

    def push(self, dashboard: Dashboard, folder: Folder | None, message: str) -> PushResult:
        body = {"dashboard": dashboard.model, "overwrite": True, "message": message}
        if folder is not None:
            body["folderUid"] = folder.uid
        where = f"folder {folder.title!r}" if folder else "the General folder"
        answer = self._call("POST", "/api/dashboards/db", f"dashboards in {where}", json=body)
        if not isinstance(answer, dict):
            raise ApiFailure(f"POST {self.url}/api/dashboards/db: unexpected answer {_snippet(json.dumps(answer))}")
        version = answer.get("version")
        url = answer.get("url")
        # Grafana numbers a dashboard's first saved version 1; every later save increments it.
        action = "created" if version == 1 else "updated"
        return PushResult(dashboard, action, version=version, url=urljoin(self.url + "/", url) if url else None)


def push_all(client: GrafanaClient, dashboards: list[Dashboard], folder: Folder | None, message: str) -> list[PushResult]:
    """Push each dashboard in order; after a fatal failure the rest are skipped, not retried."""
    results: list[PushResult] = []
    stop: str | None = None
    for dash in dashboards:
        if stop is not None:
            results.append(PushResult(dash, "skipped", error=f"not attempted: {stop}"))
            continue
        try:
            results.append(client.push(dash, folder, message))
        except ApiFailure as exc:
            results.append(PushResult(dash, "failed", error=str(exc)))
            if exc.fatal:
                stop = str(exc)
    return results


def resolve_folder(client: GrafanaClient, name: str | None) -> Folder | None:
    """None means General; a failed lookup stops the push (every dashboard needs the folder)."""
    if name is None:
        return None
    try:
        return client.find_or_create_folder(name)
    except ApiFailure as exc:
        raise GrafanaError(f"folder {name!r}: {exc}") from None


def format_result(result: PushResult) -> str:
    d = result.dashboard
    if result.ok:
        return f"{result.action:<8} {d.uid}  {d.title!r}  version {result.version}  {result.url or '(no url in answer)'}"
    return f"{result.action.upper():<8} {d.uid}  {d.title!r}  ({os.path.basename(d.path)}): {result.error}"


# --- error messages -----------------------------------------------------------------------


def _describe_error(resp: requests.Response, what: str, endpoint: str) -> str:
    code = resp.status_code
    said = _grafana_message(resp)
    head = f"{code} {resp.reason or ''}".strip()
    if code == 401:
        return f"Grafana refused the token ({head}: {said}); check --token-file or ${TOKEN_ENV}"
    if code == 403:
        return f"access denied ({head}: {said}): the token's account may not write {what}"
    if code == 412:
        return f"rejected by Grafana ({head}: {said})"
    if code == 400:
        return f"rejected as invalid ({head}: {said})"
    if code == 404:
        return (f"not found ({head}: {said}) at {endpoint}: is --url Grafana's root URL "
                "(with its sub-path, if it is served from one)?")
    if code >= 500:
        return f"Grafana server error ({head}: {said})"
    return f"unexpected answer ({head}: {said})"


def _grafana_message(resp: requests.Response) -> str:
    """Grafana's own words: `message` (with `status` for 412s) from a JSON body, else the text."""
    try:
        body = resp.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and body.get("message"):
        status = body.get("status")
        return f"{status}: {body['message']}" if isinstance(status, str) and status else str(body["message"])
    text = _snippet(resp.text)
    return repr(text) if text else "no message"


def _snippet(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "..."


def _never_connected(exc: requests.ConnectionError) -> bool:
    """True when no connection was made (refused, unknown host, TLS handshake): fatal for the run."""
    if isinstance(exc, requests.exceptions.SSLError):
        return True
    cause = exc.args[0] if exc.args else None
    return isinstance(cause, MaxRetryError) and isinstance(cause.reason, NewConnectionError)


def _connection_reason(exc: requests.ConnectionError) -> str:
    """The OS-level cause ("Connection refused", "Name or service not known") without urllib3's wrapping."""
    found = re.search(r"\[Errno -?\d+\] ([^'\")]+)", str(exc))
    if found:
        return found.group(1).strip().rstrip(".")
    if isinstance(exc, requests.exceptions.SSLError):
        return f"TLS error: {_snippet(str(exc))}"
    return _snippet(str(exc))
