"""The catalogue of wrong inputs (issue 7): each is refused before any write, naming the input, or fails with
Elasticsearch's own error verbatim and nothing changed. Destructive states act on exactly the job named."""

from __future__ import annotations

import pytest

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible_collections.mlops.elasticsearch.plugins.module_utils import _anomaly_job, _datafeed
from ansible_collections.mlops.elasticsearch.plugins.module_utils._client import (
    CONNECTION_MUTUALLY_EXCLUSIVE, CONNECTION_REQUIRED_TOGETHER, ElasticsearchError, EsClient, connection_argument_spec)
from ansible_collections.mlops.elasticsearch.plugins.module_utils._job_config import ConfigError
from ansible_collections.mlops.elasticsearch.plugins.module_utils._ml_api import MlApi
from ansible_collections.mlops.elasticsearch.plugins.module_utils._reconcile import ReconcileError
from ansible_collections.mlops.elasticsearch.plugins.modules import ml_anomaly_job, ml_datafeed

from conftest import is_write

AC = {"bucket_span": "15m", "detectors": [{"function": "count", "by_field_name": "host"}]}
# preflight has its own tests (test_preflight.py); these test what the plan does after it
JOB = {"preflight": False, "state": "present", "recreate": False, "force": False, "timeout": None, "wait_for_completion": True,
       "delete_user_annotations": False, "allow_no_match": True}
FEED = {"preflight": False, "state": "present", "recreate": False, "force": False, "timeout": None, "restart": False, "open_job": False}
LOCAL = (ConfigError, ReconcileError)

# (name, module, params, error fragment); every one must fail before any write request.
REFUSED = [
    ("invalid job id", "job", {"job_id": "My Job", "analysis_config": AC}, "job_id 'My Job' is not valid"),
    ("job id too long", "job", {"job_id": "j" * 65, "analysis_config": AC}, "is not valid: use 1 to 64"),
    ("wildcard to delete", "job", {"job_id": "web-*", "state": "absent"}, "only state=closed accepts a wildcard"),
    ("list to reset", "job", {"job_id": "a,b", "state": "reset"}, "only state=closed accepts a wildcard"),
    ("_all to update", "job", {"job_id": "_all", "description": "x", "analysis_config": AC},
     "only state=closed accepts"),
    ("group to delete", "job", {"job_id": "grp", "state": "absent"}, "is a group of 1 jobs (j1), not a job"),
    ("group to reset", "job", {"job_id": "grp", "state": "reset"}, "is a group of 1 jobs"),
    ("group to update", "job", {"job_id": "grp", "analysis_config": AC, "description": "x"}, "is a group of 1 jobs"),
    ("unknown top-level key in a body object", "job", {"job_id": "j9", "analysis_config": dict(AC, span="1h")},
     "analysis_config: unknown key 'span'"),
    ("unknown key deep in a rule", "job", {"job_id": "j9", "analysis_config": {"detectors": [{
        "function": "count",
        "custom_rules": [{"conditions": [{"applies_to": "actual", "operator": "gt", "value": 1, "units": "ms"}]}]}]}},
     "analysis_config.detectors[0].custom_rules[0].conditions[0]: unknown key 'units'"),
    ("wrong type in a detector", "job", {"job_id": "j9", "analysis_config": {"detectors": [{"function": 5}]}},
     "analysis_config.detectors[0].function: expected a string, got an integer"),
    ("wrong type for influencers", "job", {"job_id": "j9", "analysis_config": dict(AC, influencers="host")},
     "analysis_config.influencers: expected a list of strings"),
    ("model memory below 1 MiB", "job", {"job_id": "j9", "analysis_config": AC,
                                         "analysis_limits": {"model_memory_limit": "512kb"}},
     "is below Elasticsearch's minimum of 1 MiB"),
    ("model memory unparsable", "job", {"job_id": "j9", "analysis_config": AC,
                                        "analysis_limits": {"model_memory_limit": "big"}}, "is not a byte size"),
    ("unparsable bucket span", "job", {"job_id": "j9", "analysis_config": dict(AC, bucket_span="15 minutes")},
     "analysis_config.bucket_span: '15 minutes' is not a time value"),
    ("unparsable persist interval", "job", {"job_id": "j9", "analysis_config": AC,
                                            "background_persist_interval": "hourly"}, "is not a time value"),
    ("unparsable timeout", "job", {"job_id": "j1", "state": "opened", "timeout": "soon"}, "timeout: 'soon'"),
    ("body without analysis_config", "job", {"job_id": "j9", "description": "x"}, "analysis_config is required"),
    ("invalid group name", "job", {"job_id": "j9", "analysis_config": AC, "groups": ["Web Team"]},
     "group 'Web Team' is not valid"),
    ("immutable change", "job", {"job_id": "j1", "analysis_config": dict(AC, bucket_span="1h")},
     "analysis_config.bucket_span is '15m', declared '1h'"),
    ("missing job without body", "job", {"job_id": "nope", "state": "opened"}, "No known job with id 'nope'"),
    ("invalid datafeed id", "feed", {"datafeed_id": "Feed!", "job_id": "j1"}, "datafeed_id 'Feed!' is not valid"),
    ("start a datafeed whose job is closed", "feed", {"job_id": "j1", "state": "started"},
     "because job [j1] is closed; open the job first"),
    ("start a missing datafeed without its body", "feed", {"job_id": "j2", "state": "started"},
     "does not exist; give job_id and indices"),
    ("empty indices", "feed", {"job_id": "j1", "indices": []}, "indices: expected a non-empty list"),
    ("aggregations with script fields", "feed", {"job_id": "j1", "indices": ["x"], "aggregations": {"a": {}},
                                                 "script_fields": {"s": {"script": "1"}}}, "cannot be used together"),
    ("unparsable frequency", "feed", {"job_id": "j1", "indices": ["x"], "frequency": "often"}, "is not a time value"),
    ("start with stopped", "feed", {"job_id": "j1", "state": "stopped", "start": "now"}, "start and end apply"),
    ("unknown chunking mode", "feed", {"job_id": "j1", "indices": ["x"], "chunking_config": {"mode": "fast"}},
     "chunking_config.mode: expected auto, manual or off"),
    ("unknown wildcard state", "feed", {"job_id": "j1", "indices": ["x"],
                                        "indices_options": {"expand_wildcards": ["opened"]}}, "is not one of all"),
    ("negative scroll size", "feed", {"job_id": "j1", "indices": ["x"], "scroll_size": -5},
     "scroll_size: expected a non-negative integer"),
    ("move a datafeed to another job", "feed", {"datafeed_id": "datafeed-j1", "job_id": "j2"},
     "Elasticsearch cannot change a datafeed's job"),
]

# (name, module, params, Elasticsearch's message); the rejected request is the only write, and nothing changes.
VERBATIM = [
    ("detector Elasticsearch refuses", "job", {"job_id": "j9", "analysis_config": {"detectors": [{"function": "mean"}]}},
     "400 status_exception: Unless a count or temporal function is used one of field_name, by_field_name or "
     "over_field_name must be set"),
    ("datafeed for a missing job", "feed", {"job_id": "nojob", "indices": ["x"]},
     "404 resource_not_found_exception: No known job with id 'nojob'"),
    ("results index clash with a job id", "job", {"job_id": "j9", "analysis_config": AC, "groups": ["j1"]},
     "400 resource_already_exists_exception: job and group names must be unique but job [j1] and group [j1]"),
]


def _run(es, kind, params):
    api = MlApi(EsClient(hosts=[es.url], retries=0))
    if kind == "job":
        return _anomaly_job.run(api, dict(JOB, **params))
    return _datafeed.run(api, dict(FEED, **params))


def _writes(es):
    return [(e["method"], e["path"]) for e in es.log() if is_write(e)]


@pytest.fixture
def cluster(es):
    es.put_job("j1", {"analysis_config": AC, "groups": ["grp"]})
    es.put_job("j2", {"analysis_config": AC})
    es("PUT", "/_ml/datafeeds/datafeed-j1", {"job_id": "j1", "indices": ["logs"]})
    es.clear_log()
    return es


@pytest.mark.parametrize("name,kind,params,fragment", REFUSED, ids=[c[0] for c in REFUSED])
def test_refused_before_any_write(cluster, name, kind, params, fragment):
    with pytest.raises(LOCAL) as info:
        _run(cluster, kind, params)
    assert fragment in str(info.value), name
    assert _writes(cluster) == []


@pytest.mark.parametrize("name,kind,params,message", VERBATIM, ids=[c[0] for c in VERBATIM])
def test_elasticsearch_errors_verbatim(cluster, name, kind, params, message):
    before = cluster("GET", "/_ml/anomaly_detectors").json
    with pytest.raises(ElasticsearchError) as info:
        _run(cluster, kind, params)
    assert message in str(info.value), name
    assert len(_writes(cluster)) == 1
    assert cluster("GET", "/_ml/anomaly_detectors").json == before


@pytest.mark.parametrize("module,params,message", [
    (ml_anomaly_job, {"job_id": "j", "analysis_config": ["bucket_span"]}, "analysis_config"),
    (ml_anomaly_job, {"job_id": "j", "state": "running"}, "value of state must be one of"),
    (ml_anomaly_job, {"job_id": "j", "results_retention_days": "a week"}, "results_retention_days"),
    (ml_anomaly_job, {"job_id": "j", "username": "u", "api_key": "k"}, "mutually exclusive: username|api_key"),
    (ml_anomaly_job, {"job_id": "j", "hosts": ["a"], "cloud_id": "x:y"}, "mutually exclusive: hosts|cloud_id"),
    (ml_anomaly_job, {"job_id": "j", "client_cert": "/c.pem"}, "required together: client_cert, client_key"),
    (ml_anomaly_job, {"job_id": "j", "bogus": 1}, "bogus"),
    (ml_datafeed, {"job_id": "j", "scroll_size": "lots"}, "scroll_size"),
    (ml_datafeed, {"job_id": "j", "state": "running"}, "value of state must be one of"),
], ids=["dict-as-list", "state", "int", "user+key", "hosts+cloud", "cert-without-key", "unknown-option",
        "feed-int", "feed-state"])
def test_refused_by_the_argument_spec(module, params, message):
    """Types, choices, unknown options and conflicting connection options, refused by Ansible before main() runs."""
    spec = dict(module.argument_spec())
    spec.update(connection_argument_spec())
    result = ArgumentSpecValidator(spec, mutually_exclusive=CONNECTION_MUTUALLY_EXCLUSIVE,
                                   required_together=CONNECTION_REQUIRED_TOGETHER).validate(params)
    errors = " ".join(str(e) for e in result.errors) + " ".join(result.unsupported_parameters)
    assert message in errors


def test_the_catalogue_is_large_enough():
    assert len(REFUSED) + len(VERBATIM) >= 30
