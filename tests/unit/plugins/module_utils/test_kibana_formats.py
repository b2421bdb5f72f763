"""Kibana's module and export formats turned into the role's job list (the filters from_kibana_module and
from_kibana_export), on fixtures written for these tests in Kibana's layouts (tests/fixtures/kibana)."""

from __future__ import annotations

import copy
import json
import os

import pytest

from ansible_collections.mlops.elasticsearch.plugins.filter.kibana_formats import (
    from_kibana_export, from_kibana_module)
from ansible_collections.mlops.elasticsearch.plugins.module_utils._kibana_formats import (
    FormatError, filter_ids, from_export, from_module, merge, prefix_datafeed_id)

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "fixtures", "kibana")


def _json(*path):
    with open(os.path.join(FIXTURES, *path), encoding="utf-8") as handle:
        return json.load(handle)


def _web_module():
    """What the kibana_module lookup reads from tests/fixtures/kibana/mlops_web_ecs."""
    manifest = _json("mlops_web_ecs", "manifest.json")
    files = {}
    for entry in manifest["jobs"] + manifest["datafeeds"]:
        files[entry["file"]] = _json("mlops_web_ecs", "ml", entry["file"])
    return {"manifest": manifest, "files": files}


def _by_id(jobs):
    return dict((j["job_id"], j) for j in jobs)


def test_prefix_datafeed_id_as_kibana():
    assert prefix_datafeed_id("datafeed-low_request_rate", "web-") == "datafeed-web-low_request_rate"
    assert prefix_datafeed_id("message_categories", "web-") == "datafeed-web-message_categories"
    assert prefix_datafeed_id("message_categories", "") == "datafeed-message_categories"


def test_merge_merges_objects_and_replaces_arrays():
    target = {"a": {"b": 1, "c": [1, 2, 3]}, "d": "x"}
    merge(target, {"a": {"c": [9], "e": 2}, "d": None})
    assert target == {"a": {"b": 1, "c": [9], "e": 2}, "d": None}


def test_module_defaults():
    jobs = _by_id(from_module(_web_module(), data_view_id="dv"))
    assert sorted(jobs) == ["low_request_rate", "message_categories", "status_code_rate", "url_scanning"]
    low = jobs["low_request_rate"]
    assert low["datafeed"]["datafeed_id"] == "datafeed-low_request_rate"
    assert low["datafeed"]["config"]["indices"] == ["logs-web-*"]  # the manifest's defaultIndexPattern
    assert "indexes" not in low["datafeed"]["config"] and "job_id" not in low["datafeed"]["config"]
    assert low["config"]["custom_settings"] == {"created_by": "ml-module-mlops-web", "job_revision": 2}
    assert low["datafeed"]["config"]["aggregations"]["buckets"]["aggregations"]["host"] == {
        "terms": {"field": "host", "size": 100}}
    status = jobs["status_code_rate"]["datafeed"]["config"]
    assert "aggs" not in status and status["aggregations"]["buckets"]["composite"]["size"] == 1000
    assert jobs["url_scanning"]["datafeed"]["config"]["indices"] == ["logs-web-*", "logs-archive-web"]
    assert jobs["message_categories"]["datafeed"]["datafeed_id"] == "datafeed-message_categories"
    assert jobs["message_categories"]["config"]["analysis_config"]["per_partition_categorization"] == {
        "enabled": True, "stop_on_warn": True}


def test_module_custom_urls_need_a_data_view():
    with pytest.raises(FormatError, match="job status_code_rate has custom URLs that need a Kibana data view"):
        from_module(_web_module(), data_view_id=None)


def test_module_setup_options():
    module = _web_module()
    before = copy.deepcopy(module)
    jobs = _by_id(from_module(
        module, index_pattern="logs-a-*, logs-b-*", prefix="shop-", groups=["shop", "web"], data_view_id="dv-1",
        query={"term": {"tenant": "shop"}}, dedicated_index=True, state="closed",
        job_overrides=[{"analysis_limits": {"model_memory_limit": "128mb"}},
                       {"job_id": "url_scanning", "analysis_config": {"influencers": ["clientip", "uri"]},
                        "custom_settings": {"job_revision": 4}}],
        datafeed_overrides=[{"scroll_size": 500},
                            {"job_id": "low_request_rate", "query": {"term": {"host": "a"}}},
                            {"datafeed_id": "message_categories", "max_empty_searches": 20}]))
    assert module == before  # the input is not changed
    assert sorted(jobs) == ["shop-low_request_rate", "shop-message_categories", "shop-status_code_rate",
                            "shop-url_scanning"]
    scanning = jobs["shop-url_scanning"]
    assert scanning["state"] == "closed"
    assert scanning["config"]["groups"] == ["shop", "web"]
    assert scanning["config"]["results_index_name"] == "shop-url_scanning"
    assert scanning["config"]["analysis_config"]["influencers"] == ["clientip", "uri"]  # an array replaces
    assert scanning["config"]["analysis_config"]["detectors"][0]["function"] == "high_distinct_count"  # kept
    assert scanning["config"]["custom_settings"] == {"created_by": "ml-module-mlops-web", "job_revision": 4}
    assert all(j["config"]["analysis_limits"]["model_memory_limit"] == "128mb" for j in jobs.values())
    assert jobs["shop-message_categories"]["config"]["analysis_limits"]["categorization_examples_limit"] == 4
    feed = jobs["shop-low_request_rate"]["datafeed"]
    assert feed["datafeed_id"] == "datafeed-shop-low_request_rate"
    assert feed["config"]["indices"] == ["logs-a-*", "logs-b-*"]
    assert feed["config"]["query"] == {"term": {"tenant": "shop"}}  # the setup query comes last, as in Kibana
    assert feed["config"]["scroll_size"] == 500
    assert jobs["shop-message_categories"]["datafeed"]["config"]["max_empty_searches"] == 20
    url = jobs["shop-status_code_rate"]["config"]["custom_settings"]["custom_urls"][0]["url_value"]
    assert "index:'dv-1'" in url and "$earliest$" in url


def test_datafeed_override_query_replaces_and_other_objects_merge():
    jobs = _by_id(from_module(_web_module(), data_view_id="dv", datafeed_overrides={
        "job_id": "low_request_rate", "query": {"term": {"host": "a"}},
        "chunking_config": {"mode": "manual", "time_span": "3h"}}))
    feed = jobs["low_request_rate"]["datafeed"]["config"]
    assert feed["query"] == {"term": {"host": "a"}}
    assert feed["chunking_config"] == {"mode": "manual", "time_span": "3h"}


def test_inline_module_needs_an_index_pattern():
    module = _json("inline_module.json")
    with pytest.raises(FormatError, match="module mlops_metrics_pkg has no defaultIndexPattern: give index_pattern"):
        from_module(module)
    (job,) = from_module(module, index_pattern="metrics-*")
    assert job["job_id"] == "high_cpu" and job["datafeed"]["config"]["indices"] == ["metrics-*"]
    assert job["datafeed"]["config"]["chunking_config"] == {"mode": "manual", "time_span": "1h"}


@pytest.mark.parametrize("kwargs,message", [
    ({"job_overrides": [{"job_id": "nope", "description": "x"}]}, "job_overrides: job nope is not a job of module"),
    ({"datafeed_overrides": [{"job_id": "nope"}]}, "datafeed_overrides: datafeed datafeed-nope is not a datafeed"),
    ({"job_overrides": "big"}, "job_overrides must be an object or a list of objects"),
    ({"prefix": "Web-"}, "prefix 'Web-' would make invalid job ids"),
])
def test_module_bad_options_are_named(kwargs, message):
    with pytest.raises(FormatError, match=message):
        from_module(_web_module(), data_view_id="dv", **kwargs)


def test_module_missing_file_and_bad_shapes():
    module = _web_module()
    del module["files"]["url_scanning.json"]
    with pytest.raises(FormatError, match=r"jobs\[2\] names file url_scanning.json, which is not among"):
        from_module(module)
    with pytest.raises(FormatError, match="has no jobs list"):
        from_module({"manifest": {"id": "x"}})
    with pytest.raises(FormatError, match="the module must be an object"):
        from_module(["x"])


def test_export_list_and_single():
    jobs = _by_id(from_export(_json("export_list.json")))
    latency = jobs["checkout-latency"]
    assert latency["calendars"] == ["mlops-shop-holidays"] and "calendars" not in latency["config"]
    assert latency["datafeed"]["datafeed_id"] == "datafeed-checkout-latency"
    assert "job_id" not in latency["datafeed"]["config"] and "datafeed_id" not in latency["datafeed"]["config"]
    assert latency["config"]["job_version"] == "9.1.0"  # generated keys stay; the role ignores them
    assert jobs["payment-errors"]["datafeed"]["config"]["indices"] == ["shop-metrics"]  # indexes, as ES aliases it
    assert filter_ids(jobs["payment-errors"]["config"]) == ["mlops-test-merchants"]
    (single,) = from_export(_json("export_single.json"))
    assert single["job_id"] == "inventory-drift" and single["datafeed"]["datafeed_id"] == "inventory-feed"


def test_export_rename_prefix_groups():
    jobs = _by_id(from_export(_json("export_list.json"), prefix="prod-", groups=["moved", "shop"],
                              rename={"payment-errors": "payments"}, state="closed"))
    assert sorted(jobs) == ["prod-checkout-latency", "prod-payments"]
    assert jobs["prod-payments"]["datafeed"]["datafeed_id"] == "datafeed-prod-payments"
    assert jobs["prod-payments"]["config"]["groups"] == ["shop", "moved"]
    assert jobs["prod-payments"]["state"] == "closed"
    (single,) = from_export(_json("export_single.json"), rename={"inventory-drift": "inventory"})
    assert single["datafeed"]["datafeed_id"] == "datafeed-inventory"  # renamed: Kibana's import names it after the job


def test_export_of_get_jobs_response_with_datafeed_config():
    response = {"count": 1, "jobs": [{"job_id": "j1", "analysis_config": {"detectors": [{"function": "count"}]},
                                      "data_description": {},
                                      "datafeed_config": {"datafeed_id": "datafeed-j1", "job_id": "j1",
                                                          "indices": ["x"]}}]}
    (job,) = from_export(response)
    assert job["datafeed"] == {"datafeed_id": "datafeed-j1", "config": {"indices": ["x"]}}
    assert "datafeed_config" not in job["config"]


@pytest.mark.parametrize("data,kwargs,message", [
    ([{"job": {"description": "no id"}}], {}, r"export\[0\] has no job with a job_id"),
    ([{"id": "dfa", "dest": {}, "analysis": {}}], {}, r"export\[0\] has no job with a job_id"),
    ([{"job": {"job_id": "a", "job_type": "data_frame_analytics"}}], {}, "is a data_frame_analytics job"),
    ([{"job": {"job_id": "a"}}, {"job": {"job_id": "b"}}], {"rename": {"a": "b"}}, "would both be b"),
    ([{"job": {"job_id": "a"}}], {"rename": {"zz": "b"}}, "rename names zz, which the export does not have"),
])
def test_export_bad_input_is_named(data, kwargs, message):
    with pytest.raises(FormatError, match=message):
        from_export(data, **kwargs)


def test_filters_wrap_errors_for_ansible():
    from ansible.errors import AnsibleFilterError
    with pytest.raises(AnsibleFilterError, match="from_kibana_export: export"):
        from_kibana_export([{"job": {}}])
    with pytest.raises(AnsibleFilterError, match="from_kibana_module: module"):
        from_kibana_module(_json("inline_module.json"))


# -- through the bulk module (what the role runs) --------------------------------------------------------------

def _converge(es, jobs, check=False, **params):
    from ansible_collections.mlops.elasticsearch.plugins.module_utils import _bulk
    from ansible_collections.mlops.elasticsearch.plugins.module_utils._client import EsClient
    from ansible_collections.mlops.elasticsearch.plugins.module_utils._ml_api import MlApi
    warnings = []
    result = _bulk.run(MlApi(EsClient(hosts=[es.url], retries=0)), dict({"jobs": jobs, "preflight": False}, **params),
                       check_mode=check, warn=warnings.append)
    return result, warnings


def _writes(es):
    from conftest import is_write
    return [e for e in es.log() if is_write(e)]


def test_missing_filter_or_calendar_is_refused_before_any_write(es):
    from ansible_collections.mlops.elasticsearch.plugins.module_utils._options import ConfigError
    jobs = from_export(_json("export_list.json"), state="closed")
    es.clear_log()
    with pytest.raises(ConfigError) as info:
        _converge(es, jobs)
    assert str(info.value).startswith(
        "jobs[0] (checkout-latency) needs calendar(s) mlops-shop-holidays; jobs[1] (payment-errors) needs filter(s) "
        "mlops-test-merchants, neither declared nor on the cluster.")
    assert _writes(es) == []
    assert [e["path"] for e in es.log()] == ["/_ml/filters", "/_ml/calendars"]
    declared, _w = _converge(es, jobs, check=True, declared_filters=["mlops-test-merchants"],
                             declared_calendars=["mlops-shop-holidays"])
    assert declared["changed"] is True and _writes(es) == []


def test_skip_missing_dependencies_leaves_the_job_out_and_never_prunes_it(es):
    es("PUT", "/_ml/filters/mlops-test-merchants", {"items": ["m1"]})
    jobs = from_export(_json("export_list.json"), state="closed", groups=["moved"])
    result, warnings = _converge(es, jobs, skip_missing_dependencies=True, managed_group="moved")
    assert [r["job_id"] for r in result["results"]] == ["payment-errors"]
    assert result["skipped"] == [{"job_id": "checkout-latency", "missing_filters": [],
                                  "missing_calendars": ["mlops-shop-holidays"]}]
    assert warnings == ["left out, as skip_missing_dependencies asks: jobs[0] (checkout-latency) needs calendar(s) "
                        "mlops-shop-holidays"]
    es("PUT", "/_ml/calendars/mlops-shop-holidays")
    both, _w = _converge(es, jobs, managed_group="moved")
    assert [r["job_id"] for r in both["results"]] == ["checkout-latency", "payment-errors"]
    es("DELETE", "/_ml/calendars/mlops-shop-holidays")
    again, _w = _converge(es, jobs, skip_missing_dependencies=True, managed_group="moved")
    assert again["pruned"] == [] and es("GET", "/_ml/anomaly_detectors/checkout-latency").status == 200


def test_jobs_without_dependencies_read_no_filters_or_calendars(es):
    (job,) = from_export(_json("export_single.json"), state="closed")
    es.clear_log()
    _converge(es, [job], check=True)
    assert not any(e["path"] in ("/_ml/filters", "/_ml/calendars") for e in es.log())


def test_module_round_trip_through_the_bulk_module(es):
    """Render, converge, re-run as a no-op; read back as an export and declare that: a no-op too."""
    es("PUT", "/_ml/filters/mlops-web-scanners", {"items": ["10.0.0.1"]})
    jobs = from_module(_web_module(), prefix="rt-", data_view_id="dv", state="closed")
    created, _w = _converge(es, jobs)
    assert created["changed"] is True and "failed" not in created
    es.clear_log()
    again, _w = _converge(es, jobs)
    assert again["changed"] is False and _writes(es) == []
    found = es("GET", "/_ml/anomaly_detectors/rt-*").json  # what an export holds: GET's jobs, datafeeds nested
    exported = from_export(found, state="closed")
    assert sorted(j["job_id"] for j in exported) == sorted(j["job_id"] for j in jobs)
    es.clear_log()
    back, _w = _converge(es, exported)
    assert back["changed"] is False and _writes(es) == [], [r.get("changes") for r in back["results"]]
