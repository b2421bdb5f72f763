"""Collection metadata: the action group lists every module, and the declared versions hold."""

from __future__ import annotations

import os

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def _load(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _fragments(module):
    """The doc fragments a module's DOCUMENTATION extends: the connection options it takes."""
    with open(os.path.join(ROOT, "plugins", "modules", module + ".py"), encoding="utf-8") as handle:
        text = handle.read()
    block = text.split('DOCUMENTATION = r"""', 1)[1].split('"""', 1)[0]
    return set(yaml.safe_load(block).get("extends_documentation_fragment") or [])


def test_action_groups_equal_the_modules_of_each_connection():
    """Every module is in an action group (STYLE.md): group/mlops.elasticsearch.elasticsearch holds exactly the
    modules that take the Elasticsearch connection, group/mlops.elasticsearch.kibana those that take Kibana's, so
    that module_defaults for a group never gives a module an option it does not take."""
    modules_dir = os.path.join(ROOT, "plugins", "modules")
    modules = {name[:-3] for name in os.listdir(modules_dir) if name.endswith(".py") and name != "__init__.py"}
    groups = _load("meta/runtime.yml")["action_groups"]
    for group, fragment in (("elasticsearch", "mlops.elasticsearch.connection"), ("kibana", "mlops.elasticsearch.kibana")):
        members = groups[group] or []
        assert len(members) == len(set(members))
        assert sorted(members) == sorted(m for m in modules if fragment in _fragments(m)), group
    assert set(groups["elasticsearch"]) | set(groups["kibana"]) == modules
    assert "ml_job_spaces" in groups["kibana"] and "ml_job_spaces" not in groups["elasticsearch"]


def test_requires_ansible_and_galaxy():
    runtime = _load("meta/runtime.yml")
    assert runtime["requires_ansible"] == ">=2.16.0"
    galaxy = _load("galaxy.yml")
    assert (galaxy["namespace"], galaxy["name"], galaxy["version"]) == ("mlops", "elasticsearch", "0.1.0")
    assert galaxy["license"] == ["GPL-3.0-or-later"]
    assert {"database", "monitoring"} <= set(galaxy["tags"])


def test_execution_environment_lists_requests():
    ee = _load("meta/execution-environment.yml")
    with open(os.path.join(ROOT, ee["dependencies"]["python"]), encoding="utf-8") as handle:
        assert "requests" in handle.read()
