"""A local stand-in for Grafana's dashboard and folder HTTP API, for the push tests.

It follows the documented contract of the legacy endpoints the client uses (Grafana's
docs/sources/developers/http_api/dashboard.md and folder.md):

  POST /api/dashboards/db   {"dashboard": {...}, "folderUid", "overwrite", "message"}
      200 {"id", "uid", "url": "/d/<uid>/<slug>", "status": "success", "version", "slug"}
      400 invalid JSON, no dashboard object, empty/long/illegal uid, empty title, unknown folder
      412 {"status": "version-mismatch", ...} when overwrite is false and the version is stale
  GET  /api/folders?limit=&page=   [{"id", "uid", "title"}], paged (default limit 1000)
  POST /api/folders {"title", "uid"}  200 folder; 400 no title; 409 uid or title taken
  any  without "Authorization: Bearer <token>"  401 {"message": "Invalid API key"}
  POST with a read-only (Viewer) token            403 {"message": "You'll need additional permissions..."}

Tests can also make one dashboard's save fail with a given answer (`fail`) or never answer
(`hang`), and serve everything under a sub-path as Grafana does with serve_from_sub_path.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

UID_RE = re.compile(r"^[a-zA-Z0-9\-_]*$")


def slugify(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


@dataclass
class Request:
    method: str
    path: str
    authorization: str | None
    body: object


@dataclass
class FakeGrafana:
    token: str
    viewer_token: str = "viewer-token"
    prefix: str = ""
    dashboards: dict = field(default_factory=dict)  # uid -> {"id", "version", "folderUid", "message", "dashboard"}
    folders: dict = field(default_factory=dict)  # uid -> {"id", "uid", "title"}
    requests: list = field(default_factory=list)  # every Request received, in order
    fail: dict = field(default_factory=dict)  # dashboard uid -> (status, body: dict or str)
    hang: set = field(default_factory=set)  # dashboard uids whose save never gets an answer

    def __post_init__(self):
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._release = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def add_folder(self, uid: str, title: str) -> None:
        with self._lock:
            self.folders[uid] = {"id": next(self._ids), "uid": uid, "title": title}

    def posts(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.method == "POST" and r.path == self.prefix + path]

    def close(self) -> None:
        self._release.set()  # let hung handlers finish before the server goes away
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    # --- the API, called with the lock held -----------------------------------------------

    def handle(self, method: str, path: str, query: dict, auth: str | None, body) -> tuple[int, object]:
        if auth not in (f"Bearer {self.token}", f"Bearer {self.viewer_token}"):
            return 401, {"message": "Invalid API key"}
        if not path.startswith(self.prefix + "/api/"):
            return 404, {"message": "Not found"}
        route = (method, path[len(self.prefix):])
        if method == "POST" and auth == f"Bearer {self.viewer_token}":
            action = "dashboards:create" if route[1] == "/api/dashboards/db" else "folders:create"
            return 403, {"message": f"You'll need additional permissions to perform this action. Permissions needed: {action}"}
        if route == ("GET", "/api/folders"):
            return 200, self._list_folders(query)
        if route == ("POST", "/api/folders"):
            return self._create_folder(body)
        if route == ("POST", "/api/dashboards/db"):
            return self._save_dashboard(body)
        return 404, {"message": "Not found"}

    def _list_folders(self, query: dict) -> list:
        limit = int(query.get("limit", ["1000"])[0])
        page = int(query.get("page", ["1"])[0])
        ordered = sorted(self.folders.values(), key=lambda f: f["id"])
        return [dict(f) for f in ordered[(page - 1) * limit: page * limit]]

    def _create_folder(self, body) -> tuple[int, object]:
        if not isinstance(body, dict) or not isinstance(body.get("title"), str) or not body["title"].strip():
            return 400, {"message": "folder title cannot be empty"}
        uid = body.get("uid") or f"auto{next(self._ids)}"
        if uid in self.folders:
            return 409, {"message": "a folder with the same uid already exists"}
        if any(f["title"] == body["title"] for f in self.folders.values()):
            return 409, {"message": "a folder or dashboard in the general folder with the same name already exists"}
        folder = {"id": next(self._ids), "uid": uid, "title": body["title"]}
        self.folders[uid] = folder
        return 200, {**folder, "url": f"{self.prefix}/dashboards/f/{uid}/{slugify(body['title'])}", "version": 1}

    def _save_dashboard(self, body) -> tuple[int, object]:
        if not isinstance(body, dict) or not isinstance(body.get("dashboard"), dict):
            return 400, {"message": "bad request data"}
        dash = body["dashboard"]
        uid, title = dash.get("uid"), dash.get("title")
        if not isinstance(uid, str) or not uid:
            return 400, {"message": "dashboard uid is required"}
        if len(uid) > 40:
            return 400, {"message": "uid too long, max 40 characters", "status": "uid-too-long"}
        if not UID_RE.match(uid):
            return 400, {"message": "uid contains illegal characters", "status": "invalid-uid"}
        if not isinstance(title, str) or not title.strip():
            return 400, {"message": "Dashboard title cannot be empty", "status": "empty-name"}
        folder = body.get("folderUid")
        if folder and folder not in self.folders:
            return 400, {"message": "folder not found", "status": "not-found"}
        if uid in self.fail:
            return self.fail[uid]
        old = self.dashboards.get(uid)
        if old is not None and not body.get("overwrite") and dash.get("version") != old["version"]:
            return 412, {"status": "version-mismatch", "message": "The dashboard has been changed by someone else"}
        version = old["version"] + 1 if old else 1
        ident = old["id"] if old else next(self._ids)
        self.dashboards[uid] = {"id": ident, "version": version, "folderUid": folder or None,
                                "message": body.get("message"), "dashboard": {**dash, "id": ident, "version": version}}
        slug = slugify(title)
        return 200, {"id": ident, "uid": uid, "url": f"{self.prefix}/d/{uid}/{slug}", "status": "success",
                     "version": version, "slug": slug}


def _handler(api: FakeGrafana) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:  # keep test output clean
            pass

        def _serve(self, method: str) -> None:
            parts = urlsplit(self.path)
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = ValueError
            auth = self.headers.get("Authorization")
            uid = body["dashboard"].get("uid") if isinstance(body, dict) and isinstance(body.get("dashboard"), dict) else None
            with api._lock:
                api.requests.append(Request(method, parts.path, auth, body))
                hang = method == "POST" and parts.path == api.prefix + "/api/dashboards/db" and uid in api.hang
                if hang:
                    status, answer = 0, None
                elif body is ValueError:
                    status, answer = 400, {"message": "bad request data"}
                else:
                    status, answer = api.handle(method, parts.path, parse_qs(parts.query), auth, body)
            if hang:
                api._release.wait()  # never answer; the connection is dropped at close()
                self.close_connection = True
                return
            data = answer.encode() if isinstance(answer, str) else json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/html" if isinstance(answer, str) else "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

    return Handler
