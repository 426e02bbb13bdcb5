"""Deterministic YAML: keys in the order given, multi-line strings as literal blocks.

libyaml's emitter (CSafeDumper) is used when PyYAML has it, for speed; both emitters give the
same text for the plain data written here.
"""

from __future__ import annotations

import yaml

_Base = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Dumper(_Base):  # type: ignore[misc,valid-type]
    def ignore_aliases(self, data) -> bool:
        """Never write anchors (&id001) and aliases: a value shared between two rules is
        written out at both places, as a reader of the file expects (and it is faster)."""
        return True


def _str(dumper, data: str):
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _str)


def dump(data, *, documents: bool = False) -> bytes:
    """YAML text as bytes; `documents` writes a list as a multi-document stream."""
    kwargs = dict(Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=10_000, default_flow_style=False)
    if documents:
        text = yaml.dump_all(data, explicit_start=True, **kwargs)
    else:
        text = yaml.dump(data, **kwargs)
    return text.encode("utf-8")
