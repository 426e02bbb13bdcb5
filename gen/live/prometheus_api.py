"""The few read-only calls of Prometheus' HTTP API that the online lint needs, with every
failure turned into one PrometheusError that names the URL and says what to check.

Works against anything that keeps the API's contract (Prometheus, Thanos Query, Mimir's
Prometheus-compatible endpoint under its prefix): give the URL the API hangs under.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

import requests
from urllib3.exceptions import MaxRetryError, NewConnectionError

from gen.core.errors import OptionError, PrometheusError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Auth:
    """Bearer token or basic auth; both read from files so secrets stay out of argv."""

    bearer_token: str | None = None
    basic_user: str | None = None
    basic_password: str | None = None

    @property
    def what(self) -> str:
        if self.bearer_token is not None:
            return "the bearer token (--bearer-token-file)"
        if self.basic_user is not None:
            return f"basic auth user {self.basic_user!r} (--basic-auth-user, --basic-auth-password-file)"
        return "no credentials (give --bearer-token-file or --basic-auth-user/--basic-auth-password-file)"


def _read_secret(path: str, option: str, strip_all: bool) -> str:
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise OptionError(f"{option} {path}: cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    # a token never holds whitespace; a password may, so only the line ending `echo` adds goes
    secret = text.strip() if strip_all else text.rstrip("\r\n")
    if not secret:
        raise OptionError(f"{option} {path}: the file is empty")
    return secret


def auth_from_options(bearer_token_file: str | None, basic_user: str | None, basic_password_file: str | None) -> Auth:
    if bearer_token_file is not None and (basic_user is not None or basic_password_file is not None):
        raise OptionError("--bearer-token-file and --basic-auth-*: give one kind of credentials, not both")
    if (basic_user is None) != (basic_password_file is None):
        raise OptionError("--basic-auth-user and --basic-auth-password-file go together")
    if bearer_token_file is not None:
        return Auth(bearer_token=_read_secret(bearer_token_file, "--bearer-token-file", strip_all=True))
    if basic_user is not None:
        return Auth(basic_user=basic_user,
                    basic_password=_read_secret(basic_password_file, "--basic-auth-password-file", strip_all=False))
    return Auth()


def check_url(url: str) -> str:
    """The server's base URL without the trailing slash (a sub-path such as /prometheus kept)."""
    if not re.match(r"^https?://[^/\s]+", url):
        raise OptionError(f"--prometheus {url!r}: expected the server's base URL, like http://prometheus.example:9090")
    return url.rstrip("/")


class PrometheusClient:
    def __init__(self, url: str, auth: Auth = Auth(), timeout: float = 10.0):
        self.url = check_url(url)
        self.timeout = timeout
        self.auth = auth
        self._session = requests.Session()
        self._session.headers["Accept"] = "application/json"
        if auth.bearer_token is not None:
            self._session.headers["Authorization"] = f"Bearer {auth.bearer_token}"
        elif auth.basic_user is not None:
            self._session.auth = (auth.basic_user, auth.basic_password)

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> PrometheusClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- the calls ------------------------------------------------------------------------

    def metric_names(self) -> set[str]:
        return set(self._strings("label/__name__/values"))

    def label_names(self, match: str | None = None) -> set[str]:
        """Label names of every series (matching the selector `match`), over all the data
        the server keeps: `/api/v1/labels` reads the index only, never the samples."""
        params = {"match[]": match} if match is not None else None
        return set(self._strings("labels", params))

    def recording_rules(self) -> set[str] | None:
        """Names of the recording rules the server evaluates; None when it has no rules API
        (a plain query frontend), so the caller falls back to the series alone."""
        try:
            data = self._get("rules", {"type": "record"})
        except PrometheusError as exc:
            if getattr(exc, "status", None) == 404:
                return None
            raise
        groups = data.get("groups") if isinstance(data, dict) else None
        if not isinstance(groups, list):
            raise self._not_prometheus("rules", "no rule groups in the answer")
        return {r["name"] for g in groups if isinstance(g, dict) for r in g.get("rules") or []
                if isinstance(r, dict) and r.get("type") == "recording" and isinstance(r.get("name"), str)}

    def query(self, expr: str, at: float) -> list[dict]:
        """The instant query's `result` (a vector) at `at` (Unix seconds)."""
        return self._result("query", {"query": expr, "time": at})

    def query_range(self, expr: str, start: float, end: float, step: float) -> list[dict]:
        """The range query's `result` (a matrix) from `start` to `end` every `step` seconds."""
        return self._result("query_range", {"query": expr, "start": start, "end": end, "step": step})

    def label_values(self, label: str, match: str) -> list[str]:
        """Values of `label` among the series `match` selects (Grafana's label_values())."""
        return self._strings(f"label/{label}/values", {"match[]": match})

    # --- plumbing -------------------------------------------------------------------------

    def _result(self, path: str, params: dict) -> list[dict]:
        data = self._get(path, params)
        if not isinstance(data, dict) or not isinstance(data.get("result"), list):
            raise self._not_prometheus(path, "no result in the answer")
        return data["result"]

    def _strings(self, path: str, params: dict | None = None) -> list[str]:
        data = self._get(path, params)
        if not isinstance(data, list) or not all(isinstance(x, str) for x in data):
            raise self._not_prometheus(path, "expected a list of names")
        return data

    def _get(self, path: str, params: dict | None = None):
        endpoint = f"{self.url}/api/v1/{path}"
        log.debug("GET %s %s", endpoint, params or "")
        try:
            resp = self._session.get(endpoint, params=params, timeout=self.timeout)
        except requests.Timeout:
            raise PrometheusError(f"{self.url}: no answer within {self.timeout:g} s (--timeout) to GET {endpoint}") from None
        except requests.ConnectionError as exc:
            raise PrometheusError(f"cannot connect to Prometheus at {self.url}: {_connection_reason(exc)}") from None
        except requests.RequestException as exc:
            raise PrometheusError(f"GET {endpoint}: {exc}") from None
        body = _json(resp)
        if resp.status_code in (401, 403):
            verb = "refused" if resp.status_code == 401 else "denied access to"
            raise PrometheusError(
                f"{self.url} {verb} the request ({resp.status_code} {resp.reason}) with {self.auth.what}: "
                f"check the credentials", status=resp.status_code)
        if isinstance(body, dict) and body.get("status") == "error":
            raise PrometheusError(
                f"Prometheus at {self.url} answered GET {endpoint} with an error ({resp.status_code} "
                f"{body.get('errorType', '?')}): {body.get('error', 'no message')}", status=resp.status_code)
        if resp.status_code == 404:
            raise PrometheusError(
                f"GET {endpoint}: 404 Not Found: is {self.url} Prometheus' base URL (with its "
                f"--web.route-prefix or proxy sub-path, if any)?", status=404)
        if resp.status_code != 200:
            raise PrometheusError(f"GET {endpoint}: {resp.status_code} {resp.reason}: {_snippet(resp.text)!r}",
                                  status=resp.status_code)
        if not isinstance(body, dict) or body.get("status") != "success" or "data" not in body:
            raise self._not_prometheus(path, f"{resp.headers.get('Content-Type', 'no content type')}: {_snippet(resp.text)!r}")
        return body["data"]

    def _not_prometheus(self, path: str, detail: str) -> PrometheusError:
        return PrometheusError(
            f"{self.url} does not answer like Prometheus' HTTP API at /api/v1/{path} ({detail}): is it the "
            f"Prometheus URL, not Grafana or a login page?")


def _json(resp: requests.Response):
    try:
        return resp.json()
    except ValueError:
        return None


def _snippet(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "..."


def _connection_reason(exc: requests.ConnectionError) -> str:
    """The OS-level cause ("Connection refused", "Name or service not known") without urllib3's wrapping."""
    cause = exc.args[0] if exc.args else None
    if isinstance(cause, MaxRetryError) and isinstance(cause.reason, NewConnectionError):
        found = re.search(r"\[Errno -?\d+\] ([^'\")]+)", str(cause.reason))
        if found:
            return found.group(1).strip().rstrip(".")
    if isinstance(exc, requests.exceptions.SSLError):
        return f"TLS error: {_snippet(str(exc))}"
    return _snippet(str(exc))
