"""Runs every integration target (tests/integration/targets/<name>/tasks/main.yml) with ansible-playbook.

Against the emulator by default (reset before each target, and its URL passed as ``emulator_url`` so
targets can read its request log); against a real cluster, unchanged, when ELASTICSEARCH_HOSTS is
set (then ``emulator_url`` is undefined and emulator-only checks are skipped). Connection settings
reach the modules through their ELASTICSEARCH_* environment fallbacks.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import requests

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
TARGETS = os.path.join(HERE, "targets")
# es_url and es_headers let targets check results with ansible.builtin.uri, independently of the modules.
PLAYBOOK = """---
- name: Integration target {target}
  hosts: localhost
  connection: local
  gather_facts: false
  vars:
    es_url: "{{{{ lookup('ansible.builtin.env', 'ELASTICSEARCH_HOSTS').split(',') | first | trim }}}}"
    es_api_key: "{{{{ lookup('ansible.builtin.env', 'ELASTICSEARCH_API_KEY') }}}}"
    es_user: "{{{{ lookup('ansible.builtin.env', 'ELASTICSEARCH_USERNAME') }}}}"
    es_headers: >-
      {{{{ {{'Authorization': 'ApiKey ' ~ es_api_key}} if es_api_key
         else ({{'Authorization': 'Basic ' ~ (es_user ~ ':' ~ lookup('ansible.builtin.env', 'ELASTICSEARCH_PASSWORD'))
                | b64encode}} if es_user else {{}}) }}}}
  roles:
    - role: {target}
"""


# Targets that need a Kibana as well: against a real cluster they run only when KIBANA_URL names its Kibana.
KIBANA_TARGETS = ("ml_job_spaces",)


def _targets():
    """Every target directory; setup_* ones are helpers the targets include, not targets."""
    return sorted(name for name in os.listdir(TARGETS)
                  if not name.startswith("setup_") and os.path.isfile(os.path.join(TARGETS, name, "tasks", "main.yml")))


@pytest.fixture
def cluster(request):
    """(hosts for the modules, emulator URL or None)."""
    hosts = os.environ.get("ELASTICSEARCH_HOSTS")
    if hosts:
        return hosts, None
    server = request.getfixturevalue("emulator_server")
    requests.post(server.url + "/_emulator/reset", timeout=10).raise_for_status()
    return server.url, server.url


def test_targets_are_discovered():
    assert "emulator_seed_example" in _targets()


@pytest.mark.parametrize("target", _targets())
def test_target(target, cluster, tmp_path, request):
    hosts, emulator_url = cluster
    playbook = tmp_path / "run.yml"
    playbook.write_text(PLAYBOOK.format(target=target))
    env = dict(os.environ, ELASTICSEARCH_HOSTS=hosts, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"),
               ANSIBLE_ROLES_PATH=TARGETS, ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="false",
               ANSIBLE_INVENTORY_UNPARSED_WARNING="false")
    command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), str(playbook)]
    if emulator_url:
        command += ["-e", "emulator_url=%s" % emulator_url]
    if target in KIBANA_TARGETS:
        if emulator_url:  # the Kibana emulator, reading the Elasticsearch emulator
            kibana = request.getfixturevalue("kibana_server")
            requests.post(kibana.url + "/_emulator/reset", timeout=10).raise_for_status()
            env["KIBANA_URL"] = kibana.url
            command += ["-e", "kibana_emulator_url=%s" % kibana.url]
        elif not os.environ.get("KIBANA_URL"):
            pytest.skip("a real cluster without KIBANA_URL: no Kibana to run %s against" % target)
        command += ["-e", "kibana_url=%s" % env["KIBANA_URL"]]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)
    output = "%s\n%s" % (result.stdout[-6000:], result.stderr[-3000:])
    assert result.returncode == 0, "ansible-playbook failed for %s:\n%s" % (target, output)
