"""Target kinds of the relay; importing the package registers all of them in KINDS."""

from gen.relay.targets import dingtalk, feishu, slack, webhook, wecom  # noqa: F401  (registers)
from gen.relay.targets.base import KINDS  # noqa: F401
