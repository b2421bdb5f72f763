"""The how-to playbooks (playbooks/how-to/*.yml) run end to end against an emulator, and each how-to page
(docs/how-to/<name>.md) shows its playbook as it is."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import requests

from esml_emulator.server import EmulatorServer

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
HOWTOS = os.path.join(ROOT, "playbooks", "how-to")


def _playbooks():
    return sorted(name[:-4] for name in os.listdir(HOWTOS) if name.endswith(".yml"))


# how-tos that move jobs from one cluster to another get a second emulator as ``target_hosts``
TWO_CLUSTERS = ("move-jobs-between-clusters",)
# how-tos that need a Kibana get the Kibana emulator, reading the emulator of the test, as KIBANA_URL
WITH_KIBANA = ("kibana-spaces",)
# how-tos that converge an inventory of clusters get that many emulators, one inventory host each
INVENTORY_OF_CLUSTERS = {"many-clusters": 3}


def test_there_are_howto_playbooks():
    assert {"revert-after-bad-window", "upgrade-cluster-with-ml-jobs", "install-kibana-module-jobs",
            "move-jobs-between-clusters", "many-clusters", "kibana-spaces"} <= set(_playbooks())


@pytest.fixture
def target_server():
    server = EmulatorServer().start()
    yield server
    server.stop()


@pytest.mark.parametrize("name", _playbooks())
def test_howto_runs_against_the_emulator(name, emulator_server, request, tmp_path):
    requests.post(emulator_server.url + "/_emulator/reset", timeout=10).raise_for_status()
    env = dict(os.environ, ELASTICSEARCH_HOSTS=emulator_server.url, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"),
               ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false")
    for key in ("ELASTICSEARCH_API_KEY", "ELASTICSEARCH_USERNAME", "ELASTICSEARCH_PASSWORD", "ELASTICSEARCH_CLOUD_ID"):
        env.pop(key, None)  # the emulator of this test, whatever else the environment points at
    command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), os.path.join(HOWTOS, name + ".yml")]
    env.pop("KIBANA_URL", None)
    if name in WITH_KIBANA:
        kibana = request.getfixturevalue("kibana_server")
        requests.post(kibana.url + "/_emulator/reset", timeout=10).raise_for_status()
        env["KIBANA_URL"] = kibana.url
    if name in TWO_CLUSTERS:
        command += ["-e", "target_hosts=%s" % request.getfixturevalue("target_server").url]
    clusters = []
    if name in INVENTORY_OF_CLUSTERS:
        clusters = [EmulatorServer().start() for _n in range(INVENTORY_OF_CLUSTERS[name])]
        request.addfinalizer(lambda: [server.stop() for server in clusters])
        inventory = tmp_path / "clusters.yml"
        hosts = dict(("cluster-%d" % n, {"es_hosts": [server.url]}) for n, server in enumerate(clusters))
        inventory.write_text(json.dumps({"all": {"children": {"ml_clusters": {"hosts": hosts}}}}))
        command += ["-i", str(inventory), "--forks", str(len(clusters))]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)
    output = "%s\n%s" % (result.stdout[-6000:], result.stderr[-3000:])
    assert result.returncode == 0, output
    assert "failed=0" in result.stdout and "All assertions passed" in result.stdout
    for server in clusters:  # every cluster of the inventory was converged, each by its own host
        found = requests.get(server.url + "/_ml/anomaly_detectors/shop", timeout=10).json()
        assert sorted(j["job_id"] for j in found["jobs"]) == ["shop-checkout-latency", "shop-payment-errors"]


@pytest.mark.parametrize("name", _playbooks())
def test_howto_page_shows_its_playbook(name):
    with open(os.path.join(HOWTOS, name + ".yml"), encoding="utf-8") as handle:
        playbook = handle.read()
    with open(os.path.join(ROOT, "docs", "how-to", name + ".md"), encoding="utf-8") as handle:
        page = handle.read()
    assert "```yaml\n" + playbook + "```" in page, "docs/how-to/%s.md must show playbooks/how-to/%s.yml as it is" % (
        name, name)
