"""A newcomer's first steps, as docs/getting-started.md tells them: no warnings from the repository, and a
playbook in a project of their own that finds the collection through ANSIBLE_COLLECTIONS_PATH."""

from __future__ import annotations

import os
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PLAYBOOK = """---
- name: First steps
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Ask for a job that is not there
      mlops.elasticsearch.ml_anomaly_job_info:
        job_id: [not-there]
      register: found
    - name: An audit's question gets an answer
      ansible.builtin.assert:
        that: [found.count == 0]
"""


def _run(cwd, playbook, env, *args):
    command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), str(playbook)] + list(args)
    return subprocess.run(command, cwd=str(cwd), env=env, capture_output=True, text=True, timeout=300, check=False)


def _env(emulator_server, **extra):
    env = dict((k, v) for k, v in os.environ.items() if not k.startswith("ANSIBLE_"))
    env.update(ELASTICSEARCH_HOSTS=emulator_server.url, ANSIBLE_NOCOLOR="1", **extra)
    return env


def test_from_the_repository_no_inventory_warnings(emulator_server, tmp_path):
    playbook = tmp_path / "first.yml"
    playbook.write_text(PLAYBOOK)
    result = _run(ROOT, playbook, _env(emulator_server))  # ansible.cfg of the repository, as a user runs it
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "No inventory was parsed" not in output and "provided hosts list is empty" not in output, output
    assert "[WARNING]" not in output, output


def test_from_another_project_with_collections_path(emulator_server, tmp_path):
    project = tmp_path / "elsewhere"
    project.mkdir()
    playbook = project / "site.yml"
    playbook.write_text(PLAYBOOK)
    env = _env(emulator_server, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".collections"))
    result = _run(project, playbook, env, "-i", os.path.join(ROOT, "inventory", "localhost.yml"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok=2" in result.stdout
