"""Faults survived (issue 7): lost responses, bursts of 429/503, latency, a dead host, races between runs.

Each case injects faults through the emulator and runs the real planner; afterwards the cluster must be as
declared, and the request log must show that nothing was applied twice.
"""

from __future__ import annotations

import copy
import socket

import pytest

from ansible_collections.mlops.elasticsearch.plugins.module_utils import _anomaly_job, _datafeed
from ansible_collections.mlops.elasticsearch.plugins.module_utils._client import EsClient
from ansible_collections.mlops.elasticsearch.plugins.module_utils._ml_api import MlApi

# their datafeeds read indices that exist, mapped with their jobs' fields (conftest.SOURCE_FIELDS)
pytestmark = pytest.mark.usefixtures("sources")

CONFIG = {"bucket_span": "15m", "detectors": [{"function": "count", "by_field_name": "host"}]}
# preflight has its own tests (test_preflight.py); these test what the plan does after it
JOB = {"preflight": False, "state": "present", "recreate": False, "force": False, "timeout": None, "wait_for_completion": True,
       "delete_user_annotations": False, "allow_no_match": True, "job_id": "j1"}
FEED = {"preflight": False, "state": "present", "recreate": False, "force": False, "timeout": None, "restart": False, "open_job": False,
        "job_id": "j1"}
J = "/_ml/anomaly_detectors/j1"
D = "/_ml/datafeeds/datafeed-j1"
FAULTS_INJECTED = []  # every fault spec this module injects (the note's figures count them)


def _api(es, **client):
    client.setdefault("backoff_factor", 0)
    return MlApi(EsClient(hosts=client.pop("hosts", [es.url]), **client))


def _fault(es, **spec):
    FAULTS_INJECTED.append(spec)
    es.fault(**spec)


def _sent(es, method, path):
    return [e for e in es.log() if e["method"] == method and e["path"] == path]


def _job_run(es, **params):
    return _anomaly_job.run(_api(es), dict(JOB, **params))


def _feed_run(es, **params):
    return _datafeed.run(_api(es), dict(FEED, **params))


@pytest.mark.parametrize("after", [True, False], ids=["applied-then-lost", "lost-before-applied"])
def test_create_with_a_lost_response(es, after):
    _fault(es, method="PUT", path=J, count=1, drop=True, after=after)
    result = _job_run(es, analysis_config=CONFIG)
    assert result["changed"] is True
    note = result["actions"][0]["note"]
    if after:
        assert note == "its response was lost; read back, it had taken effect"
        assert len(_sent(es, "PUT", J)) == 1  # not sent twice
    else:
        assert note == "its response was lost; read back, it had not taken effect, so it was sent again"
        assert [e["status"] for e in _sent(es, "PUT", J)] == [None, 200]
    assert es("GET", J).status == 200


@pytest.mark.parametrize("after", [True, False])
def test_open_delete_and_start_with_lost_responses(es, after):
    _job_run(es, analysis_config=CONFIG)
    es("PUT", D, {"job_id": "j1", "indices": ["logs"]})
    _fault(es, method="POST", path=J + "/_open", count=1, drop=True, after=after)
    assert _job_run(es, state="opened")["state"] == "opened"
    _fault(es, method="POST", path=D + "/_start", count=1, drop=True, after=after)
    assert _feed_run(es, state="started")["state"] == "started"
    assert es("GET", D + "/_stats").json["datafeeds"][0]["state"] == "started"
    _fault(es, method="DELETE", path=J, count=1, drop=True, after=after)
    assert _job_run(es, state="absent")["changed"] is True
    assert es("GET", J).status == 404
    assert len([e for e in _sent(es, "DELETE", J) if e["status"] == 200]) == 1


@pytest.mark.parametrize("status,retry_after", [(429, 1), (429, None), (503, 0), (503, None)])
def test_bursts_of_429_and_503_are_retried(es, status, retry_after):
    spec = dict(count=2, status=status)
    if retry_after is not None:
        spec["retry_after"] = retry_after
    for method, path in (("GET", J), ("PUT", J), ("POST", J + "/_open")):
        _fault(es, method=method, path=path, **spec)
    result = _anomaly_job.run(_api(es, retries=3), dict(JOB, state="opened", analysis_config=CONFIG))
    assert [a["action"] for a in result["actions"]] == ["put_job", "open_job"]
    assert [e["status"] for e in _sent(es, "PUT", J)] == [status, status, 200]
    assert es("GET", J + "/_stats").json["jobs"][0]["state"] == "opened"


def test_latency_past_the_request_timeout(es):
    _fault(es, method="GET", path=J, count=1, delay_ms=1500)
    _fault(es, method="PUT", path=J, count=1, delay_ms=1500)
    result = _anomaly_job.run(_api(es, retries=2, request_timeout=0.5), dict(JOB, analysis_config=CONFIG))
    assert result["changed"] is True
    assert es("GET", J).status == 200
    puts = _sent(es, "PUT", J)
    assert len([e for e in puts if e["status"] == 200]) == 1  # one create took effect


def test_first_host_down(es):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = "http://127.0.0.1:%d" % sock.getsockname()[1]
    result = _anomaly_job.run(_api(es, hosts=[dead, es.url], retries=1),
                              dict(JOB, state="opened", analysis_config=CONFIG))
    assert result["state"] == "opened"


def test_races_between_runs_are_recognised(es):
    """Another run got there first: already exists, already opened, already started, already gone."""
    api = _api(es)
    params = dict(JOB, state="opened", analysis_config=CONFIG)
    first = _planned(api, _anomaly_job.PLANNER, params)  # planned while the job is missing
    second = _anomaly_job.run(_api(es), copy.deepcopy(params))  # the other run creates and opens it meanwhile
    assert second["state"] == "opened"
    actions = first.run(api, False)
    assert [a["action"] for a in actions] == ["put_job", "open_job"]
    assert "someone else had done it (resource_already_exists_exception" in actions[0]["note"]
    assert "someone else had done it (status_exception: Cannot open job [j1] because it has already been opened" \
        in actions[1]["note"]
    es("PUT", D, {"job_id": "j1", "indices": ["logs"]})
    feed = _planned(api, _datafeed.PLANNER, dict(FEED, state="started"))
    es("POST", D + "/_start")
    assert "has already been started" in feed.run(api, False)[0]["note"]
    gone = _planned(api, _anomaly_job.PLANNER, dict(JOB, state="absent"))
    es("DELETE", J, params={"force": "true"})
    assert "resource_not_found_exception" in gone.run(api, False)[-1]["note"]


def _planned(api, planner, params):
    """A plan made now, to run later (after another run got there first)."""
    declared = planner.declare(params, lambda m: None)
    return planner.plan(planner.read(api, declared, False), declared)
