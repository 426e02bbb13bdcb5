"""Importing definition files (catalog, dashboard and routing modules) as packages of their
own folder, so they may import their private neighbours relatively; errors name file and line."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import types

from gen.core.errors import DefinitionError, UserError


def import_path(path: str, package: str):
    name = f"{package}.{os.path.splitext(os.path.basename(path))[0]}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except UserError:
        raise
    except SyntaxError as exc:
        raise DefinitionError(f"{exc.filename}:{exc.lineno}: syntax error: {exc.msg}") from None
    except Exception as exc:  # a bug in the catalog module: say where
        tb = exc.__traceback__
        line = 0
        while tb is not None:
            if os.path.abspath(tb.tb_frame.f_code.co_filename) == os.path.abspath(path):
                line = tb.tb_lineno
            tb = tb.tb_next
        raise DefinitionError(f"{os.path.relpath(path)}:{line}: {type(exc).__name__}: {exc}") from None
    return module


def as_package(folder: str, prefix: str) -> str:
    """Make `folder` an importable package, so its public modules can import its private
    helpers relatively (`from ._fixtures.nodes import filesystem`). A reload drops what the
    previous load imported, so an edited helper is read again."""
    package = prefix + hashlib.sha1(folder.encode()).hexdigest()[:10]
    for name in [n for n in sys.modules if n == package or n.startswith(package + ".")]:
        del sys.modules[name]
    pkg = types.ModuleType(package)
    pkg.__path__ = [folder]
    sys.modules[package] = pkg
    return package


def import_file(path: str, prefix: str):
    """Import one definition file as a module of a package of its own folder (so it may import
    its neighbours relatively); errors name the file and line."""
    path = os.path.abspath(path)
    return import_path(path, as_package(os.path.dirname(path), prefix))
