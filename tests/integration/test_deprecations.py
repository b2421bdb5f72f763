"""Elasticsearch's deprecation warnings reach the task: as Ansible deprecation warnings in the result and on the
screen, once per distinct text, attributed to Elasticsearch."""

from __future__ import annotations

import os
import subprocess
import sys

import requests

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TEXT = "[legacy_setting] is deprecated and will be removed in a future release"
PLAYBOOK = """---
- name: A cluster that deprecates something the task touches
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Read the jobs
      mlops.elasticsearch.ml_anomaly_job_info: {job_id: ["*"]}
      register: found
    - name: Its deprecation is in the result, once
      ansible.builtin.assert:
        that:
          - found.deprecations | map(attribute='msg') | select('search', 'legacy_setting') | list | length == 1
"""


def test_elasticsearch_deprecations_reach_the_task(emulator_server, tmp_path):
    requests.post(emulator_server.url + "/_emulator/reset", timeout=10).raise_for_status()
    requests.post(emulator_server.url + "/_emulator/faults", timeout=10, json=[
        {"method": "GET", "path": "/_ml/anomaly_detectors/*", "count": 5, "warning": TEXT}]).raise_for_status()
    playbook = tmp_path / "deprecations.yml"
    playbook.write_text(PLAYBOOK)
    env = dict(os.environ, ELASTICSEARCH_HOSTS=emulator_server.url, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"),
               ANSIBLE_NOCOLOR="1", ANSIBLE_DEPRECATION_WARNINGS="true")
    result = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), str(playbook)],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert "[DEPRECATION WARNING]: Elasticsearch: %s" % TEXT in output
    requests.delete(emulator_server.url + "/_emulator/faults", timeout=10)
