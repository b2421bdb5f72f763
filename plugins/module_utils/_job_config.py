# -*- coding: utf-8 -*-
# Copyright (c) 2026, mlops.elasticsearch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Anomaly-detection job configs: validation, normalisation, and what differs (updatable or not).

This is the one place that decides whether a job differs from what the user declared
(STYLE.md). Both sides are normalised the same way (durations by value, memory in whole MiB,
function shortcuts expanded, generated fields dropped, sets as sorted lists) and only what the
user set is compared. Objects the update API replaces as a whole or that define the job
(``analysis_config``, ``data_description``) are compared in full, less what the server generates;
the others (``analysis_limits``, ``model_plot_config``) key by key.

FOR INTERNAL COLLECTION USE ONLY: the interfaces here may change in any release.
Python versions supported: 3.9 and later.
"""

from __future__ import annotations

import copy
import math

from ansible_collections.mlops.elasticsearch.plugins.module_utils._compare import Change, walk
from ansible_collections.mlops.elasticsearch.plugins.module_utils._options import (
    JOB_GENERATED, ConfigError, job_body_spec, validate_id)
from ansible_collections.mlops.elasticsearch.plugins.module_utils._units import UnitError, canonical_duration, parse_mib

BODY_OPTIONS = tuple(k for k in job_body_spec() if k not in JOB_GENERATED + ("datafeed_config",))

SHORTCUTS = {"nzc": "non_zero_count", "low_nzc": "low_non_zero_count", "high_nzc": "high_non_zero_count",
             "dc": "distinct_count", "low_dc": "low_distinct_count", "high_dc": "high_distinct_count"}
FUNCTIONS = frozenset((
    "count", "low_count", "high_count", "non_zero_count", "low_non_zero_count", "high_non_zero_count",
    "distinct_count", "low_distinct_count", "high_distinct_count", "rare", "freq_rare", "info_content",
    "low_info_content", "high_info_content", "metric", "mean", "low_mean", "high_mean", "avg", "low_avg", "high_avg",
    "median", "low_median", "high_median", "min", "max", "sum", "low_sum", "high_sum", "non_null_sum",
    "low_non_null_sum", "high_non_null_sum", "varp", "low_varp", "high_varp", "time_of_day", "time_of_week",
    "lat_long")) | frozenset(SHORTCUTS)

# Paths the update API can change (ES JobUpdate); any other difference needs a new job.
UPDATABLE_TOP = frozenset(("description", "groups", "custom_settings", "model_plot_config", "analysis_limits",
                           "background_persist_interval", "renormalization_window_days", "results_retention_days",
                           "system_annotations_retention_days", "model_snapshot_retention_days",
                           "daily_model_snapshot_retention_after_days", "allow_lazy_open"))
UPDATABLE_DETECTOR_KEYS = frozenset(("detector_description", "custom_rules"))


# ---------------------------------------------------------------------------------------------------------------
# Validation: a small schema of the job body, so that mistakes fail before any request, naming the path.

def _str(path, value):
    if not isinstance(value, str):
        raise ConfigError("%s: expected a string, got %s" % (path, _kind(value)))


def _int(path, value):
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError("%s: expected an integer, got %s" % (path, _kind(value)))


def _bool(path, value):
    if not isinstance(value, bool):
        raise ConfigError("%s: expected true or false, got %s" % (path, _kind(value)))


def _duration(path, value):
    try:
        canonical_duration(value)
    except UnitError as exc:
        raise ConfigError("%s: %s" % (path, exc))


def _mml(path, value):
    try:
        mib = parse_mib(value)
    except UnitError as exc:
        raise ConfigError("%s: %s" % (path, exc))
    if mib < 1:
        raise ConfigError("%s: %r is below Elasticsearch's minimum of 1 MiB" % (path, value))


def _str_list(path, value):
    if not isinstance(value, list):
        raise ConfigError("%s: expected a list of strings, got %s" % (path, _kind(value)))
    for index, item in enumerate(value):
        _str("%s[%d]" % (path, index), item)


def _any_dict(path, value):
    if not isinstance(value, dict):
        raise ConfigError("%s: expected a mapping, got %s" % (path, _kind(value)))


def _choice(*choices):
    def check(path, value):
        _str(path, value)
        if value.lower() not in choices:
            raise ConfigError("%s: %r is not one of %s" % (path, value, ", ".join(choices)))
    return check


def _function(path, value):
    _str(path, value)
    if value not in FUNCTIONS:
        raise ConfigError("%s: unknown function %r" % (path, value))


def _object(schema, required=()):
    def check(path, value):
        _any_dict(path, value)
        for key in required:
            if key not in value:
                raise ConfigError("%s: %s is required" % (path, key))
        for key, item in value.items():
            if key not in schema:
                raise ConfigError("%s: unknown key %r; expected one of %s" % (path, key, ", ".join(sorted(schema))))
            schema[key]("%s.%s" % (path, key), item)
    return check


def _list_of(check_item, non_empty=False):
    def check(path, value):
        if not isinstance(value, list):
            raise ConfigError("%s: expected a list, got %s" % (path, _kind(value)))
        if non_empty and not value:
            raise ConfigError("%s: at least one is required" % path)
        for index, item in enumerate(value):
            check_item("%s[%d]" % (path, index), item)
    return check


def _scope(path, value):
    _any_dict(path, value)
    for field, ref in value.items():
        _object({"filter_id": _str, "filter_type": _choice("include", "exclude")}, required=("filter_id",))(
            "%s.%s" % (path, field), ref)


def _analyzer(path, value):
    if not isinstance(value, (str, dict)):
        raise ConfigError("%s: expected an analyzer name or definition, got %s" % (path, _kind(value)))


def _number(path, value):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError("%s: expected a number, got %s" % (path, _kind(value)))
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError("%s: expected a finite number, got %r (JSON cannot carry it)" % (path, value))


_RULE = _object({
    "actions": _list_of(_choice("skip_result", "skip_model_update")),
    "scope": _scope,
    "conditions": _list_of(_object({"applies_to": _choice("actual", "typical", "diff_from_typical", "time"),
                                    "operator": _choice("gt", "gte", "lt", "lte"),
                                    "value": _number},
                                   required=("applies_to", "operator", "value"))),
})


_DETECTOR = _object({
    "detector_description": _str, "function": _function, "field_name": _str, "by_field_name": _str,
    "over_field_name": _str, "partition_field_name": _str, "use_null": _bool,
    "exclude_frequent": _choice("all", "none", "by", "over"), "custom_rules": _list_of(_RULE),
    "detector_index": _int,
})

SCHEMA = {
    "description": _str,
    "groups": _str_list,
    "analysis_config": _object({
        "bucket_span": _duration, "categorization_field_name": _str, "categorization_filters": _str_list,
        "categorization_analyzer": _analyzer,
        "per_partition_categorization": _object({"enabled": _bool, "stop_on_warn": _bool}),
        "latency": _duration, "summary_count_field_name": _str, "detectors": _list_of(_DETECTOR, non_empty=True),
        "influencers": _str_list, "multivariate_by_fields": _bool, "model_prune_window": _duration,
    }, required=("detectors",)),
    "analysis_limits": _object({"model_memory_limit": _mml, "categorization_examples_limit": _int}),
    "data_description": _object({"format": _str, "time_field": _str, "time_format": _str}),
    "model_plot_config": _object({"enabled": _bool, "terms": _str, "annotations_enabled": _bool},
                                 required=("enabled",)),
    "custom_settings": _any_dict,
    "results_index_name": _str,
    "results_retention_days": _int,
    "allow_lazy_open": _bool,
    "model_snapshot_retention_days": _int,
    "daily_model_snapshot_retention_after_days": _int,
    "renormalization_window_days": _int,
    "background_persist_interval": _duration,
    "system_annotations_retention_days": _int,
}


def _kind(value):
    if value is None:
        return "null"
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "a list",
            dict: "a mapping"}.get(type(value), type(value).__name__)


def desired_body(params):
    """The job body the user declared: the body options that are set, validated; None when none are."""
    body = dict((key, params[key]) for key in BODY_OPTIONS if params.get(key) is not None)
    if not body:
        return None
    for key, value in body.items():
        SCHEMA[key](key, value)
    if "analysis_config" not in body:
        raise ConfigError("analysis_config is required to create the job, and is compared on every run: give the "
                          "job's whole body (only description, groups and the other settings alone cannot define it)")
    for group in body.get("groups") or []:
        validate_id("group", group)
    if "results_index_name" in body:
        validate_id("results_index_name", body["results_index_name"])
    return body


def request_body(body):
    """The body to PUT: the user's own values, less the keys ES regenerates (detector_index)."""
    out = copy.deepcopy(body)
    for detector in out.get("analysis_config", {}).get("detectors", []):
        detector.pop("detector_index", None)
    return out


# ---------------------------------------------------------------------------------------------------------------
# Normalisation

def _rule(rule):
    out = {"actions": sorted(set(a.lower() for a in rule.get("actions") or ["skip_result"]))}
    if rule.get("scope"):
        out["scope"] = dict((field, {"filter_id": ref["filter_id"], "filter_type": ref.get("filter_type", "include")})
                            for field, ref in sorted(rule["scope"].items()))
    if rule.get("conditions"):
        out["conditions"] = [{"applies_to": c["applies_to"].lower(), "operator": c["operator"].lower(),
                              "value": float(c["value"])} for c in rule["conditions"]]
    return out


def _detector(det, keep_description):
    function = det.get("function") or "metric"
    out = {"function": SHORTCUTS.get(function, function)}
    for key in ("field_name", "by_field_name", "over_field_name", "partition_field_name"):
        if det.get(key):
            out[key] = det[key]
    if det.get("use_null"):
        out["use_null"] = True  # false is the default, and is left out on both sides
    if det.get("exclude_frequent"):
        out["exclude_frequent"] = det["exclude_frequent"].lower()
    if det.get("custom_rules"):
        out["custom_rules"] = [_rule(r) for r in det["custom_rules"]]
    if keep_description and det.get("detector_description") is not None:
        out["detector_description"] = det["detector_description"]
    return out


def _analyzer_filters(analyzer):
    """The categorization_filters a default-shaped analyzer carries as pattern_replace char filters (ES CategorizationAnalyzerConfig)."""
    if not isinstance(analyzer, dict):
        return None
    return [f["pattern"] for f in analyzer.get("char_filter") or []
            if isinstance(f, dict) and f.get("type") == "pattern_replace" and "pattern" in f]


def _analysis_config(ac, wanted):
    """Normalise ``ac``; ``wanted`` is the user's analysis_config, which decides what generated keys count."""
    detectors = ac.get("detectors") or []
    wanted_detectors = wanted.get("detectors") or []
    out = {"bucket_span": canonical_duration(ac.get("bucket_span") or "5m")}
    out["detectors"] = []
    for index, det in enumerate(detectors):
        own = wanted_detectors[index] if index < len(wanted_detectors) else {}
        out["detectors"].append(_detector(det, "detector_description" in own))
    out["influencers"] = sorted(set(ac.get("influencers") or []))
    for key in ("latency",):
        if ac.get(key) is not None:
            out[key] = canonical_duration(ac[key])
    for key in ("summary_count_field_name", "categorization_field_name", "multivariate_by_fields"):
        if ac.get(key) is not None:
            out[key] = ac[key]
    if "model_prune_window" in wanted and ac.get("model_prune_window") is not None:
        out["model_prune_window"] = canonical_duration(ac["model_prune_window"])
    if "categorization_analyzer" in wanted and ac.get("categorization_analyzer") is not None:
        out["categorization_analyzer"] = ac["categorization_analyzer"]
    elif "categorization_filters" in wanted:
        filters = ac.get("categorization_filters")
        if filters is None:
            filters = _analyzer_filters(ac.get("categorization_analyzer"))
        out["categorization_filters"] = list(filters or [])
    if "per_partition_categorization" in wanted:
        ppc = ac.get("per_partition_categorization") or {}
        out["per_partition_categorization"] = dict(
            (key, bool(ppc.get(key, False))) for key in ("enabled", "stop_on_warn") if key in wanted["per_partition_categorization"])
    return out


def _results_index(name):
    if name == "shared" or name.startswith("custom-"):
        return name
    return "custom-" + name


def normalise(job, wanted):
    """The comparable form of ``job`` (a declared body or a job from GET) for the keys in ``wanted``.

    ``wanted`` is the user's declared body: generated fields are kept only where the user set them,
    and key-by-key objects keep only the user's keys.
    """
    out = {}
    for key in wanted:
        if key not in job or job[key] is None:
            if key in ("groups",):
                out[key] = []
            elif key == "custom_settings":
                out[key] = {}
            continue
        value = job[key]
        if key == "groups":
            out[key] = sorted(set(value))
        elif key == "analysis_config":
            out[key] = _analysis_config(value, wanted[key])
        elif key == "analysis_limits":
            limits = {}
            if "model_memory_limit" in wanted[key] and value.get("model_memory_limit") is not None:
                limits["model_memory_limit"] = "%dmb" % parse_mib(value["model_memory_limit"])
            if "categorization_examples_limit" in wanted[key] and value.get("categorization_examples_limit") is not None:
                limits["categorization_examples_limit"] = value["categorization_examples_limit"]
            out[key] = limits
        elif key == "data_description":
            out[key] = {"time_field": value.get("time_field") or "time", "time_format": value.get("time_format") or "epoch_ms"}
        elif key == "model_plot_config":
            plot = {"enabled": bool(value.get("enabled"))}
            if "terms" in wanted[key] and value.get("terms") is not None:
                plot["terms"] = value["terms"]
            plot["annotations_enabled"] = bool(value.get("annotations_enabled", plot["enabled"]))
            out[key] = plot
        elif key == "custom_settings":
            settings = dict(value)
            if "created_by" not in wanted[key]:
                settings.pop("created_by", None)  # Kibana's marker; exports drop it (ES Job.toXContent, JobManager.putJob)
            out[key] = settings
        elif key == "results_index_name":
            out[key] = _results_index(value)
        elif key == "background_persist_interval":
            out[key] = canonical_duration(value)
        else:
            out[key] = value
    return out


def defaults_for_create(body):
    """The user's body with the defaults ES fills in, normalised: what a new job will look like."""
    filled = copy.deepcopy(body)
    filled.setdefault("data_description", {})
    return normalise(filled, filled)


# ---------------------------------------------------------------------------------------------------------------
# Differences

def differences(desired, current):
    """What differs between the declared body and the server's job, as a list of Change."""
    wanted = desired
    want = normalise(desired, wanted)
    have = normalise(current, wanted)
    out = []
    for key in sorted(want):
        if key == "analysis_config":
            _analysis_config_changes(have.get(key, {}), want[key], out)
        elif key in ("analysis_limits", "model_plot_config"):
            walk(key, have.get(key, {}), want[key], True, out)
        elif key == "data_description":
            walk(key, have.get(key, {}), want[key], False, out)
        elif want[key] != have.get(key):
            out.append(Change(key, have.get(key), want[key], key in UPDATABLE_TOP))
    return out


def _analysis_config_changes(have, want, out):
    for key in sorted(set(want) | set(have)):
        path = "analysis_config.%s" % key
        if key == "detectors":
            if len(want[key]) != len(have.get(key, [])):
                out.append(Change(path, have.get(key), want[key], False))
                continue
            for index, (mine, theirs) in enumerate(zip(want[key], have[key])):
                for field in sorted(set(mine) | set(theirs)):
                    if mine.get(field) != theirs.get(field):
                        out.append(Change("%s[%d].%s" % (path, index, field), theirs.get(field), mine.get(field),
                                          field in UPDATABLE_DETECTOR_KEYS))
        elif key == "per_partition_categorization":
            for field in sorted(want.get(key, {})):
                mine, theirs = want[key][field], have.get(key, {}).get(field, False)
                if mine != theirs:
                    out.append(Change("%s.%s" % (path, field), theirs, mine, field == "stop_on_warn"))
        elif want.get(key) != have.get(key):
            out.append(Change(path, have.get(key), want.get(key), key == "model_prune_window"))


def update_body(changes, desired, current):
    """The ``_update`` body for the updatable changes: only the fields that differ."""
    want = normalise(desired, desired)
    body = {}
    detectors = {}
    for change in changes:
        if not change.updatable:
            continue
        top = change.path.split(".", 1)[0].split("[", 1)[0]
        if change.path.startswith("analysis_config.detectors["):
            index = int(change.path.split("[", 1)[1].split("]", 1)[0])
            det = want["analysis_config"]["detectors"][index]
            entry = detectors.setdefault(index, {"detector_index": index})
            if change.path.endswith(".detector_description"):
                entry["description"] = det["detector_description"]
            else:
                entry["custom_rules"] = det.get("custom_rules", [])
        elif change.path == "analysis_config.model_prune_window":
            body["model_prune_window"] = want["analysis_config"]["model_prune_window"]
        elif change.path.startswith("analysis_config.per_partition_categorization"):
            ppc = current.get("analysis_config", {}).get("per_partition_categorization") or {}
            body["per_partition_categorization"] = {"enabled": bool(ppc.get("enabled")),
                                                    "stop_on_warn": want["analysis_config"]["per_partition_categorization"]["stop_on_warn"]}
        elif top == "analysis_limits":
            body["analysis_limits"] = dict(want["analysis_limits"])
        elif top == "model_plot_config":
            body["model_plot_config"] = dict(want["model_plot_config"])
        elif top == "custom_settings":
            settings = dict(want["custom_settings"])
            created_by = (current.get("custom_settings") or {}).get("created_by")
            if created_by is not None and "created_by" not in settings:
                settings["created_by"] = created_by  # keep Kibana's marker: the update replaces the whole object
            body["custom_settings"] = settings
        else:
            body[top] = want[top]
    if detectors:
        body["detectors"] = [detectors[i] for i in sorted(detectors)]
    return body


def comparable(job):
    """The whole job, normalised for a diff: every config key it has, generated fields left out."""
    if job is None:
        return None
    shown = dict((k, v) for k, v in job.items() if k in BODY_OPTIONS)
    return normalise(job, dict((k, _everything(v)) for k, v in shown.items()))


def _everything(value):
    """A ``wanted`` shape that keeps every key of ``value`` (for showing a whole job)."""
    if isinstance(value, dict):
        return dict((k, _everything(v)) for k, v in value.items())
    if isinstance(value, list):
        return [_everything(v) for v in value]
    return value
