"""`python -m gen grafana push` against a local server that keeps Grafana's API contract.

Each test writes small dashboard files under tmp_path, runs the CLI in-process and checks
both what it printed and what the server ended up holding (tests/support/grafana_api.py).
"""

from __future__ import annotations

import json
import socket
import subprocess

import pytest

from gen.cli import main
from support.grafana_api import FakeGrafana

TOKEN = "glsa_right-token-4f2c9a"


@pytest.fixture
def grafana():
    server = FakeGrafana(token=TOKEN)
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(autouse=True)
def _no_ambient_token(monkeypatch):
    monkeypatch.delenv("GRAFANA_TOKEN", raising=False)


def write_dashboards(folder, *specs: tuple[str, str]):
    """specs: (uid, title); each gets a file <uid>.json shaped like the engine's output."""
    folder.mkdir(parents=True, exist_ok=True)
    for uid, title in specs:
        model = {
            "id": None, "uid": uid, "title": title, "schemaVersion": 39, "tags": ["generated"],
            "panels": [{"id": 1, "type": "timeseries", "title": "CPU", "gridPos": {"x": 0, "y": 0, "w": 12, "h": 8},
                        "datasource": {"type": "prometheus", "uid": "${datasource}"},
                        "targets": [{"expr": "sum(rate(container_cpu_usage_seconds_total[$__rate_interval]))"}]}],
        }
        (folder / f"{uid}.json").write_text(json.dumps(model, indent=2) + "\n")
    return folder


@pytest.fixture
def dash_dir(tmp_path):
    return write_dashboards(tmp_path / "grafana", ("cluster", "Cluster overview"), ("node", "Node details"))


@pytest.fixture
def token_file(tmp_path):
    path = tmp_path / "token"
    path.write_text(TOKEN + "\n")  # as `echo` writes it: the newline must be stripped
    return path


def push(server_url, dash_dir, *extra, token_file=None):
    argv = ["grafana", "push", "--url", server_url, "--dir", str(dash_dir), *extra]
    if token_file is not None:
        argv += ["--token-file", str(token_file)]
    return main(argv)


def saved_bodies(server):
    return [r.body for r in server.posts("/api/dashboards/db")]


# --- success -------------------------------------------------------------------------------


def test_push_creates_each_dashboard_in_general(grafana, dash_dir, token_file, capsys):
    assert push(grafana.url, dash_dir, token_file=token_file) == 0
    out = capsys.readouterr().out

    assert {uid: (d["version"], d["dashboard"]["title"], d["folderUid"]) for uid, d in grafana.dashboards.items()} == {
        "cluster": (1, "Cluster overview", None),
        "node": (1, "Node details", None),
    }
    for body in saved_bodies(grafana):
        assert body["overwrite"] is True
        assert body["dashboard"]["id"] is None
        assert "folderUid" not in body  # General: no folder sent
        assert body["message"] == "gen push local"  # tmp_path is not a git checkout
    assert all(r.authorization == f"Bearer {TOKEN}" for r in grafana.requests)
    assert f"created  cluster  'Cluster overview'  version 1  {grafana.url}/d/cluster/cluster-overview" in out
    assert f"created  node  'Node details'  version 1  {grafana.url}/d/node/node-details" in out
    assert "pushed 2 of 2 dashboards" in out


def test_second_push_updates_to_version_2(grafana, dash_dir, token_file, capsys):
    assert push(grafana.url, dash_dir, token_file=token_file) == 0
    (dash_dir / "node.json").write_text((dash_dir / "node.json").read_text().replace("Node details", "Node detail"))
    capsys.readouterr()
    assert push(grafana.url, dash_dir, token_file=token_file) == 0
    out = capsys.readouterr().out

    assert grafana.dashboards["cluster"]["version"] == 2
    assert grafana.dashboards["node"]["version"] == 2
    assert grafana.dashboards["node"]["dashboard"]["title"] == "Node detail"
    assert "updated  cluster  'Cluster overview'  version 2" in out
    assert f"updated  node  'Node detail'  version 2  {grafana.url}/d/node/node-detail" in out


def test_message_names_the_commit_of_the_dashboards(grafana, tmp_path, token_file):
    repo = tmp_path / "repo"
    dash_dir = write_dashboards(repo / "out" / "grafana", ("cluster", "Cluster overview"))
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run([*git[:3], "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "dashboards"], check=True)
    sha = subprocess.run([*git, "rev-parse", "--short", "HEAD"], check=True, capture_output=True, text=True).stdout.strip()

    assert push(grafana.url, dash_dir, token_file=token_file) == 0
    assert grafana.dashboards["cluster"]["message"] == f"gen push {sha}"


def test_token_from_environment_when_no_token_file(grafana, dash_dir, monkeypatch):
    monkeypatch.setenv("GRAFANA_TOKEN", f"  {TOKEN}\n")
    assert push(grafana.url, dash_dir) == 0
    assert set(grafana.dashboards) == {"cluster", "node"}


def test_grafana_on_a_sub_path_gives_urls_without_doubled_path(tmp_path, dash_dir, token_file, capsys):
    server = FakeGrafana(token=TOKEN, prefix="/grafana")
    try:
        assert push(server.url + "/grafana/", dash_dir, token_file=token_file) == 0
    finally:
        server.close()
    assert f"{server.url}/grafana/d/cluster/cluster-overview" in capsys.readouterr().out


# --- folders -------------------------------------------------------------------------------


def test_folder_created_once_then_reused(grafana, dash_dir, token_file, capsys):
    assert push(grafana.url, dash_dir, "--folder", "Kubernetes", token_file=token_file) == 0
    first = capsys.readouterr().out
    assert push(grafana.url, dash_dir, "--folder", "Kubernetes", token_file=token_file) == 0
    second = capsys.readouterr().out

    assert len(grafana.posts("/api/folders")) == 1
    (folder,) = grafana.folders.values()
    assert folder["title"] == "Kubernetes"
    assert {d["folderUid"] for d in grafana.dashboards.values()} == {folder["uid"]}
    assert all(b["folderUid"] == folder["uid"] for b in saved_bodies(grafana))
    assert f"folder 'Kubernetes': created, uid {folder['uid']}" in first
    assert f"folder 'Kubernetes': found, uid {folder['uid']}" in second


def test_folder_uid_is_stable_across_grafanas(dash_dir, token_file):
    uids = []
    for _ in range(2):
        server = FakeGrafana(token=TOKEN)
        try:
            assert push(server.url, dash_dir, "--folder", "Kubernetes 集群", token_file=token_file) == 0
            (folder,) = server.folders.values()
            uids.append(folder["uid"])
        finally:
            server.close()
    assert uids[0] == uids[1]
    assert len(uids[0]) <= 40 and uids[0].startswith("kubernetes-")


def test_folder_made_by_hand_is_found_by_title_on_a_later_page(grafana, dash_dir, token_file):
    for i in range(1500):  # more than one page of GET /api/folders (1000 per page)
        grafana.add_folder(f"other{i}", f"Team {i}")
    grafana.add_folder("handmade", "Kubernetes")

    assert push(grafana.url, dash_dir, "--folder", "Kubernetes", token_file=token_file) == 0
    assert grafana.posts("/api/folders") == []
    assert {d["folderUid"] for d in grafana.dashboards.values()} == {"handmade"}


# --- errors --------------------------------------------------------------------------------


def test_bad_token_is_reported_as_refused_and_never_printed(grafana, dash_dir, tmp_path, capsys):
    wrong = tmp_path / "wrong-token"
    wrong.write_text("glsa_wrong-token-0000\n")
    assert push(grafana.url, dash_dir, token_file=wrong) == 1
    out, err = capsys.readouterr()

    assert grafana.dashboards == {}
    assert "glsa_wrong-token-0000" not in out + err
    assert "FAILED   cluster  'Cluster overview'" in err
    assert "Grafana refused the token (401 Unauthorized: Invalid API key)" in err
    # every later request would be refused the same way: not sent
    assert "SKIPPED  node  'Node details'" in err
    assert len(saved_bodies(grafana)) == 1


def test_bad_token_with_folder_stops_before_any_dashboard(grafana, dash_dir, tmp_path, capsys):
    wrong = tmp_path / "wrong-token"
    wrong.write_text("glsa_wrong-token-0000")
    assert push(grafana.url, dash_dir, "--folder", "Kubernetes", token_file=wrong) == 1
    out, err = capsys.readouterr()
    assert "error: folder 'Kubernetes': Grafana refused the token (401" in err
    assert "glsa_wrong-token-0000" not in out + err
    assert saved_bodies(grafana) == [] and grafana.folders == {}


def test_read_only_token_gets_access_denied_per_dashboard(grafana, dash_dir, tmp_path, capsys):
    viewer = tmp_path / "viewer"
    viewer.write_text(grafana.viewer_token)
    assert push(grafana.url, dash_dir, token_file=viewer) == 1
    err = capsys.readouterr().err
    for uid in ("cluster", "node"):
        assert f"FAILED   {uid}  " in err
    assert "access denied (403 Forbidden: You'll need additional permissions" in err
    assert "may not write dashboards in the General folder" in err
    assert grafana.dashboards == {}


def test_412_shows_grafanas_reason_and_others_are_pushed(grafana, dash_dir, token_file, capsys):
    grafana.fail["cluster"] = (412, {"status": "plugin-dashboard", "message": "The dashboard belongs to plugin Kubernetes App"})
    assert push(grafana.url, dash_dir, token_file=token_file) == 1
    out, err = capsys.readouterr()
    assert ("FAILED   cluster  'Cluster overview'  (cluster.json): rejected by Grafana "
            "(412 Precondition Failed: plugin-dashboard: The dashboard belongs to plugin Kubernetes App)") in err
    assert set(grafana.dashboards) == {"node"}
    assert "pushed 1 of 2 dashboards" in out


def test_400_shows_grafanas_reason(grafana, tmp_path, token_file, capsys):
    long_uid = "a" * 41  # sorts before "node": a failure must not stop the later dashboard
    dash_dir = write_dashboards(tmp_path / "d", (long_uid, "Too long"), ("node", "Node details"))
    assert push(grafana.url, dash_dir, token_file=token_file) == 1
    err = capsys.readouterr().err
    assert f"FAILED   {long_uid}  'Too long'" in err
    assert "rejected as invalid (400 Bad Request: uid-too-long: uid too long, max 40 characters)" in err
    assert set(grafana.dashboards) == {"node"}


def test_500_on_one_dashboard_others_still_pushed(grafana, tmp_path, token_file, capsys):
    dash_dir = write_dashboards(tmp_path / "d", ("a", "A"), ("b", "B"), ("c", "C"))
    grafana.fail["b"] = (500, {"message": "Failed to save dashboard"})
    assert push(grafana.url, dash_dir, token_file=token_file) == 1
    out, err = capsys.readouterr()
    assert "FAILED   b  'B'  (b.json): Grafana server error (500 Internal Server Error: Failed to save dashboard)" in err
    assert set(grafana.dashboards) == {"a", "c"}
    assert "pushed 2 of 3 dashboards" in out
    assert "error: 1 of 3 dashboards not pushed" in err


def test_proxy_error_page_is_shown_as_text(grafana, dash_dir, token_file, capsys):
    grafana.fail["node"] = (502, "<html><body><h1>502 Bad Gateway</h1>\n</body></html>")
    assert push(grafana.url, dash_dir, token_file=token_file) == 1
    err = capsys.readouterr().err
    assert "Grafana server error (502 Bad Gateway: '<html><body><h1>502 Bad Gateway</h1> </body></html>')" in err


def test_wrong_url_path_gives_404_hint(grafana, dash_dir, token_file, capsys):
    assert push(grafana.url + "/monitoring", dash_dir, token_file=token_file) == 1
    err = capsys.readouterr().err
    assert f"not found (404 Not Found: Not found) at {grafana.url}/monitoring/api/dashboards/db" in err
    assert "is --url Grafana's root URL" in err
    assert grafana.dashboards == {}


def test_connection_refused_names_the_url(dash_dir, token_file, capsys):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        assert push(url, dash_dir, token_file=token_file) == 1
    err = capsys.readouterr().err
    assert f"FAILED   cluster  'Cluster overview'  (cluster.json): cannot connect to {url}: Connection refused" in err
    assert f"SKIPPED  node  'Node details'  (node.json): not attempted: cannot connect to {url}" in err


def test_timeout_on_one_dashboard_names_it_and_others_go_on(grafana, tmp_path, token_file, capsys):
    dash_dir = write_dashboards(tmp_path / "d", ("a", "A"), ("b", "B"), ("c", "C"))
    grafana.hang.add("b")
    assert push(grafana.url, dash_dir, "--timeout", "0.3", token_file=token_file) == 1
    err = capsys.readouterr().err
    assert f"FAILED   b  'B'  (b.json): POST {grafana.url}/api/dashboards/db: no answer within 0.3 s (--timeout)" in err
    assert set(grafana.dashboards) == {"a", "c"}


def test_dry_run_sends_nothing(grafana, dash_dir, capsys):
    assert push(grafana.url, dash_dir, "--dry-run", "--folder", "Kubernetes") == 0  # no token needed
    out = capsys.readouterr().out
    assert grafana.requests == []
    assert f"dry run: nothing sent. Would POST {grafana.url}/api/dashboards/db 2 times, into folder 'Kubernetes'" in out
    assert "cluster  'Cluster overview'  (1 panels," in out
    assert "node  'Node details'  (1 panels," in out


# --- bad input: clear errors, nothing sent -------------------------------------------------


@pytest.mark.parametrize("content, expected", [
    ('{\n  "uid": "x",\n  "title": oops\n}\n', "bad.json:3: not valid JSON"),
    ('{"title": "No uid"}', "bad.json: dashboard has no uid"),
    ('{"uid": "x"}', "bad.json: dashboard 'x' has no title string"),
    ('[1, 2]', "bad.json: not a dashboard model"),
])
def test_bad_dashboard_file_is_named_and_nothing_is_sent(grafana, dash_dir, token_file, capsys, content, expected):
    (dash_dir / "bad.json").write_text(content)
    assert push(grafana.url, dash_dir, token_file=token_file) == 1
    assert expected in capsys.readouterr().err
    assert grafana.requests == []


def test_duplicate_uid_names_both_files(grafana, tmp_path, token_file, capsys):
    dash_dir = write_dashboards(tmp_path / "d", ("a", "A"))
    (dash_dir / "b.json").write_text(json.dumps({"uid": "a", "title": "B"}))
    assert push(grafana.url, dash_dir, token_file=token_file) == 1
    err = capsys.readouterr().err
    assert "b.json: uid 'a' is also the uid of" in err and "a.json" in err
    assert grafana.requests == []


@pytest.mark.parametrize("setup, extra, expected", [
    ("missing-token-file", [], "--token-file"),
    ("empty-token-file", [], "the file is empty"),
    ("no-token", [], "no token: give --token-file FILE or set GRAFANA_TOKEN"),
    ("empty-dir", [], "no *.json dashboards in it"),
    ("ok", ["--timeout", "0"], "--timeout 0: must be more than 0 seconds"),
])
def test_bad_options_are_named(grafana, tmp_path, dash_dir, capsys, setup, extra, expected):
    token = {"missing-token-file": tmp_path / "absent", "empty-token-file": tmp_path / "empty",
             "no-token": None, "empty-dir": tmp_path / "token", "ok": tmp_path / "token"}[setup]
    (tmp_path / "empty").write_text("\n")
    (tmp_path / "token").write_text(TOKEN)
    folder = tmp_path / "nothing" if setup == "empty-dir" else dash_dir
    folder.mkdir(exist_ok=True)
    assert push(grafana.url, folder, *extra, token_file=token) == 1
    assert expected in capsys.readouterr().err
    assert grafana.requests == []


def test_url_without_scheme_is_refused(dash_dir, token_file, capsys):
    assert push("grafana.example.com", dash_dir, token_file=token_file) == 1
    assert "--url 'grafana.example.com': expected Grafana's root URL" in capsys.readouterr().err


# --- the stand-in itself keeps the part of the contract the client never triggers ---------


def test_fake_refuses_stale_version_without_overwrite(grafana):
    import requests

    def save(version, overwrite):
        body = {"dashboard": {"id": None, "uid": "u", "title": "T", "version": version}, "overwrite": overwrite}
        return requests.post(grafana.url + "/api/dashboards/db", json=body, timeout=5,
                             headers={"Authorization": f"Bearer {TOKEN}"})

    assert save(None, False).json()["version"] == 1
    stale = save(0, False)
    assert stale.status_code == 412 and stale.json()["status"] == "version-mismatch"
    assert save(1, False).json()["version"] == 2
    assert save(0, True).json()["version"] == 3
