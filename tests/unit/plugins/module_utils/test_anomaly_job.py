"""The job lifecycle planner, run against the emulator: actions, end states, and no write in check mode."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.mlops.elasticsearch.plugins.module_utils._anomaly_job import run
from ansible_collections.mlops.elasticsearch.plugins.module_utils._client import ElasticsearchError, EsClient
from ansible_collections.mlops.elasticsearch.plugins.module_utils._job_config import ConfigError
from ansible_collections.mlops.elasticsearch.plugins.module_utils._ml_api import MlApi
from ansible_collections.mlops.elasticsearch.plugins.module_utils._reconcile import ReconcileError, StepFailed

from conftest import is_write

# their datafeeds read indices that exist, mapped with their jobs' fields (conftest.SOURCE_FIELDS)
pytestmark = pytest.mark.usefixtures("sources")

CONFIG = {"bucket_span": "15m", "detectors": [{"function": "mean", "field_name": "bytes", "by_field_name": "host"}],
          "influencers": ["host"]}
# preflight has its own tests (test_preflight.py); these test what the plan does after it
DEFAULTS = {"preflight": False, "state": "present", "recreate": False, "force": False, "timeout": None, "wait_for_completion": True,
            "delete_user_annotations": False, "allow_no_match": True}


def _run(es, check=False, diff=False, **params):
    full = dict(DEFAULTS, **params)
    warnings = []
    result = run(MlApi(EsClient(hosts=[es.url], retries=0)), full, check_mode=check, diff_mode=diff,
                 warn=warnings.append)
    result["warnings"] = warnings
    return result


def _names(result):
    return [a["action"] for a in result["actions"]]


def _requests(es):
    return [(e["method"], e["path"]) for e in es.log()]


def _writes(es):
    return [(e["method"], e["path"]) for e in es.log() if is_write(e)]


def _job(es, job_id="j1"):
    return es("GET", "/_ml/anomaly_detectors/" + job_id).json["jobs"][0]


def _state(es, job_id="j1"):
    return es("GET", "/_ml/anomaly_detectors/%s/_stats" % job_id).json["jobs"][0]["state"]


def _feed_state(es, feed="datafeed-j1"):
    return es("GET", "/_ml/datafeeds/%s/_stats" % feed).json["datafeeds"][0]["state"]


def _with_feed(es, job_id="j1", started=False):
    es.put_job(job_id, {"analysis_config": copy.deepcopy(CONFIG)})
    es("PUT", "/_ml/datafeeds/datafeed-" + job_id, {"job_id": job_id, "indices": ["logs-*"]})
    if started:
        es("POST", "/_ml/anomaly_detectors/%s/_open" % job_id)
        es("POST", "/_ml/datafeeds/datafeed-%s/_start" % job_id)
    es.clear_log()


def test_create_check_mode_then_apply_then_noop(es):
    planned = _run(es, check=True, diff=True, job_id="j1", analysis_config=CONFIG)
    assert planned["changed"] is True
    assert _names(planned) == ["put_job"]
    assert planned["actions"][0]["body"] == {"analysis_config": CONFIG}
    assert planned["job"] is None
    assert planned["diff"]["before"] == {}
    assert planned["diff"]["after"]["analysis_config"]["bucket_span"] == "15m"
    assert _writes(es) == []
    created = _run(es, job_id="j1", analysis_config=CONFIG)
    assert created["changed"] is True and created["job"]["job_id"] == "j1"
    assert created["job"]["analysis_limits"]["model_memory_limit"] == "1024mb"
    es.clear_log()
    again = _run(es, job_id="j1", analysis_config=CONFIG)
    assert again["changed"] is False and again["actions"] == [] and "state" not in again
    assert _requests(es) == [("GET", "/_ml/anomaly_detectors/j1")]


def test_update_in_place(es):
    _run(es, job_id="j1", analysis_config=CONFIG, groups=["a"])
    es.clear_log()
    planned = _run(es, check=True, diff=True, job_id="j1", analysis_config=CONFIG, groups=["b", "a"],
                   description="latency", custom_settings={"team": "web"})
    assert _names(planned) == ["update_job"]
    assert planned["actions"][0]["body"] == {"custom_settings": {"team": "web"}, "description": "latency",
                                             "groups": ["a", "b"]}
    assert planned["diff"]["before"]["groups"] == ["a"]
    assert planned["diff"]["after"]["groups"] == ["a", "b"]
    assert planned["diff"]["after"]["description"] == "latency"
    assert _writes(es) == []
    applied = _run(es, job_id="j1", analysis_config=CONFIG, groups=["b", "a"], description="latency",
                   custom_settings={"team": "web"})
    assert applied["job"]["description"] == "latency"
    assert sorted(p["path"] for p in applied["changes"]) == ["custom_settings", "description", "groups"]
    assert _run(es, job_id="j1", analysis_config=CONFIG, groups=["a", "b"], description="latency")["changed"] is False


def test_immutable_change_fails_before_any_write(es):
    _run(es, job_id="j1", analysis_config=CONFIG)
    es.clear_log()
    changed = dict(CONFIG, bucket_span="1h", influencers=["host", "service"])
    with pytest.raises(ReconcileError) as info:
        _run(es, job_id="j1", analysis_config=changed, data_description={"time_field": "ts"})
    message = str(info.value)
    assert "analysis_config.bucket_span is '15m', declared '1h'" in message
    assert "analysis_config.influencers is ['host'], declared ['host', 'service']" in message
    assert "data_description.time_field is 'time', declared 'ts'" in message
    assert "Set recreate=true" in message and "results are lost" in message
    assert _writes(es) == []


def test_recreate_restores_datafeed_and_run_state(es):
    _with_feed(es, started=True)
    changed = dict(CONFIG, bucket_span="30m")
    planned = _run(es, check=True, job_id="j1", analysis_config=changed, recreate=True)
    # the datafeed travels in the job's PUT (datafeed_config): ES creates the two in one request, so no step leaves
    # the datafeed only in this run's memory
    assert _names(planned) == ["close_job", "delete_job", "put_job", "open_job", "start_datafeed"]
    assert planned["actions"][2]["body"]["datafeed_config"]["indices"] == ["logs-*"]
    assert planned["actions"][2]["body"]["datafeed_config"]["datafeed_id"] == "datafeed-j1"
    assert _writes(es) == []
    done = _run(es, job_id="j1", analysis_config=changed, recreate=True)
    assert _names(done) == _names(planned)
    assert done["state"] == "opened"
    assert _job(es)["analysis_config"]["bucket_span"] == "30m"
    assert _state(es) == "opened" and _feed_state(es) == "started"
    feed = es("GET", "/_ml/datafeeds/datafeed-j1").json["datafeeds"][0]
    assert feed["indices"] == ["logs-*"]
    assert _run(es, job_id="j1", analysis_config=changed)["changed"] is False


def test_model_memory_on_open_job(es):
    _with_feed(es, started=True)
    done = _run(es, job_id="j1", analysis_config=CONFIG, analysis_limits={"model_memory_limit": "2gb"})
    assert _names(done) == ["close_job", "update_job", "open_job", "start_datafeed"]
    assert done["actions"][0]["note"] == "also stops datafeed [datafeed-j1]"
    assert done["actions"][1]["body"] == {"analysis_limits": {"model_memory_limit": "2048mb"}}
    assert done["job"]["analysis_limits"]["model_memory_limit"] == "2048mb"
    assert _state(es) == "opened" and _feed_state(es) == "started"
    es.clear_log()
    again = _run(es, job_id="j1", analysis_config=CONFIG, analysis_limits={"model_memory_limit": 2048})
    assert again["changed"] is False and _requests(es) == [("GET", "/_ml/anomaly_detectors/j1")]


def test_model_memory_on_closed_job_is_one_update(es):
    _run(es, job_id="j1", analysis_config=CONFIG)
    done = _run(es, job_id="j1", analysis_config=CONFIG, analysis_limits={"model_memory_limit": "64mb"})
    assert _names(done) == ["update_job"]
    assert done["state"] == "closed"


@pytest.mark.parametrize("failing", ["_close", "_update", "_open", "_start"])
def test_interrupted_memory_change_is_finished_by_the_same_task(es, failing):
    """Issue 7: a close/update/reopen/restart interrupted at any step; running the same task again finishes it."""
    _with_feed(es, started=True)
    path = ("/_ml/datafeeds/datafeed-j1/" if failing == "_start" else "/_ml/anomaly_detectors/j1/") + failing
    es.fault(method="POST", path=path, count=1, status=500)
    task = dict(job_id="j1", analysis_config=CONFIG, analysis_limits={"model_memory_limit": "2gb"})
    with pytest.raises((StepFailed, ElasticsearchError)) as info:
        _run(es, **task)
    message = str(info.value)
    assert "500" in message
    if failing != "_close":
        assert "Done before it failed: close_job" in message
        assert "To leave job [j1] running as it was, these were done: open_job, start_datafeed" in message
    assert _state(es) == "opened" and _feed_state(es) == "started"  # running as before the task
    finished = _run(es, **task)
    assert _job(es)["analysis_limits"]["model_memory_limit"] == "2048mb"
    assert _state(es) == "opened" and _feed_state(es) == "started"
    assert _run(es, **task)["changed"] is False
    if failing in ("_open", "_start"):
        assert finished["changed"] is False  # the update had gone through before the failure


def test_failed_restore_says_where_the_job_is(es):
    _with_feed(es, started=True)
    es.fault(method="POST", path="/_ml/anomaly_detectors/j1/_open", count=3, status=500)
    with pytest.raises(StepFailed) as info:
        _run(es, job_id="j1", analysis_config=CONFIG, analysis_limits={"model_memory_limit": "2gb"})
    message = str(info.value)
    assert "Restoring its run state failed too" in message
    assert "job [j1] is left closed and updated with datafeed [datafeed-j1] stopped; run the task again" in message


def test_opened_and_closed(es):
    _with_feed(es)
    planned = _run(es, check=True, job_id="j1", state="opened")
    assert _names(planned) == ["open_job"] and planned["state"] == "opened"
    assert _writes(es) == []
    opened = _run(es, job_id="j1", state="opened")
    assert opened["state"] == "opened" and _state(es) == "opened"
    es.clear_log()
    assert _run(es, job_id="j1", state="opened")["changed"] is False
    assert _requests(es) == [("GET", "/_ml/anomaly_detectors/j1"), ("GET", "/_ml/anomaly_detectors/j1/_stats")]
    es("POST", "/_ml/datafeeds/datafeed-j1/_start")
    closed = _run(es, job_id="j1", state="closed")
    assert _names(closed) == ["close_job"] and closed["actions"][0]["note"] == "also stops its datafeed, if started"
    assert _state(es) == "closed" and _feed_state(es) == "stopped"
    assert _run(es, job_id="j1", state="closed")["changed"] is False


def test_opened_creates_first(es):
    done = _run(es, job_id="j1", state="opened", analysis_config=CONFIG, diff=True)
    assert _names(done) == ["put_job", "open_job"]
    assert done["diff"]["after"]["state"] == "opened"
    with pytest.raises(ReconcileError) as info:
        _run(es, job_id="nope", state="opened")
    assert "No known job with id 'nope'; give its analysis_config" in str(info.value)


def test_lazy_open(es):
    es.settings(max_open_jobs=0)
    _run(es, job_id="j1", analysis_config=CONFIG, allow_lazy_open=True)
    done = _run(es, job_id="j1", state="opened")
    assert done["state"] == "opening"
    assert _run(es, job_id="j1", state="opened")["changed"] is False


def test_close_a_group(es):
    for job_id in ("web-a", "web-b", "db"):
        _run(es, job_id=job_id, state="opened", analysis_config=CONFIG, groups=["web"] if job_id != "db" else None)
    es.clear_log()
    planned = _run(es, check=True, diff=True, job_id="web", state="closed")
    assert planned["jobs"] == ["web-a", "web-b"]
    assert planned["diff"] == {"before": {"web-a": "opened", "web-b": "opened"},
                               "after": {"web-a": "closed", "web-b": "closed"}}
    assert _writes(es) == []
    done = _run(es, job_id="web*,db", state="closed")
    assert _names(done) == ["close_job"] and done["actions"][0]["path"] == "_ml/anomaly_detectors/web*,db/_close"
    assert [_state(es, j) for j in ("web-a", "web-b", "db")] == ["closed"] * 3
    assert _run(es, job_id="web", state="closed")["changed"] is False
    assert _run(es, job_id="none-*", state="closed")["changed"] is False
    with pytest.raises(ElasticsearchError):
        _run(es, job_id="none-*", state="closed", allow_no_match=False)


@pytest.mark.parametrize("state", ["absent", "reset", "opened", "present"])
def test_a_group_is_never_acted_on_as_one_job(es, state):
    _run(es, job_id="web-a", analysis_config=CONFIG, groups=["web"])
    es.clear_log()
    with pytest.raises(ReconcileError) as info:
        _run(es, job_id="web", state=state)
    assert "job_id [web] is a group of 1 jobs (web-a), not a job" in str(info.value)
    with pytest.raises(ConfigError):
        _run(es, job_id="web-*", state=state)
    assert _writes(es) == []


def test_absent(es):
    _with_feed(es, started=True)
    planned = _run(es, check=True, diff=True, job_id="j1", state="absent")
    assert _names(planned) == ["close_job", "delete_job"]
    assert planned["actions"][1]["note"] == "also deletes datafeed [datafeed-j1]"
    assert planned["diff"]["after"] == {} and planned["diff"]["before"]["state"] == "opened"
    assert _writes(es) == []
    done = _run(es, job_id="j1", state="absent")
    assert done["changed"] is True and "job" not in done or done["job"] is None
    assert es("GET", "/_ml/anomaly_detectors/j1").status == 404
    assert es("GET", "/_ml/datafeeds/datafeed-j1").status == 404
    es.clear_log()
    assert _run(es, job_id="j1", state="absent")["changed"] is False
    assert _requests(es) == [("GET", "/_ml/anomaly_detectors/j1")]


def test_absent_async_and_busy(es):
    es.settings(task_duration_ms=400)
    _run(es, job_id="j1", analysis_config=CONFIG)
    done = _run(es, job_id="j1", state="absent", wait_for_completion=False)
    assert done["task"].startswith("7bmMXyWCRs-TuPfGJJ_yMw:")
    again = _run(es, job_id="j1", state="absent", wait_for_completion=False)
    assert again["changed"] is False and again["task"] == done["task"]
    waited = _run(es, job_id="j1", state="present", analysis_config=CONFIG)
    assert _names(waited) == ["wait_for_job", "put_job"]
    assert "busy with [delete]" in waited["actions"][0]["note"]
    assert _job(es)["job_id"] == "j1" and "blocked" not in _job(es)


def test_busy_with_reset_is_waited_for(es):
    es.settings(task_duration_ms=400)
    _run(es, job_id="j1", analysis_config=CONFIG)
    es("POST", "/_ml/anomaly_detectors/j1/_reset", params={"wait_for_completion": "false"})
    planned = _run(es, check=True, job_id="j1", state="opened")
    assert _names(planned) == ["wait_for_job", "open_job"]
    done = _run(es, job_id="j1", state="opened")
    assert _names(done) == ["wait_for_job", "open_job"] and _state(es) == "opened"


def test_reset(es):
    _run(es, job_id="j1", state="opened", analysis_config=CONFIG)
    assert _run(es, job_id="j1", state="reset", check=True)["actions"] == [  # open, but holds nothing
        {"action": "close_job", "method": "POST", "path": "_ml/anomaly_detectors/j1/_close"}]
    _run(es, job_id="j1", state="opened")
    es("POST", "/_ml/anomaly_detectors/j1/_data", raw='{"time": 1700000000000, "bytes": 1, "host": "a"}',
       headers={"Content-Type": "application/json"})
    planned = _run(es, job_id="j1", state="reset", check=True)
    assert _names(planned) == ["close_job", "reset_job"]
    done = _run(es, job_id="j1", state="reset")
    assert done["state"] == "closed" and "model_snapshot_id" not in done["job"]
    stats = es("GET", "/_ml/anomaly_detectors/j1/_stats").json["jobs"][0]
    assert stats["data_counts"]["processed_record_count"] == 0
    assert _run(es, job_id="j1", state="reset")["changed"] is False
    assert _names(_run(es, job_id="j2", state="reset", analysis_config=CONFIG)) == ["put_job"]


def test_reset_async(es):
    es.settings(task_duration_ms=300)
    _run(es, job_id="j1", state="opened", analysis_config=CONFIG)
    es("POST", "/_ml/anomaly_detectors/j1/_data", raw='{"time": 1700000000000}', headers={"Content-Type": "application/json"})
    done = _run(es, job_id="j1", state="reset", wait_for_completion=False)
    assert _names(done) == ["close_job", "reset_job"] and done["task"]
    assert _job(es)["blocked"]["reason"] == "reset"


def test_failed_job_needs_force(es):
    _run(es, job_id="j1", state="opened", analysis_config=CONFIG)
    es.runtime("j1", state="failed")
    for state in ("closed", "absent", "opened"):
        with pytest.raises(ReconcileError) as info:
            _run(es, job_id="j1", state=state)
        assert "has failed" in str(info.value)
    assert _names(_run(es, job_id="j1", state="closed", force=True)) == ["close_job"]
    es("POST", "/_ml/anomaly_detectors/j1/_open")
    es.runtime("j1", state="failed")
    done = _run(es, job_id="j1", state="absent", force=True)
    assert _names(done) == ["delete_job"] and done["actions"][0]["params"]["force"] is True


def test_adopt_a_kibana_export(es):
    """A job made elsewhere, exported with exclude_generated and pasted as module options: no change."""
    es.put_job("kibana-job", {
        "description": "Rare processes", "groups": ["security", "linux"],
        "analysis_config": {"bucket_span": "900s", "detectors": [
            {"detector_description": "rare process", "function": "rare", "by_field_name": "process.name",
             "partition_field_name": "host.name", "custom_rules": [
                 {"actions": ["skip_result"], "conditions": [{"applies_to": "time", "operator": "lt", "value": 0}]}]}],
            "influencers": ["host.name", "process.name", "user.name"]},
        "analysis_limits": {"model_memory_limit": "256mb"}, "data_description": {"time_field": "@timestamp"},
        "model_plot_config": {"enabled": False}, "custom_settings": {"created_by": "ml-module-linux", "tier": 2},
        "results_index_name": "siem", "allow_lazy_open": True})
    export = es("GET", "/_ml/anomaly_detectors/kibana-job").json["jobs"][0]  # plain GET, generated keys and all
    export.pop("datafeed_config", None)
    es.clear_log()
    adopted = _run(es, **export)
    assert adopted["changed"] is False, adopted["changes"]
    exported = es("GET", "/_ml/anomaly_detectors/kibana-job", params={"exclude_generated": "true"}).json["jobs"][0]
    assert _run(es, **exported)["changed"] is False
    assert _writes(es) == []


def test_datafeed_config_declares_the_datafeed(es):
    """A job's datafeed_config (the create API's own key) declares its datafeed: created with the job in one PUT,
    its id defaulting to the job's id as ES defaults it (DatafeedConfig built in TransportPutJobAction; ES docs
    "Create anomaly detection jobs": datafeed_config), converged by difference once the job exists."""
    planned = _run(es, check=True, job_id="j1", analysis_config=CONFIG, datafeed_config={"indexes": ["logs-*"]})
    assert _names(planned) == ["put_job"]
    assert planned["actions"][0]["body"]["datafeed_config"] == {"indices": ["logs-*"], "datafeed_id": "j1"}
    assert _writes(es) == []
    created = _run(es, job_id="j1", analysis_config=CONFIG, datafeed_config={"indexes": ["logs-*"]})
    assert _names(created) == ["put_job"] and "datafeed" not in created
    assert es("GET", "/_ml/datafeeds/j1").json["datafeeds"][0]["indices"] == ["logs-*"]
    es.clear_log()
    same = _run(es, job_id="j1", analysis_config=CONFIG, datafeed_config={"indices": ["logs-*"]})
    assert same["changed"] is False and same["datafeed"]["changed"] is False
    assert _writes(es) == []
    changed = _run(es, job_id="j1", analysis_config=CONFIG,
                   datafeed_config={"indices": ["logs-*", "more-*"], "aggs": None, "scroll_size": "500"})
    assert changed["changed"] is True and _names(changed) == []
    assert [a["action"] for a in changed["datafeed"]["actions"]] == ["update_datafeed"]
    assert es("GET", "/_ml/datafeeds/j1").json["datafeeds"][0]["scroll_size"] == 500


def test_datafeed_config_takes_the_id_of_the_datafeed_the_job_has(es):
    _with_feed(es)
    es.clear_log()
    result = _run(es, job_id="j1", analysis_config=CONFIG, datafeed_config={"indices": ["logs-*"]})
    assert result["changed"] is False and result["datafeed"]["datafeed"]["datafeed_id"] == "datafeed-j1"
    assert _writes(es) == []


def test_a_whole_get_of_a_job_with_its_datafeed_adopts_as_a_noop(es):
    _with_feed(es, started=True)
    export = es("GET", "/_ml/anomaly_detectors/j1").json["jobs"][0]  # generated keys, datafeed_config and all
    assert "datafeed_config" in export
    es.clear_log()
    adopted = _run(es, **export)
    assert adopted["changed"] is False, (adopted["changes"], adopted["datafeed"]["changes"])
    assert _writes(es) == []


@pytest.mark.parametrize("feed,message", [
    ({"indices": ["x"], "job_id": "other"}, "datafeed_config.job_id is 'other', but the job is 'j1'"),
    ({"query": {}}, "datafeed_config.indices is required"),
    ({"indices": ["x"], "frequency": "often"}, "datafeed_config.frequency: 'often' is not a time value"),
    ({"indices": ["x"], "indexs": ["y"]}, "datafeed_config: unknown key 'indexs'"),
    ({"indices": ["x"], "scroll_size": "many"}, "datafeed_config.scroll_size: expected an integer"),
    ("yes", "datafeed_config: expected a mapping"),
])
def test_datafeed_config_is_checked_before_any_request(es, feed, message):
    es.clear_log()
    with pytest.raises(ConfigError) as info:
        _run(es, job_id="j1", analysis_config=CONFIG, datafeed_config=feed)
    assert message in str(info.value)
    assert es.log() == []


def test_es_errors_surface_verbatim(es):
    with pytest.raises(ElasticsearchError) as info:
        _run(es, job_id="j1", analysis_config={"detectors": [{"function": "mean"}]})
    assert str(info.value).startswith("PUT _ml/anomaly_detectors/j1: 400 status_exception: Unless a count or temporal "
                                      "function is used one of field_name, by_field_name or over_field_name must be set")
