"""The relay's own configuration check, run by the build on the relay.yaml it writes.

The relay is a product of its own (relay/), and only it knows its target kinds' keys; like
promtool for the rules, the build asks it. The check runs in this process when the relay
package and its extra are installed, without reading any secret (they do not exist where the
build runs), on a temporary folder laid out as out/relay/ (relay.yaml beside the template
files it names). Its messages name relay.yaml's keys, which are monitoring.yaml's `relay.`
keys, so they are reported there.
"""

from __future__ import annotations

import os
import tempfile

from common.errors import ConfigError

_NAME = "relay.yaml"


def available() -> bool:
    """Whether the relay and its extra (Jinja2, msgspec) can be imported here."""
    try:
        import relay.config  # noqa: F401
        import relay.kinds  # noqa: F401
    except ImportError:
        return False
    return True


def check(files: dict[str, bytes], config_path: str) -> None:
    """ConfigError naming the monitoring.yaml key when the relay refuses its configuration.
    `files`: out/relay/'s relay.yaml and template files, by name."""
    import yaml

    from relay.config import parse_relay_config
    from relay.secrets import SecretReader
    import relay.kinds  # noqa: F401  (registers the kinds)

    with tempfile.TemporaryDirectory(prefix="gen-relay-check-") as folder:
        for name, data in files.items():
            with open(os.path.join(folder, name), "wb") as fh:
                fh.write(data)
        try:
            parse_relay_config(yaml.safe_load(files[_NAME]), _NAME, folder, SecretReader(read=False))
        except ConfigError as exc:
            message = str(exc).replace(f"{folder}{os.sep}", "")
            if message.startswith(f"{_NAME}: "):
                message = f"{config_path}: relay.{message[len(_NAME) + 2:]}"
            raise ConfigError(f"{message} (the relay's check of the relay.yaml this build writes)") from None
