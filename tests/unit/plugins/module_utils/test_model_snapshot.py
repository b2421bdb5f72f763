"""ml_model_snapshot, ml_model_snapshot_info and ml_upgrade_mode against the emulator: every state, check mode (no
write request), diff, and the no-op re-run proven by the request log."""

from __future__ import annotations

import threading
import time

import pytest

from ansible_collections.mlops.elasticsearch.plugins.module_utils import _model_snapshot, _upgrade_mode
from ansible_collections.mlops.elasticsearch.plugins.module_utils._client import ElasticsearchError, EsClient
from ansible_collections.mlops.elasticsearch.plugins.module_utils._info import snapshots_info
from ansible_collections.mlops.elasticsearch.plugins.module_utils._ml_api import MlApi
from ansible_collections.mlops.elasticsearch.plugins.module_utils._options import ConfigError
from ansible_collections.mlops.elasticsearch.plugins.module_utils._reconcile import ReconcileError

from conftest import is_write

JOBS = "/_ml/anomaly_detectors/"


def _api(es, **options):
    return MlApi(EsClient(hosts=[es.url], retries=0, **options))


def _run(es, check=False, diff=False, **params):
    return _model_snapshot.run(_api(es), dict({"job_id": "j1"}, **params), check_mode=check, diff_mode=diff)


def _writes(es):
    return ["%s %s" % (e["method"], e["path"]) for e in es.log() if is_write(e)]


def _three(es):
    """j1 with three snapshots: 1000 and 1001 from an earlier cluster, then the active one from a close."""
    es.put_job("j1")
    es.seed_snapshot("j1", snapshot_id="1000", timestamp=1700000000000, min_version="7.17.0", description="old")
    es.seed_snapshot("j1", snapshot_id="1001", timestamp=1700086400000, min_version="8.3.0", description="good")
    active = es.snapshot_by_closing("j1")
    es.clear_log()
    return active


def test_present_sets_description_and_retain_then_is_a_noop(es):
    _three(es)
    planned = _run(es, check=True, diff=True, snapshot_id="1001", description="known good", retain=True)
    assert planned["changed"] is True and _writes(es) == []
    assert planned["diff"] == {"before": {"description": "good", "retain": False},
                               "after": {"description": "known good", "retain": True}}
    assert planned["actions"][0]["path"] == "_ml/anomaly_detectors/j1/model_snapshots/1001/_update"
    done = _run(es, snapshot_id="1001", description="known good", retain=True)
    assert done["snapshot"]["retain"] is True and done["snapshot"]["description"] == "known good"
    es.clear_log()
    again = _run(es, matching_description="known good", retain=True)
    assert again["changed"] is False and _writes(es) == []
    assert len(es.log()) == 2  # the job, its snapshots


def test_selectors_choose_the_newest_match(es):
    active = _three(es)  # the active one's data ends 2026-01-01; the seeded ones carry no record time
    assert _run(es, latest_before="2023-11-16T00:00:00Z")["snapshot"]["snapshot_id"] == "1001"
    assert _run(es, latest_before="2026-01-01T00:00:00Z")["snapshot"]["snapshot_id"] == "1001"
    assert _run(es, latest_before="2026-01-01T00:00:00.001Z")["snapshot"]["snapshot_id"] == active
    assert _run(es, latest_before="now")["snapshot"]["snapshot_id"] == active
    assert _run(es, matching_description="old")["snapshot"]["snapshot_id"] == "1000"
    with pytest.raises(ReconcileError, match=r"job \[j1\] has no snapshot whose data ends before 2000-01-01"):
        _run(es, latest_before="2000-01-01T00:00:00Z")
    with pytest.raises(ReconcileError, match=r"job \[j1\] has no snapshot \[42\]; its snapshots are: 1000 \(old\)"):
        _run(es, snapshot_id="42")


def test_revert_closes_reverts_reopens_and_restarts_then_is_a_noop(es):
    es.put_job("j1")
    es.seed_snapshot("j1", snapshot_id="1000", timestamp=1700000000000, latest_record_time_stamp=1690000000000)
    es.snapshot_by_closing("j1")
    es.source("logs")
    es("PUT", "/_ml/datafeeds/datafeed-j1", {"job_id": "j1", "indices": ["logs"]})
    es("POST", JOBS + "j1/_open")
    es("POST", "/_ml/datafeeds/datafeed-j1/_start")
    es.clear_log()
    planned = _run(es, check=True, diff=True, state="reverted", snapshot_id="1000", delete_intervening_results=True)
    assert [a["action"] for a in planned["actions"]] == [
        "close_job", "revert_model_snapshot", "open_job", "start_datafeed"]
    assert planned["actions"][0]["note"] == "also stops datafeed [datafeed-j1]"
    assert planned["actions"][1]["params"] == {"delete_intervening_results": True}
    assert planned["diff"]["after"] == {"model_snapshot_id": "1000"} and _writes(es) == []
    done = _run(es, state="reverted", snapshot_id="1000", delete_intervening_results=True)
    assert done["active_snapshot_id"] == "1000" and done["snapshot"]["snapshot_id"] == "1000"
    assert es("GET", JOBS + "j1/_stats").json["jobs"][0]["state"] == "opened"
    assert es("GET", "/_ml/datafeeds/datafeed-j1/_stats").json["datafeeds"][0]["state"] == "started"
    es.clear_log()
    assert _run(es, state="reverted", snapshot_id="1000")["changed"] is False and _writes(es) == []


def test_revert_with_restart_false_leaves_the_job_closed(es):
    active = _three(es)
    es("POST", JOBS + "j1/_open")
    done = _run(es, state="reverted", snapshot_id="1001", restart=False)
    assert [a["action"] for a in done["actions"]] == ["close_job", "revert_model_snapshot"]
    assert done["notes"] == ["restart=false: job [j1] is left closed"]
    assert es("GET", JOBS + "j1/_stats").json["jobs"][0]["state"] == "closed"
    assert active != "1001"


def test_a_failed_revert_reopens_the_job(es):
    _three(es)
    es("POST", JOBS + "j1/_open")
    es.fault(method="POST", path=JOBS + "j1/model_snapshots/1001/_revert", count=1, status=500)
    with pytest.raises(ReconcileError) as info:
        _run(es, state="reverted", snapshot_id="1001")
    assert "To leave job [j1] running as it was, these were done: open_job" in str(info.value)
    assert es("GET", JOBS + "j1/_stats").json["jobs"][0]["state"] == "opened"


def test_absent_by_id_and_the_active_snapshot_is_refused_before_any_request(es):
    active = _three(es)
    with pytest.raises(ReconcileError, match=r"snapshot \[%s\] is the active snapshot of job \[j1\]" % active):
        _run(es, state="absent", snapshot_id=active)
    assert _writes(es) == []
    planned = _run(es, check=True, diff=True, state="absent", snapshot_id="1000")
    assert planned["deleted"] == ["1000"] and _writes(es) == []
    assert planned["diff"]["after"] == {"snapshots": sorted(["1001", active])}
    assert _run(es, state="absent", snapshot_id="1000")["deleted"] == ["1000"]
    es.clear_log()
    assert _run(es, state="absent", snapshot_id="1000")["changed"] is False and _writes(es) == []
    es("DELETE", JOBS + "j1", params={"force": "true"})
    assert _run(es, state="absent", snapshot_id="1000")["changed"] is False  # no job, no snapshots


def test_keep_newest_never_deletes_the_active_or_retained_ones(es):
    es.put_job("j1")
    for n in range(5):
        es.seed_snapshot("j1", snapshot_id=str(1000 + n), timestamp=1700000000000 + n * 86400000,
                         retain=(n == 0), active=(n == 1))
    es.clear_log()
    done = _run(es, state="absent", keep_newest=2)
    assert done["deleted"] == ["1002"]  # newest two unretained: 1004, 1003; 1001 is active, 1000 retained
    remaining = [s["snapshot_id"] for s in es("GET", JOBS + "j1/model_snapshots").json["model_snapshots"]]
    assert remaining == ["1000", "1001", "1003", "1004"]
    es.clear_log()
    assert _run(es, state="absent", keep_newest=2)["changed"] is False and _writes(es) == []


def test_upgraded_upgrades_what_is_below_the_previous_major_then_is_a_noop(es):
    _three(es)
    es.seed_snapshot("j1", snapshot_id="999", timestamp=1690000000000, min_version="6.4.0")
    es.clear_log()
    planned = _run(es, check=True, diff=True, state="upgraded")
    assert planned["min_version"] == "8.0.0"  # the emulator is 9.1.0
    assert planned["upgraded"] == ["999", "1000"] and _writes(es) == []
    assert planned["diff"] == {"before": {"below_min_version": ["1000", "999"], "min_version": "8.0.0"},
                               "after": {"below_min_version": [], "min_version": "8.0.0"}}
    done = _run(es, state="upgraded")
    assert [a["params"] for a in done["actions"]] == [{"wait_for_completion": True, "timeout": "30m"}] * 2
    es.clear_log()
    again = _run(es, state="upgraded")
    assert again["changed"] is False and _writes(es) == []
    found = snapshots_info(_api(es), {"job_id": "j1"})
    assert [s["needs_upgrade"] for s in found["snapshots"]] == [False, False, False, False]
    page = snapshots_info(_api(es), {"job_id": "j1", "sort": "min_version", "desc": True, "from": 1, "size": 2,
                                     "start": "1690000000001"})
    assert page["count"] == 3 and [s["snapshot_id"] for s in page["snapshots"]] == ["1001", "1000"]
    strict = snapshots_info(_api(es), {"job_id": "j1", "min_version": "9.0.0"})
    assert all(s["needs_upgrade"] for s in strict["snapshots"]) and strict["min_version"] == "9.0.0"


def test_upgrading_the_active_snapshot_of_an_open_job_is_refused_before_any_request(es):
    es.put_job("j1")
    es.seed_snapshot("j1", snapshot_id="1000", timestamp=1700000000000, min_version="7.17.0", active=True)
    es("POST", JOBS + "j1/_open")
    es.clear_log()
    with pytest.raises(ReconcileError, match=r"snapshot \[1000\] is the active snapshot of job \[j1\], which is opened"):
        _run(es, state="upgraded", snapshot_id="1000")
    assert _writes(es) == []


def test_upgrade_without_waiting_starts_one_and_says_what_is_left(es):
    es.settings(snapshot_upgrade_ms=300)
    es.put_job("j1")
    for n in range(3):
        es.seed_snapshot("j1", snapshot_id=str(1000 + n), timestamp=1700000000000 + n, min_version="7.0.0")
    started = _run(es, state="upgraded", wait_for_completion=False)
    assert started["upgraded"] == ["1000"]
    assert started["notes"] == ["wait_for_completion=false: Elasticsearch upgrades one snapshot of a job at a time; "
                                "2 more are left for the next runs"]
    busy = _run(es, state="upgraded", wait_for_completion=False)
    assert busy["changed"] is False and "an upgrade is running for snapshot(s) 1000" in busy["notes"][0]
    assert snapshots_info(_api(es), {"job_id": "j1"})["upgrades"][0]["snapshot_id"] == "1000"
    time.sleep(0.35)
    assert _run(es, state="upgraded")["upgraded"] == ["1001", "1002"]


@pytest.mark.parametrize("params,message", [
    ({"state": "absent", "latest_before": "now"}, "state=absent deletes one snapshot named by snapshot_id"),
    ({"state": "reverted"}, "state=reverted needs the snapshot"),
    ({"snapshot_id": "1", "latest_before": "now"}, "give one of snapshot_id, latest_before and matching_description"),
    ({"latest_before": "yesterday"}, "latest_before: 'yesterday' is not a time"),
    ({"state": "upgraded", "min_version": "eight"}, "min_version: 'eight' is not a version"),
    ({"state": "present", "keep_newest": 2}, "keep_newest is for state=absent"),
    ({"state": "upgraded", "retain": True}, "description and retain are set with state=present"),
    ({"state": "reverted", "snapshot_id": "1", "timeout": "soon"}, "timeout:"),
    ({"job_id": "J1", "snapshot_id": "1"}, "job_id 'J1' is not valid"),
])
def test_bad_input_is_refused_before_any_request(es, params, message):
    with pytest.raises(ConfigError, match=message):
        _run(es, **params)
    assert es.log() == []


def test_a_missing_job_is_said_plainly(es):
    with pytest.raises(ReconcileError, match=r"job \[nope\] does not exist"):
        _run(es, job_id="nope", snapshot_id="1")
    assert snapshots_info(_api(es), {"job_id": "nope"})["job_exists"] is False


def test_upgrade_mode_is_idempotent_and_other_calls_say_it_is_on(es):
    es.put_job("j1")
    es.clear_log()
    api = _api(es)
    planned = _upgrade_mode.run(api, {"enabled": True}, check_mode=True, diff_mode=True)
    assert planned["changed"] is True and planned["upgrade_mode"] is False and _writes(es) == []
    assert planned["diff"] == {"before": {"upgrade_mode": False}, "after": {"upgrade_mode": True}}
    done = _upgrade_mode.run(api, {"enabled": True})
    assert done["upgrade_mode"] is True and done["actions"][0]["params"] == {"enabled": True, "timeout": "30s"}
    es.clear_log()
    assert _upgrade_mode.run(api, {"enabled": True})["changed"] is False and _writes(es) == []
    with pytest.raises(ElasticsearchError) as info:
        api.open_job("j1")
    message = str(info.value)
    assert "429 status_exception: Cannot perform cluster:admin/xpack/ml/job/open action while upgrade mode is " \
           "enabled. Machine learning is in upgrade mode" in message
    assert "mlops.elasticsearch.ml_upgrade_mode (enabled: false)" in message
    assert _upgrade_mode.run(api, {"enabled": False})["upgrade_mode"] is False


def test_upgrade_mode_wait_retries_until_it_is_turned_off(es):
    es.put_job("j1")
    es("POST", "/_ml/set_upgrade_mode", params={"enabled": "true"})
    client = EsClient(hosts=[es.url], retries=0, upgrade_mode_wait=30,
                      sleep=lambda seconds: time.sleep(min(seconds, 0.1)))
    timer = threading.Timer(0.4, lambda: es("POST", "/_ml/set_upgrade_mode", params={"enabled": "false"}))
    timer.start()
    try:
        assert MlApi(client).open_job("j1")["opened"] is True
    finally:
        timer.join()
    assert client.retry_log and client.retry_log[0]["reason"] == "HTTP 429, ML upgrade mode"
    with pytest.raises(ElasticsearchError, match="upgrade_mode_wait must be a number of seconds"):
        EsClient(hosts=[es.url], upgrade_mode_wait=-1)


def test_bulk_retention_policy_per_job_and_by_default(es):
    """ml_anomaly_jobs' keep_snapshots (the role's anomaly_detection_keep_snapshots): check mode writes nothing, the
    run deletes what the policy says, a re-run is a no-op; a job's own value wins; no value, no snapshot read."""
    from ansible_collections.mlops.elasticsearch.plugins.module_utils import _bulk
    body = {"analysis_config": {"bucket_span": "15m", "detectors": [{"function": "count"}]},
            "data_description": {"time_field": "timestamp"}}
    for job_id in ("a", "b", "c"):
        es.put_job(job_id, body)
        for n in range(4):
            es.seed_snapshot(job_id, snapshot_id=str(1000 + n), timestamp=1700000000000 + n, active=(n == 3))
    jobs = [{"job_id": "a", "state": "closed", "config": body},
            {"job_id": "b", "state": "closed", "config": body, "keep_snapshots": 3},
            {"job_id": "c", "state": "closed", "config": body}]

    def converge(check=False, **params):
        return _bulk.run(_api(es), dict({"jobs": jobs, "preflight": False}, **params), check_mode=check, diff_mode=True)

    es.clear_log()
    planned = converge(check=True, keep_snapshots=1)
    assert planned["changed"] is True and _writes(es) == []
    expected = [["1000", "1001", "1002"], ["1000"], ["1000", "1001", "1002"]]
    assert [r["snapshots"]["deleted"] for r in planned["results"]] == expected
    assert planned["diff"]["after"]["b"]["model_snapshots"] == ["1001", "1002", "1003"]
    done = converge(keep_snapshots=1)
    assert [r["snapshots"]["deleted"] for r in done["results"]] == expected
    es.clear_log()
    assert converge(keep_snapshots=1)["changed"] is False and _writes(es) == []
    es.clear_log()
    off = converge()
    assert "snapshots" not in off["results"][0] and "snapshots" in off["results"][1]
    assert not any("model_snapshots" in e["path"] and not e["path"].startswith("/_ml/anomaly_detectors/b/")
                   for e in es.log())
    with pytest.raises(ConfigError, match=r"jobs\[0\] \(a\): keep_snapshots must be a number of snapshots"):
        _bulk.run(_api(es), {"jobs": [dict(jobs[0], keep_snapshots=-1)]})
