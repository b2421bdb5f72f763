"""state=absent with the configuration still given deletes, for every kind of object.

Ansible users flip ``state`` on the same task or loop item; a delete simply does not need the configuration,
so it is accepted (no warning) and not validated, and the delete happens as it would without it.
"""

from __future__ import annotations

from ansible_collections.mlops.elasticsearch.plugins.module_utils import _anomaly_job, _calendar, _datafeed, _filter
from ansible_collections.mlops.elasticsearch.plugins.module_utils._client import EsClient
from ansible_collections.mlops.elasticsearch.plugins.module_utils._ml_api import MlApi

AC = {"bucket_span": "15m", "detectors": [{"function": "count"}]}
# preflight has its own tests (test_preflight.py); these test what the plan does after it
JOB = {"preflight": False, "recreate": False, "force": False, "timeout": None, "wait_for_completion": True,
       "delete_user_annotations": False, "allow_no_match": True}
FEED = {"preflight": False, "recreate": False, "force": False, "timeout": None, "restart": False, "open_job": False}


def _api(es):
    return MlApi(EsClient(hosts=[es.url], retries=0))


def test_a_job_declared_absent_with_its_body(es):
    es.put_job("j1")
    warnings = []
    result = _anomaly_job.run(_api(es), dict(JOB, job_id="j1", state="absent", analysis_config=AC,
                                             datafeed_config={"indices": ["x"]}, description="kept in the task"),
                              warn=warnings.append)
    assert [a["action"] for a in result["actions"]] == ["delete_job"] and warnings == []
    assert es("GET", "/_ml/anomaly_detectors/j1").status == 404


def test_a_datafeed_declared_absent_with_its_body(es):
    es.put_job("j1")
    es("PUT", "/_ml/datafeeds/datafeed-j1", {"job_id": "j1", "indices": ["x"]})
    result = _datafeed.run(_api(es), dict(FEED, job_id="j1", state="absent", indices=["x"], query_delay="90s"))
    assert [a["action"] for a in result["actions"]] == ["delete_datafeed"]


def test_a_calendar_declared_absent_with_members_and_events(es):
    es("PUT", "/_ml/calendars/maint")
    result = _calendar.run(_api(es), {"calendar_id": "maint", "state": "absent", "job_ids": ["j1"],
                                      "events": [{"description": "x", "start_time": 1, "end_time": 2}]})
    assert [a["action"] for a in result["actions"]] == ["delete_calendar"]


def test_a_filter_declared_absent_with_its_items(es):
    es("PUT", "/_ml/filters/safe", {"items": ["a"]})
    result = _filter.run(_api(es), {"filter_id": "safe", "state": "absent", "items": ["a"], "description": "d"})
    assert [a["action"] for a in result["actions"]] == ["delete_filter"]
