"""The shared client against the emulator over HTTP: auth, TLS, retries, failover and its messages."""

from __future__ import annotations

import base64
import hashlib
import socket
import ssl

import pytest

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible_collections.mlops.elasticsearch.plugins.module_utils import _client
from ansible_collections.mlops.elasticsearch.plugins.module_utils._client import (
    CONNECTION_MUTUALLY_EXCLUSIVE, ElasticsearchError, EsClient, connection_argument_spec, decode_cloud_id,
    resolve_credentials)
from ansible_collections.mlops.elasticsearch.plugins.module_utils._ml_api import MlApi

from conftest import Es, minimal_job

SECRETS = ("changeme", "s3cr3tkey", "tok3n-value", "viewpass")


def _client_for(url, **options):
    warnings = []
    options.setdefault("backoff_factor", 0)
    client = EsClient(hosts=[url], warn=warnings.append, **options)
    return client, warnings


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def secured(secured_server):
    return secured_server


def test_seed_error_message(es):
    """The client's message names method, path, status, type and root-cause reason (issue's example)."""
    client, _w = _client_for(es.url)
    client.request("PUT", "/_ml/anomaly_detectors/x", body=minimal_job(), idempotent=False)
    with pytest.raises(ElasticsearchError) as info:
        client.request("PUT", "/_ml/anomaly_detectors/x", body=minimal_job(), idempotent=False)
    assert str(info.value) == ("PUT _ml/anomaly_detectors/x: 400 resource_already_exists_exception: The job cannot be "
                               "created with the Id 'x'. The Id is already used.")
    assert (info.value.status, info.value.error_type) == (400, "resource_already_exists_exception")
    assert info.value.to_fail_json()["error"]["type"] == "resource_already_exists_exception"


def test_nested_error_names_root_cause_and_wrapper(es):
    client, _w = _client_for(es.url)
    with pytest.raises(ElasticsearchError) as info:
        client.request("PUT", "/_ml/anomaly_detectors/x", body={"analysis_config": {"detectors": []}}, idempotent=False)
    assert str(info.value).startswith("PUT _ml/anomaly_detectors/x: 400 status_exception: No detectors configured "
                                      "(while handling x_content_parse_exception: [1:")
    assert str(info.value).endswith("[job_details] failed to parse field [analysis_config])")


def test_not_found_ok_returns_none(es):
    client, _w = _client_for(es.url)
    assert client.request("GET", "/_ml/anomaly_detectors/missing", not_found_ok=True) is None
    with pytest.raises(ElasticsearchError) as info:
        client.request("GET", "/_ml/anomaly_detectors/missing")
    assert info.value.status == 404


@pytest.mark.parametrize("options,kind", [
    (dict(username="elastic", password="changeme"), "basic"),
    (dict(api_key=base64.b64encode(b"key1:s3cr3tkey").decode()), "api_key"),
    (dict(api_key_id="key1", api_key="s3cr3tkey"), "api_key"),
    (dict(bearer_token="tok3n-value"), "bearer"),
])
def test_every_auth_kind(secured, options, kind):
    client, warnings = _client_for(secured.url, **options)
    assert client.auth_kind == kind
    assert client.request("GET", "/_ml/info")["defaults"]["datafeeds"] == {"scroll_size": 1000}
    assert warnings == []  # loopback over http warns nobody


@pytest.mark.parametrize("options,words", [
    (dict(), "none were given"),
    (dict(username="elastic", password="wrong-password"), "basic auth"),
    (dict(api_key_id="key1", api_key="not-the-key"), "an API key"),
    (dict(bearer_token="bad-token"), "a bearer token"),
])
def test_401_says_which_credentials(secured, options, words):
    client, _w = _client_for(secured.url, **options)
    with pytest.raises(ElasticsearchError) as info:
        client.request("GET", "/_ml/info")
    message = str(info.value)
    assert info.value.status == 401
    assert client.retry_log == []  # never retried as if transient
    assert "security_exception" in message and words in message
    for secret in ("wrong-password", "not-the-key", "bad-token") + SECRETS:
        assert secret not in message


def test_403_names_the_privilege(secured):
    client, _w = _client_for(secured.url, username="viewer", password="viewpass")
    assert client.request("GET", "/_ml/anomaly_detectors")["count"] >= 0
    with pytest.raises(ElasticsearchError) as info:
        client.request("PUT", "/_ml/anomaly_detectors/j9", body=minimal_job(), idempotent=False)
    assert info.value.status == 403
    assert "lack the cluster privilege manage_ml" in str(info.value)
    assert "viewpass" not in str(info.value)


def test_403_is_not_retried(secured):
    client, _w = _client_for(secured.url, username="viewer", password="viewpass")
    with pytest.raises(ElasticsearchError):
        client.request("POST", "/_ml/anomaly_detectors/j9/_close")
    assert client.retry_log == []


def test_tls_with_test_ca(tls_server):
    server, paths = tls_server
    client, warnings = _client_for(server.url, ca_path=paths["ca"])
    assert client.request("GET", "/_ml/info")["upgrade_mode"] is False
    assert warnings == []


def test_tls_with_wrong_ca(tls_server):
    server, paths = tls_server
    client, _w = _client_for(server.url, ca_path=paths["other_ca"])
    with pytest.raises(ElasticsearchError) as info:
        client.request("GET", "/_ml/info")
    message = str(info.value)
    assert "TLS connection to https://127.0.0.1:%d failed" % server.port in message
    assert "certificate verify failed" in message and "ca_path" in message


def test_tls_default_trust_rejects_test_ca(tls_server):
    server, _paths = tls_server
    client, _w = _client_for(server.url)
    with pytest.raises(ElasticsearchError):
        client.request("GET", "/_ml/info")


def test_validate_certs_false_warns(tls_server):
    server, _paths = tls_server
    client, warnings = _client_for(server.url, validate_certs=False)
    assert client.request("GET", "/_ml/info")
    assert len(warnings) == 1 and "validate_certs is false" in warnings[0]


def test_credentials_over_plain_http_to_remote_host_warn():
    _c, warnings = _client_for("http://es.example.com:9200", username="u", password="changeme")
    assert warnings == ["credentials are sent in clear text over http:// to http://es.example.com:9200; use https://"]
    _c, warnings = _client_for("http://127.0.0.1:9200", username="u", password="changeme")
    assert warnings == []


def test_retries_on_429_and_503_with_retry_after(es):
    es.fault(method="GET", path="/_ml/info", count=1, status=429, retry_after=0)
    es.fault(method="GET", path="/_ml/info", count=1, status=503, retry_after=0)
    client, _w = _client_for(es.url)
    assert client.request("GET", "/_ml/info")
    assert [e["status"] for e in es.log()] == [429, 503, 200]
    assert [r["reason"] for r in client.retry_log] == ["HTTP 429", "HTTP 503"]
    assert client.retry_summary() == ("Elasticsearch requests were retried 2 time(s): GET /_ml/info (HTTP 429), "
                                      "GET /_ml/info (HTTP 503)")
    assert EsClient(hosts=[es.url]).retry_summary() is None


def test_retry_after_is_honoured(es):
    """Retry-After: 1 makes the client wait about a second before the next try."""
    es.fault(method="GET", path="/_ml/info", count=1, status=503, retry_after=1)
    client, _w = _client_for(es.url)
    client.request("GET", "/_ml/info")
    first, second = es.log()
    assert second["time"] - first["time"] >= 0.9


def test_retries_give_up_with_the_last_error(es):
    es.fault(method="GET", path="/_ml/info", count=10, status=503, retry_after=0)
    client, _w = _client_for(es.url, retries=2)
    with pytest.raises(ElasticsearchError) as info:
        client.request("GET", "/_ml/info")
    assert info.value.status == 503
    assert len(es.log()) == 3


def test_unsafe_call_retried_only_when_rejected(es):
    """A create is resent after 503 (ES did nothing) but not after 502 (a proxy may have forwarded it)."""
    client, _w = _client_for(es.url)
    es.fault(method="PUT", path="/_ml/anomaly_detectors/*", count=1, status=503, retry_after=0)
    client.request("PUT", "/_ml/anomaly_detectors/a", body=minimal_job(), idempotent=False)
    assert [e["status"] for e in es.log()] == [503, 200]
    es.clear_log()
    es.fault(method="PUT", path="/_ml/anomaly_detectors/*", count=1, status=502)
    with pytest.raises(ElasticsearchError) as info:
        client.request("PUT", "/_ml/anomaly_detectors/b", body=minimal_job(), idempotent=False)
    assert info.value.status == 502
    assert [e["status"] for e in es.log()] == [502]


def test_dropped_response_not_resent_for_unsafe_calls(es):
    """A create whose response was lost is not sent again: the caller is told it may have been applied."""
    es.fault(method="PUT", path="/_ml/anomaly_detectors/*", count=1, drop=True, after=True)
    client, _w = _client_for(es.url)
    with pytest.raises(ElasticsearchError) as info:
        client.request("PUT", "/_ml/anomaly_detectors/a", body=minimal_job(), idempotent=False)
    assert "may or may not have been applied" in str(info.value)
    assert len(es.log()) == 1


def test_dropped_response_resent_for_idempotent_calls(es):
    es.put_job("a")
    es.clear_log()
    es.fault(method="POST", path="/_ml/anomaly_detectors/a/_close", count=1, drop=True, after=True)
    client, _w = _client_for(es.url)
    assert client.request("POST", "/_ml/anomaly_detectors/a/_close") == {"closed": True}
    assert len(es.log()) == 2


def test_timeout(es):
    es.fault(method="GET", path="/_ml/info", count=5, delay_ms=1500)
    client, _w = _client_for(es.url, request_timeout=0.3, retries=0)
    with pytest.raises(ElasticsearchError) as info:
        client.request("GET", "/_ml/info")
    assert "within 0.3s (request_timeout)" in str(info.value)


def test_failover_to_second_host_and_stick(es):
    dead = "http://127.0.0.1:%d" % _free_port()
    client = EsClient(hosts=[dead, es.url], retries=1, backoff_factor=0)
    assert client.request("GET", "/_ml/info")
    assert client.url == es.url
    assert client.request("GET", "/_ml/anomaly_detectors")["count"] == 0
    assert len(es.log()) == 2


def test_no_host_reachable():
    ports = [_free_port(), _free_port()]
    client = EsClient(hosts=["http://127.0.0.1:%d" % p for p in ports], retries=0)
    with pytest.raises(ElasticsearchError) as info:
        client.request("GET", "/_ml/info")
    message = str(info.value)
    assert message.startswith("GET _ml/info: could not connect to any Elasticsearch host: http://127.0.0.1:%d" % ports[0])
    assert "http://127.0.0.1:%d" % ports[1] in message and "ELASTICSEARCH_HOSTS" in message


def test_user_info_in_hosts_is_used_and_never_printed():
    port = _free_port()
    client = EsClient(hosts=["http://elastic:changeme@127.0.0.1:%d" % port], retries=0)
    assert client.auth_kind == "basic"
    assert client.hosts == ["http://127.0.0.1:%d" % port]
    with pytest.raises(ElasticsearchError) as info:
        client.request("GET", "/_ml/info")
    assert "changeme" not in str(info.value)


def test_cloud_id():
    encoded = base64.b64encode(b"us-east-1.aws.found.io$abc123$def456").decode()
    assert decode_cloud_id("my-deployment:" + encoded) == "https://abc123.us-east-1.aws.found.io:443"
    encoded = base64.b64encode(b"eu.example.com:9243$es1$kb1").decode()
    assert decode_cloud_id("name:" + encoded) == "https://es1.eu.example.com:9243"
    assert EsClient(cloud_id="name:" + encoded).hosts == ["https://es1.eu.example.com:9243"]
    with pytest.raises(ElasticsearchError):
        decode_cloud_id("name:not-base64-$$")


def test_bad_host_entry():
    with pytest.raises(ElasticsearchError) as info:
        EsClient(hosts=["ftp://es.example.com"])
    assert "is not an http(s) URL" in str(info.value)


def test_ndjson_body_and_quoted_path(es):
    es.put_job("j1")
    es("POST", "/_ml/anomaly_detectors/j1/_open")
    client, _w = _client_for(es.url)
    counts = client.request("POST", _client.path_of("_ml", "anomaly_detectors", "j1", "_data"),
                            body=[{"timestamp": 1700000000000}, {"timestamp": 1700000060000}], ndjson=True,
                            idempotent=False)
    assert counts["processed_record_count"] == 2
    assert _client.path_of("_ml", "a b/c") == "/_ml/a%20b%2Fc"


def test_argument_spec_env_fallbacks(monkeypatch):
    """Connection options fall back to their ELASTICSEARCH_* variables; hosts is a comma list."""
    monkeypatch.setenv("ELASTICSEARCH_HOSTS", "https://a:9200, https://b:9200")
    monkeypatch.setenv("ELASTICSEARCH_VALIDATE_CERTS", "false")
    monkeypatch.setenv("ELASTICSEARCH_REQUEST_TIMEOUT", "12.5")
    result = ArgumentSpecValidator(connection_argument_spec()).validate({})
    assert [str(e) for e in result.errors] == []
    params = result.validated_parameters
    assert params["hosts"] == ["https://a:9200", "https://b:9200"]
    assert params["validate_certs"] is False
    assert params["request_timeout"] == 12.5


@pytest.mark.parametrize("given,environ,expected,secrets", [
    ({}, {"ELASTICSEARCH_API_KEY": "enc"}, {"api_key": "enc"}, ["enc"]),
    ({}, {"ELASTICSEARCH_USERNAME": "u", "ELASTICSEARCH_PASSWORD": "p"}, {"username": "u", "password": "p"}, ["p"]),
    ({"username": "u"}, {"ELASTICSEARCH_PASSWORD": "p", "ELASTICSEARCH_API_KEY": "enc"},
     {"username": "u", "password": "p"}, ["p"]),
    ({"api_key": "k"}, {"ELASTICSEARCH_USERNAME": "u", "ELASTICSEARCH_PASSWORD": "p"}, {"api_key": "k"}, []),
    ({"api_key": "k"}, {"ELASTICSEARCH_API_KEY_ID": "id1"}, {"api_key": "k", "api_key_id": "id1"}, []),
    ({"bearer_token": "t"}, {"ELASTICSEARCH_API_KEY": "enc"}, {"bearer_token": "t"}, []),
    ({}, {}, {}, []),
], ids=["env-api-key", "env-basic", "task-user-env-password", "task-key-beats-env-basic", "env-key-id",
        "task-token-beats-env-key", "none"])
def test_credentials_precedence(given, environ, expected, secrets):
    """Task options (or module_defaults) win over the environment, across kinds of credential too."""
    params = dict(given)
    assert resolve_credentials(params, environ) == secrets
    assert dict((k, v) for k, v in params.items() if v is not None) == expected


@pytest.mark.parametrize("given,environ,message", [
    ({}, {"ELASTICSEARCH_API_KEY": "s3cr3t-key", "ELASTICSEARCH_BEARER_TOKEN": "s3cr3t-token"},
     "credentials of several kinds"),
    ({"username": "u"}, {}, "username is set but no password"),
    ({"password": "s3cr3t-pw"}, {}, "password is set but no username"),
    ({"api_key_id": "id"}, {}, "api_key_id is set but no api_key"),
])
def test_credentials_incomplete_or_ambiguous(given, environ, message):
    with pytest.raises(ElasticsearchError) as info:
        resolve_credentials(dict(given), environ)
    assert message in str(info.value)
    assert "s3cr3t" not in str(info.value)


def test_secret_options_are_no_log():
    spec = connection_argument_spec()
    secret = ["password", "api_key", "bearer_token", "es_secondary_authorization"]
    assert [k for k, v in spec.items() if v.get("no_log")] == secret


def test_client_from_params_ignores_unset(es):
    client = EsClient.from_params({"hosts": [es.url], "username": None, "retries": 0, "other_option": 1})
    assert client.request("GET", "/_ml/info")
    assert client.auth_kind is None and client.hosts == [es.url]


def test_deprecation_warnings_are_kept_once(es):
    """Elasticsearch's Warning headers (HeaderWarning: 299, the agent, the text quoted) become the client's
    ``deprecations``, each text once however many responses carry it; a 202 is a success."""
    es.put_job("j1")
    es("POST", "/_ml/anomaly_detectors/j1/_open")
    client = EsClient(hosts=[es.url], retries=0)
    api = MlApi(client)
    for _run in range(2):
        assert api.post_data("j1", [{"timestamp": 1767225600000}])["processed_record_count"] >= 1
    api.flush_job("j1")
    assert client.deprecations == [
        "Posting data directly to anomaly detection jobs is deprecated, in a future major version it will be "
        "compulsory to use a datafeed",
        "Forcing any buffered data to be processed is deprecated, in a future major version it will be compulsory "
        "to use a datafeed"]


def _leaf_sha256(paths):
    """The SHA-256 of the server's own certificate (the first in its chain file), as `openssl x509 -fingerprint`."""
    with open(paths["cert"]) as stream:
        text = stream.read()
    start = text.index("-----BEGIN CERTIFICATE-----")
    end = text.index("-----END CERTIFICATE-----", start) + len("-----END CERTIFICATE-----")
    return hashlib.sha256(ssl.PEM_cert_to_DER_cert(text[start:end])).hexdigest()


def test_ca_fingerprint_pins_the_server_certificate(tls_server):
    server, paths = tls_server
    digest = _leaf_sha256(paths)
    colons = ":".join(digest[i:i + 2] for i in range(0, 64, 2)).upper()
    for given in (digest, colons):
        client, warnings = _client_for(server.url, ca_fingerprint=given)
        assert client.request("GET", "/_ml/info")["upgrade_mode"] is False
        assert warnings == []


def test_wrong_ca_fingerprint_fails_and_names_the_option(tls_server):
    server, _paths = tls_server
    client, _w = _client_for(server.url, ca_fingerprint="ab" * 32)
    with pytest.raises(ElasticsearchError) as info:
        client.request("GET", "/_ml/info")
    message = str(info.value)
    assert "TLS connection to https://127.0.0.1:%d failed" % server.port in message
    assert "ca_fingerprint is the SHA-256" in message and "Fingerprints did not match" in message
    assert client.retry_log == []


@pytest.mark.parametrize("given", ["abc", "zz" * 32, "ab" * 33])
def test_malformed_ca_fingerprint_is_refused(given):
    with pytest.raises(ElasticsearchError, match="ca_fingerprint must be the SHA-256 fingerprint"):
        _client_for("https://127.0.0.1:9200", ca_fingerprint=given)


def test_ca_data_is_the_ca_as_text(tls_server):
    server, paths = tls_server
    with open(paths["ca"]) as stream:
        client, warnings = _client_for(server.url, ca_data=stream.read())
    assert client.request("GET", "/_ml/info")["upgrade_mode"] is False
    assert warnings == []
    with open(paths["other_ca"]) as stream:
        client, _w = _client_for(server.url, ca_data=stream.read())
    with pytest.raises(ElasticsearchError, match="certificate verify failed"):
        client.request("GET", "/_ml/info")


def test_ca_data_that_is_not_pem_is_refused():
    with pytest.raises(ElasticsearchError, match="ca_data is not a PEM certificate"):
        _client_for("https://127.0.0.1:9200", ca_data="/etc/ssl/ca.pem")


@pytest.mark.parametrize("environ,expected", [
    ({"ELASTICSEARCH_URL": "https://u:9200"}, ["https://u:9200"]),
    ({"ELASTICSEARCH_ENDPOINTS": "https://e1:9200,https://e2:9200"}, ["https://e1:9200", "https://e2:9200"]),
    ({"ELASTICSEARCH_HOSTS": "https://h:9200", "ELASTICSEARCH_URL": "https://u:9200"}, ["https://h:9200"]),
    ({"ELASTICSEARCH_URL": "https://u:9200", "ELASTICSEARCH_ENDPOINTS": "https://e:9200"}, ["https://u:9200"]),
])
def test_hosts_env_aliases_and_their_precedence(monkeypatch, environ, expected):
    for name in ("ELASTICSEARCH_HOSTS", "ELASTICSEARCH_URL", "ELASTICSEARCH_ENDPOINTS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    result = ArgumentSpecValidator(connection_argument_spec()).validate({})
    assert result.validated_parameters["hosts"] == expected


def test_ca_path_and_ca_data_are_exclusive():
    result = ArgumentSpecValidator(connection_argument_spec(), mutually_exclusive=CONNECTION_MUTUALLY_EXCLUSIVE).validate(
        {"ca_path": "/etc/ca.pem", "ca_data": "-----BEGIN CERTIFICATE-----"})
    assert "mutually exclusive: ca_path|ca_data" in " ".join(str(e) for e in result.errors)


def test_es_secondary_authorization_is_whose_access_a_datafeed_records(secured):
    """Sent on a datafeed's create and update (and a job's create that carries its datafeed_config), so a pipeline
    key with manage_ml alone writes datafeeds that run as the reader key given; not sent on other calls."""
    admin = Es(secured.url)
    admin.reset()
    admin.session.auth = ("elastic", "changeme")
    admin.put_job("j1")
    admin.source("x")
    key = base64.b64encode(b"key1:s3cr3tkey").decode()
    for given in (key, "ApiKey " + key):
        api = MlApi(EsClient(hosts=[secured.url], bearer_token="tok3n-value", es_secondary_authorization=given))
        if api.datafeed("datafeed-j1"):
            api.delete_datafeed("datafeed-j1")
        created = api.put_datafeed("datafeed-j1", {"job_id": "j1", "indices": ["x"]})
        assert created["authorization"] == {"api_key": {"id": "key1", "name": "api-key-user"}}
    updated = api.update_datafeed("datafeed-j1", {"scroll_size": 10})
    assert updated["authorization"] == {"api_key": {"id": "key1", "name": "api-key-user"}}
    without = MlApi(EsClient(hosts=[secured.url], bearer_token="tok3n-value"))
    assert without.update_datafeed("datafeed-j1", {"scroll_size": 20})["authorization"] == {"roles": ["token-user"]}
    job = api.put_job("j2", dict(minimal_job(), datafeed_config={"indices": ["x"]}))
    assert job["datafeed_config"]["authorization"] == {"api_key": {"id": "key1", "name": "api-key-user"}}
    with pytest.raises(ElasticsearchError, match="es_secondary_authorization must be an Authorization value"):
        EsClient(hosts=[secured.url], es_secondary_authorization="not a header")
