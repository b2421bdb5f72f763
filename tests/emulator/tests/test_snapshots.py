"""Model snapshots and upgrade mode as Elasticsearch has them (ES Transport*ModelSnapshotAction,
TransportUpgradeJobModelSnapshotAction, MlUpgradeModeActionFilter; REST tests get_model_snapshots.yml,
update_model_snapshot.yml, delete_model_snapshot.yml, revert_model_snapshot.yml, upgrade_job_snapshot.yml,
set_upgrade_mode.yml)."""

from __future__ import annotations

import time

JOBS = "/_ml/anomaly_detectors/"


def _snapshots(es, job_id, **params):
    return es("GET", JOBS + job_id + "/model_snapshots", params=params or None)


def test_close_after_data_persists_a_snapshot_and_makes_it_active(es):
    es.put_job("j1")
    assert _snapshots(es, "j1").json == {"count": 0, "model_snapshots": []}
    es("POST", JOBS + "j1/_open")
    es("POST", JOBS + "j1/_close")  # no data: nothing to persist
    assert _snapshots(es, "j1").json["count"] == 0
    snapshot_id = es.snapshot_by_closing("j1")
    job = es("GET", JOBS + "j1").json["jobs"][0]
    assert job["model_snapshot_min_version"] == "8.3.0"
    (snapshot,) = _snapshots(es, "j1").json["model_snapshots"]
    assert snapshot["snapshot_id"] == snapshot_id and snapshot["retain"] is False
    assert snapshot["description"].startswith("State persisted due to job close at ")
    assert snapshot["latest_record_time_stamp"] == 1767225600000
    assert set(snapshot) >= {"job_id", "min_version", "timestamp", "snapshot_doc_count", "model_size_stats"}
    es("POST", JOBS + "j1/_open")
    es("POST", JOBS + "j1/_close")  # nothing new since: no second snapshot
    assert _snapshots(es, "j1").json["count"] == 1


def test_get_filters_sorts_and_pages(es):
    es.put_job("j1")
    for n, version in enumerate(("6.4.0", "7.17.0", "8.3.0")):
        es.seed_snapshot("j1", snapshot_id=str(1000 + n), timestamp=1700000000000 + n * 1000, min_version=version,
                         description="s%d" % n)
    assert [s["snapshot_id"] for s in _snapshots(es, "j1").json["model_snapshots"]] == ["1000", "1001", "1002"]
    newest_first = _snapshots(es, "j1", desc="true", size=2).json
    assert newest_first["count"] == 3 and [s["snapshot_id"] for s in newest_first["model_snapshots"]] == ["1002", "1001"]
    assert [s["snapshot_id"] for s in _snapshots(es, "j1", start=1700000001000).json["model_snapshots"]] == ["1001", "1002"]
    assert [s["snapshot_id"] for s in _snapshots(es, "j1", end=1700000001000).json["model_snapshots"]] == ["1000"]
    body = es("GET", JOBS + "j1/model_snapshots", {"sort": "description", "desc": True, "page": {"from": 1, "size": 1}})
    assert [s["snapshot_id"] for s in body.json["model_snapshots"]] == ["1001"]
    assert es("GET", JOBS + "j1/model_snapshots/100*").json["count"] == 3
    assert es("GET", JOBS + "j1/model_snapshots/999").json == {"count": 0, "model_snapshots": []}
    missing = es("GET", JOBS + "nope/model_snapshots")
    assert missing.status == 404 and missing.json["error"]["reason"] == "No known job with id 'nope'"
    unknown = es("GET", JOBS + "j1/model_snapshots", {"sizes": 1})
    assert unknown.status == 400 and "[get_model_snapshots] unknown field [sizes]" in unknown.json["error"]["reason"]


def test_update_and_delete(es):
    es.put_job("j1")
    active = es.snapshot_by_closing("j1")
    es.seed_snapshot("j1", snapshot_id="1000", timestamp=1700000000000)
    updated = es("POST", JOBS + "j1/model_snapshots/1000/_update", {"description": "known good", "retain": True})
    assert updated.json["acknowledged"] is True
    assert updated.json["model"]["description"] == "known good" and updated.json["model"]["retain"] is True
    refused = es("DELETE", JOBS + "j1/model_snapshots/" + active)
    assert refused.status == 400 and refused.json["error"]["type"] == "illegal_argument_exception"
    assert refused.json["error"]["reason"] == (
        "Model snapshot '%s' is the active snapshot for job 'j1', so cannot be deleted" % active)
    assert es("DELETE", JOBS + "j1/model_snapshots/1000").json == {"acknowledged": True}
    gone = es("DELETE", JOBS + "j1/model_snapshots/1000")
    assert gone.status == 404 and gone.json["error"]["type"] == "resource_not_found_exception"
    assert gone.json["error"]["reason"] == "No model snapshot with id [1000] exists for job [j1]"
    assert es("POST", JOBS + "j1/model_snapshots/1000/_update", {"retain": True}).status == 404


def test_revert_needs_a_closed_job_and_moves_the_active_snapshot(es):
    es.put_job("j1")
    es.seed_snapshot("j1", snapshot_id="1000", timestamp=1700000000000, latest_record_time_stamp=1690000000000)
    es.snapshot_by_closing("j1", at=1769904000000)
    es("POST", JOBS + "j1/_open")
    refused = es("POST", JOBS + "j1/model_snapshots/1000/_revert")
    assert refused.status == 409 and refused.json["error"]["reason"] == (
        "Can only revert to a model snapshot when the job is closed.")
    es("POST", JOBS + "j1/_close")
    reverted = es("POST", JOBS + "j1/model_snapshots/1000/_revert", {"delete_intervening_results": True})
    assert reverted.status == 200 and reverted.json["model"]["snapshot_id"] == "1000"
    assert es("GET", JOBS + "j1").json["jobs"][0]["model_snapshot_id"] == "1000"
    counts = es("GET", JOBS + "j1/_stats").json["jobs"][0]["data_counts"]
    assert counts["latest_record_timestamp"] == 1690000000000
    assert es("POST", JOBS + "j1/model_snapshots/42/_revert").status == 404


def test_upgrade_rules_and_stats(es):
    es.settings(snapshot_upgrade_ms=400)
    es.put_job("j1")
    es.seed_snapshot("j1", snapshot_id="1000", timestamp=1700000000000, min_version="7.17.0")
    es.seed_snapshot("j1", snapshot_id="1001", timestamp=1700000001000, min_version="6.4.0", active=True)
    current = es.seed_snapshot("j1", snapshot_id="1002", timestamp=1700000002000, min_version="12.0.0")
    assert current["min_version"] == "12.0.0"
    compatible = es("POST", JOBS + "j1/model_snapshots/1002/_upgrade")
    assert compatible.status == 409 and compatible.json["error"]["reason"] == (
        "Cannot upgrade job [j1] snapshot [1002] as it is already compatible with current version 12.0.0")
    es("POST", JOBS + "j1/_open")
    active = es("POST", JOBS + "j1/model_snapshots/1001/_upgrade")
    assert active.status == 409 and "is the current primary job snapshot and the job's state is [opened]" in (
        active.json["error"]["reason"])
    started = es("POST", JOBS + "j1/model_snapshots/1000/_upgrade")
    assert started.json == {"node": "7bmMXyWCRs-TuPfGJJ_yMw", "completed": False}
    stats = es("GET", JOBS + "j1/model_snapshots/_all/_upgrade/_stats").json
    assert stats["count"] == 1 and stats["model_snapshot_upgrades"][0]["snapshot_id"] == "1000"
    assert set(stats["model_snapshot_upgrades"][0]["node"]["attributes"]) == {
        "ml.machine_memory", "ml.max_jvm_size", "ml.allocated_processors", "ml.allocated_processors_double",
        "ml.config_version"}
    busy = es("POST", JOBS + "j1/model_snapshots/1002/_upgrade")
    assert busy.status == 409 and "currently a snapshot for this job being upgraded" in busy.json["error"]["reason"]
    time.sleep(0.45)
    assert es("GET", JOBS + "j1/model_snapshots/_all/_upgrade/_stats").json["count"] == 0
    assert es("GET", JOBS + "j1/model_snapshots/1000").json["model_snapshots"][0]["min_version"] == "8.3.0"
    es("POST", JOBS + "j1/_close")
    waited = es("POST", JOBS + "j1/model_snapshots/1001/_upgrade", params={"wait_for_completion": "true"})
    assert waited.json["completed"] is True
    assert es("GET", JOBS + "j1").json["jobs"][0]["model_snapshot_min_version"] == "8.3.0"


def test_reset_and_delete_take_the_snapshots(es):
    es.put_job("j1")
    es.snapshot_by_closing("j1")
    es("POST", JOBS + "j1/_reset")
    assert _snapshots(es, "j1").json["count"] == 0
    assert "model_snapshot_id" not in es("GET", JOBS + "j1").json["jobs"][0]


def test_upgrade_mode_refuses_what_reaches_ml_state_and_parks_tasks(es):
    es.put_job("j1")
    es.put_job("j2")
    es("POST", JOBS + "j1/_open")
    assert es("POST", "/_ml/set_upgrade_mode", params={"enabled": "true"}).json == {"acknowledged": True}
    assert es("GET", "/_ml/info").json["upgrade_mode"] is True
    stats = es("GET", JOBS + "j1/_stats").json["jobs"][0]
    assert stats["state"] == "opened" and "node" not in stats
    assert stats["assignment_explanation"] == "persistent task cannot be assigned while upgrade mode is enabled."
    refused = es("POST", JOBS + "j2/_open")
    assert refused.status == 429 and refused.json["error"]["type"] == "status_exception"
    assert refused.json["error"]["reason"] == (
        "Cannot perform cluster:admin/xpack/ml/job/open action while upgrade mode is enabled")
    assert es("PUT", JOBS + "j3", {"analysis_config": {"bucket_span": "15m", "detectors": [{"function": "count"}]},
                                   "data_description": {}}).status == 429
    assert es("GET", JOBS + "j2").status == 200  # reads go on
    assert es("POST", "/_ml/set_upgrade_mode", params={"enabled": "true"}).json == {"acknowledged": True}
    assert es("POST", "/_ml/set_upgrade_mode").json == {"acknowledged": True}  # enabled defaults to false
    assert es("GET", "/_ml/info").json["upgrade_mode"] is False
    assert es("GET", JOBS + "j1/_stats").json["jobs"][0]["node"]["id"] == "7bmMXyWCRs-TuPfGJJ_yMw"
    assert es("POST", JOBS + "j2/_open").status == 200
