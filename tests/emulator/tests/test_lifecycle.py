"""State machines, tasks, stats and data (ES Transport*JobAction, Get*StatsAction) and datafeeds (ES DatafeedConfig)."""

from __future__ import annotations

import time

from conftest import minimal_job

JOBS = "/_ml/anomaly_detectors/"
FEEDS = "/_ml/datafeeds/"


def _state(es, job_id):
    return es("GET", JOBS + job_id + "/_stats").json["jobs"][0]


def _feed(es, job_id="j1", df_id=None, **extra):
    es.source("logs-1")  # a datafeed starts only over an index that maps its job's fields
    body = {"job_id": job_id, "indices": ["logs-*"]}
    body.update(extra)
    return es("PUT", FEEDS + (df_id or "datafeed-" + job_id), body)


def test_open_close_cycle(es):
    """ES Transport*JobAction: open -> opened with a node id; open again 409; close twice 200; finished_time set on close."""
    es.put_job("j1")
    assert _state(es, "j1")["state"] == "closed"
    assert "node" not in _state(es, "j1")
    opened = es("POST", JOBS + "j1/_open")
    assert opened.json == {"opened": True, "node": "7bmMXyWCRs-TuPfGJJ_yMw"}
    stats = _state(es, "j1")
    assert stats["state"] == "opened"
    assert stats["node"]["id"] == "7bmMXyWCRs-TuPfGJJ_yMw"
    assert stats["assignment_explanation"] == ""
    assert stats["open_time"].endswith("s")
    again = es("POST", JOBS + "j1/_open")
    assert again.status == 409
    assert again.json["error"]["reason"] == "Cannot open job [j1] because it has already been opened"
    assert es("POST", JOBS + "j1/_close").json == {"closed": True}
    assert es("POST", JOBS + "j1/_close").json == {"closed": True}
    job = es("GET", JOBS + "j1").json["jobs"][0]
    assert isinstance(job["finished_time"], int)
    es("POST", JOBS + "j1/_open")
    assert "finished_time" not in es("GET", JOBS + "j1").json["jobs"][0]


def test_stats_shape_of_a_new_job(es):
    """ES GetJobsStatsAction: zeroed counts and the four sections even for a job that never ran."""
    es.put_job("j1")
    stats = _state(es, "j1")
    assert list(stats) == ["job_id", "data_counts", "model_size_stats", "forecasts_stats", "state", "timing_stats"]
    assert stats["data_counts"]["processed_record_count"] == 0
    assert stats["model_size_stats"]["memory_status"] == "ok"
    assert stats["forecasts_stats"] == {"total": 0, "forecasted_jobs": 0}
    assert "minimum_bucket_processing_time_ms" not in stats["timing_stats"]


def test_lazy_open_and_capacity(es):
    """ES Transport*JobAction: with no capacity a lazy job waits in opening with node ""; a normal job gets 429."""
    es.settings(max_open_jobs=0)
    es.put_job("lazy", minimal_job(allow_lazy_open=True))
    es.put_job("eager")
    assert es("POST", JOBS + "lazy/_open").json == {"opened": True, "node": ""}
    stats = _state(es, "lazy")
    assert stats["state"] == "opening"
    assert "node" not in stats
    assert stats["assignment_explanation"] == "persistent task is awaiting node assignment."
    reply = es("POST", JOBS + "eager/_open")
    assert reply.status == 429
    assert reply.json["error"]["reason"] == "Could not open job because no ML nodes with sufficient capacity were found"
    assert reply.json["error"]["caused_by"]["type"] == "illegal_state_exception"
    es.settings(max_open_jobs=5)
    assert _state(es, "lazy")["state"] == "opened"
    es.settings(max_open_jobs=0)
    es("POST", JOBS + "lazy/_close")
    es("POST", JOBS + "lazy/_open")
    assert es("POST", JOBS + "lazy/_close").json == {"closed": True}
    assert _state(es, "lazy")["state"] == "closed"


def test_close_failed_job_needs_force(es):
    """ES Transport*JobAction: a failed job closes only with force."""
    es.put_job("j1")
    es("POST", JOBS + "j1/_open")
    es.runtime("j1", state="failed")
    reply = es("POST", JOBS + "j1/_close")
    assert reply.status == 409
    assert reply.json["error"]["reason"] == "cannot close job [j1] because it failed, use force close"
    assert es("POST", JOBS + "j1/_close", params={"force": "true"}).json == {"closed": True}


def test_close_by_expression(es):
    """ES Transport*JobAction: close takes groups and wildcards; allow_no_match=false with no match is a 404."""
    for job_id in ("g-1", "g-2", "other"):
        es.put_job(job_id, minimal_job(groups=["grp"]) if job_id.startswith("g") else None)
        es("POST", JOBS + job_id + "/_open")
    assert es("POST", JOBS + "grp/_close").json == {"closed": True}
    assert [_state(es, j)["state"] for j in ("g-1", "g-2", "other")] == ["closed", "closed", "opened"]
    assert es("POST", JOBS + "none-*/_close", {"allow_no_match": False}).status == 404
    assert es("POST", JOBS + "none-*/_close").status == 200
    assert es("POST", JOBS + "nope/_close").status == 404


def test_delete_rules(es):
    """ES Transport*JobAction: an open job needs force; delete removes the job's stopped datafeed (7.15+)."""
    es.put_job("j1")
    es("POST", JOBS + "j1/_open")
    reply = es("DELETE", JOBS + "j1")
    assert reply.status == 409
    assert reply.json["error"]["reason"] == "Cannot delete job [j1] because the job is opened"
    es("POST", JOBS + "j1/_close")
    _feed(es)
    assert es("DELETE", JOBS + "j1").json == {"acknowledged": True}
    assert es("GET", FEEDS + "datafeed-j1").status == 404
    assert es("DELETE", JOBS + "j1", params={"force": "true"}).status == 404


def test_force_delete_with_started_datafeed(es):
    """ES Transport*JobAction, delete_job_force.yml: force removes an open job and its started datafeed."""
    es.put_job("j1")
    _feed(es)
    es("POST", JOBS + "j1/_open")
    es("POST", FEEDS + "datafeed-j1/_start")
    reply = es("DELETE", JOBS + "j1")
    assert reply.status == 409
    assert reply.json["error"]["reason"] == "failed to delete job [j1] as its datafeed [datafeed-j1] could not be deleted"
    assert reply.json["error"]["caused_by"]["reason"] == "Cannot delete datafeed [datafeed-j1] while its status is started"
    assert es("DELETE", JOBS + "j1", params={"force": "true"}).json == {"acknowledged": True}
    assert es("GET", JOBS + "j1").status == 404


def test_async_delete_blocks_the_job(es):
    """ES Blocked/Transport*JobAction: wait_for_completion=false returns a task; the job is blocked and deleting until it ends."""
    es.settings(task_duration_ms=400)
    es.put_job("j1")
    reply = es("DELETE", JOBS + "j1", params={"wait_for_completion": "false"})
    task_id = reply.json["task"]
    assert task_id.startswith("7bmMXyWCRs-TuPfGJJ_yMw:")
    job = es("GET", JOBS + "j1").json["jobs"][0]
    assert job["deleting"] is True
    assert job["blocked"] == {"reason": "delete", "task_id": task_id}
    assert es("POST", JOBS + "j1/_open").json["error"]["reason"] == "Cannot open job [j1] because it is executing [delete]"
    task = es("GET", "/_tasks/" + task_id).json
    assert task["completed"] is False
    assert task["task"]["action"] == "cluster:admin/xpack/ml/job/delete"
    assert task["task"]["description"] == "delete-job-j1"
    done = es("GET", "/_tasks/" + task_id, params={"wait_for_completion": "true"}).json
    assert done["completed"] is True
    assert done["response"] == {"acknowledged": True}
    assert es("GET", JOBS + "j1").status == 404
    missing = es("GET", "/_tasks/7bmMXyWCRs-TuPfGJJ_yMw:1")
    assert missing.json["error"]["reason"] == "task [7bmMXyWCRs-TuPfGJJ_yMw:1] isn't running and hasn't stored its results"


def test_reset_clears_data(es):
    """ES Transport*JobAction, reset_job.yml: only a closed job resets; results, snapshot and finished_time go."""
    es.put_job("j1")
    es("POST", JOBS + "j1/_open")
    start = 1_700_000_000_000
    records = "\n".join('{"timestamp": %d, "bytes": 10}' % (start + i * 60000) for i in range(100))
    posted = es("POST", JOBS + "j1/_data", raw=records, headers={"Content-Type": "application/x-ndjson"})
    assert posted.json["processed_record_count"] == 100
    assert posted.json["bucket_count"] == 6
    assert es("POST", JOBS + "j1/_reset").json["error"]["reason"] == "Can only reset a job when it is closed."
    es("POST", JOBS + "j1/_close")
    job = es("GET", JOBS + "j1").json["jobs"][0]
    assert job["model_snapshot_id"]
    assert _state(es, "j1")["data_counts"]["processed_record_count"] == 100
    assert es("POST", JOBS + "j1/_reset").json == {"acknowledged": True}
    job = es("GET", JOBS + "j1").json["jobs"][0]
    assert "model_snapshot_id" not in job and "finished_time" not in job
    assert _state(es, "j1")["data_counts"]["processed_record_count"] == 0


def test_async_reset_task(es):
    """ES Transport*JobAction: reset with wait_for_completion=false is a cancellable task described job-<id>."""
    es.settings(task_duration_ms=300)
    es.put_job("j1")
    task_id = es("POST", JOBS + "j1/_reset", params={"wait_for_completion": "false"}).json["task"]
    assert es("GET", JOBS + "j1").json["jobs"][0]["blocked"] == {"reason": "reset", "task_id": task_id}
    assert "deleting" not in es("GET", JOBS + "j1").json["jobs"][0]
    assert es("DELETE", JOBS + "j1").status == 409
    task = es("GET", "/_tasks/" + task_id).json["task"]
    assert (task["action"], task["description"], task["cancellable"]) == ("cluster:admin/xpack/ml/job/reset", "job-j1", True)
    time.sleep(0.35)
    assert "blocked" not in es("GET", JOBS + "j1").json["jobs"][0]


def test_a_held_task_ends_after_reads_of_its_job(es):
    """Test control, not ES: a task held for N reads of its job runs, however long that takes, until the N-th
    GET of the job (which still shows it blocked); stats reads do not count; a waiting delete waits for them."""
    es.settings(task_held_for_reads=2)
    es.put_job("j1")
    task_id = es("DELETE", JOBS + "j1", params={"wait_for_completion": "false"}).json["task"]
    time.sleep(0.2)
    assert es("GET", JOBS + "j1/_stats").status == 200
    assert es("GET", JOBS + "j1").json["jobs"][0]["blocked"]["task_id"] == task_id
    assert es("GET", "/_tasks/" + task_id).json["completed"] is False
    assert es("GET", JOBS + "j1").json["jobs"][0]["blocked"]["task_id"] == task_id  # the second read
    assert es("GET", JOBS + "j1").status == 404
    assert es("GET", "/_tasks/" + task_id).json["completed"] is True


def test_post_data_needs_an_open_job(es):
    """TransportJobTaskAction: data for a job without an assigned task is a 409."""
    es.put_job("j1")
    reply = es("POST", JOBS + "j1/_data", raw='{"timestamp": 1}', headers={"Content-Type": "application/json"})
    assert reply.status == 409
    assert reply.json["error"]["reason"] == "Cannot perform requested action because job [j1] is not open"


def test_datafeed_defaults_and_export(es):
    """ES DatafeedConfig: defaults on GET; exclude_generated drops query_delay and chunking_config."""
    es.put_job("j1")
    created = _feed(es).json
    assert created["query"] == {"match_all": {"boost": 1.0}}
    assert created["scroll_size"] == 1000
    assert created["chunking_config"] == {"mode": "auto"}
    assert created["delayed_data_check_config"] == {"enabled": True}
    assert 60000 <= int(created["query_delay"][:-2]) < 120000
    assert es("GET", FEEDS + "datafeed-j1").json["datafeeds"][0] == created
    export = es("GET", FEEDS + "datafeed-j1", params={"exclude_generated": "true"}).json["datafeeds"][0]
    assert "query_delay" not in export and "chunking_config" not in export
    assert es("GET", JOBS + "j1").json["jobs"][0]["datafeed_config"] == created


def test_datafeed_create_errors(es):
    """ES TransportPutDatafeedAction: missing job, duplicate id, one datafeed per job, headers, empty indices, aliases."""
    assert _feed(es, "nojob").json["error"]["reason"] == "No known job with id 'nojob'"
    es.put_job("j1")
    assert _feed(es, indexes=["a"], df_id="alias").json["indices"] == ["a"]
    assert _feed(es, df_id="alias").json["error"]["root_cause"] == [
        {"type": "resource_already_exists_exception", "reason": "A datafeed with id [alias] already exists"}]
    second = _feed(es, df_id="second")
    assert second.status == 409
    assert second.json["error"]["reason"] == "A datafeed [alias] already exists for job [j1]"
    es.put_job("j2")
    assert _feed(es, "j2", headers={"a": "b"}).json["error"]["reason"].endswith("[datafeed_config] unknown field [headers]")
    assert _feed(es, "j2", indices=[]).json["error"]["reason"] == "Invalid indices value '[]' in datafeed configuration"


def test_datafeed_start_stop(es):
    """ES TransportStartDatafeedAction: start needs an open job, is not idempotent; stop is; closing the job stops the datafeed."""
    es.put_job("j1")
    _feed(es)
    closed = es("POST", FEEDS + "datafeed-j1/_start")
    assert closed.status == 409
    assert closed.json["error"]["reason"] == "cannot start datafeed [datafeed-j1] because job [j1] is closed"
    es("POST", JOBS + "j1/_open")
    assert es("POST", FEEDS + "datafeed-j1/_start").json == {"started": True, "node": "7bmMXyWCRs-TuPfGJJ_yMw"}
    stats = es("GET", FEEDS + "datafeed-j1/_stats").json["datafeeds"][0]
    assert stats["state"] == "started"
    assert stats["running_state"] == {"real_time_configured": True, "real_time_running": True}
    again = es("POST", FEEDS + "datafeed-j1/_start")
    assert again.json["error"]["reason"] == "cannot start datafeed [datafeed-j1] because it has already been started"
    update = es("POST", FEEDS + "datafeed-j1/_update", {"scroll_size": 10})
    assert update.json["error"]["reason"] == "Cannot update datafeed [datafeed-j1] while its status is started"
    assert es("DELETE", FEEDS + "datafeed-j1").status == 409
    es("POST", JOBS + "j1/_close")
    assert es("GET", FEEDS + "datafeed-j1/_stats").json["datafeeds"][0]["state"] == "stopped"
    assert es("POST", FEEDS + "datafeed-j1/_stop").json == {"stopped": True}
    assert es("POST", FEEDS + "nope/_stop").json["error"]["reason"] == "No datafeed with id [nope] exists"


def test_bounded_datafeed_stops_and_closes_its_job(es):
    """ES Transport*JobAction: a datafeed with an end time stops when done and closes its job."""
    es.put_job("j1")
    _feed(es)
    es("POST", JOBS + "j1/_open")
    bad = es("POST", FEEDS + "datafeed-j1/_start", params={"start": "1485910800000", "end": "1485907200000"})
    assert bad.json["error"]["reason"] == \
        "Validation Failed: 1: start [1485910800000] must be earlier than end [1485907200000];"
    started = es("POST", FEEDS + "datafeed-j1/_start", {"start": "2017-02-01T00:00:00Z", "end": "now"})
    assert started.json["started"] is True
    assert es("GET", FEEDS + "datafeed-j1/_stats").json["datafeeds"][0]["state"] == "stopped"
    assert _state(es, "j1")["state"] == "closed"


def test_datafeed_update(es):
    """ES DatafeedUpdate: update replaces fields; job_id cannot change; max_empty_searches -1 clears it."""
    es.put_job("j1")
    _feed(es, max_empty_searches=5)
    updated = es("POST", FEEDS + "datafeed-j1/_update", {"indices": ["b"], "query_delay": "2m", "frequency": "150s",
                                                         "max_empty_searches": -1}).json
    assert updated["indices"] == ["b"]
    assert (updated["query_delay"], updated["frequency"]) == ("2m", "150s")
    assert "max_empty_searches" not in updated
    moved = es("POST", FEEDS + "datafeed-j1/_update", {"job_id": "other"})
    assert moved.json["error"]["reason"] == "Datafeed's job_id cannot be changed."


def test_script_fields_defaults_and_search_count(es):
    """ES DatafeedConfig: script fields come back with lang and ignore_failure; ES GetDatafeedsStatsAction: search_count shows a datafeed ran."""
    es.put_job("j1")
    created = _feed(es, script_fields={"hour": {"script": "doc['@timestamp'].value.getHour()"},
                                       "twice": {"script": {"source": "2 * params.x", "params": {"x": 1}},
                                                 "ignore_failure": True}}).json
    assert created["script_fields"] == {
        "hour": {"script": {"source": "doc['@timestamp'].value.getHour()", "lang": "painless"}, "ignore_failure": False},
        "twice": {"script": {"source": "2 * params.x", "lang": "painless", "params": {"x": 1}}, "ignore_failure": True}}
    assert es("GET", FEEDS + "datafeed-j1/_stats").json["datafeeds"][0]["timing_stats"]["search_count"] == 0
    es("POST", JOBS + "j1/_open")
    es("POST", FEEDS + "datafeed-j1/_start", params={"end": "now"})
    stats = es("GET", FEEDS + "datafeed-j1/_stats").json["datafeeds"][0]
    assert stats["state"] == "stopped" and stats["timing_stats"]["search_count"] == 1
