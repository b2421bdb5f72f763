"""The read-only checks a client can make before it writes: validate a job or a detector, estimate a job's model
memory (ES TransportValidateJobConfigAction, TransportValidateDetectorAction, TransportEstimateModelMemoryAction)."""

from __future__ import annotations

from . import jobs
from . import objparse as op
from .errors import bad_request

MB = 1024 * 1024
KB = 1024
# TransportEstimateModelMemoryAction: bytes per detector function, assuming a split by a partition field
_FUNCTION_BYTES = dict([(f, 32 * KB) for f in ("count", "low_count", "high_count", "non_zero_count",
                                               "low_non_zero_count", "high_non_zero_count")]
                       + [(f, 64 * KB) for f in ("mean", "low_mean", "high_mean", "avg", "low_avg", "high_avg", "min",
                                                 "max", "sum", "low_sum", "high_sum", "non_null_sum",
                                                 "low_non_null_sum", "high_non_null_sum", "median", "low_median",
                                                 "high_median", "varp", "low_varp", "high_varp")]
                       + [("metric", 160 * KB)])


def validate_job(body):
    """``_validate``: the job parsed and built as a create would, nothing stored."""
    job_id = body.get("job_id") if isinstance(body, dict) and isinstance(body.get("job_id"), str) else "validate"
    cfg = jobs.parse_put_body(job_id, body)
    cfg.pop("datafeed_config", None)
    jobs.apply_server_defaults(cfg, 0)
    return {"acknowledged": True}


def validate_detector(body):
    """``_validate/detector``: one detector, parsed and built as in a job."""
    jobs.build_detector(op.parse_object("detector", body, jobs.DETECTOR_FIELDS))
    return {"acknowledged": True}


def estimate(body):
    """``_estimate_model_memory``: 10mb, plus each detector's need (times its by, over and partition cardinalities),
    plus 10kb per value of each influencer that is not also an analysis field, rounded up to whole megabytes."""
    parsed = op.parse_object("estimate_model_memory", body, {
        "analysis_config": op.Field(op.OBJECT, op.raw), "overall_cardinality": op.Field(op.OBJECT, op.raw),
        "max_bucket_cardinality": op.Field(op.OBJECT, op.raw)})
    config = parsed.get("analysis_config")
    if config is None:
        raise bad_request("[analysis_config] is required")
    overall = parsed.get("overall_cardinality") or {}
    per_bucket = parsed.get("max_bucket_cardinality") or {}
    total = 10 * MB
    analysis_fields = set()
    for detector in config.get("detectors") or []:
        function = jobs.SHORTCUTS.get(detector.get("function"), detector.get("function"))
        need = _FUNCTION_BYTES.get(function, 1)
        if detector.get("by_field_name"):
            need *= (_cardinality(detector["by_field_name"], overall, True) + 2) // 3 * 2
        if detector.get("over_field_name"):
            need += _cardinality(detector["over_field_name"], overall, True) * 512
        if detector.get("partition_field_name"):
            need *= _cardinality(detector["partition_field_name"], overall, True)
        total += need
        keys = ("by_field_name", "over_field_name", "partition_field_name", "field_name")
        analysis_fields.update(detector.get(k) for k in keys if detector.get(k))
    for influencer in set(config.get("influencers") or []) - analysis_fields:
        total += 10 * KB * _cardinality(influencer, per_bucket, False)
    if config.get("categorization_field_name"):
        total += 1
    return {"model_memory_estimate": "%dmb" % ((total + MB - 1) // MB)}


def _cardinality(field, given, overall):
    if field in given:
        return int(given[field])
    if field == "mlcategory":
        return 500 if overall else 50
    return 0
