"""ml_filter's planner against the emulator (ES MlFilter)."""

from __future__ import annotations

import pytest

from ansible_collections.mlops.elasticsearch.plugins.module_utils._client import ElasticsearchError, EsClient
from ansible_collections.mlops.elasticsearch.plugins.module_utils._filter import run
from ansible_collections.mlops.elasticsearch.plugins.module_utils._job_config import ConfigError
from ansible_collections.mlops.elasticsearch.plugins.module_utils._ml_api import MlApi

F = "/_ml/filters/safe"


def _run(es, check=False, diff=False, **params):
    return run(MlApi(EsClient(hosts=[es.url], retries=0)), dict({"filter_id": "safe", "state": "present"}, **params),
               check_mode=check, diff_mode=diff)


def _log(es):
    return ["%s %s" % (e["method"], e["path"]) for e in es.log()]


def test_create_then_noop_then_difference_only(es):
    planned = _run(es, check=True, diff=True, description="safe", items=["b.com", "a.com", "a.com"])
    assert [a["action"] for a in planned["actions"]] == ["put_filter"]
    assert planned["diff"] == {"before": {}, "after": {"items": ["a.com", "b.com"], "description": "safe"}}
    assert _log(es) == ["GET " + F]
    created = _run(es, description="safe", items=["b.com", "a.com"])
    assert created["filter"] == {"filter_id": "safe", "description": "safe", "items": ["a.com", "b.com"]}
    es.clear_log()
    assert _run(es, description="safe", items=["a.com", "b.com"])["changed"] is False
    assert _log(es) == ["GET " + F]
    updated = _run(es, diff=True, items=["a.com", "c.com"])
    assert updated["actions"][0]["body"] == {"add_items": ["c.com"], "remove_items": ["b.com"]}
    assert updated["filter"]["items"] == ["a.com", "c.com"]
    assert updated["diff"]["before"]["items"] == ["a.com", "b.com"]
    assert updated["filter"]["description"] == "safe"  # left as it is when not given
    described = _run(es, description="")
    assert described["actions"][0]["body"] == {"description": ""}


def test_absent_and_in_use(es):
    _run(es, items=["x"])
    rule = {"scope": {"host": {"filter_id": "safe"}}}
    es.put_job("uses-it", {"analysis_config": {"detectors": [{"function": "count", "by_field_name": "host",
                                                              "custom_rules": [rule]}]}})
    with pytest.raises(ElasticsearchError) as info:
        _run(es, state="absent")
    assert "409 status_exception: Cannot delete filter [safe] currently used by jobs [uses-it]" in str(info.value)
    es("DELETE", "/_ml/anomaly_detectors/uses-it")
    es.clear_log()
    assert _run(es, state="absent", check=True)["changed"] is True and _log(es) == ["GET " + F]
    assert _run(es, state="absent")["filter"] is None
    assert _run(es, state="absent")["changed"] is False


@pytest.mark.parametrize("params,message", [
    ({"filter_id": "Safe"}, "filter_id 'Safe' is not valid"),
    ({"filter_id": "_all"}, "filter_id '_all' is not valid"),
    ({"items": [str(i) for i in range(10001)]}, "Elasticsearch allows at most 10,000"),
])
def test_bad_input_before_any_request(es, params, message):
    with pytest.raises(ConfigError) as info:
        _run(es, **params)
    assert message in str(info.value)
    assert es.log() == []


def test_filters_info(es):
    from ansible_collections.mlops.elasticsearch.plugins.module_utils._info import filters_info  # noqa  pylint: disable=import-outside-toplevel
    _run(es, items=["a"])
    _run(es, filter_id="other", items=["b"])
    api = MlApi(EsClient(hosts=[es.url], retries=0))
    es.clear_log()
    assert [f["filter_id"] for f in filters_info(api, {"filter_id": None})["filters"]] == ["other", "safe"]
    assert len(es.log()) == 1
    assert filters_info(api, {"filter_id": ["saf*"]})["count"] == 1
    assert filters_info(api, {"filter_id": ["missing"]})["filters"] == []  # "is it there?" is answered, not failed
