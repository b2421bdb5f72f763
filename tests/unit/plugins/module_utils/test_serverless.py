"""Against an Elasticsearch Serverless project (the emulator's serverless flavor): the modules use the APIs it
exposes. The preflight's one probe of an internal API (a 410) marks the run serverless, and the other internal
checks are skipped without a request. What needs an internal API says so, and a user name and password are refused
with a word about API keys."""

from __future__ import annotations

import base64

import pytest

from ansible_collections.mlops.elasticsearch.plugins.module_utils import _anomaly_job, _bulk, _model_snapshot
from ansible_collections.mlops.elasticsearch.plugins.module_utils._client import ElasticsearchError, EsClient
from ansible_collections.mlops.elasticsearch.plugins.module_utils._ml_api import MlApi

from conftest import Es

KEY = base64.b64encode(b"key1:s3cr3tkey").decode()
BODY = {"analysis_config": {"bucket_span": "15m", "detectors": [{"function": "count"}]},
        "data_description": {"time_field": "timestamp"}}


@pytest.fixture
def project(secured_server):
    admin = Es(secured_server.url)
    admin.reset()
    admin.session.auth = ("elastic", "changeme")
    admin.source("logs")  # as the project's data would be there
    admin.settings(flavor="serverless")
    admin.clear_log()
    yield admin
    admin.reset()


def _api(project, **credentials):
    return MlApi(EsClient(hosts=[project.url], retries=0, **(credentials or {"api_key": KEY})))


def _internal(project):
    return ["%s %s" % (e["method"], e["path"]) for e in project.log() if e["status"] == 410]


def test_a_job_with_its_datafeed_converges_with_one_probe(project):
    warnings = []
    result = _anomaly_job.run(_api(project), dict(BODY, job_id="j1", state="opened",
                                                  datafeed_config={"indices": ["logs"]}), warn=warnings.append)
    assert [a["action"] for a in result["actions"]] == ["put_job", "open_job"]
    assert _internal(project) == ["POST /_ml/anomaly_detectors/_validate"]
    checks = dict((r["check"], r) for r in result["preflight"])
    assert checks["ml_info"] == {"subject": "job [j1]", "check": "ml_info", "found": "skipped",
                                 "detail": "not available on Elasticsearch Serverless"}
    assert checks["estimate_model_memory"]["found"] == "ok"  # public there
    assert [w for w in warnings if w.startswith("preflight skipped")] == [
        "preflight skipped validate: this cluster does not offer it (410 api_not_available_exception: Request for uri "
        "[/_ml/anomaly_detectors/_validate] with method [POST] exists but is not available when running in serverless "
        "mode)"]  # one warning; ml_info is skipped without one, and without a request
    project.clear_log()
    again = _anomaly_job.run(_api(project), dict(BODY, job_id="j1", state="opened",
                                                 datafeed_config={"indices": ["logs"]}))
    assert again["changed"] is False and _internal(project) == []


def test_the_bulk_path_probes_once_for_all_jobs(project):
    jobs = [{"job_id": "a%d" % n, "state": "closed", "config": BODY, "datafeed": {"config": {"indices": ["logs"]}}}
            for n in range(3)]
    result = _bulk.run(_api(project), {"jobs": jobs})
    assert "failed" not in result, result.get("msg")
    assert _internal(project) == ["POST /_ml/anomaly_detectors/_validate"]


def test_what_needs_an_internal_api_says_so(project):
    project.settings(flavor="default")
    project.put_job("j1")
    project.settings(flavor="serverless")
    with pytest.raises(ElasticsearchError) as info:
        _model_snapshot.run(_api(project), {"job_id": "j1", "snapshot_id": "1"})
    message = str(info.value)
    assert "410 api_not_available_exception: Request for uri [/_ml/anomaly_detectors/j1/model_snapshots?size=10000" \
           "&sort=timestamp] with method [GET] exists but is not available when running in serverless mode" in message
    assert "This is an Elasticsearch Serverless project, which keeps this API internal" in message


def test_a_user_name_and_password_are_refused_with_a_word_about_api_keys(project):
    with pytest.raises(ElasticsearchError) as info:
        _api(project, username="elastic", password="changeme").get_jobs()
    assert info.value.status == 401
    assert "An Elasticsearch Serverless project accepts API keys only: give api_key" in str(info.value)
    assert "changeme" not in str(info.value)
