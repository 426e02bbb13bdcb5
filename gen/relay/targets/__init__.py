"""Target kinds of the relay; importing the package registers all of them in KINDS."""

from gen.relay.targets import dingtalk, wecom  # noqa: F401  (registration side effect)
from gen.relay.targets.base import KINDS  # noqa: F401
