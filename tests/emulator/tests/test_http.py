"""The HTTP layer: routes and parameters from the REST spec (ES rest-api-spec ml.*.json, BaseRestHandler), security, TLS, test controls."""

from __future__ import annotations

import base64
import json
import os

import pytest
import requests
import trustme

from conftest import Es, minimal_job
from esml_emulator.app import load_spec
from esml_emulator.server import EmulatorServer


def test_every_spec_endpoint_is_routed(es):
    """ES rest-api-spec ml.*.json: each path of the spec answers, calendars and filters included (with ES's own error for unknown ids)."""
    for name, spec in load_spec().items():
        for path in spec["url"]["paths"]:
            url = path["path"]
            for part in ("job_id", "datafeed_id", "calendar_id", "filter_id", "event_id"):
                url = url.replace("{%s}" % part, "nope")
            url = url.replace("{task_id}", "node:1")
            for method in path["methods"]:
                reply = es(method, url, {} if method in ("PUT", "POST") else None)
                assert "no handler found" not in reply.text, (name, method, url)
                assert reply.headers["X-elastic-product"] == "Elasticsearch"


def test_unrecognized_parameter(es):
    """ES BaseRestHandler: the REST layer rejects parameters the endpoint does not declare."""
    reply = es("GET", "/_ml/anomaly_detectors", params={"force": "true"})
    assert reply.status == 400
    assert reply.json["error"]["root_cause"] == [{
        "type": "illegal_argument_exception",
        "reason": "request [/_ml/anomaly_detectors] contains unrecognized parameter: [force]"}]


def test_boolean_and_time_parameters_are_parsed_strictly(es):
    """ES Rest*JobAction handlers: booleans are true/false only; a time needs a unit (0 and -1 excepted)."""
    es.put_job("j1")
    reply = es("DELETE", "/_ml/anomaly_detectors/j1", params={"force": "yes"})
    assert reply.json["error"]["reason"] == "Failed to parse value [yes] as only [true] or [false] are allowed."
    reply = es("POST", "/_ml/anomaly_detectors/j1/_close", params={"timeout": "60"})
    assert reply.json["error"]["reason"] == \
        "failed to parse setting [timeout] with value [60] as a time value: unit is missing or unrecognized"
    assert es("POST", "/_ml/anomaly_detectors/j1/_close", params={"timeout": "-1"}).status == 200


def test_body_params_for_close(es):
    """ES Rest*JobAction handlers: close/open/start/stop params may come in the body."""
    es.put_job("j1")
    assert es("POST", "/_ml/anomaly_detectors/zz*/_close", {"allow_no_match": False}).status == 404
    reply = es("POST", "/_ml/anomaly_detectors/j1/_close", {"bogus": 1})
    assert reply.status == 400
    assert "unknown field [bogus]" in reply.json["error"]["reason"]


def test_method_and_path_errors(es):
    """ES's REST layer: 405 names the allowed methods; an unknown path has no handler."""
    reply = es("POST", "/_ml/info")
    assert reply.status == 405
    assert reply.json == {"error": "Incorrect HTTP method for uri [/_ml/info] and method [POST], allowed: [GET]",
                          "status": 405}
    reply = es("GET", "/_ml/nothing")
    assert reply.status == 400
    assert reply.json["error"]["reason"] == "no handler found for uri [/_ml/nothing] and method [GET]"


def test_content_type_and_body_required(es):
    """ES rejects bodies that are not JSON with 406; PUT job without a body is a parse_exception."""
    reply = es("PUT", "/_ml/anomaly_detectors/j1", raw="{}", headers={"Content-Type": "text/plain"})
    assert reply.status == 406
    assert reply.json == {"error": "Content-Type header [text/plain] is not supported", "status": 406}
    reply = es("PUT", "/_ml/anomaly_detectors/j1")
    assert reply.json["error"]["root_cause"] == [{"type": "parse_exception", "reason": "request body is required"}]


def test_ml_info_defaults(es):
    """ES TransportMlInfoAction: defaults and limits; a max_model_memory_limit setting shows and caps the default."""
    info = es("GET", "/_ml/info").json
    assert info["defaults"]["anomaly_detectors"]["model_memory_limit"] == "1gb"
    assert info["defaults"]["anomaly_detectors"]["categorization_analyzer"]["tokenizer"] == "ml_standard"
    assert info["defaults"]["datafeeds"] == {"scroll_size": 1000}
    assert info["upgrade_mode"] is False
    assert "max_model_memory_limit" not in info["limits"]
    es.settings(max_model_memory_limit_mb=512)
    assert es("GET", "/_ml/info").json["limits"]["max_model_memory_limit"] == "512mb"
    too_big = es.put_job("big", {"analysis_config": {"detectors": [{"function": "count"}]},
                                 "analysis_limits": {"model_memory_limit": "1gb"}})
    assert too_big.json["error"]["reason"] == \
        "model_memory_limit [1gb] must be less than the value of the xpack.ml.max_model_memory_limit setting [512mb]"


def test_request_log_and_reset(es):
    """Test control: the request log lists requests in order; reset wipes state and log."""
    es.put_job("j1")
    es("GET", "/_ml/anomaly_detectors/j1", params={"exclude_generated": "true"})
    log = es.log()
    assert [(e["method"], e["path"], e["status"]) for e in log] == [
        ("PUT", "/_ml/anomaly_detectors/j1", 200), ("GET", "/_ml/anomaly_detectors/j1", 200)]
    assert log[1]["query"] == {"exclude_generated": "true"}
    assert log[0]["body"]["analysis_config"]["bucket_span"] == "15m"
    es.reset()
    assert es.log() == []
    assert es("GET", "/_ml/anomaly_detectors/j1").status == 404


def test_faults(es):
    """Test control: N matching requests fail with a status and Retry-After, then requests pass again."""
    es.fault(method="GET", path="/_ml/anomaly_detectors*", count=2, status=503, retry_after=1)
    first = es("GET", "/_ml/anomaly_detectors")
    assert first.status == 503
    assert first.headers["Retry-After"] == "1"
    assert first.json["error"]["type"] == "unavailable_shards_exception"
    assert es("GET", "/_ml/info").status == 200  # path does not match
    assert es("GET", "/_ml/anomaly_detectors").status == 503
    assert es("GET", "/_ml/anomaly_detectors").status == 200
    es.fault(path="/_ml/info", status=429)
    assert es("GET", "/_ml/info").json["error"]["type"] == "es_rejected_execution_exception"


def test_dropped_connection_fault(es):
    """Test control: drop closes the connection without a response; after=true applies the request first."""
    es.fault(method="PUT", path="/_ml/anomaly_detectors/*", drop=True, after=True)
    with pytest.raises(requests.ConnectionError):
        es.put_job("j1")
    assert es("GET", "/_ml/anomaly_detectors/j1").status == 200  # it was applied
    assert es.log()[0]["dropped"] is True
    es.fault(method="GET", path="/_ml/info", drop=True)
    with pytest.raises(requests.ConnectionError):
        es("GET", "/_ml/info")


@pytest.fixture
def secured(secured_server):
    return secured_server


def test_security_401(secured):
    """Security: no or wrong credentials -> 401 security_exception with WWW-Authenticate."""
    es = Es(secured.url)
    reply = es("GET", "/_ml/info")
    assert reply.status == 401
    assert reply.json["error"]["reason"] == "missing authentication credentials for REST request [/_ml/info]"
    assert "ApiKey" in reply.headers["WWW-Authenticate"]
    es.session.auth = ("elastic", "wrong")
    assert es("GET", "/_ml/info").json["error"]["reason"] == \
        "unable to authenticate user [elastic] for REST request [/_ml/info]"


def test_security_kinds_and_403(secured):
    """Security: basic, ApiKey and Bearer authenticate; a monitor-only user gets 403 naming the privileges."""
    es = Es(secured.url)
    es.reset()
    es.session.auth = ("elastic", "changeme")
    assert es("GET", "/_ml/info").status == 200
    api = Es(secured.url)
    api.session.headers["Authorization"] = "ApiKey " + base64.b64encode(b"key1:s3cr3tkey").decode()
    assert api.put_job("j1").status == 200
    assert api("PUT", "/_ml/datafeeds/datafeed-j1", {"job_id": "j1", "indices": ["x"]}).json["authorization"] == \
        {"api_key": {"id": "key1", "name": "api-key-user"}}
    bearer = Es(secured.url)
    bearer.session.headers["Authorization"] = "Bearer tok3n-value"
    assert bearer("GET", "/_ml/anomaly_detectors/j1").status == 200
    viewer = Es(secured.url)
    viewer.session.auth = ("viewer", "viewpass")
    assert viewer("GET", "/_ml/anomaly_detectors").status == 200
    reply = viewer.put_job("j2")
    assert reply.status == 403
    assert reply.json["error"]["reason"] == (
        "action [cluster:admin/xpack/ml/job/put] is unauthorized for user [viewer] with effective roles [viewer], "
        "this action is granted by the cluster privileges [manage_ml,manage,all]")
    # ES TransportPutDatafeedAction: creating a datafeed needs read on its indices (a has-privileges check)
    bearer.put_job("j3")
    denied = bearer("PUT", "/_ml/datafeeds/datafeed-j3", {"job_id": "j3", "indices": ["x", "y*"]})
    assert denied.status == 403 and denied.json["error"]["type"] == "security_exception"
    assert denied.json["error"]["reason"] == ('Cannot create datafeed [datafeed-j3] because user token-user lacks '
                                              'permissions on the indices: {"x":{"read":false},"y*":{"read":false}}')
    inline = dict(minimal_job(), datafeed_config={"indices": ["x"]})
    assert bearer("PUT", "/_ml/anomaly_detectors/j4", inline).status == 403


def test_tls(tmp_path):
    """TLS: the emulator serves HTTPS with a certificate from a test CA."""
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    cert_file, key_file, ca_file = (os.path.join(tmp_path, n) for n in ("cert.pem", "key.pem", "ca.pem"))
    cert.private_key_and_cert_chain_pem.write_to_path(cert_file)
    cert.private_key_pem.write_to_path(key_file)
    ca.cert_pem.write_to_path(ca_file)
    with EmulatorServer(certfile=cert_file, keyfile=key_file) as server:
        assert server.url.startswith("https://")
        assert Es(server.url, verify=ca_file)("GET", "/_ml/info").status == 200
        with pytest.raises(requests.exceptions.SSLError):
            Es(server.url)("GET", "/_ml/info")


def test_cli_parses_security():
    """The command line builds users, API keys and tokens (privileges default to superuser)."""
    from esml_emulator.__main__ import parse_security  # pylint: disable=import-outside-toplevel

    class Args:
        user = ["elastic:pw", "viewer:pw2:monitor_ml"]
        api_key = ["id1:key1:manage_ml+monitor_ml"]
        bearer_token = ["tok"]
    security = parse_security(Args())
    assert security.users == {"elastic": ("pw", ["superuser"]), "viewer": ("pw2", ["monitor_ml"])}
    assert security.api_keys == {"id1": ("key1", ["manage_ml", "monitor_ml"])}
    assert security.tokens == {"tok": ["superuser"]}
    assert json.dumps(security.users)


def test_command_line_serves(tmp_path):
    """What `make emulator PORT=N` runs: the module in the foreground, answering GET /_ml/info."""
    import socket  # pylint: disable=import-outside-toplevel
    import subprocess  # pylint: disable=import-outside-toplevel
    import sys  # pylint: disable=import-outside-toplevel
    import time  # pylint: disable=import-outside-toplevel

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = dict(os.environ, PYTHONPATH=os.path.join(os.path.dirname(__file__), ".."))
    process = subprocess.Popen([sys.executable, "-m", "esml_emulator", "--port", str(port)], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        banner = process.stdout.readline()
        assert banner.strip() == "Elasticsearch ML emulator listening on http://127.0.0.1:%d (Ctrl-C stops it)" % port
        deadline = time.monotonic() + 10
        while True:
            try:
                reply = Es("http://127.0.0.1:%d" % port)("GET", "/_ml/info")
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline
                time.sleep(0.1)
        assert reply.json["defaults"]["anomaly_detectors"]["model_memory_limit"] == "1gb"
    finally:
        process.terminate()
        process.wait(10)


def test_datafeed_authorization_follows_the_last_writer(secured):
    """ES TransportUpdateDatafeedAction records the updater's access as the datafeed's authorization, as a create
    does; with es-secondary-authorization (SecondaryAuthenticator) it is the secondary credentials' access, and
    secondary credentials that do not authenticate are a 401."""
    admin = Es(secured.url)
    admin.reset()
    admin.session.auth = ("elastic", "changeme")
    key = "ApiKey " + base64.b64encode(b"key1:s3cr3tkey").decode()
    admin.put_job("j1")
    created = admin("PUT", "/_ml/datafeeds/datafeed-j1", {"job_id": "j1", "indices": ["x"]},
                    headers={"es-secondary-authorization": key})
    assert created.json["authorization"] == {"api_key": {"id": "key1", "name": "api-key-user"}}
    updated = admin("POST", "/_ml/datafeeds/datafeed-j1/_update", {"scroll_size": 10})
    assert updated.json["authorization"] == {"roles": ["superuser"]}
    assert admin("GET", "/_ml/datafeeds/datafeed-j1").json["datafeeds"][0]["authorization"] == {"roles": ["superuser"]}
    bad = admin("POST", "/_ml/datafeeds/datafeed-j1/_update", {"scroll_size": 20},
                headers={"es-secondary-authorization": "Basic " + base64.b64encode(b"elastic:wrong").decode()})
    assert bad.status == 401 and bad.json["error"]["reason"] == "Failed to authenticate secondary user"
