"""Fixtures shared by the unit, emulator and integration tests: an emulator on a loopback port."""

from __future__ import annotations

import json
import re

import pytest
import requests
import trustme

from esml_emulator.app import Security
from esml_emulator.server import EmulatorServer
from kbn_emulator.server import KibanaServer


class Reply:
    def __init__(self, response):
        self.status = response.status_code
        self.headers = response.headers
        self.text = response.text
        try:
            self.json = response.json()
        except ValueError:
            self.json = None

    def __repr__(self):
        return "Reply(%d, %s)" % (self.status, self.text[:300])


class Es:
    """Raw HTTP against an emulator (or any ES): no client logic, so tests see the wire as it is."""

    def __init__(self, url, **session_options):
        self.url = url.rstrip("/")
        self.session = requests.Session()
        self.session.trust_env = False  # no CA bundle or proxy from the environment
        for key, value in session_options.items():
            setattr(self.session, key, value)

    def __call__(self, method, path, body=None, params=None, raw=None, headers=None):
        sent_headers = dict(headers or {})
        data = raw
        if body is not None:
            data = json.dumps(body)
            sent_headers.setdefault("Content-Type", "application/json")
        return Reply(self.session.request(method, self.url + path, data=data, params=params, headers=sent_headers,
                                          timeout=30))

    # emulator control (/_emulator/...)
    def log(self):
        return self.session.get(self.url + "/_emulator/requests", timeout=10).json()

    def clear_log(self):
        self.session.delete(self.url + "/_emulator/requests", timeout=10)

    def fault(self, **spec):
        return self.session.post(self.url + "/_emulator/faults", json=spec, timeout=10).json()

    def settings(self, **values):
        return self.session.put(self.url + "/_emulator/settings", json=values, timeout=10).json()

    def runtime(self, job_id, **values):
        return self.session.post(self.url + "/_emulator/jobs/%s/_runtime" % job_id, json=values, timeout=10).json()

    def reset(self):
        self.session.post(self.url + "/_emulator/reset", timeout=10).raise_for_status()

    def seed_snapshot(self, job_id, **values):
        """A model snapshot as an earlier cluster made it (``min_version``, ``timestamp``, ``active``, ...)."""
        return self.session.post(self.url + "/_emulator/jobs/%s/_snapshots" % job_id, json=values, timeout=10).json()

    def snapshot_by_closing(self, job_id, at=1767225600000):
        """Open the job, post one record at ``at`` (epoch ms), close it: Elasticsearch persists a model snapshot on that close.
        Returns the new snapshot's id."""
        self("POST", "/_ml/anomaly_detectors/%s/_open" % job_id)
        self("POST", "/_ml/anomaly_detectors/%s/_data" % job_id, raw=json.dumps({"timestamp": at}) + "\n",
             headers={"Content-Type": "application/x-ndjson"})
        self("POST", "/_ml/anomaly_detectors/%s/_close" % job_id)
        return self("GET", "/_ml/anomaly_detectors/" + job_id).json["jobs"][0]["model_snapshot_id"]

    def advance(self, duration):
        """Move the emulator's clock forward (a real-time datafeed then reads what became due)."""
        return self.session.post(self.url + "/_emulator/clock", json={"advance": duration}, timeout=10).json()

    # shortcuts
    def put_job(self, job_id, body=None, **params):
        return self("PUT", "/_ml/anomaly_detectors/" + job_id, body or minimal_job(), params=params or None)

    def source(self, name, **fields):
        """An index for datafeeds to read, mapped with the fields the tests' jobs use: ES refuses to start a
        datafeed over an index that does not exist or lacks a mapping for one of its job's fields."""
        mapped = dict(SOURCE_FIELDS, **fields)
        return self("PUT", "/" + name, {"mappings": {"properties": dict((f, {"type": t}) for f, t in mapped.items())}})

    def docs(self, index, *docs):
        """Index documents and make them searchable (``_bulk`` with ``refresh=true``)."""
        lines = "".join(json.dumps({"index": {"_index": index}}) + "\n" + json.dumps(d) + "\n" for d in docs)
        return self("POST", "/_bulk", raw=lines, params={"refresh": "true"},
                    headers={"Content-Type": "application/x-ndjson"})


# Requests that change nothing though sent with POST: preflight's validate, estimate and preview, and field caps.
READ_ONLY_POST = re.compile(r"/_ml/anomaly_detectors/(_validate(/detector)?|_estimate_model_memory)\Z"
                            r"|/_ml/datafeeds/([^/]+/)?_preview\Z|/_field_caps\Z")


def is_write(entry):
    """Whether a request-log entry could change the cluster (what check mode must never send)."""
    return entry["method"] not in ("GET", "HEAD") and not READ_ONLY_POST.search(entry["path"])


# The fields the jobs of the tests use, and the indices their datafeeds read.
SOURCE_FIELDS = {"timestamp": "date", "time": "date", "ts": "date", "@timestamp": "date", "host": "keyword",
                 "bytes": "long", "message": "text", "app": "keyword", "region": "keyword", "clientip": "ip",
                 "uri": "keyword", "user": "keyword", "value": "double", "x": "double", "a": "keyword",
                 "b": "keyword", "u": "keyword", "process": "keyword"}
SOURCE_INDICES = ("logs", "logs-1", "more", "more-1", "x")


def minimal_job(**extra):
    body = {"analysis_config": {"bucket_span": "15m", "detectors": [{"function": "count"}]},
            "data_description": {"time_field": "timestamp"}}
    body.update(extra)
    return body


@pytest.fixture
def sources(es):
    """The indices the tests' datafeeds read (``SOURCE_INDICES``), mapped with ``SOURCE_FIELDS``, and nothing in them."""
    for name in SOURCE_INDICES:
        es.source(name)
    es.clear_log()
    return es


@pytest.fixture(scope="session")
def emulator_server():
    server = EmulatorServer().start()
    yield server
    server.stop()


@pytest.fixture
def es(emulator_server):
    client = Es(emulator_server.url)
    client.reset()
    return client


@pytest.fixture(scope="session")
def kibana_server(emulator_server):
    """A Kibana emulator reading the session's Elasticsearch emulator."""
    server = KibanaServer(emulator_server.url).start()
    yield server
    server.stop()


@pytest.fixture
def kibana(kibana_server, es):
    """Raw HTTP against the Kibana emulator, reset (and its Elasticsearch emulator too, through ``es``)."""
    client = Es(kibana_server.url, headers={"kbn-xsrf": "true"})
    client.session.post(kibana_server.url + "/_emulator/reset", timeout=10).raise_for_status()
    return client


@pytest.fixture(scope="session")
def secured_server():
    """An emulator with security: a superuser, a monitor-only user, an API key and a bearer token."""
    security = Security(users={"elastic": ("changeme", ["superuser"]), "viewer": ("viewpass", ["monitor_ml"])},
                        api_keys={"key1": ("s3cr3tkey", ["manage_ml", "read"])}, tokens={"tok3n-value": ["manage_ml"]})
    server = EmulatorServer(security=security).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def tls_server(tmp_path_factory):
    directory = tmp_path_factory.mktemp("tls")
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    paths = dict((name, str(directory / (name + ".pem"))) for name in ("cert", "key", "ca", "other_ca"))
    cert.private_key_and_cert_chain_pem.write_to_path(paths["cert"])
    cert.private_key_pem.write_to_path(paths["key"])
    ca.cert_pem.write_to_path(paths["ca"])
    trustme.CA().cert_pem.write_to_path(paths["other_ca"])
    server = EmulatorServer(certfile=paths["cert"], keyfile=paths["key"]).start()
    yield server, paths
    server.stop()
