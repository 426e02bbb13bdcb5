"""Renderers: resolved model -> file contents (bytes), keyed by path under out/."""
