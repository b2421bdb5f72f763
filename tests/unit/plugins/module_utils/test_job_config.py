"""The job normaliser and differ: validation, equivalences against what the server returns, update bodies."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.mlops.elasticsearch.plugins.module_utils._job_config import (ConfigError, desired_body,
                                                                                      differences, update_body)

# Every detector function (ES Detector) with the fields it needs.
FIELD_FUNCTIONS = ["distinct_count", "low_distinct_count", "high_distinct_count", "info_content", "low_info_content",
                   "high_info_content", "metric", "mean", "low_mean", "high_mean", "avg", "low_avg", "high_avg",
                   "median", "low_median", "high_median", "min", "max", "sum", "low_sum", "high_sum", "non_null_sum",
                   "low_non_null_sum", "high_non_null_sum", "varp", "low_varp", "high_varp", "lat_long"]
COUNT_FUNCTIONS = ["count", "low_count", "high_count", "non_zero_count", "low_non_zero_count", "high_non_zero_count",
                   "time_of_day", "time_of_week"]
DETECTORS = ([{"function": f, "field_name": "value"} for f in FIELD_FUNCTIONS]
             + [{"function": f} for f in COUNT_FUNCTIONS]
             + [{"function": "rare", "by_field_name": "process"},
                {"function": "freq_rare", "by_field_name": "uri", "over_field_name": "clientip"},
                {"function": "nzc", "by_field_name": "host"}, {"function": "dc", "field_name": "user"},
                {"function": "low_nzc", "partition_field_name": "region"}, {"function": "high_dc", "field_name": "u"}])


def _job(**analysis):
    config = {"bucket_span": "15m", "detectors": [{"function": "count"}]}
    config.update(analysis)
    config = dict((k, v) for k, v in config.items() if v is not None)
    return {"analysis_config": config, "data_description": {"time_field": "@timestamp"}}


def _created(es, job_id, body):
    reply = es.put_job(job_id, copy.deepcopy(body))
    assert reply.status == 200, reply
    return es("GET", "/_ml/anomaly_detectors/" + job_id).json["jobs"][0]


@pytest.mark.parametrize("detector", DETECTORS, ids=lambda d: d["function"])
def test_every_function_round_trips_without_difference(es, detector):
    """A job declared as created compares equal to what the server returns (ES Detector expansions, Job.toXContent, JobManager.putJob defaults)."""
    body = _job(detectors=[detector], influencers=["host"])
    assert differences(body, _created(es, "fn", body)) == []


@pytest.mark.parametrize("declared,created", [
    ({"bucket_span": "1h"}, {"bucket_span": "60m"}),
    ({"bucket_span": "3600s"}, {"bucket_span": "1h"}),
    ({"bucket_span": "5m"}, {"bucket_span": None}),
    ({"detectors": [{"function": "non_zero_count", "by_field_name": "a"}]},
     {"detectors": [{"function": "nzc", "by_field_name": "a"}]}),
    ({"detectors": [{"function": "count", "detector_index": 7}]}, {"detectors": [{"function": "count"}]}),
    ({"detectors": [{"function": "count", "by_field_name": "a", "use_null": False}]},
     {"detectors": [{"function": "count", "by_field_name": "a"}]}),
    ({"detectors": [{"field_name": "x"}]}, {"detectors": [{"function": "metric", "field_name": "x"}]}),
    ({"detectors": [{"function": "count", "by_field_name": "a", "exclude_frequent": "BY"}]},
     {"detectors": [{"function": "count", "by_field_name": "a", "exclude_frequent": "by"}]}),
    ({"influencers": ["b", "a"]}, {"influencers": ["a", "b", "a"]}),
    ({"model_prune_window": "720h"}, {"model_prune_window": "30d"}),
    ({"categorization_field_name": "message", "categorization_filters": ["\\d+"],
      "detectors": [{"function": "count", "by_field_name": "mlcategory"}]},
     {"categorization_field_name": "message", "categorization_filters": ["\\d+"],
      "detectors": [{"function": "count", "by_field_name": "mlcategory"}]}),
    ({"categorization_field_name": "message", "per_partition_categorization": {"enabled": True},
      "detectors": [{"function": "count", "by_field_name": "mlcategory", "partition_field_name": "app"}]},
     {"categorization_field_name": "message", "per_partition_categorization": {"enabled": True, "stop_on_warn": False},
      "detectors": [{"function": "count", "by_field_name": "mlcategory", "partition_field_name": "app"}]}),
    ({"detectors": [{"function": "count", "by_field_name": "host", "custom_rules": [
        {"scope": {"host": {"filter_id": "safe"}}, "conditions": [{"applies_to": "actual", "operator": "GT", "value": 5}]}]}]},
     {"detectors": [{"function": "count", "by_field_name": "host", "custom_rules": [
         {"actions": ["skip_result"], "scope": {"host": {"filter_id": "safe", "filter_type": "include"}},
          "conditions": [{"applies_to": "actual", "operator": "gt", "value": 5.0}]}]}]}),
], ids=["60m", "3600s", "default-span", "shortcut", "detector-index", "use-null-false", "metric-default",
        "exclude-frequent-case", "influencer-order", "prune-window", "categorization-filters", "per-partition",
        "custom-rules"])
def test_equivalent_spellings(es, declared, created):
    """Different spellings of the same analysis_config are not a difference (ES Job.toXContent, AnalysisConfig,
    Detector, CategorizationAnalyzerConfig)."""
    assert differences(_job(**declared), _created(es, "eq", _job(**created))) == []


@pytest.mark.parametrize("declared,created", [
    ({"analysis_limits": {"model_memory_limit": "1gb"}}, {"analysis_limits": {"model_memory_limit": 1024}}),
    ({"analysis_limits": {"model_memory_limit": "1536kb"}}, {"analysis_limits": {"model_memory_limit": "1mb"}}),
    ({"groups": ["b", "a"]}, {"groups": ["a", "b"]}),
    ({"results_index_name": "custom-shared-x"}, {"results_index_name": "shared-x"}),
    ({"results_index_name": "shared"}, {}),
    ({"data_description": {"time_field": "time", "time_format": "epoch_ms"}}, {"data_description": {}}),
    ({"model_plot_config": {"enabled": True}}, {"model_plot_config": {"enabled": True, "annotations_enabled": True}}),
    ({"background_persist_interval": "2h"}, {"background_persist_interval": "7200s"}),
    ({"custom_settings": {"team": "web"}}, {"custom_settings": {"team": "web", "created_by": "ml-module-x"}}),
], ids=["mml-units", "mml-floor", "groups", "results-index-prefix", "results-index-default", "data-description",
        "plot-annotations", "persist-interval", "created-by"])
def test_equivalent_top_level(es, declared, created):
    body = dict(_job(), **declared)
    server_body = dict(_job(), **created)
    if "data_description" in created:
        server_body["data_description"] = created["data_description"]
    assert differences(body, _created(es, "top", server_body)) == []


def test_only_what_the_user_set_is_compared(es):
    """An option the user leaves out is not compared (the job may have it set elsewhere)."""
    current = _created(es, "subset", dict(_job(), description="made in Kibana", results_retention_days=30,
                                          analysis_limits={"model_memory_limit": "64mb", "categorization_examples_limit": 9}))
    assert differences(dict(_job(), analysis_limits={"model_memory_limit": 64}), current) == []


@pytest.mark.parametrize("change,paths,updatable", [
    ({"description": "new"}, "description", True),
    ({"groups": ["x"]}, "groups", True),
    ({"analysis_limits": {"model_memory_limit": "2gb"}}, "analysis_limits.model_memory_limit", True),
    ({"model_plot_config": {"enabled": True}}, ["model_plot_config.annotations_enabled", "model_plot_config.enabled"],
     True),
    ({"custom_settings": {"a": 1}}, "custom_settings", True),
    ({"results_retention_days": 3}, "results_retention_days", True),
    ({"allow_lazy_open": True}, "allow_lazy_open", True),
    ({"background_persist_interval": "3h"}, "background_persist_interval", True),
    ({"analysis_config": {"bucket_span": "1h", "detectors": [{"function": "count", "by_field_name": "host"}]}},
     "analysis_config.bucket_span", False),
    ({"analysis_config": {"bucket_span": "15m", "detectors": [{"function": "high_count", "by_field_name": "host"}]}},
     "analysis_config.detectors[0].function", False),
    ({"analysis_config": {"bucket_span": "15m",
                          "detectors": [{"function": "count", "by_field_name": "host"}, {"function": "count"}]}},
     "analysis_config.detectors", False),
    ({"analysis_config": {"bucket_span": "15m",
                          "detectors": [{"function": "count", "by_field_name": "host", "detector_description": "hosts"}]}},
     "analysis_config.detectors[0].detector_description", True),
    ({"analysis_config": {"bucket_span": "15m", "detectors": [{"function": "count", "by_field_name": "host", "custom_rules": [
        {"conditions": [{"applies_to": "actual", "operator": "lt", "value": 10}]}]}]}},
     "analysis_config.detectors[0].custom_rules", True),
    ({"analysis_config": {"bucket_span": "15m", "model_prune_window": "60d",
                          "detectors": [{"function": "count", "by_field_name": "host"}]}},
     "analysis_config.model_prune_window", True),
    ({"analysis_config": {"bucket_span": "15m", "influencers": ["host"],
                          "detectors": [{"function": "count", "by_field_name": "host"}]}},
     "analysis_config.influencers", False),
    ({"data_description": {"time_field": "ts"}}, "data_description.time_field", False),
    ({"results_index_name": "mine"}, "results_index_name", False),
])
def test_updatable_or_immutable(es, change, paths, updatable):
    """ES JobUpdate: which differences the update API can apply."""
    base = {"analysis_config": {"bucket_span": "15m", "detectors": [{"function": "count", "by_field_name": "host"}]},
            "data_description": {"time_field": "@timestamp"}}
    current = _created(es, "cls", base)
    declared = dict(base, **change)
    found = differences(declared, current)
    paths = paths if isinstance(paths, list) else [paths]
    assert [(c.path, c.updatable) for c in found] == [(p, updatable) for p in paths]


def test_update_body_sends_only_the_changes(es):
    detectors = [{"function": "count", "by_field_name": "host"}, {"function": "mean", "field_name": "bytes"}]
    base = {"analysis_config": {"bucket_span": "15m", "detectors": detectors},
            "custom_settings": {"created_by": "ml-module-x", "team": "a"}, "description": "old"}
    current = _created(es, "upd", base)
    declared = copy.deepcopy(base)
    declared["custom_settings"] = {"team": "b"}
    declared["analysis_config"]["detectors"][1]["detector_description"] = "bytes"
    declared["analysis_limits"] = {"model_memory_limit": "100mb"}
    body = update_body(differences(declared, current), declared, current)
    assert body == {"custom_settings": {"team": "b", "created_by": "ml-module-x"},
                    "detectors": [{"detector_index": 1, "description": "bytes"}],
                    "analysis_limits": {"model_memory_limit": "100mb"}}
    updated = es("POST", "/_ml/anomaly_detectors/upd/_update", body)
    assert updated.status == 200
    assert differences(declared, updated.json) == []


@pytest.mark.parametrize("params,message", [
    ({"analysis_config": {"detectors": [{"fuction": "count"}]}},
     "analysis_config.detectors[0]: unknown key 'fuction'; expected one of by_field_name, custom_rules"),
    ({"analysis_config": {"detectors": []}}, "analysis_config.detectors: at least one is required"),
    ({"analysis_config": {"bucket_span": "15x", "detectors": [{"function": "count"}]}},
     "analysis_config.bucket_span: '15x' is not a time value"),
    ({"analysis_config": {"detectors": [{"function": "counts"}]}},
     "analysis_config.detectors[0].function: unknown function 'counts'"),
    ({"analysis_config": {"detectors": [{"function": "count", "custom_rules": [{"conditions": [{"applies_to": "actual"}]}]}]}},
     "analysis_config.detectors[0].custom_rules[0].conditions[0]: operator is required"),
    ({"analysis_config": {"detectors": [{"function": "count"}]}, "analysis_limits": {"model_memory_limit": "500kb"}},
     "analysis_limits.model_memory_limit: '500kb' is below Elasticsearch's minimum of 1 MiB"),
    ({"analysis_config": {"detectors": [{"function": "count"}]}, "analysis_limits": {"model_memory_limit": "lots"}},
     "analysis_limits.model_memory_limit: 'lots' is not a byte size"),
    ({"analysis_config": {"detectors": [{"function": "count"}]}, "model_plot_config": {"terms": "a"}},
     "model_plot_config: enabled is required"),
    ({"analysis_config": {"detectors": [{"function": "count"}]}, "groups": ["Web"]}, "group 'Web' is not valid"),
    ({"analysis_config": {"detectors": [{"function": "count", "use_null": "yes"}]}},
     "analysis_config.detectors[0].use_null: expected true or false, got a string"),
    ({"description": "only a description"}, "analysis_config is required to create the job"),
    ({"analysis_config": {"detectors": [{"function": "count"}]}, "data_description": {"time_feild": "t"}},
     "data_description: unknown key 'time_feild'"),
])
def test_bad_input_is_named(params, message):
    """Mistakes fail locally, before any request, naming the path."""
    with pytest.raises(ConfigError) as info:
        desired_body(params)
    assert message in str(info.value)


def test_desired_body_only_takes_what_is_set():
    assert desired_body({"job_id": "x", "state": "present", "description": None}) is None
    body = desired_body({"analysis_config": {"detectors": [{"function": "count"}]}, "groups": None, "job_type": "x"})
    assert body == {"analysis_config": {"detectors": [{"function": "count"}]}}
