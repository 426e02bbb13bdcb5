"""Import the target kinds so each registers itself in base.KINDS (the package does it)."""

import gen.relay.targets  # noqa: F401
