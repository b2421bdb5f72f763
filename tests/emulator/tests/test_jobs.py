"""Job config conformance: creation, defaults, validation and updates (ES ElasticsearchException, Job, JobUpdate)."""

from __future__ import annotations

import pytest

from conftest import minimal_job

SEED_REQUEST = {
    "analysis_config": {"bucket_span": "15m", "detectors": [
        {"detector_description": "Sum of bytes", "function": "sum", "field_name": "bytes"}]},
    "data_description": {"time_field": "timestamp", "time_format": "epoch_ms"},
    "analysis_limits": {"model_memory_limit": "11MB"},
    "model_plot_config": {"enabled": True, "annotations_enabled": True},
    "results_index_name": "test-job1",
    "datafeed_config": {
        "indices": ["kibana_sample_data_logs"],
        "query": {"bool": {"must": [{"match_all": {}}]}},
        "runtime_mappings": {"hour_of_day": {"type": "long",
                                             "script": {"source": "emit(doc['timestamp'].value.getHour());"}}},
        "datafeed_id": "datafeed-test-job1"},
}

# The create anomaly detection jobs API docs' example response (ml-put-job, "The API returns the following results"), less what varies by
# cluster: create_time, job_version and the datafeed's authorization (no security here).
SEED_RESPONSE = {
    "job_id": "test-job1", "job_type": "anomaly_detector",
    "datafeed_config": {
        "datafeed_id": "datafeed-test-job1", "job_id": "test-job1", "query_delay": "61499ms",
        "chunking_config": {"mode": "auto"},
        "indices_options": {"expand_wildcards": ["open"], "ignore_unavailable": False, "allow_no_indices": True,
                            "ignore_throttled": True},
        "query": {"bool": {"must": [{"match_all": {}}]}}, "indices": ["kibana_sample_data_logs"],
        "scroll_size": 1000, "delayed_data_check_config": {"enabled": True},
        "runtime_mappings": {"hour_of_day": {"type": "long",
                                             "script": {"source": "emit(doc['timestamp'].value.getHour());"}}}},
    "analysis_config": {"bucket_span": "15m", "detectors": [
        {"detector_description": "Sum of bytes", "function": "sum", "field_name": "bytes", "detector_index": 0}],
        "influencers": [], "model_prune_window": "30d"},
    "analysis_limits": {"model_memory_limit": "11mb", "categorization_examples_limit": 4},
    "data_description": {"time_field": "timestamp", "time_format": "epoch_ms"},
    "model_plot_config": {"enabled": True, "annotations_enabled": True},
    "model_snapshot_retention_days": 10, "daily_model_snapshot_retention_after_days": 1,
    "results_index_name": "custom-test-job1", "allow_lazy_open": False,
}


def _strip(job):
    out = dict(job)
    for key in ("create_time", "job_version"):
        out.pop(key)
    out["datafeed_config"] = dict(out["datafeed_config"])
    out["datafeed_config"].pop("authorization", None)
    return out


def test_seed_create_example_round_trips(es):
    """The create jobs API docs' example: PUT then GET return the documented job, key order included."""
    created = es("PUT", "/_ml/anomaly_detectors/test-job1", SEED_REQUEST)
    assert created.status == 200
    assert _strip(created.json) == SEED_RESPONSE
    assert list(_strip(created.json)) == list(SEED_RESPONSE)
    assert list(created.json["datafeed_config"]) == list(SEED_RESPONSE["datafeed_config"])
    got = es("GET", "/_ml/anomaly_detectors/test-job1")
    assert got.json["count"] == 1
    assert _strip(got.json["jobs"][0]) == SEED_RESPONSE
    assert isinstance(got.json["jobs"][0]["create_time"], int)
    assert got.json["jobs"][0]["job_version"] == "12.0.0"


def test_defaults_after_create(es):
    """ES Job.toXContent, JobManager.putJob: server defaults materialised on GET."""
    job = es.put_job("defaults", {"analysis_config": {"detectors": [
        {"function": "mean", "field_name": "responsetime", "by_field_name": "airline"},
        {"function": "rare", "by_field_name": "process.title"},
        {"function": "nzc", "partition_field_name": "host", "use_null": True, "exclude_frequent": "BY"}]},
        "data_description": {}}).json
    ac = job["analysis_config"]
    assert ac["bucket_span"] == "5m"
    assert ac["influencers"] == []
    assert ac["model_prune_window"] == "30d"
    assert [d["detector_description"] for d in ac["detectors"]] == [
        "mean(responsetime) by airline", 'rare by "process.title"',
        "non_zero_count usenull=true partitionfield=host excludefrequent=by"]
    assert ac["detectors"][2]["function"] == "non_zero_count"
    assert ac["detectors"][2]["use_null"] is True
    assert "use_null" not in ac["detectors"][0]
    assert [d["detector_index"] for d in ac["detectors"]] == [0, 1, 2]
    assert job["analysis_limits"] == {"model_memory_limit": "1024mb", "categorization_examples_limit": 4}
    assert job["data_description"] == {"time_field": "time", "time_format": "epoch_ms"}
    assert job["model_snapshot_retention_days"] == 10
    assert job["daily_model_snapshot_retention_after_days"] == 1
    assert job["results_index_name"] == "shared"
    assert job["allow_lazy_open"] is False
    for absent in ("groups", "description", "model_plot_config", "renormalization_window_days",
                   "background_persist_interval", "results_retention_days", "custom_settings", "finished_time"):
        assert absent not in job


def test_durations_echo_the_unit_sent(es):
    """ES Job.toXContent, JobManager.putJob: bucket_span keeps the unit it was sent in."""
    for job_id, span in (("seconds", "3600s"), ("millis", "3600000ms"), ("hours", "1h")):
        body = minimal_job()
        body["analysis_config"]["bucket_span"] = span
        assert es.put_job(job_id, body).json["analysis_config"]["bucket_span"] == span


@pytest.mark.parametrize("sent,stored", [(2048, "2048mb"), ("3000g", "3072000mb"), ("11MB", "11mb"),
                                         ("1gb", "1024mb"), ("1536kb", "1mb")])
def test_model_memory_limit_in_whole_mib(es, sent, stored):
    """ES AnalysisLimits: numbers are MiB; strings are floored to whole MiB."""
    job = es.put_job("mml", minimal_job(analysis_limits={"model_memory_limit": sent})).json
    assert job["analysis_limits"]["model_memory_limit"] == stored


def test_model_memory_limit_below_one_mib(es):
    """ES AnalysisLimits and ElasticsearchException: validation inside a sub-parser is wrapped; root cause is the status_exception."""
    reply = es.put_job("mml", minimal_job(analysis_limits={"model_memory_limit": "500kb"}))
    assert reply.status == 400
    error = reply.json["error"]
    assert error["root_cause"] == [{"type": "status_exception",
                                    "reason": "model_memory_limit must be at least 1 MiB. Value = 0"}]
    assert error["type"] == "x_content_parse_exception"
    assert error["reason"].endswith("[job_details] failed to parse field [analysis_limits]")


def test_unknown_field_has_token_location(es):
    """ES ElasticsearchException: the strict parser names the field with its [line:col]."""
    raw = '{\n  "description": "x",\n  "analysis_config": {"detectors": [{"function": "count"}]},\n' \
          '    "tomorrows_technology_today": 1\n}'
    reply = es("PUT", "/_ml/anomaly_detectors/unknown", raw=raw, headers={"Content-Type": "application/json"})
    assert reply.status == 400
    assert reply.json == {"error": {
        "root_cause": [{"type": "x_content_parse_exception",
                        "reason": "[4:5] [job_details] unknown field [tomorrows_technology_today]"}],
        "type": "x_content_parse_exception",
        "reason": "[4:5] [job_details] unknown field [tomorrows_technology_today]"}, "status": 400}


def test_no_detectors_is_wrapped(es):
    """ES ElasticsearchException: "detectors": [] fails inside analysis_config; root_cause is the status_exception."""
    reply = es.put_job("nodet", {"analysis_config": {"detectors": []}})
    error = reply.json["error"]
    assert reply.status == 400
    assert error["root_cause"] == [{"type": "status_exception", "reason": "No detectors configured"}]
    assert error["caused_by"] == {"type": "status_exception", "reason": "No detectors configured"}
    assert "[job_details] failed to parse field [analysis_config]" in error["reason"]


def test_bad_time_value_is_two_levels_deep(es):
    """ES ElasticsearchException: job_details -> analysis_config -> bucket_span -> illegal_argument_exception."""
    body = minimal_job()
    body["analysis_config"]["bucket_span"] = "15x"
    error = es.put_job("badspan", body).json["error"]
    assert error["root_cause"][0]["type"] == "x_content_parse_exception"
    assert error["root_cause"][0]["reason"].endswith("[analysis_config] failed to parse field [bucket_span]")
    assert error["caused_by"]["caused_by"] == {
        "type": "illegal_argument_exception",
        "reason": "failed to parse setting [bucket_span] with value [15x] as a time value: unit is missing or unrecognized"}


def test_missing_job_404(es):
    """ES ElasticsearchException: the exact 404 envelope."""
    reply = es("GET", "/_ml/anomaly_detectors/siem-api-rare_process_linux_ecs")
    assert reply.status == 404
    assert reply.json == {"error": {
        "root_cause": [{"type": "resource_not_found_exception",
                        "reason": "No known job with id 'siem-api-rare_process_linux_ecs'"}],
        "type": "resource_not_found_exception", "reason": "No known job with id 'siem-api-rare_process_linux_ecs'"},
        "status": 404}


def test_duplicate_id_is_400(es):
    """ES ElasticsearchException: resource_already_exists_exception is a 400, not a 409."""
    es.put_job("dup")
    reply = es.put_job("dup")
    assert reply.status == 400
    assert reply.json["error"]["root_cause"] == [{
        "type": "resource_already_exists_exception",
        "reason": "The job cannot be created with the Id 'dup'. The Id is already used."}]


@pytest.mark.parametrize("job_id,body,status,error_type,reason", [
    ("an_id", minimal_job(job_id="a_different_id"), 400, "illegal_argument_exception",
     "Inconsistent job_id; 'a_different_id' specified in the body differs from 'an_id' specified as a URL argument"),
    ("My_Job", minimal_job(), 400, "illegal_argument_exception",
     "Invalid job_id; 'My_Job' can contain lowercase alphanumeric (a-z and 0-9), hyphens or underscores; must start "
     "and end with alphanumeric"),
    ("a" * 65, minimal_job(), 400, "illegal_argument_exception", "The job id cannot contain more than 64 characters."),
    ("foo", minimal_job(groups=["foo"]), 400, "resource_already_exists_exception",
     "job and group names must be unique but job [foo] and group [foo] have the same name"),
    ("grp", minimal_job(groups=["Bad Group"]), 400, "illegal_argument_exception",
     "Invalid group id 'Bad Group'; must be non-empty string and may contain lowercase alphanumeric (a-z and 0-9), "
     "hyphens or underscores; must start and end with alphanumeric"),
    ("rin", minimal_job(results_index_name="_bad^name"), 400, "illegal_argument_exception",
     "Invalid results_index_name; '_bad^name' can contain lowercase alphanumeric (a-z and 0-9), hyphens or "
     "underscores; must start and end with alphanumeric"),
    ("snap", minimal_job(model_snapshot_id="123"), 400, "illegal_argument_exception",
     "The job is configured with fields [model_snapshot_id] that are illegal to set at job creation"),
    ("retention", minimal_job(model_snapshot_retention_days=3, daily_model_snapshot_retention_after_days=4), 400,
     "illegal_argument_exception",
     "The value of daily_model_snapshot_retention_after_days [4] cannot be greater than model_snapshot_retention_days [3]"),
    ("persist", minimal_job(background_persist_interval="3599s"), 400, "illegal_argument_exception",
     "background_persist_interval cannot be less than 3,600. Value = 3,599"),
    ("neg", minimal_job(results_retention_days=-1), 400, "illegal_argument_exception",
     "results_retention_days cannot be less than 0. Value = -1"),
    ("timefield", {"analysis_config": {"detectors": [{"function": "count", "by_field_name": "timestamp"}]},
                   "data_description": {"time_field": "timestamp"}}, 400, "illegal_argument_exception",
     "data_description.time_field may not be used in the analysis_config"),
    ("dupdet", {"analysis_config": {"detectors": [{"function": "max", "field_name": "responsetime"},
                                                  {"function": "max", "field_name": "responsetime"}]}},
     400, "illegal_argument_exception", "Duplicate detectors are not allowed: [max(responsetime)]"),
])
def test_create_validation(es, job_id, body, status, error_type, reason):
    """ES PutJobAction and MlStrings: checks after parsing, with their exact messages."""
    reply = es.put_job(job_id, body)
    assert reply.status == status
    assert reply.json["error"]["root_cause"] == [{"type": error_type, "reason": reason}]


@pytest.mark.parametrize("detector,reason", [
    ({"function": "mean"}, "Unless a count or temporal function is used one of field_name, by_field_name or "
                           "over_field_name must be set"),
    ({"function": "mean", "by_field_name": "x"}, "field_name must be set when the 'mean' function is used"),
    ({"function": "count", "field_name": "x"}, "field_name cannot be used with function 'count'"),
    ({"function": "rare", "over_field_name": "x"}, "by_field_name must be set when the 'rare' function is used"),
    ({"function": "freq_rare", "by_field_name": "x"}, "over_field_name must be set when the 'freq_rare' function is used"),
    ({"function": "nzc", "over_field_name": "x"}, "over_field_name cannot be used with function 'non_zero_count'"),
    ({"function": "count", "by_field_name": "x", "partition_field_name": "x"},
     "partition_field_name and by_field_name cannot be the same: 'x'"),
    ({"function": "count", "by_field_name": "count"}, "'count' is not a permitted value for by_field_name"),
    ({"function": "count", "by_field_name": "x", "custom_rules": [{"actions": ["skip_result"]}]},
     "Invalid detector rule: at least scope or a condition is required"),
    ({"function": "count", "by_field_name": "x", "custom_rules": [{"scope": {"y": {"filter_id": "f"}}}]},
     "Invalid detector rule: scope field 'y' is invalid; select from [x]"),
    ({"function": "rare", "by_field_name": "x", "custom_rules": [
        {"conditions": [{"applies_to": "actual", "operator": "gt", "value": 1}]}]},
     "Invalid detector rule: function rare only supports conditions that apply to time"),
])
def test_detector_validation(es, detector, reason):
    """ES Detector: Detector.Builder.build, a status_exception wrapped by the detector's parsers."""
    reply = es.put_job("det", {"analysis_config": {"detectors": [detector]}})
    assert reply.status == 400
    assert reply.json["error"]["root_cause"] == [{"type": "status_exception", "reason": reason}]


def test_unknown_function(es):
    """ES Detector: an unknown function fails while parsing the field."""
    reply = es.put_job("fn", {"analysis_config": {"detectors": [{"function": "foo"}]}})
    assert reply.json["error"]["root_cause"][0]["reason"].endswith("[detector] failed to parse field [function]")
    assert "Unknown function 'foo'" in str(reply.json)


def test_rules_defaults(es):
    """ES Detector: rule actions default to skip_result, scope filter_type to include."""
    detector = {"function": "count", "by_field_name": "host", "custom_rules": [{"scope": {"host": {"filter_id": "safe"}}}]}
    job = es.put_job("rules", {"analysis_config": {"detectors": [detector]}}).json
    assert job["analysis_config"]["detectors"][0]["custom_rules"] == [
        {"actions": ["skip_result"], "scope": {"host": {"filter_id": "safe", "filter_type": "include"}}}]


def test_categorization_defaults(es):
    """ES JobManager.putJob, CategorizationAnalyzerConfig: per_partition_categorization and the default analyzer
    absorb categorization_filters."""
    job = es.put_job("cat", {"analysis_config": {
        "categorization_field_name": "message", "categorization_filters": ["\\d+"],
        "detectors": [{"function": "count", "by_field_name": "mlcategory"}]}}).json
    ac = job["analysis_config"]
    assert "categorization_filters" not in ac
    assert ac["per_partition_categorization"] == {"enabled": False, "stop_on_warn": False}
    assert ac["categorization_analyzer"]["char_filter"] == [
        "first_line_with_letters", {"type": "pattern_replace", "pattern": "\\d+"}]
    assert ac["categorization_analyzer"]["tokenizer"] == "ml_standard"


def test_model_prune_window_rules(es):
    """ES AnalysisConfig: the window must be a multiple of bucket_span and at least two buckets."""
    body = minimal_job()
    body["analysis_config"]["model_prune_window"] = "29m"
    reply = es.put_job("mpw", body)
    assert reply.json["error"]["root_cause"] == [{"type": "status_exception",
                                                  "reason": "model_prune_window [29m] must be a multiple of bucket_span [15m]"}]
    body["analysis_config"]["model_prune_window"] = "15m"
    reply = es.put_job("mpw", body)
    assert reply.json["error"]["root_cause"][0]["reason"] == \
        "model_prune_window [15m] must be at least 2 times greater than bucket_span [15m]"


def test_type_errors_are_not_wrapped(es):
    """ES ElasticsearchException (ObjectParser): a token of the wrong type names the field and the token."""
    reply = es.put_job("types", minimal_job(description=5))
    assert reply.json["error"]["root_cause"][0]["reason"].endswith(
        "[job_details] description doesn't support values of type: VALUE_NUMBER")


def test_exclude_generated_export(es):
    """ES Job.toXContent, JobManager.putJob: exclude_generated drops generated fields and datafeed_config; the export can be PUT again."""
    es("PUT", "/_ml/anomaly_detectors/test-job1", SEED_REQUEST)
    export = es("GET", "/_ml/anomaly_detectors/test-job1", params={"exclude_generated": "true"}).json["jobs"][0]
    for generated in ("job_type", "job_version", "create_time", "datafeed_config"):
        assert generated not in export
    recreated = es.put_job("test-job2", dict(export, job_id="test-job2"))
    assert recreated.status == 200, recreated


def test_update_fields(es):
    """ES JobUpdate: updatable fields replace their values; the response is the full job."""
    es.put_job("upd", minimal_job(groups=["a"], custom_settings={"x": 1}))
    reply = es("POST", "/_ml/anomaly_detectors/upd/_update", {
        "description": "new", "groups": ["b", "c"], "custom_settings": {"y": 2},
        "detectors": [{"detector_index": 0, "description": "renamed",
                       "custom_rules": [{"conditions": [{"applies_to": "actual", "operator": "lt", "value": 5}]}]}],
        "model_plot_config": {"enabled": False}, "results_retention_days": 30,
        "analysis_limits": {"model_memory_limit": "20mb"}})
    assert reply.status == 200, reply
    job = reply.json
    assert job["description"] == "new"
    assert job["groups"] == ["b", "c"]
    assert job["custom_settings"] == {"y": 2}
    assert job["analysis_config"]["detectors"][0]["detector_description"] == "renamed"
    assert job["analysis_config"]["detectors"][0]["custom_rules"] == [
        {"actions": ["skip_result"], "conditions": [{"applies_to": "actual", "operator": "lt", "value": 5.0}]}]
    assert job["model_plot_config"] == {"enabled": False, "annotations_enabled": False}
    assert job["analysis_limits"]["model_memory_limit"] == "20mb"
    assert job["analysis_config"]["bucket_span"] == "15m"


def test_update_immutable_and_open_rules(es):
    """ES JobUpdate: immutable fields are unknown to the update parser; analysis_limits needs a closed job."""
    es.put_job("imm")
    reply = es("POST", "/_ml/anomaly_detectors/imm/_update", {"analysis_config": {"bucket_span": "1h"}})
    assert reply.json["error"]["root_cause"][0]["reason"].endswith("[job_update] unknown field [analysis_config]")
    es("POST", "/_ml/anomaly_detectors/imm/_open")
    reply = es("POST", "/_ml/anomaly_detectors/imm/_update", {"analysis_limits": {"model_memory_limit": "20mb"}})
    assert reply.status == 400
    assert reply.json["error"]["root_cause"] == [{"type": "status_exception",
                                                  "reason": "Cannot update analysis_limits while the job is open"}]
    reply = es("POST", "/_ml/anomaly_detectors/imm/_update", {"detectors": [{"detector_index": 2, "description": "x"}]})
    assert reply.json["error"]["root_cause"][0]["reason"] == "Supplied detector_index [2] is >= the number of detectors [1]"
    assert es("POST", "/_ml/anomaly_detectors/nope/_update", {"description": "x"}).status == 404


def test_expressions(es):
    """ES rest-api-spec ml.*.json, YAML REST tests jobs_get.yml: ids, groups, wildcards, _all, allow_no_match."""
    es.put_job("web-a", minimal_job(groups=["web"]))
    es.put_job("web-b", minimal_job(groups=["web"]))
    es.put_job("db-a")

    def ids(path, **params):
        reply = es("GET", path, params=params or None)
        return reply.status, [j["job_id"] for j in (reply.json or {}).get("jobs", [])]

    assert ids("/_ml/anomaly_detectors") == (200, ["db-a", "web-a", "web-b"])
    assert ids("/_ml/anomaly_detectors/_all") == (200, ["db-a", "web-a", "web-b"])
    assert ids("/_ml/anomaly_detectors/web") == (200, ["web-a", "web-b"])
    assert ids("/_ml/anomaly_detectors/db-*,web-b/_stats") == (200, ["db-a", "web-b"])
    assert ids("/_ml/anomaly_detectors/missing-*") == (200, [])
    assert ids("/_ml/anomaly_detectors/missing-*", allow_no_match="false")[0] == 404
    assert ids("/_ml/anomaly_detectors/web-a,missing")[0] == 404
