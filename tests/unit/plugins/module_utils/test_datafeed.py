"""The datafeed planner and the info views, against the emulator (ES TransportStartDatafeedAction, GetDatafeedsStatsAction, DatafeedConfig)."""

from __future__ import annotations

import pytest

from ansible_collections.mlops.elasticsearch.plugins.module_utils._client import ElasticsearchError, EsClient
from ansible_collections.mlops.elasticsearch.plugins.module_utils._datafeed import run
from ansible_collections.mlops.elasticsearch.plugins.module_utils._datafeed_config import desired_body, differences
from ansible_collections.mlops.elasticsearch.plugins.module_utils._info import datafeeds_info, jobs_info
from ansible_collections.mlops.elasticsearch.plugins.module_utils._job_config import ConfigError
from ansible_collections.mlops.elasticsearch.plugins.module_utils._ml_api import MlApi
from ansible_collections.mlops.elasticsearch.plugins.module_utils._reconcile import ReconcileError

from conftest import is_write

# their datafeeds read indices that exist, mapped with their jobs' fields (conftest.SOURCE_FIELDS)
pytestmark = pytest.mark.usefixtures("sources")

# preflight has its own tests (test_preflight.py); these test what the plan does after it
DEFAULTS = {"preflight": False, "state": "present", "recreate": False, "force": False, "timeout": None, "restart": False,
            "open_job": False, "job_id": "j1"}
D = "/_ml/datafeeds/datafeed-j1"


def _api(es):
    return MlApi(EsClient(hosts=[es.url], retries=0))


def _run(es, check=False, diff=False, **params):
    return run(_api(es), dict(DEFAULTS, **params), check_mode=check, diff_mode=diff)


def _names(result):
    return [a["action"] for a in result["actions"]]


def _log(es):
    return ["%s %s" % (e["method"], e["path"]) for e in es.log()]


def _writes(es):
    return ["%s %s" % (e["method"], e["path"]) for e in es.log() if is_write(e)]


@pytest.fixture
def job(es):
    es.put_job("j1", {"analysis_config": {"bucket_span": "15m", "detectors": [{"function": "count"}]}})
    es.clear_log()


def test_create_check_then_apply_then_noop(es, job):
    planned = _run(es, check=True, diff=True, indices=["logs-*"], query={"term": {"a": 1}})
    assert _names(planned) == ["put_datafeed"]
    assert planned["actions"][0]["body"] == {"indices": ["logs-*"], "query": {"term": {"a": 1}}, "job_id": "j1"}
    assert planned["diff"]["before"] == {} and planned["diff"]["after"]["indices"] == ["logs-*"]
    assert _writes(es) == []
    created = _run(es, indices=["logs-*"], query={"term": {"a": 1}})
    assert created["datafeed"]["datafeed_id"] == "datafeed-j1"
    es.clear_log()
    again = _run(es, indices=["logs-*"], query={"term": {"a": 1}})
    assert again["changed"] is False and _log(es) == ["GET " + D]


def test_equivalent_spellings(es, job):
    """Normalised: indices as a set, durations by value, script defaults, expand_wildcards all (ES DatafeedConfig)."""
    es("PUT", D, {"job_id": "j1", "indexes": ["b", "a"], "frequency": "150s", "query_delay": "2m",
                  "script_fields": {"h": {"script": "doc['x'].value"}},
                  "indices_options": {"expand_wildcards": ["open", "closed", "hidden"]},
                  "chunking_config": {"mode": "manual", "time_span": "3h"}})
    current = _api(es).datafeed("datafeed-j1")
    declared = desired_body({"indices": ["a", "b"], "frequency": "2.5m", "query_delay": "120s",
                             "script_fields": {"h": {"script": {"source": "doc['x'].value", "lang": "painless"},
                                                     "ignore_failure": False}},
                             "indices_options": {"expand_wildcards": ["all"]},
                             "chunking_config": {"mode": "MANUAL", "time_span": "180m"}})
    assert differences(declared, current) == []
    assert differences({"scroll_size": 1000}, current) == []
    assert [c.path for c in differences({"indices_options": {"ignore_unavailable": True}}, current)] == [
        "indices_options.ignore_unavailable"]


def test_update_a_started_datafeed(es, job):
    es("PUT", D, {"job_id": "j1", "indices": ["logs"]})
    es("POST", "/_ml/anomaly_detectors/j1/_open")
    es("POST", D + "/_start")
    es.clear_log()
    done = _run(es, indices=["logs", "more"], scroll_size=500)
    assert _names(done) == ["stop_datafeed", "update_datafeed", "start_datafeed"]
    assert done["actions"][1]["body"] == {"indices": ["logs", "more"], "scroll_size": 500}
    assert _log(es) == ["GET " + D, "GET " + D + "/_stats", "POST " + D + "/_stop", "POST " + D + "/_update",
                        "POST " + D + "/_start"]
    assert es("GET", D + "/_stats").json["datafeeds"][0]["state"] == "started"


def test_job_id_cannot_change_without_recreate(es, job):
    es.put_job("j2", {"analysis_config": {"detectors": [{"function": "count"}]}})
    es("PUT", D, {"job_id": "j1", "indices": ["logs"]})
    es.clear_log()
    with pytest.raises(ReconcileError) as info:
        _run(es, datafeed_id="datafeed-j1", job_id="j2")
    assert "datafeed [datafeed-j1] feeds job [j1], declared [j2]" in str(info.value)
    assert _writes(es) == []
    done = _run(es, datafeed_id="datafeed-j1", job_id="j2", recreate=True)
    assert _names(done) == ["delete_datafeed", "put_datafeed"]
    assert done["datafeed"]["job_id"] == "j2" and done["datafeed"]["indices"] == ["logs"]


def test_started_needs_an_open_job(es, job):
    es("PUT", D, {"job_id": "j1", "indices": ["logs"]})
    es.clear_log()
    with pytest.raises(ReconcileError) as info:
        _run(es, state="started")
    assert "because job [j1] is closed; open the job first" in str(info.value)
    planned = _run(es, check=True, diff=True, state="started", open_job=True)
    assert _names(planned) == ["open_job", "start_datafeed"]
    assert planned["diff"]["before"]["state"] == "stopped" and planned["diff"]["after"]["state"] == "started"
    assert _writes(es) == []
    done = _run(es, state="started", open_job=True)
    assert done["state"] == "started"
    es.clear_log()
    assert _run(es, state="started")["changed"] is False
    assert _log(es) == ["GET " + D, "GET " + D + "/_stats"]


def test_bounded_datafeed_that_ran_is_done(es, job):
    """A bounded run whose job already holds records up to its end counts as done (ES Transport*JobAction, GetJobsStatsAction)."""
    es("PUT", D, {"job_id": "j1", "indices": ["logs"]})
    es("POST", "/_ml/anomaly_detectors/j1/_open")
    window = {"start": "2026-01-01T00:00:00Z", "end": "2026-01-02T00:00:00Z"}
    first = _run(es, state="started", **window)
    assert _names(first) == ["start_datafeed"]
    assert first["actions"][0]["params"] == window
    assert es("GET", D + "/_stats").json["datafeeds"][0]["state"] == "stopped"  # it ran and stopped
    # the window held no data, so nothing shows it ran: asking again runs it again (and finds nothing again)
    assert _names(_run(es, state="started", open_job=True, **window)) == ["open_job", "start_datafeed"]
    es("POST", "/_ml/anomaly_detectors/j1/_open")
    last = 1767312000000 - 60000  # a record a minute before the end
    es("POST", "/_ml/anomaly_detectors/j1/_data", raw='{"time": %d}' % last, headers={"Content-Type": "application/json"})
    es("POST", "/_ml/anomaly_detectors/j1/_close")
    again = _run(es, state="started", **window)
    assert again["changed"] is False and "already fed its job up to end" in again["notes"][0]
    rerun = _run(es, state="started", restart=True, open_job=True, **window)
    assert _names(rerun) == ["open_job", "start_datafeed"]


def test_stopped_and_absent(es, job):
    es("PUT", D, {"job_id": "j1", "indices": ["logs"]})
    es("POST", "/_ml/anomaly_detectors/j1/_open")
    es("POST", D + "/_start")
    assert _names(_run(es, state="stopped", force=True)) == ["stop_datafeed"]
    assert _run(es, state="stopped")["changed"] is False
    es("POST", D + "/_start")
    planned = _run(es, check=True, diff=True, state="absent")
    assert _names(planned) == ["stop_datafeed", "delete_datafeed"]
    assert planned["diff"]["after"] == {}
    done = _run(es, state="absent")
    assert done["changed"] is True and done["datafeed"] is None
    assert es("GET", D).status == 404
    assert _run(es, state="absent")["changed"] is False


def test_missing_datafeed_and_bad_input(es, job):
    with pytest.raises(ReconcileError) as info:
        _run(es, state="started")
    assert "does not exist; give job_id and indices" in str(info.value)
    with pytest.raises(ElasticsearchError) as err:
        _run(es, job_id="nope", indices=["x"])
    assert "404 resource_not_found_exception: No known job with id 'nope'" in str(err.value)
    es.clear_log()
    for params, message in (({"indices": []}, "indices: expected a non-empty list"),
                            ({"frequency": "often"}, "frequency: 'often' is not a time value"),
                            ({"chunking_config": {"mode": "sometimes"}}, "chunking_config.mode: expected auto"),
                            ({"indices_options": {"expand": "all"}}, "indices_options: unknown key 'expand'"),
                            ({"datafeed_id": "Bad Id"}, "datafeed_id 'Bad Id' is not valid"),
                            ({"state": "stopped", "end": "now"}, "start and end apply to state=started")):
        with pytest.raises(ConfigError) as bad:
            _run(es, **params)
        assert message in str(bad.value)
    assert _writes(es) == []


def test_jobs_info(es, job):
    es.put_job("j2", {"analysis_config": {"detectors": [{"function": "count"}]}, "groups": ["g"]})
    es("PUT", D, {"job_id": "j1", "indices": ["logs"]})
    es("POST", "/_ml/anomaly_detectors/j1/_open")
    es("POST", D + "/_start")
    es.runtime("j2", memory_status="hard_limit")
    es.clear_log()
    info = jobs_info(_api(es), {"job_id": None, "include_stats": True})
    assert info["count"] == 2 and [j["job_id"] for j in info["jobs"]] == ["j1", "j2"]
    first, second = info["jobs"]
    assert first["stats"]["state"] == "opened"
    assert first["datafeed"] == {"datafeed_id": "datafeed-j1", "state": "started"}
    assert second["stats"]["model_size_stats"]["memory_status"] == "hard_limit" and "datafeed" not in second
    assert len(es.log()) == 3
    assert [j["job_id"] for j in jobs_info(_api(es), {"job_id": ["g"]})["jobs"]] == ["j2"]
    assert jobs_info(_api(es), {"job_id": ["nothing-*"]})["jobs"] == []
    with pytest.raises(ElasticsearchError):
        jobs_info(_api(es), {"job_id": ["nothing-*"], "allow_no_match": False})
    # an exact id that does not exist: ES answers 404 even with allow_no_match; an audit asking "is it there?"
    # gets the empty answer (allow_no_match, true by default), or ES's error when it asked for one
    assert jobs_info(_api(es), {"job_id": ["missing"]}) == {"changed": False, "jobs": [], "count": 0}
    with pytest.raises(ElasticsearchError):
        jobs_info(_api(es), {"job_id": ["missing"], "allow_no_match": False})
    assert datafeeds_info(_api(es), {"datafeed_id": ["missing"]})["datafeeds"] == []


def test_datafeeds_info_round_trip(es, job):
    es("PUT", D, {"job_id": "j1", "indices": ["logs"], "query": {"term": {"a": 1}}, "frequency": "150s"})
    info = datafeeds_info(_api(es), {"datafeed_id": None, "exclude_generated": True})
    assert info["count"] == 1 and info["datafeeds"][0]["stats"]["state"] == "stopped"
    es.clear_log()
    again = _run(es, **dict(info["datafeeds"][0]["config"]))
    assert again["changed"] is False and _writes(es) == []
    whole = datafeeds_info(_api(es), {"datafeed_id": ["datafeed-*"], "include_stats": False})["datafeeds"][0]
    assert "stats" not in whole and whole["config"]["query_delay"].endswith("ms")
    assert _run(es, **dict(whole["config"]))["changed"] is False


def test_a_start_that_fails_closes_the_job_it_opened(es, job):
    """Starting over an index that does not exist fails with Elasticsearch's words (ScrollDataExtractorFactory),
    and the job this run opened for the datafeed is closed again: nothing is left half-done."""
    _run(es, indices=["missing"])
    es.clear_log()
    with pytest.raises(ReconcileError) as info:
        _run(es, state="started", open_job=True)
    assert "datafeed [datafeed-j1] cannot retrieve data because index [missing] does not exist" in str(info.value)
    assert "To leave datafeed [datafeed-j1] stopped and its job [j1] closed, as they were" in str(info.value)
    assert info.value.details["restored"] == ["close_job"]
    assert _writes(es) == ["POST /_ml/anomaly_detectors/j1/_open", "POST /_ml/datafeeds/datafeed-j1/_start",
                           "POST /_ml/anomaly_detectors/j1/_close"]
    assert es("GET", "/_ml/anomaly_detectors/j1/_stats").json["jobs"][0]["state"] == "closed"


def test_a_started_datafeed_feeds_its_job(es, job):
    """What the datafeed reads reaches its job (the emulator's datafeeds read their indices, as ES's do)."""
    es.docs("logs", *({"time": 1767225600000 + i * 60000, "host": "h%d" % (i % 2)} for i in range(5)))
    _run(es, indices=["logs"])
    result = _run(es, state="started", open_job=True, end="2026-01-01T01:00:00Z")
    assert result["state"] == "started"
    counts = es("GET", "/_ml/anomaly_detectors/j1/_stats").json["jobs"][0]["data_counts"]
    assert counts["processed_record_count"] == 5


def test_elasticsearch_judges_what_it_knows_best(es):
    """The module checks shapes, not Elasticsearch's rules: a query type it has never heard of goes to ES, and
    ES's own refusals (an aggregation interval that does not divide the bucket span) come back in its words."""
    es.put_job("j2", {"analysis_config": {"bucket_span": "1h", "summary_count_field_name": "doc_count",
                                          "detectors": [{"function": "count"}]}})
    score = {"function_score": {"query": {"match_all": {}}, "boost_mode": "replace"}}
    assert _run(es, job_id="j2", indices=["logs"], query=score)["datafeed"]["query"] == score
    aggs = {"b": {"date_histogram": {"field": "time", "fixed_interval": "7m"},
                  "aggs": {"time": {"max": {"field": "time"}}}}}
    with pytest.raises(ElasticsearchError) as info:
        _run(es, job_id="j2", aggregations=aggs)
    assert "Aggregation interval [420000ms] must be a divisor of the bucket_span [3600000ms]" in str(info.value)
