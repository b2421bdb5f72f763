"""Preflight: before the first write (and in check mode), the plan is checked read-only with Elasticsearch's own
APIs, for what is about to be created or changed only; refusals come before any write, risks are warnings."""

from __future__ import annotations

import pytest

from ansible_collections.mlops.elasticsearch.plugins.module_utils import _anomaly_job, _bulk, _datafeed
from ansible_collections.mlops.elasticsearch.plugins.module_utils._client import EsClient
from ansible_collections.mlops.elasticsearch.plugins.module_utils._ml_api import MlApi
from ansible_collections.mlops.elasticsearch.plugins.module_utils._reconcile import ReconcileError

from conftest import is_write

pytestmark = pytest.mark.usefixtures("sources")

AC = {"bucket_span": "15m", "detectors": [{"function": "count", "by_field_name": "host"}]}
DD = {"time_field": "timestamp"}
T0 = 1767225600000


def _api(es):
    return MlApi(EsClient(hosts=[es.url], retries=0))


def _job(es, check=False, warnings=None, **params):
    warn = (warnings.append if warnings is not None else (lambda message: None))
    return _anomaly_job.run(_api(es), dict({"job_id": "j1", "analysis_config": AC, "data_description": DD}, **params),
                            check_mode=check, warn=warn)


def _feed(es, check=False, warnings=None, **params):
    warn = (warnings.append if warnings is not None else (lambda message: None))
    return _datafeed.run(_api(es), dict({"job_id": "j1"}, **params), check_mode=check, warn=warn)


def _writes(es):
    return ["%s %s" % (e["method"], e["path"]) for e in es.log() if is_write(e)]


def _paths(es):
    return ["%s %s" % (e["method"], e["path"]) for e in es.log()]


@pytest.mark.parametrize("check", [True, False])
def test_a_config_es_refuses_is_refused_before_any_write(es, check):
    """_validate's verdict is the task's failure, in check mode as for real, and nothing is written."""
    bad = {"bucket_span": "15m", "detectors": [{"function": "mean"}]}
    with pytest.raises(ReconcileError) as info:
        _job(es, check=check, analysis_config=bad)
    assert "job [j1] would be refused, so nothing was written (preflight, Elasticsearch's _validate)" in str(info.value)
    assert "POST _ml/anomaly_detectors/_validate: 400" in str(info.value)
    assert info.value.details["preflight"][-1] == {"subject": "job [j1]", "check": "validate", "found": "refused",
                                                   "detail": info.value.details["preflight"][-1]["detail"]}
    assert _writes(es) == []


@pytest.mark.parametrize("check", [True, False])
def test_a_limit_above_the_cluster_maximum_is_refused(es, check):
    """_ml/info limits: a model_memory_limit above xpack.ml.max_model_memory_limit, in ES's words, before any write."""
    es("PUT", "/_cluster/settings", {"persistent": {"xpack.ml.max_model_memory_limit": "256mb"}})
    es.clear_log()
    with pytest.raises(ReconcileError) as info:
        _job(es, check=check, analysis_limits={"model_memory_limit": "512mb"})
    assert ("model_memory_limit [512mb] must be less than the value of the xpack.ml.max_model_memory_limit setting "
            "[256mb]") in str(info.value)
    assert _writes(es) == []


def test_a_job_no_node_can_hold(es):
    """effective_max_model_memory_limit: opening a job larger than any ML node is refused before it is created;
    a lazy one is created and opened with a warning that it will wait."""
    es.settings(ml_node_memory_mb=300)
    with pytest.raises(ReconcileError) as info:
        _job(es, state="opened", analysis_limits={"model_memory_limit": "512mb"})
    assert "model_memory_limit [512mb] is more than any ML node can give a job [260mb]" in str(info.value)
    assert _writes(es) == []
    warnings = []
    result = _job(es, warnings=warnings, state="opened", analysis_limits={"model_memory_limit": "512mb"},
                  allow_lazy_open=True)
    assert result["state"] == "opening"
    assert any("it will wait in opening" in w for w in warnings)


def test_a_limit_below_the_estimate_is_a_warning(es):
    """_estimate_model_memory with the cardinalities given: a declared limit below it is a warning naming both."""
    warnings = []
    result = _job(es, warnings=warnings, analysis_limits={"model_memory_limit": "11mb"},
                  preflight_cardinality={"overall_cardinality": {"host": 3000}})
    assert result["changed"] is True
    # 10mb, plus 32kb for a count times two thirds of the 3,000 hosts (ES TransportEstimateModelMemoryAction)
    assert any("model_memory_limit [11mb] is below Elasticsearch's estimate [73mb]" in w for w in warnings)
    assert [c["check"] for c in result["preflight"]] == ["validate", "estimate_model_memory"]


def test_lowering_the_limit_below_what_the_model_uses(es):
    """ES refuses a model_memory_limit below the model's current size, after the close of an open job; preflight
    refuses it before anything is closed."""
    _job(es, state="opened", analysis_limits={"model_memory_limit": "64mb"})
    es.runtime("j1", model_bytes=40 * 1024 * 1024)
    es.clear_log()
    with pytest.raises(ReconcileError) as info:
        _job(es, state="opened", analysis_limits={"model_memory_limit": "32mb"})
    assert ("model_memory_limit cannot be decreased below current usage; current usage [40mb], update had [32mb]"
            in str(info.value))
    assert _writes(es) == []
    assert es("GET", "/_ml/anomaly_detectors/j1/_stats").json["jobs"][0]["state"] == "opened"


def test_a_datafeed_that_cannot_read_is_refused_before_any_write(es):
    """_preview: a missing index (or an unmapped field, or a query ES refuses) fails the task before the
    datafeed is created; in check mode too."""
    _job(es)
    es.clear_log()
    for check in (True, False):
        with pytest.raises(ReconcileError) as info:
            _feed(es, check=check, indices=["missing"])
        assert "datafeed [datafeed-j1] would not read its data, so nothing was written" in str(info.value)
        assert "cannot retrieve data because index [missing] does not exist" in str(info.value)
    assert _writes(es) == []


def test_a_datafeed_with_no_data_is_a_warning(es):
    """An empty preview over the last preflight_window is a warning; with documents, the report counts them."""
    _job(es)
    warnings = []
    result = _feed(es, warnings=warnings, indices=["logs"])
    assert result["changed"] is True
    assert any("would feed job [j1] no data: its preview over the last 1d found no documents" in w for w in warnings)
    now = es.advance("0s")["now"]
    es.docs("logs", {"timestamp": now - 3600000, "host": "a"})
    result = _feed(es, indices=["logs"], query={"term": {"host": "a"}})
    assert result["preflight"][-1] == {"subject": "datafeed [datafeed-j1]", "check": "preview", "found": "ok",
                                       "detail": "1 rows in the last 1d"}


def test_a_job_created_with_its_datafeed_is_previewed_as_declared(es):
    """A datafeed declared in the job's datafeed_config is previewed with the job's config inline (job_config),
    before the one PUT that creates both."""
    with pytest.raises(ReconcileError) as info:
        _job(es, datafeed_config={"indices": ["missing"]})
    assert "datafeed [j1] would not read its data" in str(info.value)
    assert _writes(es) == []
    assert "POST /_ml/datafeeds/_preview" in _paths(es)


def test_opening_with_a_stopped_datafeed_warns_of_the_idle_close(es):
    """A job opened while its datafeed stays stopped: Elasticsearch will close it once idle past
    xpack.ml.idle_job_auto_close_timeout, and a later run opens it again."""
    _job(es)
    _feed(es, indices=["logs"], preflight=False)
    warnings = []
    _job(es, warnings=warnings, state="opened")
    assert any("idle_job_auto_close_timeout" in w for w in warnings)


def test_no_op_costs_no_preflight(es):
    """Nothing to write, nothing to check: a no-op keeps its minimum requests; a create pays three reads."""
    es.clear_log()
    _job(es)
    assert _paths(es) == ["GET /_ml/anomaly_detectors/j1", "POST /_ml/anomaly_detectors/_validate", "GET /_ml/info",
                          "POST /_ml/anomaly_detectors/_estimate_model_memory", "PUT /_ml/anomaly_detectors/j1"]
    es.clear_log()
    assert "preflight" not in _job(es)
    assert _paths(es) == ["GET /_ml/anomaly_detectors/j1"]


def test_preflight_off(es):
    _job(es, preflight=False)
    assert not any("_validate" in p or "_ml/info" in p for p in _paths(es))


def test_an_api_the_cluster_hides_is_skipped_once(es):
    """A cluster that does not offer an API (serverless answers 410) skips that check, says so once in a warning,
    and goes on."""
    es.fault(method="POST", path="/_ml/anomaly_detectors/_validate", status=410, count=1)
    es.fault(method="GET", path="/_ml/info", status=410, count=1)
    warnings = []
    result = _job(es, warnings=warnings)
    assert result["changed"] is True
    assert len([w for w in warnings if w.startswith("preflight skipped validate")]) == 1
    assert len([w for w in warnings if w.startswith("preflight skipped ml_info")]) == 1
    assert {"subject": "job [j1]", "check": "validate", "found": "skipped"} in result["preflight"]


def test_the_bulk_path_reads_the_limits_once(es):
    """ml_anomaly_jobs runs the same checks for each job it changes, with one _ml/info for all."""
    jobs = [{"job_id": "b%d" % i, "state": "closed", "config": {"analysis_config": AC, "data_description": DD}}
            for i in range(5)]
    result = _bulk.run(_api(es), {"jobs": jobs})
    assert "failed" not in result, result.get("msg")
    assert _paths(es).count("GET /_ml/info") == 1
    assert _paths(es).count("POST /_ml/anomaly_detectors/_validate") == 5
    assert len([c for c in result["preflight"] if c["check"] == "validate"]) == 5
    assert "preflight" not in result["results"][0]


def test_a_start_that_would_open_a_job_no_node_can_hold(es):
    """ml_datafeed with open_job: the job is checked to fit an ML node before it is opened."""
    _job(es, analysis_limits={"model_memory_limit": "512mb"})
    _feed(es, indices=["logs"], preflight=False)
    es.settings(ml_node_memory_mb=300)
    es.clear_log()
    with pytest.raises(ReconcileError) as info:
        _feed(es, state="started", open_job=True)
    assert "it would not open, so nothing was written" in str(info.value)
    assert _writes(es) == []


def test_a_calendar_naming_a_missing_job_is_a_warning(es):
    """A calendar's new members are looked up (allow_no_match=false): Elasticsearch accepts a calendar naming a job
    that does not exist yet (TransportPutCalendarAction checks nothing), so an unknown one is a warning."""
    from ansible_collections.mlops.elasticsearch.plugins.module_utils import _calendar  # pylint: disable=import-outside-toplevel
    _job(es)
    warnings = []
    created = _calendar.run(_api(es), {"calendar_id": "c1", "job_ids": ["j1"]}, warn=warnings.append)
    assert created["preflight"] == [{"subject": "calendar [c1]", "check": "members_exist", "found": "ok"}]
    updated = _calendar.run(_api(es), {"calendar_id": "c1", "job_ids": ["j1", "nope"]}, warn=warnings.append)
    assert updated["changed"] is True
    assert warnings == ["calendar [c1] names a job or group that does not exist (yet): No known job with id 'nope'. "
                        "Elasticsearch accepts it; the calendar applies once such a job exists"]
