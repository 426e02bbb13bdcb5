"""docs/checks/: one generated page per check a rule can skip, the index, and `gen check`
reporting a page that is stale or belongs to no check any more."""

from __future__ import annotations

from support.paths import REPO
import re
import sys
import types

import pytest

from gen.render import outdir
from gen.build import DOCS_OWNED, compile_rules, render_docs
from gen.config import Config
from gen.core.errors import DefinitionError
from gen.rules.lint import CHECKS, ERROR, WARNING, check
from gen.render.docs import CHECKS_DIR, OTHER_CHECKS, checks_markdown

ROOT = REPO

FAKE_MODULE = "fake_lint_check_for_docs"
FULL_DOC = """A fake check, to see a new check get its page.

Why: pages must follow the registry without anyone editing docs/.

Example: a rule it reports:

    Alert("Fake", expr="up")

Fix:

    Alert("Fake", expr="up == 0")
"""


def _every_check() -> dict[str, str]:
    """name -> level of every check that should have a page."""
    return {**{c.name: c.level for c in CHECKS.values()}, **{entry[0]: entry[1] for entry in OTHER_CHECKS}}


@pytest.fixture
def fake_module():
    """A module for fake checks (its docstring set per test); the checks it registers and the
    module itself are removed afterwards, so other tests see the real registry."""
    module = types.ModuleType(FAKE_MODULE)
    sys.modules[FAKE_MODULE] = module
    before = dict(CHECKS)
    try:
        yield module
    finally:
        CHECKS.clear()
        CHECKS.update(before)
        del sys.modules[FAKE_MODULE]


def _register(module, name: str, level: str, fn_doc: str | None):
    def fake(ctx):
        return iter(())

    fake.__doc__ = fn_doc
    fake.__module__ = module.__name__
    check(name, level)(fake)


def test_every_check_has_a_page_naming_its_skip_key_and_level():
    pages = checks_markdown()
    checks = _every_check()
    assert "silent-case" in checks  # gen test's check, skippable by name, has its page too
    assert set(pages) == {f"{CHECKS_DIR}/{name}.md" for name in checks} | {f"{CHECKS_DIR}/README.md"}
    for name, level in checks.items():
        page = pages[f"{CHECKS_DIR}/{name}.md"].decode()
        assert page.startswith(f"# `{name}`\n"), name
        assert f'lint_skip=("{name}",)' in page, name
        assert re.search(rf"^- Level: \*\*{level}\*\*", page, re.M), name
        for heading in ("## Why it matters", "## Example", "## Fix", "## Skip it"):
            assert heading in page, (name, heading)
        # the example and the fix are code, not empty headings
        example = page.split("## Example", 1)[1].split("## Fix", 1)[0]
        fix = page.split("## Fix", 1)[1].split("## Skip it", 1)[0]
        assert "```python\n" in example and "```python\n" in fix, name


def test_index_lists_every_check_with_level_and_link():
    index = checks_markdown()[f"{CHECKS_DIR}/README.md"].decode()
    rows = dict(re.findall(r"^\| \[`([a-z-]+)`\]\([a-z-]+\.md\) \| (error|warning) \|", index, re.M))
    assert rows == _every_check()


def test_every_lint_skip_in_the_catalog_names_a_documented_check():
    catalog = compile_rules(Config()).catalog
    used = {name for m in catalog.modules for g in m.groups for r in g.rules for name in r.lint_skip}
    assert used  # the catalog skips some (Watchdog, kube-state-metrics' own errors)
    assert used <= set(_every_check())


def test_committed_pages_are_the_generated_ones():
    docs = render_docs(compile_rules(Config()))
    assert outdir.compare_files(str(ROOT), docs, owned=DOCS_OWNED) == []


def test_a_new_check_gets_its_page(fake_module):
    fake_module.__doc__ = FULL_DOC
    _register(fake_module, "fake-check", WARNING, "A fake finding, for the index.")
    pages = checks_markdown()
    page = pages[f"{CHECKS_DIR}/fake-check.md"].decode()
    assert "## Why it matters\n\nPages must follow the registry without anyone editing docs/." in page
    assert 'Alert("Fake", expr="up == 0")' in page.split("## Fix", 1)[1]
    assert "- Level: **warning**" in page
    assert "| [`fake-check`](fake-check.md) | warning |" in pages[f"{CHECKS_DIR}/README.md"].decode()


@pytest.mark.parametrize("module_doc, fn_doc, says", [
    (FULL_DOC, None, "fake() has no docstring"),
    (None, "A fake finding.", "the module has no docstring"),
    (FULL_DOC.split("Fix:")[0], "A fake finding.", "lacks 'Fix:'"),
    ("One line only.", "A fake finding.", "lacks 'Why:', 'Example:', 'Fix:'"),
])
def test_a_check_without_its_docstrings_fails_the_render_naming_the_module(fake_module, module_doc, fn_doc, says):
    fake_module.__doc__ = module_doc
    _register(fake_module, "fake-undocumented", ERROR, fn_doc)
    with pytest.raises(DefinitionError) as err:
        checks_markdown()
    assert f"{FAKE_MODULE}.py: check fake-undocumented" in str(err.value)
    assert says in str(err.value)


def test_check_reports_a_changed_page_and_one_of_a_removed_check(tmp_path):
    pages = checks_markdown()
    outdir.replace_files(str(tmp_path), pages, owned=DOCS_OWNED)
    assert outdir.compare_files(str(tmp_path), pages, owned=DOCS_OWNED) == []
    changed = f"{CHECKS_DIR}/rate-range.md"
    (tmp_path / changed).write_text("edited by hand\n")
    removed = f"{CHECKS_DIR}/no-longer-a-check.md"
    (tmp_path / removed).write_text("# `no-longer-a-check`\n")
    assert outdir.compare_files(str(tmp_path), pages, owned=DOCS_OWNED) == [changed, removed]
    # the build rewrites the one and removes the other
    outdir.replace_files(str(tmp_path), pages, owned=DOCS_OWNED)
    assert outdir.compare_files(str(tmp_path), pages, owned=DOCS_OWNED) == []
    assert not (tmp_path / removed).exists()
