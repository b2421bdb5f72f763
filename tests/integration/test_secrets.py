"""No secret reaches output (issue 7): a -vvv playbook run with every auth kind, errors and diffs, grepped."""

from __future__ import annotations

import base64
import os
import subprocess
import sys

from conftest import Es
from esml_emulator.app import Security
from esml_emulator.server import EmulatorServer
from kbn_emulator.app import Credentials
from kbn_emulator.server import KibanaServer

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PASSWORD = "pw-S3CRET-basic-1f9a"
API_KEY = "key-S3CRET-api-7c2e"
TOKEN = "tok-S3CRET-bearer-55d0"
VIEWER_PASSWORD = "pw-S3CRET-viewer-0b41"
WRONG = "pw-S3CRET-wrong-9e13"
ENCODED = base64.b64encode(("key1:%s" % API_KEY).encode()).decode()
SECRETS = [PASSWORD, API_KEY, TOKEN, VIEWER_PASSWORD, WRONG, ENCODED,
           base64.b64encode(("elastic:%s" % PASSWORD).encode()).decode(),
           base64.b64encode(("viewer:%s" % VIEWER_PASSWORD).encode()).decode(),
           base64.b64encode(("elastic:%s" % WRONG).encode()).decode()]

PLAYBOOK = """---
- name: Every way to authenticate, and every way to fail
  hosts: localhost
  connection: local
  gather_facts: false
  vars:
    config: {analysis_config: {detectors: [{function: count}]}}
  tasks:
    - name: Basic auth, create with diff
      mlops.elasticsearch.ml_anomaly_job: {hosts: ["URL"], username: elastic, password: "PASSWORD",
                                           job_id: s1, analysis_config: "{{ config.analysis_config }}"}
      diff: true
    - name: API key id and key, check mode with diff
      mlops.elasticsearch.ml_anomaly_job: {hosts: ["URL"], api_key_id: key1, api_key: "API_KEY",
                                           job_id: s1, description: changed, analysis_config: "{{ config.analysis_config }}"}
      check_mode: true
      diff: true
    - name: Encoded API key, info
      mlops.elasticsearch.ml_anomaly_job_info: {hosts: ["URL"], api_key: "ENCODED"}
      register: info
    - name: Bearer token, datafeed
      mlops.elasticsearch.ml_datafeed: {hosts: ["URL"], bearer_token: "TOKEN", job_id: s1, indices: [logs]}
      diff: true
    - name: A datafeed update whose access is a reader's key (es_secondary_authorization), with diff
      mlops.elasticsearch.ml_datafeed: {hosts: ["URL"], bearer_token: "TOKEN", es_secondary_authorization: "ENCODED",
                                        job_id: s1, indices: [logs], scroll_size: 500}
      diff: true
      register: secondary
    - name: Credentials from the environment of the run (exported, as CI does)
      mlops.elasticsearch.ml_anomaly_job: {hosts: ["URL"], job_id: s1, state: opened}
    - name: A wrong password
      mlops.elasticsearch.ml_anomaly_job: {hosts: ["URL"], username: elastic, password: "WRONG", job_id: s1}
      ignore_errors: true
      register: wrong
    - name: A user without manage_ml
      mlops.elasticsearch.ml_anomaly_job: {hosts: ["URL"], username: viewer, password: "VIEWER", job_id: s2,
                                           analysis_config: "{{ config.analysis_config }}"}
      ignore_errors: true
      register: forbidden
    - name: Conflicting credentials
      mlops.elasticsearch.ml_anomaly_job: {hosts: ["URL"], username: elastic, password: "PASSWORD", api_key: "ENCODED",
                                           job_id: s1}
      ignore_errors: true
      register: conflicting
    - name: Show what came back
      ansible.builtin.debug:
        msg: "{{ [info, wrong, forbidden, conflicting, secondary] }}"
    - name: The failures were the expected ones
      ansible.builtin.assert:
        that:
          - wrong is failed and wrong.status == 401
          - forbidden is failed and forbidden.status == 403 and 'manage_ml' in forbidden.msg
          - conflicting is failed and 'mutually exclusive' in conflicting.msg
          - secondary.datafeed.authorization.api_key.id == 'key1'
"""


def test_no_secret_in_any_output(tmp_path):
    security = Security(users={"elastic": (PASSWORD, ["superuser"]), "viewer": (VIEWER_PASSWORD, ["monitor_ml"])},
                        api_keys={"key1": (API_KEY, ["manage_ml", "read"])}, tokens={TOKEN: ["manage_ml", "read"]})
    with EmulatorServer(security=security) as server:
        admin = Es(server.url)
        admin.session.auth = ("elastic", PASSWORD)
        admin.source("logs")  # the index the datafeed reads (its preflight preview needs it)
        text = PLAYBOOK
        for name, value in (("URL", server.url), ("PASSWORD", PASSWORD), ("API_KEY", API_KEY), ("ENCODED", ENCODED),
                            ("TOKEN", TOKEN), ("WRONG", WRONG), ("VIEWER", VIEWER_PASSWORD)):
            text = text.replace('"%s"' % name, '"%s"' % value)
        playbook = tmp_path / "secrets.yml"
        playbook.write_text(text)
        # Exported, not set with the task keyword environment:, which ansible-core itself prints at -vvv
        # (docs/connection.md says so).
        env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1",
                   ELASTICSEARCH_USERNAME="elastic", ELASTICSEARCH_PASSWORD=PASSWORD)
        env.pop("ELASTICSEARCH_HOSTS", None)
        result = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-vvv", str(playbook)],
                                cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-5000:]
    assert "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" in output  # -vvv did print the module arguments, masked
    found = [secret for secret in SECRETS if secret in output]
    assert found == [], "secrets in the output: %s" % found


KIBANA_PLAYBOOK = """---
- name: Every way to authenticate with Kibana, and a failure
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: A job, made through Elasticsearch
      mlops.elasticsearch.ml_anomaly_job: {hosts: ["URL"], job_id: k1, analysis_config: {detectors: [{function: count}]}}
    - name: Basic auth, check mode with diff
      mlops.elasticsearch.ml_job_spaces: {kibana_url: "KIBANA", kibana_username: elastic, kibana_password: "PASSWORD",
                                          job_id: k1, spaces: ["*"]}
      check_mode: true
      diff: true
    - name: API key, the sync with diff
      mlops.elasticsearch.ml_saved_objects_sync: {kibana_url: "KIBANA", kibana_api_key: "ENCODED"}
      diff: true
    - name: Bearer token, the spaces
      mlops.elasticsearch.ml_job_spaces: {kibana_url: "KIBANA", kibana_bearer_token: "TOKEN", job_id: k1, spaces: ["*"]}
    - name: Kibana credentials from the environment of the run, and Elasticsearch's too
      mlops.elasticsearch.ml_anomaly_job_info: {hosts: ["URL"], kibana_url: "KIBANA", job_id: k1}
      register: info
    - name: A wrong Kibana password
      mlops.elasticsearch.ml_job_spaces: {kibana_url: "KIBANA", kibana_username: elastic, kibana_password: "WRONG",
                                          job_id: k1, spaces: ["*"]}
      ignore_errors: true
      register: wrong
    - name: Show what came back
      ansible.builtin.debug:
        msg: "{{ [info, wrong] }}"
    - name: The jobs' spaces were read, and the failure was the expected one
      ansible.builtin.assert:
        that:
          - info.jobs[0].kibana_spaces == ['*']
          - wrong is failed and wrong.status == 401 and 'Kibana did not accept the credentials' in wrong.msg
"""


def test_no_kibana_secret_in_any_output(tmp_path):
    security = Security(users={"elastic": (PASSWORD, ["superuser"])}, api_keys={"key1": (API_KEY, ["manage_ml"])},
                        tokens={TOKEN: ["manage_ml"]})
    credentials = Credentials(users={"elastic": PASSWORD}, api_keys={"key1": API_KEY}, tokens=[TOKEN])
    es_auth = "Basic " + base64.b64encode(("elastic:%s" % PASSWORD).encode()).decode()
    with EmulatorServer(security=security) as server, \
            KibanaServer(server.url, es_auth=es_auth, credentials=credentials) as kibana:
        text = KIBANA_PLAYBOOK
        for name, value in (("URL", server.url), ("KIBANA", kibana.url), ("PASSWORD", PASSWORD), ("ENCODED", ENCODED),
                            ("TOKEN", TOKEN), ("WRONG", WRONG)):
            text = text.replace('"%s"' % name, '"%s"' % value)
        playbook = tmp_path / "kibana-secrets.yml"
        playbook.write_text(text)
        env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1",
                   ELASTICSEARCH_USERNAME="elastic", ELASTICSEARCH_PASSWORD=PASSWORD,
                   KIBANA_USERNAME="elastic", KIBANA_PASSWORD=PASSWORD)
        env.pop("ELASTICSEARCH_HOSTS", None)
        env.pop("KIBANA_URL", None)
        result = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-vvv", str(playbook)],
                                cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-5000:]
    assert "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" in output
    found = [secret for secret in SECRETS if secret in output]
    assert found == [], "secrets in the output: %s" % found
