"""Writing out/ all at once: a failed or interrupted build never leaves it half-written.

The new tree is written to a sibling temporary folder, then swapped in with two renames;
files that no build produces any more disappear with the old tree.
"""

from __future__ import annotations

import difflib
import os
import shutil
import tempfile
from dataclasses import dataclass, field


def write_tree(root: str, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as fh:
            fh.write(data)


def read_tree(root: str) -> dict[str, bytes]:
    out = {}
    if not os.path.isdir(root):
        return out
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            with open(path, "rb") as fh:
                out[os.path.relpath(path, root).replace(os.sep, "/")] = fh.read()
    return out


def replace_dir(target: str, files: dict[str, bytes]) -> None:
    """Make `target` hold exactly `files`, swapping a complete new tree in."""
    target = os.path.abspath(target)
    parent = os.path.dirname(target)
    os.makedirs(parent, exist_ok=True)
    base = os.path.basename(target)
    staging = tempfile.mkdtemp(prefix=f"{base}.tmp-", dir=parent)
    try:
        write_tree(staging, files)
        os.chmod(staging, 0o755)
        if os.path.exists(target):
            old = tempfile.mkdtemp(prefix=f"{base}.old-", dir=parent)
            os.rmdir(old)
            os.rename(target, old)
            os.rename(staging, target)
            shutil.rmtree(old)
        else:
            os.rename(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _orphans(root: str, files: dict[str, bytes], owned: tuple[str, ...]) -> list[str]:
    """Files in the `owned` folders under `root` (folders only a build writes) that `files` lacks."""
    return sorted(f"{folder}/{rel}" for folder in owned for rel in read_tree(os.path.join(root, folder))
                  if f"{folder}/{rel}" not in files)


def replace_files(root: str, files: dict[str, bytes], owned: tuple[str, ...] = ()) -> None:
    """Write single files under `root`, each replaced atomically (temp file + rename); files in
    the `owned` folders that `files` no longer has are removed (a page of a removed check)."""
    for rel in _orphans(root, files, owned):
        os.unlink(os.path.join(root, rel))
    for rel, data in files.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=os.path.dirname(path))
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise


def compare_files(root: str, files: dict[str, bytes], owned: tuple[str, ...] = ()) -> list[str]:
    """Paths among `files` whose content under `root` differs or is missing, then the files in
    the `owned` folders that `files` lacks."""
    stale = []
    for rel, data in sorted(files.items()):
        path = os.path.join(root, rel)
        try:
            with open(path, "rb") as fh:
                if fh.read() == data:
                    continue
        except FileNotFoundError:
            pass
        stale.append(rel)
    return stale + _orphans(root, files, owned)


@dataclass
class TreeDiff:
    missing: list[str] = field(default_factory=list)  # built but not in out/
    extra: list[str] = field(default_factory=list)  # in out/ but no longer built
    changed: dict[str, list[str]] = field(default_factory=dict)  # path -> first diff lines

    @property
    def clean(self) -> bool:
        return not (self.missing or self.extra or self.changed)

    def summary(self, max_lines: int = 12) -> str:
        lines = []
        lines += [f"  missing from out/: {p}" for p in self.missing]
        lines += [f"  stale in out/ (no longer generated): {p}" for p in self.extra]
        for path, diff in self.changed.items():
            lines.append(f"  differs: {path}")
            lines += [f"      {d}" for d in diff[:max_lines]]
        return "\n".join(lines)


def compare(target: str, files: dict[str, bytes]) -> TreeDiff:
    current = read_tree(target)
    diff = TreeDiff(
        missing=sorted(set(files) - set(current)),
        extra=sorted(set(current) - set(files)),
    )
    for path in sorted(set(files) & set(current)):
        if files[path] != current[path]:
            old = current[path].decode("utf-8", "replace").splitlines()
            new = files[path].decode("utf-8", "replace").splitlines()
            diff.changed[path] = list(difflib.unified_diff(old, new, "out/" + path, "build/" + path, n=0, lineterm=""))[2:]
    return diff
