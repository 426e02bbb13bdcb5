"""Where a build reads its catalogs (gen.sources, monitoring.yaml's `sources:`): the toolkit's
and a team's folders together, every bad setting named by its key, clashes naming both files."""

from __future__ import annotations

from support.paths import REPO
import os
from pathlib import Path

import pytest
import yaml

from gen import scaffold, sources, upstream
from gen.build import build
from gen.config import load_config
from gen.core.errors import ConfigError, DefinitionError, OptionError
from gen.rules.loader import load_catalog

REPO = REPO

TEAM_MODULE = '''
from gen.model import Alert, Case, Fire, Group

groups = [Group("team", [Alert(
    "TeamThingDown", expr="up{job=\\"thing\\"} == 0", severity="warning", summary="Thing down.",
    description="Thing at {{ $labels.job }} is down.",
    cases=[Case("fires", series={'up{job="thing"}': "0x5"}, at="2m", fires=[Fire({"job": "thing"}, value=0)]),
           Case("silent", series={'up{job="thing"}': "1x5"}, at="2m")])])]
'''


def _team(tmp_path: Path, settings: dict | None = None, module: str = "team.py") -> Path:
    (tmp_path / "rules_src").mkdir()
    (tmp_path / "rules_src" / module).write_text(TEAM_MODULE)
    path = tmp_path / "monitoring.yaml"
    path.write_text(yaml.safe_dump(settings or {}))
    return path


def test_the_team_catalog_builds_with_the_toolkits(tmp_path):
    config = _team(tmp_path, {"runbook_url_base": "https://team.example/runbooks",
                              "sources": {"upstream_runbook_url_base": "https://toolkit.example/runbooks"}})
    compiled, files = build(str(config))
    names = [m.name for m in compiled.catalog.modules]
    assert names == [m.name for m in load_catalog(upstream.RULES).modules] + ["team"]
    assert "rules/team.yaml" in files and "rules/pods.yaml" in files
    urls = {r.name: r.annotations["runbook_url"] for rf in compiled.rule_files for g in rf.groups for r in g.rules
            if hasattr(r, "annotations")}
    assert urls["TeamThingDown"] == "https://team.example/runbooks/TeamThingDown.md"
    assert urls["PodCpu75"] == "https://toolkit.example/runbooks/PodCpu75.md"
    assert compiled.sources.routing == upstream.ROUTING and compiled.routing is not None


def test_the_repositorys_own_folders_are_the_toolkits_read_once():
    located = sources.of(load_config(str(REPO / "monitoring.yaml")))
    assert located.rules == (upstream.RULES,) and located.dashboards == (upstream.DASHBOARDS,)
    assert located.routing == upstream.ROUTING


def test_upstream_off_builds_the_team_catalog_alone(tmp_path):
    compiled, _ = build(str(_team(tmp_path, {"sources": {"upstream": False}})))
    assert [m.name for m in compiled.catalog.modules] == ["team"] and compiled.routing is None


def test_a_module_name_both_catalogs_use_names_both_files(tmp_path):
    config = _team(tmp_path, module="pods.py")
    with pytest.raises(DefinitionError) as err:
        build(str(config))
    assert str(tmp_path / "rules_src" / "pods.py") in str(err.value)
    assert os.path.join(upstream.RULES, "pods.py") in str(err.value)


def test_a_team_selector_may_not_redefine_the_toolkits(tmp_path):
    config = _team(tmp_path)
    (tmp_path / "rules_src" / "_selectors.py").write_text("SELECTORS = {'cadvisor': 'job=\"x\"', 'thing': 'job=\"thing\"'}\n")
    with pytest.raises(DefinitionError, match=r"_selectors\.py: SELECTORS redefines 'cadvisor' .*`selectors:` in monitoring\.yaml"):
        build(str(config))
    (tmp_path / "rules_src" / "_selectors.py").write_text("SELECTORS = {'thing': 'job=\"thing\"'}\n")
    assert build(str(config))[0].catalog.selectors["thing"] == 'job="thing"'


@pytest.mark.parametrize("settings, key", [
    ({"rules": "missing"}, "sources.rules: 'missing'"),
    ({"dashboards": ["dashboards_src", "nope"]}, "sources.dashboards: 'dashboards_src'"),
    ({"rules": 3}, "sources.rules: expected a folder or a list of folders"),
    ({"routing": "routing_src"}, "sources.routing: 'routing_src': name a routing module"),
    ({"routing": "gone.py"}, "sources.routing: 'gone.py'"),
    ({"upstream": False, "routing": "upstream"}, "sources.routing: `upstream` needs sources.upstream: true"),
    ({"upstream": "yes"}, "sources.upstream"),
    ({"rule": ["rules_src"]}, "sources.rule"),
])
def test_bad_sources_name_their_key(tmp_path, settings, key):
    config = _team(tmp_path, {"sources": settings})
    with pytest.raises(ConfigError) as err:
        build(str(config))
    assert f"{config}: {key}" in str(err.value)


def test_no_catalog_at_all_is_an_error(tmp_path):
    config = tmp_path / "monitoring.yaml"
    config.write_text("sources: {upstream: false}\n")
    with pytest.raises(ConfigError, match=r"sources: no catalog"):
        build(str(config))


def test_init_never_overwrites(tmp_path):
    written = scaffold.write(str(tmp_path / "team"))
    assert str(tmp_path / "team" / "monitoring.yaml") in written
    (tmp_path / "again").mkdir()
    (tmp_path / "again" / "Makefile").write_text("mine\n")
    with pytest.raises(OptionError, match=r"already holds Makefile"):
        scaffold.write(str(tmp_path / "again"))
    assert (tmp_path / "again" / "Makefile").read_text() == "mine\n"
    assert not (tmp_path / "again" / "monitoring.yaml").exists()
