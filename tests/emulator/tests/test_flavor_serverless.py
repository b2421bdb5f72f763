"""The serverless flavor: an Elasticsearch Serverless project's answers (GET / says so; internal APIs answer 410
api_not_available_exception before anything else; user names and passwords are not accepted). Internal APIs are those
the REST spec marks `@availability serverless visibility=private`, or leaves out of serverless (elastic/
elasticsearch-specification); the message is the one ES's RestController sends."""

from __future__ import annotations

import base64

import pytest

from conftest import Es, minimal_job


@pytest.fixture
def serverless(secured_server):
    admin = Es(secured_server.url)
    admin.reset()
    admin.settings(flavor="serverless")
    admin.session.headers["Authorization"] = "ApiKey " + base64.b64encode(b"key1:s3cr3tkey").decode()
    yield admin
    admin.reset()


def test_root_says_serverless(es):
    es.settings(flavor="serverless")
    assert es("GET", "/").json["version"]["build_flavor"] == "serverless"
    es.reset()
    assert es("GET", "/").json["version"]["build_flavor"] == "default"


@pytest.mark.parametrize("method,path", [
    ("GET", "/_ml/info"), ("POST", "/_ml/anomaly_detectors/_validate"), ("POST", "/_ml/set_upgrade_mode"),
    ("GET", "/_ml/anomaly_detectors/j1/model_snapshots"), ("GET", "/_cluster/settings"),
    ("POST", "/_ml/anomaly_detectors/j1/_data"),
])
def test_internal_apis_answer_410(serverless, method, path):
    reply = serverless(method, path, params={"pretty": "true"} if path == "/_ml/info" else None)
    assert reply.status == 410
    error = reply.json["error"]
    assert error["type"] == "api_not_available_exception"
    shown = path + ("?pretty=true" if path == "/_ml/info" else "")
    assert error["reason"] == ("Request for uri [%s] with method [%s] exists but is not available when running in "
                               "serverless mode" % (shown, method))


def test_public_apis_work_and_basic_auth_does_not(serverless):
    assert serverless.put_job("j1").status == 200
    assert serverless("POST", "/_ml/anomaly_detectors/_estimate_model_memory",
                      {"analysis_config": minimal_job()["analysis_config"]}).status == 200
    basic = Es(serverless.url)
    basic.session.auth = ("elastic", "changeme")
    reply = basic("GET", "/_ml/anomaly_detectors")
    assert reply.status == 401 and reply.json["error"]["type"] == "security_exception"
