"""Target kinds of the relay; importing the package registers all of them in KINDS."""

from relay.targets import dingtalk, feishu, slack, webhook, wecom  # noqa: F401  (registers)
from relay.targets.base import KINDS  # noqa: F401
