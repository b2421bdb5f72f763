"""Clear errors instead of tracebacks or wrong messages.

Every input here once ended in a Python exception or a misleading message. Each must now fail with a message
that names the option, before any request; the fuzz tests then say that no input of those classes can raise
anything else.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.mlops.elasticsearch.plugins.module_utils import _anomaly_job, _bulk, _datafeed
from ansible_collections.mlops.elasticsearch.plugins.module_utils import _datafeed_config, _job_config, _units
from ansible_collections.mlops.elasticsearch.plugins.module_utils._client import ElasticsearchError, EsClient
from ansible_collections.mlops.elasticsearch.plugins.module_utils._job_config import ConfigError
from ansible_collections.mlops.elasticsearch.plugins.module_utils._ml_api import MlApi
from ansible_collections.mlops.elasticsearch.plugins.module_utils._reconcile import ReconcileError

AC = {"bucket_span": "15m", "detectors": [{"function": "count"}]}
# preflight has its own tests (test_preflight.py); these test what the plan does after it
JOB = {"preflight": False, "state": "present", "recreate": False, "force": False, "timeout": None, "wait_for_completion": True,
       "delete_user_annotations": False, "allow_no_match": True, "job_id": "j1"}
FEED = {"preflight": False, "state": "present", "recreate": False, "force": False, "timeout": None, "restart": False, "open_job": False,
        "job_id": "j1", "indices": ["logs"]}


def _api(es, **options):
    options.setdefault("retries", 0)
    options.setdefault("backoff_factor", 0)
    return MlApi(EsClient(hosts=[es.url], **options))


@pytest.mark.parametrize("params,message", [
    ({"analysis_config": dict(AC, bucket_span="nans")}, "analysis_config.bucket_span: 'nans' is not a time value"),
    ({"analysis_config": dict(AC, bucket_span="infs")}, "analysis_config.bucket_span: 'infs' is not a time value"),
    ({"analysis_config": dict(AC, bucket_span="1e400s")}, "analysis_config.bucket_span: '1e400s' is not a time"),
    ({"analysis_config": AC, "analysis_limits": {"model_memory_limit": float("inf")}},
     "analysis_limits.model_memory_limit: inf is not a byte size"),
    ({"analysis_config": AC, "analysis_limits": {"model_memory_limit": float("nan")}}, "is not a byte size"),
    ({"analysis_config": {"detectors": [{"function": "count", "custom_rules": [{"conditions": [
        {"applies_to": "actual", "operator": "gt", "value": float("nan")}]}]}]}},
     "conditions[0].value: expected a finite number, got nan"),
    ({"analysis_config": {"detectors": [{"function": "count", "custom_rules": [{"conditions": [
        {"applies_to": "actual", "operator": "gt", "value": float("inf")}]}]}]}}, "expected a finite number, got inf"),
])
def test_job_values_that_once_raised(es, params, message):
    with pytest.raises(ConfigError) as info:
        _anomaly_job.run(_api(es), dict(JOB, **params))
    assert message in str(info.value)
    assert es.log() == []


@pytest.mark.parametrize("params,message", [
    ({"state": "started", "start": "yesterday"}, "start: 'yesterday' is not a date"),
    ({"state": "started", "end": "2026-13-45"}, "end: '2026-13-45' is not a date"),
    ({"state": "started", "start": "now-1x"}, "start: 'now-1x' is not a date"),
    ({"state": "started", "start": "2026-02-01T00:00:00Z", "end": "2026-01-01T00:00:00Z"},
     "end (2026-01-01T00:00:00Z) must be after start (2026-02-01T00:00:00Z)"),
    ({"state": "started", "start": 1767225600000, "end": 1767225600000}, "must be after start"),
])
def test_a_datafeed_window_is_checked_before_the_datafeed_is_created(es, params, message):
    es.put_job("j1")
    es.clear_log()
    with pytest.raises(ConfigError) as info:
        _datafeed.run(_api(es), dict(FEED, **params))
    assert message in str(info.value)
    assert es.log() == []


@pytest.mark.parametrize("start", ["now", "now-1d", "now-2h/d", "2026-01-01T00:00:00Z", "1767225600000"])
def test_datafeed_starts_es_accepts(start):
    _datafeed.declare(dict(FEED, state="started", start=start), lambda m: None)


@pytest.mark.parametrize("options,message", [
    ({"request_timeout": 0}, "request_timeout must be a number of seconds above 0, got 0"),
    ({"request_timeout": -1}, "request_timeout must be a number of seconds above 0, got -1"),
    ({"request_timeout": float("nan")}, "request_timeout must be a number of seconds above 0, got nan"),
    ({"retries": -2}, "retries must be a whole number of 0 or more"),
    ({"hosts": ["http://127.0.0.1:99999"]}, "hosts entry 'http://127.0.0.1:99999' is not an http(s) URL"),
    ({"hosts": ["http://es 1.example.com:9200"]}, "hosts entry 'http://es 1.example.com:9200' is not an http(s) URL"),
    ({"hosts": ["https://elastic:s3cret@127.0.0.1:99999"]}, "hosts entry 'https://127.0.0.1:99999'"),
    ({"ca_path": "/nonexistent/ca.pem"}, "ca_path /nonexistent/ca.pem is not a file that exists here"),
])
def test_connection_values_that_once_raised(options, message):
    options.setdefault("hosts", ["http://127.0.0.1:9200"])
    with pytest.raises(ElasticsearchError) as info:
        EsClient(**options)
    assert message in str(info.value)
    assert "s3cret" not in str(info.value)


def test_es_caused_by_chain_is_in_the_message(es):
    """ES often says why only in caused_by: "failed to parse field [analysis_config]" alone is not actionable."""
    with pytest.raises(ElasticsearchError) as info:
        _anomaly_job.run(_api(es), dict(JOB, analysis_config=dict(AC, bucket_span="0s")))
    assert "failed to parse field [analysis_config]; caused by illegal_argument_exception: bucket_span cannot be " \
           "less or equal than 0" in str(info.value)


def test_starting_a_datafeed_of_a_missing_job_says_so(es):
    with pytest.raises(ReconcileError) as info:
        _datafeed.run(_api(es), dict(FEED, job_id="nope", state="started", open_job=True), check_mode=True)
    assert "because its job [nope] does not exist" in str(info.value)


def test_tls_verification_failure_is_not_retried(tls_server):
    server, paths = tls_server
    warnings = []
    client = EsClient(hosts=[server.url], ca_path=paths["other_ca"], retries=3, backoff_factor=0,
                      warn=warnings.append)
    with pytest.raises(ElasticsearchError) as info:
        client.request("GET", "/_ml/info")
    assert "TLS connection" in str(info.value)
    assert client.retry_log == [] and client.retry_summary() is None


def test_retry_count_is_exact(es):
    """Two 503s then success is two retries; three 503s with retries=2 is two retries, not three."""
    es.fault(method="GET", path="/_ml/info", count=2, status=503, retry_after=0)
    client = EsClient(hosts=[es.url], retries=2, backoff_factor=0)
    client.request("GET", "/_ml/info")
    assert len(client.retry_log) == 2
    es.fault(method="GET", path="/_ml/info", count=3, status=503, retry_after=0)
    client = EsClient(hosts=[es.url], retries=2, backoff_factor=0)
    with pytest.raises(ElasticsearchError):
        client.request("GET", "/_ml/info")
    assert len(client.retry_log) == 2


def test_no_capacity_429_is_final_and_a_rejection_429_is_retried(es):
    """ES answers "no ML nodes with sufficient capacity" with 429 status_exception: that is the job's answer, and
    waiting changes nothing, so it is not retried; a full queue (es_rejected_execution_exception) is."""
    es.put_job("big", {"analysis_config": AC})
    es.settings(max_open_jobs=0)
    es.clear_log()
    slept = []
    client = EsClient(hosts=[es.url], retries=3, backoff_factor=1, sleep=slept.append)
    with pytest.raises(ElasticsearchError) as info:
        client.request("POST", "/_ml/anomaly_detectors/big/_open", idempotent=False)
    assert info.value.status == 429 and "sufficient capacity" in str(info.value)
    assert len(es.log()) == 1 and slept == [] and client.retry_log == []
    es.fault(method="GET", path="/_ml/info", count=2, status=429)
    client.request("GET", "/_ml/info")
    assert slept == [1, 2] and [r["reason"] for r in client.retry_log] == ["HTTP 429", "HTTP 429"]


def test_a_fleet_on_a_full_cluster_fails_fast_with_a_summary(es):
    """Jobs that find no ML node with room fail at once (not after each one's backoff), and the failure is a
    summary: counts, the shared reason once with the jobs it struck, the first failures in full."""
    es.settings(max_open_jobs=1)
    jobs = [{"job_id": "j%02d" % i, "config": {"analysis_config": AC}} for i in range(12)]
    slept = []
    api = MlApi(EsClient(hosts=[es.url], retries=3, backoff_factor=1, sleep=slept.append))
    result = _bulk.run(api, {"jobs": jobs, "preflight": False})
    assert slept == []
    assert result["failed"] is True and len(result["failed_jobs"]) == 11
    assert result["msg"].startswith("11 of 12 jobs could not be converged (1 converged). 11: status_exception: ")
    # which job got the one slot depends on which open came first (jobs are written at once, parallelism); the
    # others are listed in declaration order, ten of them and a count
    failed = [j["job_id"] for j in jobs if j["job_id"] in result["failed_jobs"]]
    assert "[%s and 1 more]" % ", ".join(failed[:10]) in result["msg"]
    assert result["msg"].count("First failures") == 1 and len(result["msg"]) < 3000
    assert all("job" not in r for r in result["results"])  # bodies are not printed with a failure


# -- fuzzing: no input of these classes raises anything but the error that names it ------------------------------

JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
                    max_leaves=8)
WORDS = st.sampled_from(["15m", "1h", "0", "-1", "nan", "inf", "1e400s", "1.5h", "", " ", "-5m", "64mb", "1gb",
                         "512kb", ".inf", "abc", "1x"])
VALUE = JSON | WORDS | st.floats(allow_nan=True, allow_infinity=True)
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.dictionaries(st.sampled_from(_job_config.BODY_OPTIONS), VALUE, min_size=1, max_size=4),
       st.dictionaries(st.sampled_from(["bucket_span", "detectors", "influencers", "latency", "model_prune_window",
                                        "categorization_filters", "per_partition_categorization"]), VALUE, max_size=3))
def test_fuzz_job_body(body, analysis):
    body = dict(body)
    if isinstance(body.get("analysis_config"), dict) or analysis:
        body["analysis_config"] = dict(AC, **analysis)
    try:
        _job_config.desired_body(body)
    except ConfigError:
        pass


@FUZZ
@given(st.dictionaries(st.sampled_from(_datafeed_config.BODY_OPTIONS), VALUE, min_size=1, max_size=4))
def test_fuzz_datafeed_body(body):
    try:
        _datafeed_config.desired_body(body)
    except ConfigError:
        pass


@FUZZ
@given(st.lists(st.dictionaries(st.sampled_from(["job_id", "state", "config", "recreate", "force", "datafeed"]),
                                VALUE, max_size=5) | VALUE, max_size=3))
def test_fuzz_bulk_elements(jobs):
    try:
        _bulk.declared(jobs)
    except ConfigError:
        pass


@FUZZ
@given(VALUE)
def test_fuzz_units(value):
    for parse in (_units.parse_duration, _units.parse_mib):
        try:
            result = parse(value)
        except _units.UnitError:
            continue
        assert isinstance(result, int) and math.isfinite(result)


@FUZZ
@given(st.one_of(st.text(max_size=30),
                 st.sampled_from(["http://h:99999", "https://[::1", "http://a b", "h:0", "ftp://x", "http://:9200"])),
       st.one_of(st.floats(), st.integers(), st.text(max_size=4)))
def test_fuzz_connection(host, timeout):
    try:
        EsClient(hosts=[host], request_timeout=timeout)
    except ElasticsearchError:
        pass
