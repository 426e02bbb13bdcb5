"""Import every target kind module so each registers itself in base.KINDS."""

from __future__ import annotations

import importlib

KIND_MODULES = ("dingtalk", "wecom", "feishu", "slack", "webhook")

for _name in KIND_MODULES:
    try:
        importlib.import_module(f"gen.relay.targets.{_name}")
    except ModuleNotFoundError as exc:  # a kind not written yet; anything else must surface
        if exc.name != f"gen.relay.targets.{_name}":
            raise
