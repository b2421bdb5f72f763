"""Collection metadata: the action group lists every module, and the declared versions hold."""

from __future__ import annotations

import os

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def _load(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def test_action_group_equals_modules():
    """Every module is in group/mlops.elasticsearch.elasticsearch, and nothing else is (STYLE.md)."""
    modules_dir = os.path.join(ROOT, "plugins", "modules")
    modules = set()
    if os.path.isdir(modules_dir):
        modules = {name[:-3] for name in os.listdir(modules_dir) if name.endswith(".py") and name != "__init__.py"}
    group = _load("meta/runtime.yml")["action_groups"]["elasticsearch"] or []
    assert sorted(group) == sorted(modules)
    assert len(group) == len(set(group))


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
