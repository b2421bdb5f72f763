"""The bulk path: one read of everything, then the same planners per job (issue 6)."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.mlops.elasticsearch.plugins.module_utils import _anomaly_job, _bulk
from ansible_collections.mlops.elasticsearch.plugins.module_utils._client import EsClient
from ansible_collections.mlops.elasticsearch.plugins.module_utils._job_config import ConfigError
from ansible_collections.mlops.elasticsearch.plugins.module_utils._ml_api import MlApi

from conftest import is_write

# their datafeeds read indices that exist, mapped with their jobs' fields (conftest.SOURCE_FIELDS)
pytestmark = pytest.mark.usefixtures("sources")

AC = {"bucket_span": "15m", "detectors": [{"function": "count", "by_field_name": "host"}]}


def _jobs(n, **extra):
    return [dict({"job_id": "bulk-%03d" % i, "config": {"groups": ["bulk"], "analysis_config": copy.deepcopy(AC)},
                  "datafeed": {"config": {"indices": ["logs-*"]}}}, **extra) for i in range(n)]


def _run(es, jobs, check=False, diff=False, **params):
    api = MlApi(EsClient(hosts=[es.url], retries=0))
    # preflight has its own tests (test_preflight.py); these test what the converge does after it
    return _bulk.run(api, dict(dict(preflight=False), **dict(params, jobs=jobs)), check_mode=check, diff_mode=diff)


def _log(es):
    return ["%s %s" % (e["method"], e["path"]) for e in es.log()]


READS = ["GET /_ml/anomaly_detectors", "GET /_ml/anomaly_detectors/_stats", "GET /_ml/datafeeds",
         "GET /_ml/datafeeds/_stats"]


def test_converge_then_noop_in_four_requests(es):
    created = _run(es, _jobs(30))
    assert created["changed"] is True
    assert [r["actions"][-1]["action"] for r in created["results"]] == ["open_job"] * 30
    assert {r["datafeed"]["state"] for r in created["results"]} == {"started"}
    es.clear_log()
    again = _run(es, _jobs(30))
    assert again["changed"] is False
    assert _log(es) == READS  # whatever the number of jobs
    es.clear_log()
    audit = _run(es, _jobs(30), check=True, diff=True)
    assert audit["changed"] is False and _log(es) == READS


def test_same_plans_as_the_per_job_modules(es):
    """The bulk path plans what ml_anomaly_job and ml_datafeed would: same actions, job by job."""
    jobs = _jobs(3)
    _run(es, jobs)
    es("POST", "/_ml/anomaly_detectors/bulk-001/_update", {"description": "by hand"})
    es("POST", "/_ml/datafeeds/datafeed-bulk-002/_stop")
    changed = copy.deepcopy(jobs)
    changed[0]["config"]["analysis_limits"] = {"model_memory_limit": "64mb"}
    changed[1]["config"]["description"] = "declared"
    es.clear_log()
    planned = _run(es, changed, check=True, diff=True)
    writes = [e for e in es.log() if is_write(e)]
    api = MlApi(EsClient(hosts=[es.url], retries=0))
    single = _anomaly_job.run(api, _bulk._job_params(_bulk.declared(changed)[0]), check_mode=True)  # pylint: disable=protected-access
    assert planned["results"][0]["actions"] == single["actions"]
    assert [a["action"] for a in planned["results"][0]["actions"]] == ["close_job", "update_job", "open_job",
                                                                       "start_datafeed"]
    assert [a["action"] for a in planned["results"][1]["actions"]] == ["update_job"]
    assert [a["action"] for a in planned["results"][2]["datafeed"]["actions"]] == ["start_datafeed"]
    assert planned["diff"]["before"]["bulk-001"]["description"] == "by hand"
    assert planned["diff"]["after"]["bulk-002"]["datafeed"]["state"] == "started"
    assert sorted(planned["diff"]["before"]) == ["bulk-000", "bulk-001", "bulk-002"]
    assert writes == []
    applied = _run(es, changed)
    assert applied["changed"] is True
    assert _run(es, changed)["changed"] is False


def test_failures_are_collected_and_the_rest_converged(es):
    jobs = _jobs(3)
    jobs[1]["config"]["analysis_config"] = {"detectors": [{"function": "mean"}]}  # Elasticsearch refuses it
    result = _run(es, jobs)
    assert result["failed"] is True
    assert result["msg"].startswith("1 of 3 jobs could not be converged (2 converged). 1: status_exception: ")
    assert "First failures: bulk-001: PUT _ml/anomaly_detectors/bulk-001: 400" in result["msg"]
    assert result["failed_jobs"] == ["bulk-001"]
    assert [r.get("failed", False) for r in result["results"]] == [False, True, False]
    assert es("GET", "/_ml/anomaly_detectors/bulk-002").status == 200


def test_pruning(es):
    _run(es, _jobs(4))
    kept = _jobs(4)[:2]
    left_alone = _run(es, kept)
    assert left_alone["pruned"] == [] and es("GET", "/_ml/anomaly_detectors/bulk-003").status == 200
    planned = _run(es, kept, check=True, managed_group="bulk")
    assert [p["job_id"] for p in planned["pruned"]] == ["bulk-002", "bulk-003"]
    assert es("GET", "/_ml/anomaly_detectors/bulk-003").status == 200
    es.clear_log()
    pruned = _run(es, kept, managed_group="bulk")
    assert [p["datafeed"]["actions"][-1]["action"] for p in pruned["pruned"]] == ["delete_datafeed"] * 2
    deletes = [line for line in _log(es) if line.startswith("DELETE")]
    assert deletes == ["DELETE /_ml/datafeeds/datafeed-bulk-002", "DELETE /_ml/anomaly_detectors/bulk-002",
                       "DELETE /_ml/datafeeds/datafeed-bulk-003", "DELETE /_ml/anomaly_detectors/bulk-003"]
    assert es("GET", "/_ml/anomaly_detectors/bulk").json["count"] == 2


@pytest.mark.parametrize("jobs,message", [
    ([{"job_id": "a", "config": {"analysis_config": AC}}, {"job_id": "a", "config": {"analysis_config": AC}}],
     "job a is declared twice"),
    ([{"job_id": "a"}], "config is required unless state is absent"),
    ([{"job_id": "a", "state": "closed", "config": {"analysis_config": AC},
       "datafeed": {"state": "started", "config": {"indices": ["x"]}}}],
     "a started datafeed needs its job opened"),
    ([{"job_id": "a", "config": {"analysis_config": AC, "descripton": "x"}}], "unknown key 'descripton'"),
    ([{"job_id": "a", "config": {"analysis_config": dict(AC, bucket_span="15x")}}], "is not a time value"),
])
def test_the_whole_set_is_checked_before_any_request(es, jobs, message):
    with pytest.raises(ConfigError) as info:
        _run(es, jobs)
    assert message in str(info.value)
    assert es.log() == []


def test_check_mode_of_new_and_closed_jobs_plans_their_datafeeds_start(es):
    """The audit before a first deploy: new jobs with datafeeds, and a closed job to be opened, planned in check mode
    as the real run will do them (the datafeed planner reads the job's predicted state, not an absent or closed one),
    with nothing written."""
    es.source("logs")
    es.put_job("closed-one")
    es("PUT", "/_ml/datafeeds/datafeed-closed-one", {"job_id": "closed-one", "indices": ["logs"]})
    es.clear_log()
    body = {"analysis_config": {"bucket_span": "15m", "detectors": [{"function": "count"}]},
            "data_description": {"time_field": "timestamp"}}
    jobs = [{"job_id": "new-one", "config": body, "datafeed": {"config": {"indices": ["logs"]}}},
            {"job_id": "closed-one", "config": body, "datafeed": {"config": {"indices": ["logs"]}}}]
    planned = _bulk.run(MlApi(EsClient(hosts=[es.url])), {"jobs": jobs}, check_mode=True)
    assert "failed" not in planned, planned.get("msg")
    previews = [e for e in es.log() if e["path"] == "/_ml/datafeeds/_preview"]
    assert len(previews) == 1 and "job_config" in previews[0]["body"]  # the new job's body: it is not on the server
    assert [a["action"] for a in planned["results"][0]["datafeed"]["actions"]] == ["put_datafeed", "start_datafeed"]
    assert [a["action"] for a in planned["results"][1]["actions"]] == ["open_job"]
    assert [a["action"] for a in planned["results"][1]["datafeed"]["actions"]] == ["start_datafeed"]
    assert [e for e in es.log() if is_write(e)] == []
    done = _bulk.run(MlApi(EsClient(hosts=[es.url])), {"jobs": jobs, "preflight": False})
    assert [a["action"] for a in done["results"][0]["datafeed"]["actions"]] == ["put_datafeed", "start_datafeed"]
    assert [a["action"] for a in done["results"][1]["datafeed"]["actions"]] == ["start_datafeed"]
