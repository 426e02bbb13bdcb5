"""Import grafanalib with attrs' generated methods compiled once, not on every build.

grafanalib defines about a hundred attrs classes; for each, attrs writes the source of
__init__, __repr__, __eq__ and the rest and compiles it, at every import. That compiling was
half of grafanalib's import and the longest single step of a build that renders dashboards
(bench/README.md). Python caches the bytecode of modules, not of code made at run time, so
this does it for attrs: while grafanalib is imported, attrs' module-level `compile` looks the
code object up by a hash of (source, filename, mode) in a marshal file under the git-ignored
cache (the same format .pyc files use, one file per Python bytecode version and attrs
version), and compiles only what it has not seen. The code objects are exactly what compile
would return; with no cache (read-only checkout) or another attrs, the import just compiles.
"""

from __future__ import annotations

import builtins
import hashlib
import importlib.util
import marshal
import os
import sys
import tempfile
from importlib import metadata

from gen.dash.schema import CACHE_DIR


def import_grafanalib() -> None:
    """Import grafanalib.core (a no-op once imported), reusing attrs' compiled methods."""
    if "grafanalib.core" in sys.modules:
        return
    import attr._make as attrs_make

    path = CACHE_DIR / (f"attrs-code-{sys.implementation.cache_tag}-{importlib.util.MAGIC_NUMBER.hex()}"
                        f"-attrs{metadata.version('attrs')}.marshal")
    try:
        known = marshal.loads(path.read_bytes())
        if not isinstance(known, dict):
            known = {}
    except (OSError, ValueError, EOFError, TypeError):
        known = {}
    new: dict[bytes, object] = {}

    def compile_cached(source, filename, mode, *args, **kwargs):
        if args or kwargs or not isinstance(source, str):
            return builtins.compile(source, filename, mode, *args, **kwargs)
        key = hashlib.sha256(f"{filename}\0{mode}\0{source}".encode()).digest()
        code = known.get(key)
        if code is None:
            code = new[key] = builtins.compile(source, filename, mode)
        return code

    attrs_make.compile = compile_cached  # found before the builtin by attrs' own calls
    try:
        import grafanalib.core  # noqa: F401
    finally:
        del attrs_make.compile
    if new:
        _save(path, {**known, **new})


def _save(path, table: dict) -> None:
    try:
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("wb", dir=CACHE_DIR, suffix=".tmp", delete=False) as fh:
            fh.write(marshal.dumps(table))
        os.replace(fh.name, path)
    except OSError:
        pass  # a read-only checkout compiles every time
