"""The promtool suite: every alert's own cases, the hand-written tests, and `check rules`."""

from __future__ import annotations

import os

import pytest

from gen import outdir, promtool, testing
from gen.build import build
from gen.config import Config
from gen.build import compile_rules


@pytest.fixture(scope="session")
def suite(tmp_path_factory):
    dest = tmp_path_factory.mktemp("promtool-suite")
    return dest, testing.write_suite(str(dest))


def _suite_files():
    # Collected once at import so each file is its own test id; the fixture writes the files.
    from gen.build import DEFAULT_RULES_SRC

    names = []
    compiled = compile_rules(Config(), DEFAULT_RULES_SRC)
    names += sorted({rf.name for rf, _ in testing.alert_cases(compiled.rule_files)})
    names += [f"tests/promtool/{n}" for n in sorted(os.listdir(testing.HANDWRITTEN_DIR)) if n.endswith((".yaml", ".yml"))]
    return names


@pytest.mark.parametrize("title", _suite_files())
def test_promtool_unit_tests(suite, title):
    dest, files = suite
    (test,) = [t for t in files if t.title == title]
    run = promtool.test_rules([os.path.basename(test.path)], cwd=str(dest))
    assert run.ok, f"promtool test rules failed for {title}:\n{run.output}"


def test_every_alert_has_firing_and_silent_cases():
    compiled = compile_rules(Config())
    gaps = testing.coverage_gaps(compiled.rule_files)
    assert not gaps, "alerts without both kinds of test case:\n" + "\n".join(gaps)


def test_built_rule_files_pass_promtool_check(tmp_path):
    """The rule files of out/ as the repository's monitoring.yaml builds them."""
    _, files = build()
    outdir.write_tree(str(tmp_path), files)
    plain = sorted(str(tmp_path / p) for p in files if p.startswith("rules/"))
    assert plain
    run = promtool.check_rules(plain)
    assert run.ok, run.output


def test_a_broken_case_fails_with_promtools_expected_and_got(tmp_path):
    """The runner reports promtool's exp/got when a case's expectation is wrong."""
    files = testing.write_suite(str(tmp_path), handwritten=None)
    pods = next(t for t in files if t.title == "pods")
    text = open(pods.path).read()
    assert "Pod shop/web-1 uses 76.67% of its CPU limit" in text
    with open(pods.path, "w") as fh:
        fh.write(text.replace("uses 76.67% of its CPU limit", "uses 99% of its CPU limit"))
    run = promtool.test_rules([os.path.basename(pods.path)], cwd=str(tmp_path))
    assert not run.ok
    assert "PodCpu75: fires at 76.67% of the limit after 7m" in run.output
    assert "exp:" in run.output and "got:" in run.output
