"""Series builders of the catalog's cases, one module per area: each returns series in
promtool notation, in the label sets the exporters really emit (tests/support/exporter_labels.py
holds them to the exporters' documentation), so the areas read as catalogs."""
