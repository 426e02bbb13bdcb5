"""A dashboard's fixture in a real Prometheus: the series written as OpenMetrics, turned into
TSDB blocks by promtool, served by a local Prometheus that the preview queries like Grafana
would. Real query_range answers (steps, lookback, rate extrapolation) rather than a re-
implementation of PromQL's evaluation.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time

import requests

from common.durations import parse_duration
from gen.core.errors import DefinitionError, ToolError
from gen.core.series_values import STALE, expand

_SERIES = re.compile(r"^\s*(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)?\s*(?:\{(?P<labels>.*)\})?\s*$", re.S)
_LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(?:,|$)')

READY_TIMEOUT = 30.0  # seconds for a fresh Prometheus to load the blocks and answer /-/ready


def parse_series(text: str) -> tuple[str, dict[str, str]]:
    """`name{a="b", c="d"}` as (name, labels), the notation promtool's input_series use."""
    m = _SERIES.match(text)
    if m is None:
        raise DefinitionError(f"series {text!r}: not `name{{label=\"value\", ...}}`")
    labels: dict[str, str] = {}
    rest = m["labels"] or ""
    pos = 0
    while rest[pos:].strip():
        lm = _LABEL.match(rest, pos)
        if lm is None:
            raise DefinitionError(f"series {text!r}: cannot read the labels at {rest[pos:]!r}")
        labels[lm[1]] = lm[2]
        pos = lm.end()
    name = m["name"] or labels.pop("__name__", None)
    if not name:
        raise DefinitionError(f"series {text!r}: no metric name")
    return name, labels


def _number(v: float) -> str:
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    return repr(float(v))


def openmetrics(series: dict[str, str], interval: str, start: float = 0) -> str:
    """OpenMetrics text of promtool-notation series: sample i at start + i * interval seconds
    (from 0, as promtool's unit tests place them); `_` is no sample, `stale` ends the series
    there (OpenMetrics has no stale marker: the lookback of 5 minutes then runs out)."""
    step = parse_duration(interval)
    families: dict[str, list[str]] = {}
    for text, values in series.items():
        name, labels = parse_series(text)
        rendered = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
        head = f"{name}{{{rendered}}}" if rendered else name
        lines = families.setdefault(name, [])
        for i, v in enumerate(expand(values)):
            if v is None or v == STALE:
                continue
            lines.append(f"{head} {_number(v)} {start + i * step:.3f}")
    out = []
    for name, lines in families.items():
        out.append(f"# TYPE {name} unknown")
        out.extend(lines)
    out.append("# EOF")
    return "\n".join(out) + "\n"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def find_prometheus() -> str:
    """$PROMETHEUS, PATH, tools/bin, or the prometheus beside promtool (Debian's package has both)."""
    from gen.tools import promtool

    try:
        return promtool.find_tool("prometheus", "PROMETHEUS")
    except ToolError:
        beside = os.path.join(os.path.dirname(promtool.find_promtool()), "prometheus")
        if os.access(beside, os.X_OK):
            return beside
        raise


class FixturePrometheus:
    """A Prometheus serving the given OpenMetrics text, for the duration of a `with` block."""

    def __init__(self, text: str, what: str):
        self.text, self.what = text, what
        self.url = ""
        self._tmp: tempfile.TemporaryDirectory | None = None
        self._proc: subprocess.Popen | None = None

    def __enter__(self) -> "FixturePrometheus":
        from gen.tools import promtool

        self._tmp = tempfile.TemporaryDirectory(prefix="gen-preview-")
        try:
            self._start(promtool.find_promtool())
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _start(self, promtool_bin: str) -> None:
        tmp = self._tmp.name
        src, data = os.path.join(tmp, "series.om.txt"), os.path.join(tmp, "data")
        with open(src, "w") as fh:
            fh.write(self.text)
        run = subprocess.run([promtool_bin, "tsdb", "create-blocks-from", "openmetrics", src, data],
                             capture_output=True, text=True, timeout=120)
        if run.returncode != 0:
            raise ToolError(f"{self.what}: promtool tsdb create-blocks-from openmetrics failed:\n"
                            f"{(run.stdout + run.stderr)[-2000:]}")
        config = os.path.join(tmp, "prometheus.yml")
        with open(config, "w") as fh:
            fh.write("global:\n  scrape_interval: 1m\n")
        port = _free_port()
        self.url = f"http://127.0.0.1:{port}"
        log_path = os.path.join(tmp, "prometheus.log")
        self._log = open(log_path, "wb")
        binary = find_prometheus()
        self._proc = subprocess.Popen(
            [binary, f"--config.file={config}", f"--storage.tsdb.path={data}",
             "--storage.tsdb.retention.time=200y", f"--web.listen-address=127.0.0.1:{port}"],
            stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            if self._proc.poll() is not None:
                raise ToolError(f"{self.what}: Prometheus exited with {self._proc.returncode}:\n{self._log_tail()}")
            try:
                if requests.get(self.url + "/-/ready", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise ToolError(f"{self.what}: Prometheus not ready within {READY_TIMEOUT:g} s:\n{self._log_tail()}")
            time.sleep(0.1)

    def _log_tail(self, lines: int = 15) -> str:
        self._log.flush()
        with open(self._log.name, "rb") as fh:
            return "\n".join(fh.read().decode("utf-8", "replace").splitlines()[-lines:])

    def __exit__(self, *exc) -> None:
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            self._proc = None
            self._log.close()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
