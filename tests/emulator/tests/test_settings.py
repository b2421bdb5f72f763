"""Cluster settings that machine learning reads, and where jobs are assigned (ES MachineLearning's settings,
EnableAssignmentDecider, JobNodeSelector, TransportOpenJobAction, TransportMlInfoAction)."""

from __future__ import annotations

import pytest

from conftest import minimal_job

JOBS = "/_ml/anomaly_detectors/"


def _error(reply):
    return reply.status, reply.json["error"]["type"], reply.json["error"]["reason"]


def _state(es, job_id):
    return es("GET", JOBS + job_id + "/_stats").json["jobs"][0]["state"]


def test_put_and_get_cluster_settings(es):
    """ES RestClusterUpdateSettingsAction and SettingsUpdater: the answer echoes what changed, nested by dots;
    GET shows persistent and transient apart (flat with flat_settings); null removes a setting; a setting ES does
    not know is refused naming its scope."""
    put = es("PUT", "/_cluster/settings", {"persistent": {"xpack.ml.max_model_memory_limit": "1gb"},
                                           "transient": {"xpack": {"ml": {"max_open_jobs": 3}}}})
    assert put.json == {"acknowledged": True, "persistent": {"xpack": {"ml": {"max_model_memory_limit": "1gb"}}},
                        "transient": {"xpack": {"ml": {"max_open_jobs": "3"}}}}
    assert es("GET", "/_cluster/settings", params={"flat_settings": "true"}).json == {
        "persistent": {"xpack.ml.max_model_memory_limit": "1gb"}, "transient": {"xpack.ml.max_open_jobs": "3"}}
    es("PUT", "/_cluster/settings", {"transient": {"xpack.ml.max_open_jobs": None}})
    assert es("GET", "/_cluster/settings").json["transient"] == {}
    assert _error(es("PUT", "/_cluster/settings", {"persistent": {"no.such.setting": 1}})) == (
        400, "illegal_argument_exception", "persistent setting [no.such.setting], not recognized")


@pytest.mark.parametrize("key,value,reason", [
    ("xpack.ml.max_open_jobs", 0, "Failed to parse value [0] for setting [xpack.ml.max_open_jobs] must be >= 1"),
    ("xpack.ml.max_open_jobs", 513, "Failed to parse value [513] for setting [xpack.ml.max_open_jobs] must be <= 512"),
    ("xpack.ml.max_lazy_ml_nodes", 4, "Failed to parse value [4] for setting [xpack.ml.max_lazy_ml_nodes] must be <= 3"),
    ("cluster.persistent_tasks.allocation.enable", "some",
     "Illegal value [SOME] for [cluster.persistent_tasks.allocation.enable]"),
])
def test_setting_values_are_checked(es, key, value, reason):
    """ES Setting.intSetting's bounds (max_open_jobs 1 to 512, max_lazy_ml_nodes 0 to 3) and
    EnableAssignmentDecider.Allocation.fromString: a bad value is a 400 and nothing changes."""
    assert _error(es("PUT", "/_cluster/settings", {"persistent": {key: value}})) == (
        400, "illegal_argument_exception", reason)
    assert es("GET", "/_cluster/settings").json["persistent"] == {}


def test_max_model_memory_limit_applies_to_jobs_and_info(es):
    """ES MachineLearning.MAX_MODEL_MEMORY_LIMIT: a job above it is refused with the setting's value in the words of
    Messages.JOB_CONFIG_MODEL_MEMORY_LIMIT_GREATER_THAN_MAX; _ml/info shows it under limits; clearing it lifts it."""
    es("PUT", "/_cluster/settings", {"persistent": {"xpack.ml.max_model_memory_limit": "512mb"}})
    refused = es.put_job("big", minimal_job(analysis_limits={"model_memory_limit": "1gb"}))
    assert _error(refused)[2] == ("model_memory_limit [1gb] must be less than the value of the "
                                  "xpack.ml.max_model_memory_limit setting [512mb]")
    limits = es("GET", "/_ml/info").json["limits"]
    assert limits["max_model_memory_limit"] == "512mb" and limits["effective_max_model_memory_limit"] == "512mb"
    es("PUT", "/_cluster/settings", {"persistent": {"xpack.ml.max_model_memory_limit": None}})
    assert es.put_job("big", minimal_job(analysis_limits={"model_memory_limit": "1gb"})).status == 200
    assert "max_model_memory_limit" not in es("GET", "/_ml/info").json["limits"]


def test_assignment_disabled_refuses_to_open(es):
    """ES TransportOpenJobAction.makeAssignmentsNotAllowedException: with cluster.persistent_tasks.allocation.enable
    set to none, an open is a 429; re-enabled, jobs open again."""
    es.put_job("j1")
    es("PUT", "/_cluster/settings", {"transient": {"cluster.persistent_tasks.allocation.enable": "none"}})
    assert _error(es("POST", JOBS + "j1/_open")) == (
        429, "status_exception", "Cannot open jobs because persistent task assignment is disabled by the "
                                 "[cluster.persistent_tasks.allocation.enable] setting")
    es("PUT", "/_cluster/settings", {"transient": {"cluster.persistent_tasks.allocation.enable": "all"}})
    assert es("POST", JOBS + "j1/_open").json["opened"] is True


def test_memory_decides_where_a_job_fits(es):
    """ES JobNodeSelector: a job needs its model_memory_limit (plus its process) free on an ML node. One that does not
    fit is refused with a 429, unless it may open lazily (allow_lazy_open, or xpack.ml.max_lazy_ml_nodes above the
    number of ML nodes), in which case it waits in opening with no node and opens once room is made."""
    es.settings(ml_node_memory_mb=300)
    es.put_job("a", minimal_job(analysis_limits={"model_memory_limit": "200mb"}))
    es.put_job("b", minimal_job(analysis_limits={"model_memory_limit": "200mb"}))
    es.put_job("c", minimal_job(analysis_limits={"model_memory_limit": "200mb"}, allow_lazy_open=True))
    assert es("POST", JOBS + "a/_open").json == {"opened": True, "node": "7bmMXyWCRs-TuPfGJJ_yMw"}
    refused = es("POST", JOBS + "b/_open")
    assert _error(refused)[:2] == (429, "status_exception")
    assert "not enough free memory" in refused.json["error"]["caused_by"]["reason"]
    assert es("POST", JOBS + "c/_open").json == {"opened": True, "node": ""}
    assert _state(es, "c") == "opening"
    es("PUT", "/_cluster/settings", {"persistent": {"xpack.ml.max_lazy_ml_nodes": 2}})
    assert es("POST", JOBS + "b/_open").json == {"opened": True, "node": ""}  # more nodes may come: it waits
    es("POST", JOBS + "a/_close")
    assert {_state(es, "b"), _state(es, "c")} == {"opened", "opening"}  # room for one of them
    assert es("GET", "/_ml/info").json["limits"]["total_ml_memory"] == "300mb"


def test_deprecated_apis_send_warnings(es):
    """ES RestPostDataAction and RestFlushJobAction (deprecated routes) and IndicesOptions (the ignore_throttled
    parameter): each answer carries a Warning header in HeaderWarning's form, 299, the agent, the text quoted;
    posting data is answered 202 Accepted."""
    es.put_job("j1")
    es("POST", JOBS + "j1/_open")
    posted = es("POST", JOBS + "j1/_data", raw='{"timestamp": 1767225600000}',
                headers={"Content-Type": "application/json"})
    assert posted.status == 202
    warning = posted.headers["Warning"]
    assert warning.startswith('299 Elasticsearch-9.1.0-')
    assert warning.endswith('"Posting data directly to anomaly detection jobs is deprecated, in a future major '
                            'version it will be compulsory to use a datafeed"')
    flushed = es("POST", JOBS + "j1/_flush")
    assert "Forcing any buffered data to be processed is deprecated" in flushed.headers["Warning"]
    feed = es("PUT", "/_ml/datafeeds/d1", {"job_id": "j1", "indices": ["x"]}, params={"ignore_throttled": "false"})
    assert "[ignore_throttled] parameter is deprecated because frozen indices" in feed.headers["Warning"]
    job = es("PUT", JOBS + "j2", minimal_job(), params={"ignore_throttled": "false"})
    assert "[ignore_throttled] parameter is deprecated because frozen indices" in job.headers["Warning"]
    assert "Warning" not in es("GET", JOBS + "j1").headers


def test_nightly_maintenance_closes_idle_jobs(es):
    """ES MlDailyMaintenanceService.triggerCloseIdleJobsWithStoppedDatafeeds (and its tests): an open job whose
    datafeed is stopped and whose latest record is older than xpack.ml.idle_job_auto_close_timeout (48h by default)
    is closed; a job without a datafeed, or whose latest record is recent, stays open; -1 turns it off.
    POST /_emulator/maintenance runs it now."""
    day = 86400000
    now = es.advance("0s")["now"]
    for job_id in ("idle", "recent", "no-feed"):
        es.put_job(job_id)
        es("POST", JOBS + job_id + "/_open")
    for job_id in ("idle", "recent"):
        es("PUT", "/_ml/datafeeds/datafeed-" + job_id, {"job_id": job_id, "indices": ["x"]})
    es("POST", JOBS + "idle/_data", raw='{"timestamp": %d}' % (now - 3 * day), headers={"Content-Type": "application/json"})
    es("POST", JOBS + "recent/_data", raw='{"timestamp": %d}' % (now - 3600000),
       headers={"Content-Type": "application/json"})
    es("POST", JOBS + "no-feed/_data", raw='{"timestamp": %d}' % (now - 3 * day),
       headers={"Content-Type": "application/json"})
    es("PUT", "/_cluster/settings", {"persistent": {"xpack.ml.idle_job_auto_close_timeout": "-1"}})
    assert es("POST", "/_emulator/maintenance").json == {"closed": []}
    es("PUT", "/_cluster/settings", {"persistent": {"xpack.ml.idle_job_auto_close_timeout": None}})
    assert es("POST", "/_emulator/maintenance").json == {"closed": ["idle"]}
    assert [_state(es, j) for j in ("idle", "recent", "no-feed")] == ["closed", "opened", "opened"]
