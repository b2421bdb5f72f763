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


def _many(count, prefix="p"):
    body = {"analysis_config": {"bucket_span": "15m", "detectors": [{"function": "count"}]},
            "data_description": {"time_field": "timestamp"}}
    return [{"job_id": "%s%02d" % (prefix, n), "state": "opened", "config": body,
             "datafeed": {"config": {"indices": ["logs"]}}} for n in range(count)]


def test_parallel_writes_report_in_declaration_order_and_plan_the_same(es):
    """parallelism: different jobs written at once, each job's own steps in order; the results, the diff and the
    preflight are in declaration order, and equal to a run one job after another."""
    es.source("logs")
    jobs = _many(12)
    planned = _bulk.run(MlApi(EsClient(hosts=[es.url])), {"jobs": jobs, "parallelism": 1}, check_mode=True,
                        diff_mode=True)
    parallel_plan = _bulk.run(MlApi(EsClient(hosts=[es.url])), {"jobs": jobs, "parallelism": 6}, check_mode=True,
                              diff_mode=True)
    assert parallel_plan == planned
    done = _bulk.run(MlApi(EsClient(hosts=[es.url])), {"jobs": jobs, "parallelism": 6})
    assert [r["job_id"] for r in done["results"]] == [j["job_id"] for j in jobs]
    assert all([a["action"] for a in r["actions"]] == ["put_job", "open_job"] for r in done["results"])
    for job in jobs:  # each job's own steps in order: created, then opened, then its datafeed created and started
        paths = [e["path"] for e in es.log() if is_write(e) and job["job_id"] in e["path"]]
        assert paths == ["/_ml/anomaly_detectors/%s" % job["job_id"], "/_ml/anomaly_detectors/%s/_open" % job["job_id"],
                         "/_ml/datafeeds/datafeed-%s" % job["job_id"], "/_ml/datafeeds/datafeed-%s/_start" % job["job_id"]]
    es.clear_log()
    again = _bulk.run(MlApi(EsClient(hosts=[es.url])), {"jobs": jobs, "parallelism": 6})
    assert again["changed"] is False and len(es.log()) == 4  # the no-op is still four reads


def test_parallel_writes_overlap_at_a_real_clusters_latency(es):
    """At 50 ms per write, twelve jobs with datafeeds at parallelism 6 take well under half the time of one after
    another (ratios in one run, on this machine)."""
    import time
    es.source("logs")
    es.settings(write_latency_ms=50)
    timings = {}
    for parallelism, prefix in ((1, "s"), (6, "q")):
        started = time.monotonic()
        params = {"jobs": _many(12, prefix), "parallelism": parallelism, "preflight": False}
        result = _bulk.run(MlApi(EsClient(hosts=[es.url])), params)
        timings[parallelism] = time.monotonic() - started
        assert "failed" not in result
    assert timings[6] < timings[1] / 2, timings


@pytest.mark.parametrize("value", [0, 65, "many", True])
def test_parallelism_is_checked(es, value):
    with pytest.raises(ConfigError, match="parallelism must be a whole number from 1 to 64"):
        _bulk.run(MlApi(EsClient(hosts=[es.url])), {"jobs": [], "parallelism": value})


def test_lost_responses_at_parallelism_are_settled_once_each(es):
    """The fault tests' guarantee at parallelism > 1: a create whose response is lost after it was applied is read
    back, not sent twice; every job ends as declared."""
    es.source("logs")
    jobs = _many(6, "f")
    for job in jobs[::2]:
        es.fault(method="PUT", path="/_ml/anomaly_detectors/%s" % job["job_id"], count=1, drop=True, after=True)
        es.fault(method="POST", path="/_ml/datafeeds/datafeed-%s/_start" % job["job_id"], count=1, drop=True,
                 after=True)
    result = _bulk.run(MlApi(EsClient(hosts=[es.url], backoff_factor=0)), {"jobs": jobs, "parallelism": 4,
                                                                           "preflight": False})
    assert "failed" not in result, result.get("msg")
    for job in jobs:
        puts = [e for e in es.log() if e["method"] == "PUT" and e["path"] == "/_ml/anomaly_detectors/" + job["job_id"]]
        assert len(puts) == 1
        stats = es("GET", "/_ml/datafeeds/datafeed-%s/_stats" % job["job_id"]).json["datafeeds"][0]
        assert stats["state"] == "started"
    notes = [r["actions"][0].get("note") for r in result["results"][::2]]
    assert notes == ["its response was lost; read back, it had taken effect"] * 3


def test_declared_job_ids_are_never_pruned(es):
    """A job the caller converges in another call (the role's batches) is declared for the managed group."""
    body = {"analysis_config": {"bucket_span": "15m", "detectors": [{"function": "count"}]},
            "data_description": {"time_field": "timestamp"}, "groups": ["g"]}
    for job_id in ("earlier-batch", "stray"):
        es.put_job(job_id, body)
    params = {"jobs": [], "managed_group": "g", "declared_job_ids": ["earlier-batch"]}
    result = _bulk.run(MlApi(EsClient(hosts=[es.url])), params)
    assert [p["job_id"] for p in result["pruned"]] == ["stray"]
    assert es("GET", "/_ml/anomaly_detectors/earlier-batch").status == 200


def test_results_without_bodies(es):
    """return_bodies=false: each entry keeps what happened (changed, actions, changes, state) and loses the job's
    and the datafeed's bodies, which are most of a result of thousands of jobs."""
    full = _run(es, _jobs(3))
    assert all("job" in r and "datafeed" in r["datafeed"] for r in full["results"])
    jobs = _jobs(3, state="closed")
    lean = _run(es, jobs, return_bodies=False)
    assert [r["job_id"] for r in lean["results"]] == ["bulk-000", "bulk-001", "bulk-002"]
    for entry in lean["results"]:
        assert "job" not in entry and "datafeed" not in entry["datafeed"]
        assert entry["state"] == "closed" and entry["changed"] is True
        assert "close_job" in [a["action"] for a in entry["actions"]]
        assert entry["datafeed"]["state"] == "stopped"


def test_a_group_lookup_does_not_scan_every_job(es):
    """The cached reads answer a job id or a group name from an index of the groups, sorted by id as ES sorts."""
    for job_id, groups in (("b-job", ["team"]), ("a-job", ["team", "other"]), ("c-job", [])):
        es.put_job(job_id, {"analysis_config": {"detectors": [{"function": "count"}]}, "groups": groups})
    cached = _bulk.CachedApi(MlApi(EsClient(hosts=[es.url])))
    cached.prefetch()
    es.clear_log()
    assert [j["job_id"] for j in cached.get_jobs("team")["jobs"]] == ["a-job", "b-job"]
    assert [j["job_id"] for j in cached.get_jobs("c-job")["jobs"]] == ["c-job"]
    assert cached.get_jobs("nothing", not_found_ok=True) is None
    cached.predict("d-job", {"changed": True, "state": "closed"}, {"groups": ["team"]})
    assert [j["job_id"] for j in cached.get_jobs("team")["jobs"]] == ["a-job", "b-job", "d-job"]
    assert es.log() == []


def test_results_without_bodies_keep_the_tasks_diff(es):
    _run(es, _jobs(2))
    jobs = _jobs(2)
    jobs[1]["config"]["description"] = "changed"
    audit = _run(es, jobs, check=True, diff=True, return_bodies=False)
    assert all("diff" not in r and "diff" not in r["datafeed"] for r in audit["results"])
    assert sorted(audit["diff"]["after"]) == ["bulk-001"]
    assert audit["diff"]["after"]["bulk-001"]["description"] == "changed"
