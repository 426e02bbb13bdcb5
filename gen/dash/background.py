"""The dashboards' half of `python -m gen build` in a forked process, beside the rules' half.

Dashboards cost most of a build that renders them: importing grafanalib (attrs generates about
a hundred classes), executing dashboards_src/, rendering, the checks and the JSON. None of it
needs more of the rules than their resolved parameters, so once the catalog is resolved the
build forks: the child does the dashboards on the second core while the parent parses and
lints the rules. The parent needs two things back, in this order: each enabled dashboard's uid
and variables (to put `dashboard_url` on alerts, before linting), then the rendered files.

The child reports a user error (GenError) as that error, raised in the parent at the point
the sequential build would have raised it, so messages and exit codes are the same; a crash
comes back with its traceback. Where fork does not exist the build runs sequentially.
"""

from __future__ import annotations

import os
import pickle
import signal
import struct
import sys
import traceback
from typing import Any, Callable

from gen.errors import GenError

_HEADER = struct.Struct("!Q")


def available() -> bool:
    return hasattr(os, "fork")


class DashboardsJob:
    """A forked child running `work(send)`; `send(kind, value)` hands a message to the parent."""

    def __init__(self, work: Callable[[Callable[[str, Any], None]], None]):
        sys.stdout.flush()
        sys.stderr.flush()
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns into the caller's code
            os.close(read_fd)
            code = 0
            try:
                work(lambda kind, value: _send(write_fd, kind, value))
            except GenError as exc:
                _send(write_fd, "error", _picklable(exc))
            except BaseException:  # a bug: the parent shows the traceback
                _send(write_fd, "crash", traceback.format_exc())
                code = 1
            finally:
                try:
                    sys.stdout.flush()
                    sys.stderr.flush()
                finally:
                    os._exit(code)  # no atexit handlers, no second flush of inherited buffers
        os.close(write_fd)
        self.pid: int | None = pid
        self._fd: int | None = read_fd

    def receive(self, kind: str) -> Any:
        """The next message, which must be `kind`; the child's error is raised here."""
        return self.next((kind,))[1]

    def next(self, kinds: tuple[str, ...]) -> tuple[str, Any]:
        """The next message, (kind, value), its kind one of `kinds`; the child's error is raised here."""
        got, value = self._read()
        if got == "error":
            self.close()
            raise value
        if got == "crash":
            self.close()
            raise RuntimeError(f"the dashboards' build process failed:\n{value}")
        if got not in kinds:
            self.close()
            raise RuntimeError(f"the dashboards' build process sent {got!r}, expected {' or '.join(kinds)}")
        return got, value

    def close(self) -> None:
        """Stop and reap the child (it may still be running when the rules' half failed)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if self.pid is not None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            os.waitpid(self.pid, 0)
            self.pid = None

    def _read(self) -> tuple[str, Any]:
        header = self._exactly(_HEADER.size)
        if header is None:
            status = self._exit_status()
            raise RuntimeError(f"the dashboards' build process ended without an answer ({status})")
        (size,) = _HEADER.unpack(header)
        data = self._exactly(size)
        if data is None:
            raise RuntimeError("the dashboards' build process ended in the middle of its answer")
        return pickle.loads(data)

    def _exactly(self, size: int) -> bytes | None:
        chunks, left = [], size
        while left:
            chunk = os.read(self._fd, min(left, 1 << 20))
            if not chunk:
                return None
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    def _exit_status(self) -> str:
        pid, self.pid = self.pid, None
        _, status = os.waitpid(pid, 0)
        if os.WIFSIGNALED(status):
            return f"killed by signal {os.WTERMSIG(status)}"
        return f"exit code {os.waitstatus_to_exitcode(status)}"


def _send(fd: int, kind: str, value: Any) -> None:
    data = pickle.dumps((kind, value), protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(_HEADER.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view):]


def _picklable(exc: GenError) -> GenError:
    """The error itself when it survives pickling (every build error does), else its message."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        return GenError(str(exc))
