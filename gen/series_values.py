"""promtool's series-value notation (`0+10x20`, `_`, `stale`), for catalogs' case builders.

Public name of gen.core.series_values (see gen.model)."""

from gen.core.series_values import STALE, Sample, expand, join  # noqa: F401
