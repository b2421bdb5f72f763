"""Two playbooks converging the same 20 jobs at the same time both finish, with the jobs as declared (issue 7)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import requests

from conftest import Es

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
JOBS = ["race-%02d" % i for i in range(20)]
PLAYBOOK = """---
- name: Converge the race jobs
  hosts: localhost
  connection: local
  gather_facts: false
  roles:
    - role: mlops.elasticsearch.anomaly_detection
      vars:
        anomaly_detection_jobs: %s
"""


def test_two_runs_converge_the_same_jobs_at_once(emulator_server, tmp_path):
    requests.post(emulator_server.url + "/_emulator/reset", timeout=10).raise_for_status()
    Es(emulator_server.url).source("logs-1")  # what the datafeeds read: time and host mapped
    # slow creates, opens and starts, so that one run reads "missing" or "closed" while the other's write is in flight
    requests.post(emulator_server.url + "/_emulator/faults", timeout=10, json=[
        {"method": "PUT", "path": "/_ml/*", "count": 80, "delay_ms": 250},
        {"method": "POST", "path": "/_ml/*/_open", "count": 40, "delay_ms": 250},
        {"method": "POST", "path": "/_ml/*/_start", "count": 40, "delay_ms": 250}]).raise_for_status()
    jobs = [{"job_id": job_id,
             "config": {"groups": ["race"], "analysis_config": {"bucket_span": "15m",
                                                                "detectors": [{"function": "count", "by_field_name": "host"}]}},
             "datafeed": {"config": {"indices": ["logs-*"]}}} for job_id in JOBS]
    playbook = tmp_path / "race.yml"
    playbook.write_text(PLAYBOOK % json.dumps(jobs))
    env = dict(os.environ, ELASTICSEARCH_HOSTS=emulator_server.url, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"),
               ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false")
    command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), str(playbook)]
    runs = [subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            for _run in range(2)]
    outputs = [run.communicate(timeout=600)[0] for run in runs]
    for run, output in zip(runs, outputs):
        assert run.returncode == 0, output[-5000:]
    stats = requests.get(emulator_server.url + "/_ml/anomaly_detectors/race/_stats", timeout=10).json()
    assert sorted(j["job_id"] for j in stats["jobs"]) == JOBS
    assert {j["state"] for j in stats["jobs"]} == {"opened"}
    feeds = requests.get(emulator_server.url + "/_ml/datafeeds/_stats", timeout=10).json()["datafeeds"]
    assert sorted(f["datafeed_id"] for f in feeds) == ["datafeed-" + j for j in JOBS]
    assert {f["state"] for f in feeds} == {"started"}
    log = requests.get(emulator_server.url + "/_emulator/requests", timeout=10).json()
    creates = [e for e in log if e["method"] == "PUT" and e["path"].startswith("/_ml/anomaly_detectors/")]
    assert len([e for e in creates if e["status"] == 200]) == 20  # each job created once, whoever won
    lost = [e for e in log if e["status"] in (400, 409)]
    assert len(lost) >= 5, "the runs never raced: %s" % lost  # races happened, and were recognised
