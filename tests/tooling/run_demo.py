"""Runs playbooks/demo.yml: against ELASTICSEARCH_HOSTS (and KIBANA_URL, if set) when it is set, else against an
emulator on loopback and a Kibana emulator reading it."""

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "emulator"))
sys.path.insert(0, os.path.join(ROOT, "tests", "kibana_emulator"))


def main():
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_DISPLAY_SKIPPED_HOSTS="false",
               ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false")
    command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), os.path.join(ROOT, "playbooks", "demo.yml")]
    if os.environ.get("ELASTICSEARCH_HOSTS"):
        return subprocess.call(command, cwd=ROOT, env=env)
    from esml_emulator.server import EmulatorServer  # pylint: disable=import-outside-toplevel
    from kbn_emulator.server import KibanaServer  # pylint: disable=import-outside-toplevel

    with EmulatorServer() as server, KibanaServer(server.url) as kibana:
        print("Emulator of the Elasticsearch ML API on %s, and of Kibana on %s (set ELASTICSEARCH_HOSTS, and KIBANA_URL, "
              "to use a real cluster)" % (server.url, kibana.url), flush=True)
        env.update(ELASTICSEARCH_HOSTS=server.url, MLOPS_DEMO_EMULATOR="true", KIBANA_URL=kibana.url)
        return subprocess.call(command, cwd=ROOT, env=env)


if __name__ == "__main__":
    sys.exit(main())
