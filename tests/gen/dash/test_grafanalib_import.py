"""gen.dash.grafanalib_import: attrs' generated methods of grafanalib's classes are compiled
once and then taken from .cache/, giving classes that behave exactly as freshly compiled ones;
a missing, corrupt or unwritable cache only costs the compiling."""

from __future__ import annotations

from support.paths import REPO
import json
import os
import subprocess
import sys

import pytest

# live: every test starts fresh Python processes; `pytest -m "not live"` skips it
pytestmark = pytest.mark.live

ROOT = str(REPO)

# Imports grafanalib through the cache, counts the methods attrs compiled itself (cache
# misses), and prints a panel's JSON as the classes make it.
PROBE = """
import builtins, json, sys
import attr._make
calls = []
real = builtins.compile
def counting(source, filename, mode, *a, **k):
    if isinstance(filename, str) and filename.startswith("<attrs generated"):
        calls.append(filename)
    return real(source, filename, mode, *a, **k)
builtins.compile = counting
from gen.dash.grafanalib_import import import_grafanalib
import_grafanalib()
builtins.compile = real
from grafanalib.core import Target, TimeSeries
panel = TimeSeries(title="CPU", unit="percent", targets=[Target(expr="up", refId="A")])
same = panel == TimeSeries(title="CPU", unit="percent", targets=[Target(expr="up", refId="A")])
print(json.dumps({"compiled": len(calls), "panel": panel.to_json_data(), "repr": repr(Target(expr="up"))[:40],
                  "eq": same}, default=str, sort_keys=True))
"""


def probe(cache_dir) -> dict:
    env = {**os.environ, "GEN_CACHE_DIR": str(cache_dir), "PYTHONDONTWRITEBYTECODE": "1"}
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def cache_files(cache_dir) -> list:
    return sorted(cache_dir.glob("attrs-code-*.marshal")) if cache_dir.is_dir() else []


def test_the_second_import_compiles_nothing_and_the_classes_behave_the_same(tmp_path):
    cache = tmp_path / "cache"
    first = probe(cache)
    assert first["compiled"] > 50  # grafanalib's ~100 attrs classes, compiled by attrs itself
    assert len(cache_files(cache)) == 1
    second = probe(cache)
    assert second["compiled"] == 0  # every method came from the cache
    assert second["panel"] == first["panel"] and second["repr"] == first["repr"] and second["eq"] is True


def test_a_corrupt_cache_is_ignored_and_replaced(tmp_path):
    cache = tmp_path / "cache"
    probe(cache)
    path = cache_files(cache)[0]
    path.write_bytes(b"not marshal data")
    again = probe(cache)
    assert again["compiled"] > 50 and again["eq"] is True
    assert probe(cache)["compiled"] == 0  # written anew


def test_an_unwritable_cache_still_imports(tmp_path):
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("x")
    result = probe(blocked / "cache")  # mkdir fails: compiled every time, no error
    assert result["compiled"] > 50 and result["eq"] is True
