"""Import the target kinds so each registers itself in base.KINDS (the package does it)."""

import relay.targets  # noqa: F401
