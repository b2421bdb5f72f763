"""The HTTP requests each ml_anomaly_job operation makes: guarded exactly, since every one costs a round trip.

The floor for each: one GET to learn a job's config, one more for its run state when the state matters,
and one write per change (a running datafeed's state is read only when it must be restarted).
"""

from __future__ import annotations

import pytest

from ansible_collections.mlops.elasticsearch.plugins.module_utils._anomaly_job import run
from ansible_collections.mlops.elasticsearch.plugins.module_utils._client import EsClient
from ansible_collections.mlops.elasticsearch.plugins.module_utils._ml_api import MlApi

# their datafeeds read indices that exist, mapped with their jobs' fields (conftest.SOURCE_FIELDS)
pytestmark = pytest.mark.usefixtures("sources")

CONFIG = {"bucket_span": "15m", "detectors": [{"function": "count", "by_field_name": "host"}]}
# preflight has its own tests (test_preflight.py); these test what the plan does after it
DEFAULTS = {"preflight": False, "state": "present", "recreate": False, "force": False, "timeout": None, "wait_for_completion": True,
            "delete_user_annotations": False, "allow_no_match": True, "job_id": "j1"}
J = "/_ml/anomaly_detectors/j1"
D = "/_ml/datafeeds/datafeed-j1"


def _setup(es, opened=False, feed=False, started=False, data=False):
    es.put_job("j1", {"analysis_config": CONFIG})
    if feed:
        es("PUT", D, {"job_id": "j1", "indices": ["logs"]})
    if opened or started or data:
        es("POST", J + "/_open")
    if started:
        es("POST", D + "/_start")
    if data:
        es("POST", J + "/_data", raw='{"time": 1700000000000}', headers={"Content-Type": "application/json"})
        es("POST", J + "/_close")


CASES = [
    # name, setup, params, expected requests
    ("present: create", None, {"analysis_config": CONFIG}, ["GET " + J, "PUT " + J]),
    ("present: no change", {}, {"analysis_config": CONFIG}, ["GET " + J]),
    ("present: update", {}, {"analysis_config": CONFIG, "description": "x"}, ["GET " + J, "POST " + J + "/_update"]),
    ("present: memory, closed job", {}, {"analysis_config": CONFIG, "analysis_limits": {"model_memory_limit": 64}},
     ["GET " + J, "GET " + J + "/_stats", "POST " + J + "/_update"]),
    ("present: memory, open job, started datafeed", {"started": True, "feed": True},
     {"analysis_config": CONFIG, "analysis_limits": {"model_memory_limit": 64}},
     ["GET " + J, "GET " + J + "/_stats", "GET " + D + "/_stats", "POST " + J + "/_close", "POST " + J + "/_update",
      "POST " + J + "/_open", "POST " + D + "/_start"]),
    ("opened: open", {}, {"state": "opened"}, ["GET " + J, "GET " + J + "/_stats", "POST " + J + "/_open"]),
    ("opened: no change", {"opened": True}, {"state": "opened"}, ["GET " + J, "GET " + J + "/_stats"]),
    ("opened: create and open", None, {"state": "opened", "analysis_config": CONFIG},
     ["GET " + J, "PUT " + J, "POST " + J + "/_open"]),
    ("closed: close", {"opened": True}, {"state": "closed"}, ["GET " + J + "/_stats", "POST " + J + "/_close"]),
    ("closed: no change", {}, {"state": "closed"}, ["GET " + J + "/_stats"]),
    ("reset: reset", {"data": True}, {"state": "reset"},
     ["GET " + J, "GET " + J + "/_stats", "POST " + J + "/_reset"]),
    ("reset: nothing to reset", {}, {"state": "reset"}, ["GET " + J, "GET " + J + "/_stats"]),
    ("absent: delete open job with datafeed", {"started": True, "feed": True}, {"state": "absent"},
     ["GET " + J, "GET " + J + "/_stats", "POST " + J + "/_close", "DELETE " + J]),
    ("absent: delete closed job", {}, {"state": "absent"}, ["GET " + J, "GET " + J + "/_stats", "DELETE " + J]),
    ("absent: already absent", None, {"state": "absent"}, ["GET " + J]),
    ("present: recreate, open job, started datafeed", {"started": True, "feed": True},
     {"analysis_config": dict(CONFIG, bucket_span="1h"), "recreate": True},
     ["GET " + J, "GET " + J + "/_stats", "GET " + D + "/_stats", "POST " + J + "/_close", "DELETE " + J, "PUT " + J,
      "POST " + J + "/_open", "POST " + D + "/_start"]),  # the datafeed is re-created by the job's PUT
]


@pytest.mark.parametrize("name,setup,params,expected", CASES, ids=[c[0] for c in CASES])
def test_requests_per_operation(es, name, setup, params, expected):
    if setup is not None:
        _setup(es, **setup)
    es.clear_log()
    run(MlApi(EsClient(hosts=[es.url])), dict(DEFAULTS, **params))
    assert ["%s %s" % (e["method"], e["path"]) for e in es.log()] == expected, name


@pytest.mark.parametrize("name,setup,params,expected", CASES, ids=[c[0] for c in CASES])
def test_check_mode_sends_only_the_reads(es, name, setup, params, expected):
    if setup is not None:
        _setup(es, **setup)
    es.clear_log()
    run(MlApi(EsClient(hosts=[es.url])), dict(DEFAULTS, **params), check_mode=True)
    sent = ["%s %s" % (e["method"], e["path"]) for e in es.log()]
    assert sent == [r for r in expected if r.startswith("GET ")], name
