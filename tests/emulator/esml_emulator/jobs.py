"""Anomaly-detection job configs: strict parsing, validation, defaults and updates (ES Job, AnalysisConfig, Detector, JobUpdate)."""

from __future__ import annotations

import re

from . import objparse as op
from .errors import IllegalArgument, ResourceAlreadyExists, StatusException, bad_request
from .values import (MIB, NANOS, format_grouped, human_bytes, human_time, invalid_id_message, parse_bytes,
                     parse_time, valid_id)

# ES DetectorFunction: the names and shortcuts.
SHORTCUTS = {"nzc": "non_zero_count", "low_nzc": "low_non_zero_count", "high_nzc": "high_non_zero_count",
             "dc": "distinct_count", "low_dc": "low_distinct_count", "high_dc": "high_distinct_count"}
COUNT_WITHOUT_FIELD = {"count", "low_count", "high_count", "non_zero_count", "low_non_zero_count",
                       "high_non_zero_count", "time_of_day", "time_of_week"}
FIELD_NAME_FUNCTIONS = {"distinct_count", "low_distinct_count", "high_distinct_count", "info_content",
                        "low_info_content", "high_info_content", "metric", "mean", "low_mean", "high_mean", "avg",
                        "low_avg", "high_avg", "median", "low_median", "high_median", "min", "max", "sum", "low_sum",
                        "high_sum", "non_null_sum", "low_non_null_sum", "high_non_null_sum", "varp", "low_varp",
                        "high_varp", "lat_long"}
BY_FIELD_FUNCTIONS = {"rare", "freq_rare"}
OVER_FIELD_FUNCTIONS = {"freq_rare"}
NO_OVER_FIELD_FUNCTIONS = {"non_zero_count", "low_non_zero_count", "high_non_zero_count"}
FUNCTIONS = COUNT_WITHOUT_FIELD | FIELD_NAME_FUNCTIONS | BY_FIELD_FUNCTIONS | {"rare"}
RULE_TIME_ONLY_FUNCTIONS = {"lat_long", "metric", "rare", "freq_rare"}

# ES CategorizationAnalyzerConfig, TransportMlInfoAction: the default categorization analyzer (8.x).
STOP_WORDS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "Mon", "Tue", "Wed",
              "Thu", "Fri", "Sat", "Sun", "January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul",
              "Aug", "Sep", "Oct", "Nov", "Dec", "GMT", "UTC"]


def default_categorization_analyzer(filters=None):
    char_filter = ["first_line_with_letters"]
    char_filter += [{"type": "pattern_replace", "pattern": f} for f in (filters or [])]
    return {"char_filter": char_filter, "tokenizer": "ml_standard",
            "filter": [{"type": "stop", "stopwords": list(STOP_WORDS)}, {"type": "limit", "max_token_count": "100"}]}


class TimeSpan:
    """A time value as ES keeps it: the nanoseconds and the text the user sent (echoed back, Job.toXContent, JobManager.putJob)."""

    def __init__(self, text, setting):
        self.nanos = parse_time(text, setting)
        self.text = text

    def __str__(self):
        return human_time(self.nanos)

    @property
    def seconds(self):
        return self.nanos // NANOS["s"]


def _time(setting):
    return lambda value, _ctx: TimeSpan(value, setting)


# ---------------------------------------------------------------------------------------------------------------
# Detectors and rules (ES Detector)

_WORD = re.compile(r"[a-zA-Z0-9_]+\Z")


def _quote(field):
    """MlStrings.doubleQuoteIfNotAlphaNumeric."""
    if _WORD.match(field):
        return field
    return '"' + field.replace("\\", "\\\\").replace('"', '\\"') + '"'


def default_description(det):
    """DefaultDetectorDescription.of (ES Job.toXContent, JobManager.putJob)."""
    out = det["function"]
    if det.get("field_name"):
        out += "(%s)" % _quote(det["field_name"])
    if det.get("by_field_name"):
        out += " by " + _quote(det["by_field_name"])
    if det.get("over_field_name"):
        out += " over " + _quote(det["over_field_name"])
    if det.get("use_null"):
        out += " usenull=true"
    if det.get("partition_field_name"):
        out += " partitionfield=" + _quote(det["partition_field_name"])
    if det.get("exclude_frequent"):
        out += " excludefrequent=" + det["exclude_frequent"]
    return out


def _function(value, _ctx):
    name = SHORTCUTS.get(value, value)
    if name not in FUNCTIONS:
        raise IllegalArgument("Unknown function '%s'" % value)
    return name


def _exclude_frequent(value, _ctx):
    lowered = value.lower()
    if lowered not in ("all", "none", "by", "over"):
        raise IllegalArgument("Unknown exclude_frequent value [%s]" % value)
    return lowered


def _condition(node, _ctx):
    fields = {
        "applies_to": op.Field(op.STRING, _choice("applies_to", ("actual", "typical", "diff_from_typical", "time"))),
        "operator": op.Field(op.STRING, _choice("operator", ("gt", "gte", "lt", "lte"))),
        "value": op.Field(op.NUMBER, lambda v, c: float(v)),
    }
    parsed = op.parse_object("rule_condition", node, fields)

    def build():
        for required in ("applies_to", "operator", "value"):
            if required not in parsed:
                raise IllegalArgument("Required [%s]" % required)
        return {"applies_to": parsed["applies_to"], "operator": parsed["operator"], "value": parsed["value"]}
    return op.built(node, build)


def _choice(name, choices):
    def convert(value, _ctx):
        if value.lower() not in choices:
            raise IllegalArgument("Unknown %s [%s]" % (name, value))
        return value.lower()
    return convert


def _scope(node, _ctx):
    out = {}
    for field, spec in node.items():
        if not isinstance(spec, dict):
            raise IllegalArgument("scope field [%s] must be an object" % field)
        parsed = op.parse_object("filter_ref", spec, {
            "filter_id": op.Field(op.STRING),
            "filter_type": op.Field(op.STRING, _choice("filter_type", ("include", "exclude"))),
        })
        if "filter_id" not in parsed:
            raise op.FailedAt(spec.end_pos, IllegalArgument("Required [filter_id]"))
        out[field] = {"filter_id": parsed["filter_id"], "filter_type": parsed.get("filter_type", "include")}
    return out


def _actions(value, ctx):
    check = _choice("actions", ("skip_result", "skip_model_update"))
    return [check(action, ctx) for action in op.string_list(value)]


def _rule(node, _ctx):
    parsed = op.parse_object("detection_rule", node, {
        "actions": op.Field(op.STRING_ARRAY, _actions),
        "scope": op.Field(op.OBJECT, _scope),
        "conditions": op.Field(op.OBJECT_ARRAY, lambda v, c: [_condition(item, c) for item in op.as_list(v)]),
    })
    rule = {"actions": parsed.get("actions") or ["skip_result"]}
    if parsed.get("scope"):
        rule["scope"] = parsed["scope"]
    if parsed.get("conditions"):
        rule["conditions"] = parsed["conditions"]
    return rule


def _rules(value, ctx):
    return [_rule(item, ctx) for item in op.as_list(value)]


def validate_rules(det):
    function = det["function"]
    scope_fields = [det[k] for k in ("by_field_name", "over_field_name", "partition_field_name") if det.get(k)]
    for rule in det.get("custom_rules") or []:
        if not rule.get("scope") and not rule.get("conditions"):
            raise bad_request("Invalid detector rule: at least scope or a condition is required")
        for field in rule.get("scope", {}):
            if not scope_fields:
                raise bad_request("Invalid detector rule: detector has no available fields for scoping")
            if field not in scope_fields:
                raise bad_request("Invalid detector rule: scope field '%s' is invalid; select from [%s]"
                                  % (field, ", ".join(sorted(scope_fields))))
        if function in RULE_TIME_ONLY_FUNCTIONS:
            for cond in rule.get("conditions", []):
                if cond["applies_to"] != "time":
                    raise bad_request("Invalid detector rule: function %s only supports conditions that apply to time" % function)


def _verify_field_name(name):
    if name is None:
        return
    if '"' in name or "\\" in name or any(ord(ch) < 32 for ch in name):
        raise bad_request("Invalid field name '%s'. Field names including over, by and partition fields cannot contain "
                          "any of these characters: \",\\" % name)


DETECTOR_FIELDS = {
    "detector_description": op.Field(op.STRING),
    "function": op.Field(op.STRING, _function),
    "field_name": op.Field(op.STRING),
    "by_field_name": op.Field(op.STRING),
    "over_field_name": op.Field(op.STRING),
    "partition_field_name": op.Field(op.STRING),
    "use_null": op.Field(op.BOOLEAN, op.to_bool),
    "exclude_frequent": op.Field(op.STRING, _exclude_frequent),
    "custom_rules": op.Field(op.OBJECT_ARRAY, _rules),
    "detector_index": op.Field(op.NUMBER, op.to_int),
}


def build_detector(parsed):
    """Detector.Builder.build (ES Detector): validation in ES's order, then the output shape of ES Job.toXContent, JobManager.putJob."""
    det = {k: parsed[k] for k in ("function", "field_name", "by_field_name", "over_field_name",
                                  "partition_field_name", "use_null", "exclude_frequent", "custom_rules")
           if parsed.get(k) not in (None, "")}
    det.setdefault("function", "metric")
    function = det["function"]
    has_field, has_by, has_over = (bool(det.get(k)) for k in ("field_name", "by_field_name", "over_field_name"))
    if not (has_field or has_by or has_over) and function not in COUNT_WITHOUT_FIELD:
        raise bad_request("Unless a count or temporal function is used one of field_name, by_field_name or "
                          "over_field_name must be set")
    if not has_field and function in FIELD_NAME_FUNCTIONS:
        raise bad_request("field_name must be set when the '%s' function is used" % function)
    if has_field and function not in FIELD_NAME_FUNCTIONS:
        raise bad_request("field_name cannot be used with function '%s'" % function)
    if not has_by and function in BY_FIELD_FUNCTIONS:
        raise bad_request("by_field_name must be set when the '%s' function is used" % function)
    if has_over and function in NO_OVER_FIELD_FUNCTIONS:
        raise bad_request("over_field_name cannot be used with function '%s'" % function)
    if not has_over and function in OVER_FIELD_FUNCTIONS:
        raise bad_request("over_field_name must be set when the '%s' function is used" % function)
    for key in ("field_name", "by_field_name", "over_field_name", "partition_field_name"):
        _verify_field_name(det.get(key))
    for key in ("by_field_name", "over_field_name"):
        if det.get(key) in ("count", "by", "over"):
            raise bad_request("'%s' is not a permitted value for %s" % (det[key], key))
    pairs = (("partition_field_name", "by_field_name"), ("partition_field_name", "over_field_name"),
             ("by_field_name", "over_field_name"))
    for first, second in pairs:
        if det.get(first) and det.get(first) == det.get(second):
            raise bad_request("%s and %s cannot be the same: '%s'" % (first, second, det[first]))
    validate_rules(det)
    if not det.get("use_null"):
        det.pop("use_null", None)
    if not det.get("custom_rules"):
        det.pop("custom_rules", None)
    description = parsed.get("detector_description")
    out = {"detector_description": description if description is not None else default_description(det)}
    for key in ("function", "field_name", "by_field_name", "over_field_name", "partition_field_name",
                "use_null", "exclude_frequent", "custom_rules"):
        if key in det:
            out[key] = det[key]
    return out


def _detector(node, ctx):
    parsed = op.parse_object("detector", node, DETECTOR_FIELDS, ctx)
    return op.built(node, lambda: build_detector(parsed))


def _detectors(value, ctx):
    return [_detector(item, ctx) for item in op.as_list(value)]


# ---------------------------------------------------------------------------------------------------------------
# analysis_config (ES AnalysisConfig)

def _per_partition(node, _ctx):
    parsed = op.parse_object("per_partition_categorization", node, {
        "enabled": op.Field(op.BOOLEAN, op.to_bool), "stop_on_warn": op.Field(op.BOOLEAN, op.to_bool)})
    return {"enabled": parsed.get("enabled", False), "stop_on_warn": parsed.get("stop_on_warn", False)}


def _regex_ok(pattern):
    try:
        re.compile(pattern)
        return True
    except re.error:
        return False


def term_fields(detectors, influencers):
    out = set(influencers)
    for det in detectors:
        for key in ("by_field_name", "over_field_name", "partition_field_name"):
            if det.get(key):
                out.add(det[key])
    return out


def analysis_fields(cfg):
    out = term_fields(cfg["detectors"], cfg.get("influencers", []))
    for det in cfg["detectors"]:
        if det.get("field_name"):
            out.add(det["field_name"])
    for key in ("summary_count_field_name", "categorization_field_name"):
        if cfg.get(key):
            out.add(cfg[key])
    return out


ANALYSIS_CONFIG_FIELDS = {
    "bucket_span": op.Field(op.STRING, _time("bucket_span")),
    "categorization_field_name": op.Field(op.STRING),
    "categorization_filters": op.Field(op.STRING_ARRAY, op.string_list),
    "categorization_analyzer": op.Field(op.OBJECT_OR_STRING, op.raw),
    "per_partition_categorization": op.Field(op.OBJECT, _per_partition),
    "latency": op.Field(op.STRING, _time("latency")),
    "summary_count_field_name": op.Field(op.STRING),
    "detectors": op.Field(op.OBJECT_ARRAY, _detectors),
    "influencers": op.Field(op.STRING_ARRAY, op.string_list),
    "multivariate_by_fields": op.Field(op.BOOLEAN, op.to_bool),
    "model_prune_window": op.Field(op.STRING, _time("model_prune_window")),
}


def _check_positive_multiple(span, setting, allow_zero=False):
    """TimeUtils.checkPositiveMultiple / checkNonNegativeMultiple (IllegalArgumentException)."""
    if span.nanos < 0 or (span.nanos == 0 and not allow_zero):
        word = "cannot be less than 0" if allow_zero else "cannot be less or equal than 0"
        raise IllegalArgument("%s %s. Value = %s" % (setting, word, span))
    if span.nanos % NANOS["s"]:
        raise IllegalArgument("%s has to be a multiple of 1s; actual was '%s'" % (setting, span))


def build_analysis_config(parsed):
    """AnalysisConfig.Builder.build, in ES's order of checks."""
    cfg = dict(parsed)
    bucket_span = cfg.get("bucket_span") or TimeSpan("5m", "bucket_span")
    cfg["bucket_span"] = bucket_span
    _check_positive_multiple(bucket_span, "bucket_span")
    window = cfg.get("model_prune_window")
    if window is not None:
        verify_model_prune_window(window, bucket_span)
    if cfg.get("latency") is not None:
        _check_positive_multiple(cfg["latency"], "latency", allow_zero=True)
    detectors = cfg.get("detectors")
    if not detectors:
        raise bad_request("No detectors configured")
    for index, det in enumerate(detectors):
        det["detector_index"] = index
    _verify_field_name(cfg.get("summary_count_field_name"))
    _verify_field_name(cfg.get("categorization_field_name"))
    terms = set()
    for det in detectors:
        terms.update(det.get(k) for k in ("by_field_name", "over_field_name", "partition_field_name") if det.get(k))
    ml_category = "mlcategory" in terms
    category_field = cfg.get("categorization_field_name")
    if ml_category and category_field is None:
        raise bad_request("categorization_field_name must be set for mlcategory to be available")
    if category_field is not None and not ml_category:
        raise bad_request("categorization_field_name is set but mlcategory is not used in any detector by/over/partition field")
    if cfg.get("categorization_analyzer") is not None and category_field is None:
        raise bad_request("categorization_analyzer requires setting categorization_field_name")
    filters = cfg.get("categorization_filters")
    if filters:
        if cfg.get("categorization_analyzer") is not None:
            raise bad_request("categorization_filters cannot be used with categorization_analyzer - instead specify them "
                              "as pattern_replace char_filters in the analyzer")
        if category_field is None:
            raise bad_request("categorization_filters require setting categorization_field_name")
        if len(set(filters)) != len(filters):
            raise bad_request("categorization_filters contain duplicates")
        if any(f == "" for f in filters):
            raise bad_request("categorization_filters are not allowed to contain empty strings")
        for pattern in filters:
            if not _regex_ok(pattern):
                raise bad_request("categorization_filters contains invalid regular expression '%s'" % pattern)
    ppc = cfg.get("per_partition_categorization") or {"enabled": False, "stop_on_warn": False}
    cfg["per_partition_categorization"] = ppc
    if ppc["enabled"]:
        if category_field is None:
            raise bad_request("categorization_field_name must be set when per-partition categorization is enabled")
        seen = None
        for det in detectors:
            partition = det.get("partition_field_name")
            if "mlcategory" in (det.get("by_field_name"), det.get("over_field_name"), partition):
                if partition == "mlcategory":
                    raise bad_request("mlcategory cannot be used as a partition_field_name when per-partition categorization is enabled")
                if partition is None:
                    raise bad_request("partition_field_name must be set for detectors that reference mlcategory when "
                                      "per-partition categorization is enabled")
            if partition is not None:
                if seen is not None and seen != partition:
                    raise bad_request("partition_field_name cannot vary between detectors when per-partition "
                                      "categorization is enabled: [%s] and [%s] are used" % (seen, partition))
                seen = partition
    if cfg.get("summary_count_field_name") and any(d["function"] == "metric" for d in detectors):
        raise bad_request("The 'metric' function cannot be used in jobs that will take pre-summarized input")
    previous = None
    for field in sorted(term_fields(detectors, cfg.get("influencers", []))):
        if previous is not None and field.startswith(previous + "."):
            raise bad_request("Fields [%s] and [%s] cannot both be used in the same analysis_config" % (previous, field))
        previous = field
    cfg.setdefault("influencers", [])
    return cfg


def verify_model_prune_window(window, bucket_span):
    if bucket_span.seconds and window.seconds % bucket_span.seconds:
        raise bad_request("model_prune_window [%s] must be a multiple of bucket_span [%s]" % (window, bucket_span))
    if bucket_span.seconds and window.seconds // bucket_span.seconds < 2:
        raise bad_request("model_prune_window [%s] must be at least 2 times greater than bucket_span [%s]"
                          % (window, bucket_span))


def _analysis_config(node, ctx):
    parsed = op.parse_object("analysis_config", node, ANALYSIS_CONFIG_FIELDS, ctx)
    return op.built(node, lambda: build_analysis_config(parsed))


# ---------------------------------------------------------------------------------------------------------------
# analysis_limits (ES AnalysisLimits), data_description (ES DataDescription), model_plot_config (ES Job)

def _mml(value, _ctx):
    if isinstance(value, str):
        return parse_bytes(value, "model_memory_limit") // MIB
    if isinstance(value, bool):
        raise IllegalArgument("Unsupported token [VALUE_BOOLEAN]")
    return int(value)


def _analysis_limits(node, _ctx):
    parsed = op.parse_object("analysis_limits", node, {
        "model_memory_limit": op.Field(op.VALUE, _mml),
        "categorization_examples_limit": op.Field(op.NUMBER, op.to_int)})

    def build():
        mml = parsed.get("model_memory_limit")
        if mml is not None and mml < 1:
            raise bad_request("model_memory_limit must be at least 1 MiB. Value = %d" % mml)
        cel = parsed.get("categorization_examples_limit")
        if cel is not None and cel < 0:
            raise bad_request("categorization_examples_limit cannot be less than 0. Value = %d" % cel)
        return parsed
    return op.built(node, build)


_JAVA_PATTERN_LETTERS = set("GuyDMLdQqYwWEecFahKkHmsSAnNVzOXxZpv")


def _time_format(value, _ctx):
    if value in ("epoch", "epoch_ms"):
        return value
    in_quote = False
    for char in value:
        if char == "'":
            in_quote = not in_quote
        elif not in_quote and char.isalpha() and char not in _JAVA_PATTERN_LETTERS:
            raise IllegalArgument("Invalid Time format string '%s'" % value)
    return value


def _data_description(node, _ctx):
    parsed = op.parse_object("data_description", node, {
        "format": op.Field(op.STRING), "time_field": op.Field(op.STRING),
        "time_format": op.Field(op.STRING, _time_format)})
    return {"time_field": parsed.get("time_field") or "time", "time_format": parsed.get("time_format") or "epoch_ms"}


def _model_plot_config(node, _ctx):
    parsed = op.parse_object("model_plot_config", node, {
        "enabled": op.Field(op.BOOLEAN, op.to_bool), "terms": op.Field(op.STRING),
        "annotations_enabled": op.Field(op.BOOLEAN, op.to_bool)})

    def build():
        if "enabled" not in parsed:
            raise IllegalArgument("Required [enabled]")
        out = {"enabled": parsed["enabled"]}
        if parsed.get("terms") is not None:
            out["terms"] = parsed["terms"]
        out["annotations_enabled"] = parsed.get("annotations_enabled", parsed["enabled"])
        return out
    return op.built(node, build)


def _time_field_value(value, _ctx):
    return value


JOB_FIELDS = {
    "job_id": op.Field(op.STRING), "job_type": op.Field(op.STRING), "job_version": op.Field(op.STRING),
    "groups": op.Field(op.STRING_ARRAY, op.string_list), "description": op.Field(op.STRING),
    "create_time": op.Field(op.VALUE, _time_field_value), "finished_time": op.Field(op.VALUE, _time_field_value),
    "analysis_config": op.Field(op.OBJECT, _analysis_config),
    "analysis_limits": op.Field(op.OBJECT, _analysis_limits),
    "data_description": op.Field(op.OBJECT, _data_description),
    "model_plot_config": op.Field(op.OBJECT, _model_plot_config),
    "renormalization_window_days": op.Field(op.NUMBER, op.to_int),
    "background_persist_interval": op.Field(op.STRING, _time("background_persist_interval")),
    "results_retention_days": op.Field(op.NUMBER, op.to_int),
    "system_annotations_retention_days": op.Field(op.NUMBER, op.to_int),
    "model_snapshot_retention_days": op.Field(op.NUMBER, op.to_int),
    "daily_model_snapshot_retention_after_days": op.Field(op.NUMBER, op.to_int),
    "custom_settings": op.Field(op.OBJECT, op.raw),
    "model_snapshot_id": op.Field(op.STRING),
    "model_snapshot_min_version": op.Field(op.STRING),
    "results_index_name": op.Field(op.STRING),
    "deleting": op.Field(op.BOOLEAN, op.to_bool),
    "allow_lazy_open": op.Field(op.BOOLEAN, op.to_bool),
    "blocked": op.Field(op.OBJECT, op.raw),
    "datafeed_config": op.Field(op.OBJECT),  # parsed later, against the job (ES TransportPutDatafeedAction)
}


def _not_less_than(name, minimum, value):
    if value is not None and value < minimum:
        raise IllegalArgument("%s cannot be less than %s. Value = %s" % (name, format_grouped(minimum), format_grouped(value)))


def check_retention(cfg):
    for name in ("renormalization_window_days", "results_retention_days"):
        _not_less_than(name, 0, cfg.get(name))


def check_snapshot_retention(cfg):
    _not_less_than("model_snapshot_retention_days", 0, cfg.get("model_snapshot_retention_days"))
    daily = cfg.get("daily_model_snapshot_retention_after_days")
    _not_less_than("daily_model_snapshot_retention_after_days", 0, daily)
    keep = cfg.get("model_snapshot_retention_days")
    if daily is not None and keep is not None and daily > keep:
        raise IllegalArgument("The value of daily_model_snapshot_retention_after_days [%d] cannot be greater than "
                              "model_snapshot_retention_days [%d]" % (daily, keep))


def check_background_persist_interval(span):
    if span is None:
        return
    if span.nanos % NANOS["s"]:
        raise IllegalArgument("background_persist_interval has to be a multiple of 1s; actual was '%s'" % span)
    _not_less_than("background_persist_interval", 3600, span.seconds)


def check_group(group):
    if not valid_id(group):
        raise IllegalArgument("Invalid group id '%s'; must be non-empty string and may contain lowercase alphanumeric "
                              "(a-z and 0-9), hyphens or underscores; must start and end with alphanumeric" % group)


def parse_put_body(url_id, body):
    """PutJobAction.Request.parseRequest + Request constructor (ES PutJobAction steps 1–4 and the create-time fields)."""
    parsed = op.parse_object("job_details", body, JOB_FIELDS)
    body_id = parsed.get("job_id")
    if body_id is not None and body_id != url_id:
        raise IllegalArgument("Inconsistent job_id; '%s' specified in the body differs from '%s' specified as a URL "
                              "argument" % (body_id, url_id))
    cfg = dict(parsed)
    cfg["job_id"] = url_id
    # Job.Builder.validateInputFields
    if cfg.get("analysis_config") is None:
        raise IllegalArgument("An analysis_config must be set")
    if cfg.get("data_description") is None:
        cfg["data_description"] = {"time_field": "time", "time_format": "epoch_ms"}
    time_field = cfg["data_description"]["time_field"]
    if time_field in analysis_fields(cfg["analysis_config"]):
        raise IllegalArgument("data_description.time_field may not be used in the analysis_config")
    check_background_persist_interval(cfg.get("background_persist_interval"))
    check_retention(cfg)
    if not valid_id(url_id):
        raise IllegalArgument(invalid_id_message("job_id", url_id))
    if len(url_id) > 64:
        raise IllegalArgument("The job id cannot contain more than 64 characters.")
    check_snapshot_retention(cfg)
    for group in cfg.get("groups") or []:
        check_group(group)
        if group == url_id:
            raise ResourceAlreadyExists("job and group names must be unique but job [%s] and group [%s] have the same name"
                                        % (url_id, group))
    rin = cfg.get("results_index_name")
    if rin is not None and not valid_id(rin):
        raise IllegalArgument(invalid_id_message("results_index_name", rin))
    seen = set()
    for det in cfg["analysis_config"]["detectors"]:
        canonical = repr(sorted((k, repr(v)) for k, v in det.items() if k != "detector_index"))
        if canonical in seen:
            raise IllegalArgument("Duplicate detectors are not allowed: [%s]" % det["detector_description"])
        seen.add(canonical)
    illegal = [f for f in ("model_snapshot_id", "finished_time", "create_time") if parsed.get(f) is not None]
    if illegal:
        raise IllegalArgument("The job is configured with fields [%s] that are illegal to set at job creation"
                              % ",".join(illegal))
    return cfg


def apply_server_defaults(cfg, max_model_memory_mb):
    """ES JobManager.putJob: limits, snapshot retention, analyzer and results index defaults (and ES
    CategorizationAnalyzerConfig for the analyzer)."""
    limits = dict(cfg.get("analysis_limits") or {})
    default_mml = 1024 if not max_model_memory_mb else min(1024, max_model_memory_mb)
    mml = limits.get("model_memory_limit")
    if mml is None:
        mml = default_mml
    check_max_model_memory(mml, max_model_memory_mb)
    cfg["analysis_limits"] = {"model_memory_limit": "%dmb" % mml,
                              "categorization_examples_limit": limits.get("categorization_examples_limit", 4)}
    if cfg.get("model_snapshot_retention_days") is None:
        cfg["model_snapshot_retention_days"] = 10
        if cfg.get("daily_model_snapshot_retention_after_days") is None:
            cfg["daily_model_snapshot_retention_after_days"] = 1
    elif cfg.get("daily_model_snapshot_retention_after_days") is None and cfg["model_snapshot_retention_days"] > 1:
        cfg["daily_model_snapshot_retention_after_days"] = 1
    ac = cfg["analysis_config"]
    if ac.get("categorization_field_name") and ac.get("categorization_analyzer") is None:
        ac["categorization_analyzer"] = default_categorization_analyzer(ac.pop("categorization_filters", None))
    if ac.get("model_prune_window") is None:
        ac["model_prune_window"] = default_model_prune_window(ac["bucket_span"])
    rin = cfg.get("results_index_name")
    if rin is None:
        cfg["results_index_name"] = "shared"
    elif rin != "shared" and not rin.startswith("custom-"):
        cfg["results_index_name"] = "custom-" + rin
    cfg.setdefault("allow_lazy_open", False)
    return cfg


def default_model_prune_window(bucket_span):
    """8.1+: 30d (AnalysisConfig.DEFAULT_MODEL_PRUNE_WINDOW). For bucket spans where 30d would be fewer than
    20 buckets or not a whole number of buckets, the docs say "the greater of 30d or 20 times bucket_span";
    that branch is not confirmed in code (docs/emulator.md)."""
    thirty = 30 * NANOS["d"]
    span = bucket_span.nanos
    if span and (20 * span > thirty or thirty % span):
        windows = max(thirty, 20 * span)
        windows = -(-windows // span) * span
        return TimeSpan(human_time(windows), "model_prune_window")
    return TimeSpan("30d", "model_prune_window")


def check_max_model_memory(mml_mb, max_model_memory_mb):
    if max_model_memory_mb and mml_mb > max_model_memory_mb:
        raise bad_request("model_memory_limit [%s] must be less than the value of the xpack.ml.max_model_memory_limit "
                          "setting [%s]" % (human_bytes(mml_mb * MIB), human_bytes(max_model_memory_mb * MIB)))


# ---------------------------------------------------------------------------------------------------------------
# Rendering (ES Job.toXContent, JobManager.putJob field order)

def _render_time(span):
    return span.text if isinstance(span, TimeSpan) else span


def render_analysis_config(ac):
    out = {"bucket_span": _render_time(ac["bucket_span"])}
    for key in ("categorization_field_name", "categorization_filters", "categorization_analyzer"):
        if ac.get(key) is not None:
            out[key] = ac[key]
    if ac.get("categorization_field_name"):
        out["per_partition_categorization"] = ac["per_partition_categorization"]
    if ac.get("latency") is not None:
        out["latency"] = _render_time(ac["latency"])
    if ac.get("summary_count_field_name") is not None:
        out["summary_count_field_name"] = ac["summary_count_field_name"]
    out["detectors"] = [dict(d) for d in ac["detectors"]]
    out["influencers"] = list(ac.get("influencers", []))
    if ac.get("multivariate_by_fields") is not None:
        out["multivariate_by_fields"] = ac["multivariate_by_fields"]
    if ac.get("model_prune_window") is not None:
        out["model_prune_window"] = _render_time(ac["model_prune_window"])
    return out


def render_job(job, datafeed=None, exclude_generated=False):
    out = {"job_id": job["job_id"]}
    if not exclude_generated:
        out["job_type"] = "anomaly_detector"
        out["job_version"] = job["job_version"]
        out["create_time"] = job["create_time"]
        for key in ("finished_time", "model_snapshot_id"):
            if job.get(key) is not None:
                out[key] = job[key]
        if job.get("blocked", {}).get("reason") == "delete":
            out["deleting"] = True
        if job.get("model_snapshot_min_version"):
            out["model_snapshot_min_version"] = job["model_snapshot_min_version"]
    if job.get("custom_settings") is not None:
        settings = dict(job["custom_settings"])
        if exclude_generated:
            settings.pop("created_by", None)
        out["custom_settings"] = settings
    if datafeed is not None and not exclude_generated:
        out["datafeed_config"] = datafeed
    if job.get("groups"):
        out["groups"] = list(job["groups"])
    if job.get("description") is not None:
        out["description"] = job["description"]
    out["analysis_config"] = render_analysis_config(job["analysis_config"])
    out["analysis_limits"] = dict(job["analysis_limits"])
    out["data_description"] = dict(job["data_description"])
    if job.get("model_plot_config") is not None:
        out["model_plot_config"] = dict(job["model_plot_config"])
    for key in ("renormalization_window_days", "background_persist_interval", "model_snapshot_retention_days",
                "daily_model_snapshot_retention_after_days", "results_retention_days",
                "system_annotations_retention_days"):
        if job.get(key) is not None:
            out[key] = _render_time(job[key])
    out["results_index_name"] = job["results_index_name"]
    out["allow_lazy_open"] = job["allow_lazy_open"]
    if job.get("blocked") and not exclude_generated:
        out["blocked"] = dict(job["blocked"])
    return out


# ---------------------------------------------------------------------------------------------------------------
# Updates (ES JobUpdate)

def _detector_update(node, ctx):
    parsed = op.parse_object("detector_update", node, {
        "detector_index": op.Field(op.NUMBER, op.to_int), "description": op.Field(op.STRING),
        "custom_rules": op.Field(op.OBJECT_ARRAY, _rules)}, ctx)

    def build():
        if "detector_index" not in parsed:
            raise IllegalArgument("Required [detector_index]")
        return parsed
    return op.built(node, build)


UPDATE_FIELDS = {
    "job_id": op.Field(op.STRING),
    "groups": op.Field(op.STRING_ARRAY, op.string_list),
    "description": op.Field(op.STRING),
    "detectors": op.Field(op.OBJECT_ARRAY, lambda v, c: [_detector_update(i, c) for i in op.as_list(v)]),
    "model_plot_config": op.Field(op.OBJECT, _model_plot_config),
    "analysis_limits": op.Field(op.OBJECT, _analysis_limits),
    "background_persist_interval": op.Field(op.STRING, _time("background_persist_interval")),
    "renormalization_window_days": op.Field(op.NUMBER, op.to_int),
    "results_retention_days": op.Field(op.NUMBER, op.to_int),
    "system_annotations_retention_days": op.Field(op.NUMBER, op.to_int),
    "model_snapshot_retention_days": op.Field(op.NUMBER, op.to_int),
    "daily_model_snapshot_retention_after_days": op.Field(op.NUMBER, op.to_int),
    "categorization_filters": op.Field(op.STRING_ARRAY, op.string_list),
    "per_partition_categorization": op.Field(op.OBJECT, _per_partition),
    "custom_settings": op.Field(op.OBJECT, op.raw),
    "allow_lazy_open": op.Field(op.BOOLEAN, op.to_bool),
    "model_prune_window": op.Field(op.STRING, _time("model_prune_window")),
}


def parse_update_body(body):
    return op.parse_object("job_update", body, UPDATE_FIELDS)


def apply_update(job, update, is_open, model_bytes, max_model_memory_mb):
    """JobUpdate.mergeWithJob plus the checks of ES JobUpdate. Returns the merged job (a new dict)."""
    merged = dict(job)
    merged["analysis_config"] = dict(job["analysis_config"])
    ac = merged["analysis_config"]
    if "groups" in update:
        for group in update["groups"] or []:
            check_group(group)
        merged["groups"] = update["groups"]
    if "description" in update:
        merged["description"] = update["description"]
    if update.get("detectors"):
        detectors = [dict(d) for d in ac["detectors"]]
        for det_update in update["detectors"]:
            index = det_update["detector_index"]
            if index >= len(detectors) or index < 0:
                raise bad_request("Supplied detector_index [%d] is >= the number of detectors [%d]" % (index, len(detectors)))
            det = detectors[index]
            if det_update.get("description") is not None:
                det["detector_description"] = det_update["description"]
            if det_update.get("custom_rules") is not None:
                det["custom_rules"] = det_update["custom_rules"]
                validate_rules(det)
                if not det["custom_rules"]:
                    det.pop("custom_rules")
                # keep the output key order of ES Job.toXContent, JobManager.putJob
                index_value = det.pop("detector_index")
                det["detector_index"] = index_value
        ac["detectors"] = detectors
    if "model_plot_config" in update:
        merged["model_plot_config"] = update["model_plot_config"]
    if update.get("analysis_limits") is not None:
        if is_open:
            raise bad_request("Cannot update analysis_limits while the job is open")
        limits = update["analysis_limits"]
        current = dict(merged["analysis_limits"])
        if limits.get("model_memory_limit") is not None:
            new_mb = limits["model_memory_limit"]
            check_max_model_memory(new_mb, max_model_memory_mb)
            if model_bytes and new_mb * MIB < model_bytes:
                raise bad_request("Invalid update value for analysis_limits: model_memory_limit cannot be decreased below "
                                  "current usage; current usage [%s], update had [%s]"
                                  % (human_bytes(model_bytes), human_bytes(new_mb * MIB)))
            current["model_memory_limit"] = "%dmb" % new_mb
        if limits.get("categorization_examples_limit") is not None:
            current["categorization_examples_limit"] = limits["categorization_examples_limit"]
        merged["analysis_limits"] = current
    if "background_persist_interval" in update:
        check_background_persist_interval(update["background_persist_interval"])
        merged["background_persist_interval"] = update["background_persist_interval"]
    for key in ("renormalization_window_days", "results_retention_days", "system_annotations_retention_days",
                "model_snapshot_retention_days", "daily_model_snapshot_retention_after_days", "custom_settings",
                "allow_lazy_open"):
        if key in update:
            merged[key] = update[key]
    check_retention(merged)
    check_snapshot_retention(merged)
    if update.get("categorization_filters") is not None:
        if not ac.get("categorization_field_name") or "categorization_analyzer" in ac:
            raise bad_request("categorization_filters cannot be updated for a job whose categorization_analyzer is set")
        ac["categorization_filters"] = update["categorization_filters"]
    if update.get("per_partition_categorization") is not None:
        new = update["per_partition_categorization"]
        if new["enabled"] != ac["per_partition_categorization"]["enabled"]:
            raise bad_request("analysis_config.per_partition_categorization.enabled cannot be updated")
        ac["per_partition_categorization"] = new
    if update.get("model_prune_window") is not None:
        verify_model_prune_window(update["model_prune_window"], ac["bucket_span"])
        ac["model_prune_window"] = update["model_prune_window"]
    return merged


def reject_update_all(job_id):
    if job_id == "_all":
        raise StatusException("Cannot update more than 1 job at a time", status=400)
