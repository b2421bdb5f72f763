"""What must never lose a user's data or report a wrong end state as success.

- Per-job options of the bulk module (and so of the role) are converted and checked as module options are:
  ``recreate: "false"`` (every extra var is a string) is false, a misspelt key is refused, before any request.
- A recreate whose delete outlasts ``request_timeout`` waits for the running delete before it creates.
- A recreate that fails at any step leaves what the advice in its message needs: run the task again (with the
  datafeed body the failure carries, where the datafeed was deleted with the job).
- A resend that fails too still restores the run state the change started from.
- A write whose response timed out is read back until it settles before it is sent again, so a first copy
  arriving late cannot undo what the run did next.
"""

from __future__ import annotations

import copy
import time

import pytest

from ansible_collections.mlops.elasticsearch.plugins.module_utils import _anomaly_job, _bulk
from ansible_collections.mlops.elasticsearch.plugins.module_utils._client import EsClient
from ansible_collections.mlops.elasticsearch.plugins.module_utils._job_config import ConfigError
from ansible_collections.mlops.elasticsearch.plugins.module_utils._ml_api import MlApi
from ansible_collections.mlops.elasticsearch.plugins.module_utils._reconcile import ReconcileError, StepFailed

from conftest import is_write

# their datafeeds read indices that exist, mapped with their jobs' fields (conftest.SOURCE_FIELDS)
pytestmark = pytest.mark.usefixtures("sources")

AC = {"bucket_span": "15m", "detectors": [{"function": "count", "by_field_name": "host"}]}
NEW_AC = dict(AC, bucket_span="30m")
# preflight has its own tests (test_preflight.py); these test what the plan does after it
JOB = {"preflight": False, "state": "present", "recreate": False, "force": False, "timeout": None, "wait_for_completion": True,
       "delete_user_annotations": False, "allow_no_match": True, "job_id": "j1"}
J = "/_ml/anomaly_detectors/j1"
D = "/_ml/datafeeds/datafeed-j1"


def _api(es, **client):
    client.setdefault("retries", 0)
    client.setdefault("backoff_factor", 0)
    return MlApi(EsClient(hosts=[es.url], **client))


def _running_job_with_feed(es):
    es.put_job("j1", {"analysis_config": copy.deepcopy(AC)})
    es("PUT", D, {"job_id": "j1", "indices": ["logs-*"], "query": {"term": {"host": "web-1"}}})
    es("POST", J + "/_open")
    es("POST", D + "/_start")
    es.clear_log()


def _writes(es):
    return ["%s %s" % (e["method"], e["path"]) for e in es.log() if is_write(e)]


def _state(es):
    found = es("GET", J + "/_stats")
    return found.json["jobs"][0]["state"] if found.status == 200 else None


def _feed(es):
    found = es("GET", D)
    return found.json["datafeeds"][0] if found.status == 200 else None


def _feed_state(es):
    return es("GET", D + "/_stats").json["datafeeds"][0]["state"]


# -- 1. the bulk module's per-job options -------------------------------------------------------------------------

def _bulk_run(es, jobs, check=False):
    return _bulk.run(_api(es), {"jobs": jobs, "preflight": False}, check_mode=check)


def test_string_false_never_recreates_or_forces(es):
    """recreate: "false" on an immutable difference is refused, as recreate: false is; nothing is deleted."""
    _running_job_with_feed(es)
    result = _bulk_run(es, [{"job_id": "j1", "config": {"analysis_config": NEW_AC}, "recreate": "false",
                             "force": "no", "state": "opened"}])
    assert result["failed"] is True and "Set recreate=true" in result["msg"]
    assert _writes(es) == [] and _state(es) == "opened"


def test_string_true_is_true(es):
    _running_job_with_feed(es)
    result = _bulk_run(es, [{"job_id": "j1", "config": {"analysis_config": NEW_AC}, "recreate": "yes",
                             "datafeed": {"config": {"indices": ["logs-*"]}}}])
    assert "failed" not in result, result.get("msg")
    assert es("GET", J).json["jobs"][0]["analysis_config"]["bucket_span"] == "30m"


@pytest.mark.parametrize("job,message", [
    ({"job_id": "j1", "staet": "absent", "config": {"analysis_config": AC}},
     "jobs[0]: unknown key 'staet'; expected one of calendars, config, datafeed, force, job_id, keep_snapshots, kibana_spaces, recreate, state"),
    ({"job_id": "j1", "state": "gone", "config": {"analysis_config": AC}}, "jobs[0].state: 'gone' is not one of"),
    ({"job_id": "j1", "state": "reset", "config": {"analysis_config": AC}}, "jobs[0].state: 'reset' is not one of"),
    ({"job_id": "j1", "recreate": "maybe", "config": {"analysis_config": AC}},
     "jobs[0].recreate: expected true or false, got 'maybe'"),
    ({"job_id": "j1", "config": {"analysis_config": AC, "results_retention_days": "a week"}},
     "jobs[0].config.results_retention_days: expected an integer"),
    ({"job_id": "j1", "config": {"analysis_config": AC, "analysis_confg": {}}}, "jobs[0].config: unknown key"),
    ({"job_id": "j1", "config": {"analysis_config": AC}, "datafeed": "yes"}, "jobs[0].datafeed: expected a mapping"),
    ({"job_id": "j1", "config": {"analysis_config": AC}, "datafeed": ["logs"]}, "jobs[0].datafeed: expected a mapping"),
    ({"job_id": "j1", "config": {"analysis_config": AC}, "datafeed": {"config": "indices"}},
     "jobs[0].datafeed.config: expected a mapping"),
    ({"job_id": "j1", "config": {"analysis_config": AC}, "datafeed": {"config": {"indices": ["x"], "qurey": {}}}},
     "jobs[0].datafeed.config: unknown key 'qurey'"),
    ({"job_id": "j1", "config": [1]}, "jobs[0].config: expected a mapping"),
    ({"job_id": "j1", "config": {"analysis_config": AC, "datafeed_config": {"indices": ["x"]}},
      "datafeed": {"config": {"indices": ["x"]}}}, "the datafeed is declared twice"),
    ({"job_id": "j1", "config": {"analysis_config": AC, "job_id": "j2"}}, "config.job_id differs from job_id"),
    ({"config": {"analysis_config": AC}}, "jobs[0].job_id is required"),
    ("j1", "jobs[0]: expected a mapping"),
])
def test_bad_elements_are_refused_before_any_request(es, job, message):
    with pytest.raises(ConfigError) as info:
        _bulk_run(es, [job])
    assert message in str(info.value)
    assert es.log() == []


def test_an_integer_id_and_es_aliases_are_accepted(es):
    """2024 is a valid job id; a Kibana datafeed with aggs and indexes, and a job's datafeed_config, are ES's own."""
    aggs = {"buckets": {"date_histogram": {"field": "@timestamp", "fixed_interval": "15m"},
                        "aggs": {"@timestamp": {"max": {"field": "@timestamp"}}}}}
    jobs = [{"job_id": 2024, "config": {"analysis_config": dict(AC, summary_count_field_name="doc_count")},
             "datafeed": {"config": {"indexes": ["logs-*"], "aggs": aggs}}},
            {"job_id": "j2", "config": {"analysis_config": AC, "datafeed_config": {"indices": ["logs-*"]}}}]
    result = _bulk_run(es, jobs)
    assert "failed" not in result, result.get("msg")
    assert es("GET", "/_ml/datafeeds/datafeed-2024").json["datafeeds"][0]["aggregations"] == aggs
    assert es("GET", "/_ml/datafeeds/j2/_stats").json["datafeeds"][0]["state"] == "started"  # ES's default id
    es.clear_log()
    assert _bulk_run(es, jobs)["changed"] is False and _writes(es) == []


# -- 2. a delete that outlasts request_timeout --------------------------------------------------------------------

def test_recreate_waits_for_a_delete_slower_than_request_timeout(es):
    _running_job_with_feed(es)
    es.settings(task_duration_ms=2500)  # ES deletes a job with much history slowly
    api = _api(es, request_timeout=0.5)
    result = _anomaly_job.run(api, dict(JOB, analysis_config=NEW_AC, recreate=True))
    names = [a["action"] for a in result["actions"]]
    assert names == ["close_job", "delete_job", "put_job", "open_job", "start_datafeed"]
    assert es("GET", J).json["jobs"][0]["analysis_config"]["bucket_span"] == "30m"
    assert _feed(es)["query"] == {"term": {"host": "web-1"}} and _feed_state(es) == "started"


# -- 3. a recreate that fails at any step -------------------------------------------------------------------------

@pytest.mark.parametrize("method,path", [("POST", J + "/_close"), ("DELETE", J), ("PUT", J), ("POST", J + "/_open"),
                                         ("POST", D + "/_start")])
def test_recreate_failing_at_any_step_is_finished_by_the_advice(es, method, path):
    _running_job_with_feed(es)
    es.fault(method=method, path=path, count=1, status=500)
    params = dict(JOB, analysis_config=NEW_AC, recreate=True, state="opened")
    with pytest.raises((StepFailed, ReconcileError, Exception)) as info:
        _anomaly_job.run(_api(es), params)
    failure = info.value
    details = getattr(failure, "details", {})
    message = str(failure)
    if (method, path) == ("PUT", J):
        # the job and its datafeed are gone: the failure carries the datafeed, and says how to give it back
        assert _feed(es) is None
        assert details["datafeed_config"]["query"] == {"term": {"host": "web-1"}}
        assert "give it to the task as datafeed_config" in message
        params = dict(params, datafeed_config=details["datafeed_config"])
    elif method != "DELETE" or path != J:
        assert _feed(es) is not None  # nothing else ever leaves the datafeed only in memory
    again = _anomaly_job.run(_api(es), params)  # "run the task again to finish"
    assert again["state"] == "opened"
    assert es("GET", J).json["jobs"][0]["analysis_config"]["bucket_span"] == "30m"
    assert _feed(es)["query"] == {"term": {"host": "web-1"}}
    if (method, path) != ("PUT", J):
        assert _feed_state(es) == "started"  # the run state it started from (restored, or re-run)


# -- 4. a resend that fails too ---------------------------------------------------------------------------------

def test_a_reopen_lost_twice_still_restores_the_run_state(es):
    _running_job_with_feed(es)
    es.fault(method="POST", path=J + "/_open", count=2, drop=True)
    with pytest.raises(StepFailed) as info:
        _anomaly_job.run(_api(es), dict(JOB, analysis_config=AC, analysis_limits={"model_memory_limit": "64mb"}))
    assert "these were done: open_job, start_datafeed" in str(info.value)
    assert _state(es) == "opened" and _feed_state(es) == "started"
    again = _anomaly_job.run(_api(es), dict(JOB, analysis_config=AC, analysis_limits={"model_memory_limit": "64mb"}))
    assert again["changed"] is False


# -- 5. late copies of a timed-out write --------------------------------------------------------------------------

def test_a_late_delete_cannot_remove_the_recreated_job(es):
    _running_job_with_feed(es)
    es.fault(method="DELETE", path=J, count=1, delay_ms=800)  # applied 0.8 s after it was sent
    result = _anomaly_job.run(_api(es, request_timeout=0.5), dict(JOB, analysis_config=NEW_AC, recreate=True))
    assert result["actions"][1]["note"].endswith("its response was lost; read back, it had taken effect")
    time.sleep(0.6)  # past the moment the first DELETE was applied
    assert es("GET", J).json["jobs"][0]["analysis_config"]["bucket_span"] == "30m"
    assert len([e for e in es.log() if e["method"] == "DELETE"]) == 1
    assert _state(es) == "opened" and _feed_state(es) == "started"


def test_a_late_close_cannot_leave_the_job_closed(es):
    _running_job_with_feed(es)
    es.fault(method="POST", path=J + "/_close", count=1, delay_ms=800)
    _anomaly_job.run(_api(es, request_timeout=0.5, retries=2),
                     dict(JOB, analysis_config=AC, analysis_limits={"model_memory_limit": "64mb"}))
    time.sleep(0.6)
    assert len([e for e in es.log() if e["path"] == J + "/_close"]) == 1
    assert _state(es) == "opened" and _feed_state(es) == "started"
