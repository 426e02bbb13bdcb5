"""The base of every error a user can cause, and the settings-file error both products raise.

Each product adds its own kinds (gen.core.errors, relay.errors); a command-line entry point prints
any UserError as one line naming the thing at fault, without a traceback.
"""

from __future__ import annotations

import os
import sys
from typing import Callable


class UserError(Exception):
    """Base of every error the user can cause (a setting, a definition, an input)."""


class ConfigError(UserError):
    """A settings file (monitoring.yaml, relay.yaml) has an unknown key, a wrong type or a bad value."""


def exit_code(command: Callable[[], int]) -> int:
    """Run a command of a CLI: its exit code, or, for a UserError, one `error: ...` line on
    stderr (no traceback: the message names what to fix) and 1."""
    try:
        return command()
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # `... | head` closed the pipe: nothing more to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit's flush
        return 1
