"""Recording rule names follow level:metric:operations, so readers know what a series is."""

import re

from gen.rules.lint import WARNING, check

_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*:[a-zA-Z_][a-zA-Z0-9_]*:[a-zA-Z0-9_]+$")


@check("recording-name", WARNING)
def recording_name(ctx):
    """A recording rule name not of the form level:metric:operations."""
    for record in ctx.records():
        if not _NAME.match(record.name):
            yield record, "name does not follow level:metric:operations"
