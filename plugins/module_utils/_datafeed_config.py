# -*- coding: utf-8 -*-
# Copyright (c) 2026, mlops.elasticsearch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Datafeed configs: validation, normalisation and what differs (ES DatafeedConfig).

Only what the user set is compared. Normalised on both sides: indices as a set (``indexes`` is
an alias), durations by value, script fields with ES's defaults (``lang: painless``,
``ignore_failure: false``), ``expand_wildcards`` as a set where ``all`` is open, closed and
hidden. The server's random ``query_delay`` is never compared unless the user set one.
Everything but ``job_id`` is updatable (ES DatafeedUpdate).

FOR INTERNAL COLLECTION USE ONLY: the interfaces here may change in any release.
Python versions supported: 3.9 and later.
"""

from __future__ import annotations

import copy

from ansible_collections.mlops.elasticsearch.plugins.module_utils._compare import Change, walk
from ansible_collections.mlops.elasticsearch.plugins.module_utils._options import ConfigError, datafeed_body_spec
from ansible_collections.mlops.elasticsearch.plugins.module_utils._units import UnitError, canonical_duration

BODY_OPTIONS = tuple(datafeed_body_spec())
WILDCARD_STATES = ("open", "closed", "hidden")


def _check(path, ok, expected, value):
    if not ok:
        raise ConfigError("%s: expected %s, got %r" % (path, expected, value))


def _duration(path, value):
    try:
        canonical_duration(value)
    except UnitError as exc:
        raise ConfigError("%s: %s" % (path, exc))


def _keys(path, value, allowed):
    _check(path, isinstance(value, dict), "a mapping", value)
    for key in value:
        if key not in allowed:
            raise ConfigError("%s: unknown key %r; expected one of %s" % (path, key, ", ".join(sorted(allowed))))


def desired_body(params):
    """The datafeed body the user declared (the body options set), validated; None when none are."""
    body = dict((key, params[key]) for key in BODY_OPTIONS if params.get(key) is not None)
    if not body:
        return None
    if "indices" in body:
        _check("indices", isinstance(body["indices"], list) and body["indices"]
               and all(isinstance(i, str) and i for i in body["indices"]), "a non-empty list of index names",
               body["indices"])
    for key in ("query", "aggregations", "script_fields", "runtime_mappings"):
        if key in body:
            _check(key, isinstance(body[key], dict), "a mapping", body[key])
    if "aggregations" in body and "script_fields" in body:
        raise ConfigError("aggregations and script_fields cannot be used together (Elasticsearch refuses it)")
    for name, field in (body.get("script_fields") or {}).items():
        _check("script_fields.%s" % name, isinstance(field, dict) and "script" in field, "a mapping with a script",
               field)
    if "scroll_size" in body:
        _check("scroll_size", isinstance(body["scroll_size"], int) and body["scroll_size"] >= 0,
               "a non-negative integer", body["scroll_size"])
    if "max_empty_searches" in body:
        value = body["max_empty_searches"]
        _check("max_empty_searches", isinstance(value, int) and (value == -1 or value > 0),
               "a positive integer (or -1 to clear it)", value)
    for key in ("frequency", "query_delay"):
        if key in body:
            _duration(key, body[key])
    if "chunking_config" in body:
        chunking = body["chunking_config"]
        _keys("chunking_config", chunking, ("mode", "time_span"))
        _check("chunking_config.mode", str(chunking.get("mode", "")).lower() in ("auto", "manual", "off"),
               "auto, manual or off", chunking.get("mode"))
        if "time_span" in chunking:
            _duration("chunking_config.time_span", chunking["time_span"])
    if "delayed_data_check_config" in body:
        delayed = body["delayed_data_check_config"]
        _keys("delayed_data_check_config", delayed, ("enabled", "check_window"))
        if "check_window" in delayed:
            _duration("delayed_data_check_config.check_window", delayed["check_window"])
    if "indices_options" in body:
        options = body["indices_options"]
        _keys("indices_options", options, ("expand_wildcards", "ignore_unavailable", "allow_no_indices",
                                           "ignore_throttled"))
        for flag in ("ignore_unavailable", "allow_no_indices", "ignore_throttled"):
            if flag in options:
                _check("indices_options.%s" % flag, isinstance(options[flag], bool), "true or false", options[flag])
        if "expand_wildcards" in options:
            _expand_wildcards(options["expand_wildcards"])
    return body


def _expand_wildcards(value):
    items = value.split(",") if isinstance(value, str) else value
    _check("indices_options.expand_wildcards", isinstance(items, list), "a list", value)
    states = set()
    for item in items:
        item = str(item).strip().lower()
        if item == "all":
            states.update(WILDCARD_STATES)
        elif item in WILDCARD_STATES:
            states.add(item)
        elif item != "none":
            raise ConfigError("indices_options.expand_wildcards: %r is not one of all, open, closed, hidden, none" % item)
    return sorted(states)


def _script_fields(fields):
    out = {}
    for name, field in (fields or {}).items():
        script = field.get("script")
        if isinstance(script, str):
            script = {"source": script}
        script = dict(script or {})
        if "inline" in script and "source" not in script:
            script["source"] = script.pop("inline")
        norm = {"source": script.get("source"), "lang": script.get("lang", "painless")}
        for key in ("params", "options"):
            if script.get(key):
                norm[key] = script[key]
        out[name] = {"script": norm, "ignore_failure": bool(field.get("ignore_failure", False))}
    return out


def normalise(datafeed, wanted):
    """The comparable form of ``datafeed`` (declared or from GET) for the keys in ``wanted``."""
    out = {}
    source = dict(datafeed)
    if "indexes" in source and "indices" not in source:
        source["indices"] = source["indexes"]
    if "aggs" in source and "aggregations" not in source:
        source["aggregations"] = source["aggs"]
    for key in wanted:
        value = source.get(key)
        if value is None:
            continue
        if key == "indices":
            out[key] = sorted(set(value))
        elif key in ("frequency", "query_delay"):
            out[key] = canonical_duration(value)
        elif key == "script_fields":
            out[key] = _script_fields(value)
        elif key == "chunking_config":
            chunking = {"mode": str(value.get("mode", "auto")).lower()}
            if "time_span" in wanted[key] and value.get("time_span") is not None:
                chunking["time_span"] = canonical_duration(value["time_span"])
            out[key] = chunking
        elif key == "delayed_data_check_config":
            delayed = {}
            if "enabled" in wanted[key]:
                delayed["enabled"] = bool(value.get("enabled", True))
            if "check_window" in wanted[key] and value.get("check_window") is not None:
                delayed["check_window"] = canonical_duration(value["check_window"])
            out[key] = delayed
        elif key == "indices_options":
            options = {}
            for flag in wanted[key]:
                if flag == "expand_wildcards" and value.get(flag) is not None:
                    options[flag] = _expand_wildcards(value[flag])
                elif value.get(flag) is not None:
                    options[flag] = value[flag]
            out[key] = options
        else:
            out[key] = copy.deepcopy(value)
    return out


def differences(desired, current):
    """What differs between the declared datafeed and the server's, as Changes (all updatable)."""
    want = normalise(desired, desired)
    have = normalise(current, desired)
    out = []
    for key in sorted(want):
        if key in ("chunking_config", "delayed_data_check_config", "indices_options"):
            walk(key, have.get(key, {}), want[key], True, out)
        elif want[key] != have.get(key):
            out.append(Change(key, have.get(key), want[key], True))
    return out


def update_body(changes, desired):
    """The ``_update`` body: the changed top-level settings, as the user declared them."""
    tops = set(change.path.split(".", 1)[0] for change in changes)
    return dict((key, copy.deepcopy(desired[key])) for key in sorted(tops))


def comparable(datafeed):
    """The whole datafeed, normalised for a diff (generated fields left out)."""
    if datafeed is None:
        return None
    shown = dict((k, v) for k, v in datafeed.items() if k in BODY_OPTIONS)
    wanted = dict((k, dict((kk, None) for kk in v) if isinstance(v, dict) else v) for k, v in shown.items())
    out = normalise(datafeed, wanted)
    out["job_id"] = datafeed.get("job_id")
    return out
