"""PNGs of the pages with headless Chromium (Debian's `chromium`): a picture for a pull
request, where nobody opens an HTML attachment."""

from __future__ import annotations

import os
import shutil
import subprocess

CANDIDATES = ("chromium", "chromium-browser", "google-chrome")
WIDTH = 1600


def find_chromium() -> str | None:
    """$CHROMIUM, else the first browser of CANDIDATES on PATH; None when there is none."""
    env = os.environ.get("CHROMIUM")
    if env:
        return env
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def _args(binary: str, *extra: str) -> list[str]:
    return [binary, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            "--no-first-run", "--disable-dev-shm-usage", *extra]


def screenshot(binary: str, html_path: str, png_path: str, height: int, timeout: float = 60) -> None:
    """`html_path` drawn at WIDTH x height into `png_path`; RuntimeError with Chromium's output on failure."""
    run = subprocess.run(_args(binary, f"--window-size={WIDTH},{height}", "--virtual-time-budget=5000",
                               f"--screenshot={os.path.abspath(png_path)}", "file://" + os.path.abspath(html_path)),
                         capture_output=True, text=True, timeout=timeout)
    if run.returncode != 0 or not os.path.exists(png_path):
        raise RuntimeError(f"chromium could not take {png_path} (exit {run.returncode}):\n{run.stderr[-1500:]}")


def dump_dom(binary: str, html_path: str, timeout: float = 60) -> str:
    """The page's DOM after its scripts ran (what the tests read the panels' states from)."""
    run = subprocess.run(_args(binary, f"--window-size={WIDTH},2000", "--virtual-time-budget=5000", "--dump-dom",
                               "file://" + os.path.abspath(html_path)), capture_output=True, text=True, timeout=timeout)
    if run.returncode != 0:
        raise RuntimeError(f"chromium --dump-dom {html_path} failed (exit {run.returncode}):\n{run.stderr[-1500:]}")
    return run.stdout
