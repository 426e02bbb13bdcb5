"""Where the engine keeps its caches (compiled schema, rendered dashboards, tool checks)."""

import os
from pathlib import Path

# Content-addressed, so one per user serves every repository; $GEN_CACHE_DIR moves it (the
# tests use their own).
CACHE_DIR = Path(os.environ.get("GEN_CACHE_DIR")
                 or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "k8s-monitoring-as-code")
