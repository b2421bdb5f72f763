# -*- coding: utf-8 -*-
# Copyright (c) 2026, mlops.elasticsearch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Input rules, in one place: the option specs (defined once: the job and datafeed bodies, each module's
options, the bulk module's elements), their conversion, the id rule and the input-error type.

Every place that takes a job or a datafeed (ml_anomaly_job, ml_datafeed, each element of ml_anomaly_jobs'
``jobs`` and the role that passes them on) validates it with these specs, so Ansible converts and checks
it the same way everywhere: ``"false"`` is false, ``2024`` is the id ``"2024"``, a misspelt key is refused
with its name, and ES's aliases (``indexes``, ``aggs``) are accepted.

FOR INTERNAL COLLECTION USE ONLY: the interfaces here may change in any release.
Python versions supported: 3.9 and later.
"""

from __future__ import annotations

import re

from ansible.module_utils.common.validation import (
    check_type_bool, check_type_dict, check_type_int, check_type_list, check_type_str)

from ansible_collections.mlops.elasticsearch.plugins.module_utils._units import UnitError, parse_duration


class ConfigError(ValueError):
    """Input Elasticsearch could not accept, or that cannot mean what it says; the message names the option."""


ID_RE = re.compile(r"[a-z0-9](?:[a-z0-9_\-.]*[a-z0-9])?\Z")


def validate_id(what, value, max_length=64):
    """ES's id rule (ES MlStrings; ``_all`` never matches it); checked here so a bad id fails before any request.

    Jobs, groups and calendars may have at most 64 characters; datafeeds and filters have no limit
    (``max_length=None``; ES MlFilter, elastic/terraform-provider-elasticstack#3798).
    """
    if not isinstance(value, str) or not ID_RE.match(value) or (max_length and len(value) > max_length):
        size = "1 to %d " % max_length if max_length else ""
        raise ConfigError("%s %r is not valid: use %slowercase letters, digits, hyphens, underscores or dots, "
                          "starting and ending with a letter or digit" % (what, value, size))


def validate_datafeed_id(value):
    """Datafeed ids follow the job id rule without its 64-character limit (elastic/terraform-provider-elasticstack#3798)."""
    validate_id("datafeed_id", value, max_length=None)


def check_duration(name, value):
    """An ES time value option (``timeout: 30m``), refused by name when it is not one; None is unset."""
    if value is not None:
        try:
            parse_duration(value)
        except UnitError as exc:
            raise ConfigError("%s: %s" % (name, exc))


def with_defaults(spec, params):
    """``params`` with every option of the spec, its default (or None) where missing or None, as AnsibleModule
    fills them: the planners read defaults from the spec alone, whoever calls them (a module, the bulk module,
    a test)."""
    out = dict(params)
    for name, option in spec.items():
        if out.get(name) is None:
            out[name] = option.get("default")
    return out


JOB_STATES = ("present", "absent", "opened", "closed", "reset")
# A declared set converges to states that hold; reset is an action (it empties the job each time it runs), so the
# bulk module and the role leave it to ml_anomaly_job.
BULK_JOB_STATES = ("present", "absent", "opened", "closed")
DATAFEED_STATES = ("present", "absent", "started", "stopped")
PRESENCE_STATES = ("present", "absent")

# What GET returns but a job definition does not hold: accepted (so an export can be pasted) and ignored.
JOB_GENERATED = ("job_type", "job_version", "create_time", "finished_time", "model_snapshot_id",
                 "model_snapshot_min_version", "deleting", "blocked")
DATAFEED_GENERATED = ("authorization",)


def datafeed_body_spec():
    """A datafeed's body, as the create API takes it (``indexes`` and ``aggs`` are ES's aliases)."""
    return dict(
        indices=dict(type="list", elements="str", aliases=["indexes"]),
        query=dict(type="dict"),
        aggregations=dict(type="dict", aliases=["aggs"]),
        script_fields=dict(type="dict"),
        runtime_mappings=dict(type="dict"),
        scroll_size=dict(type="int"),
        frequency=dict(type="str"),
        query_delay=dict(type="str"),
        chunking_config=dict(type="dict"),
        delayed_data_check_config=dict(type="dict"),
        indices_options=dict(type="dict"),
        max_empty_searches=dict(type="int"),
    )


def _generated(names):
    return dict((name, dict(type="raw")) for name in names)


def job_datafeed_config_spec():
    """A job's ``datafeed_config``: the datafeed body with its id, as ES's job create API and GET carry it."""
    spec = datafeed_body_spec()
    spec.update(datafeed_id=dict(type="str"), job_id=dict(type="str"))
    spec.update(_generated(DATAFEED_GENERATED))
    return spec


def job_body_spec():
    """A job's body, as the create API takes it; what GET adds is accepted and ignored."""
    spec = dict(
        description=dict(type="str"),
        groups=dict(type="list", elements="str"),
        analysis_config=dict(type="dict"),
        analysis_limits=dict(type="dict"),
        data_description=dict(type="dict"),
        model_plot_config=dict(type="dict"),
        custom_settings=dict(type="dict"),
        results_index_name=dict(type="str"),
        results_retention_days=dict(type="int"),
        allow_lazy_open=dict(type="bool"),
        model_snapshot_retention_days=dict(type="int"),
        daily_model_snapshot_retention_after_days=dict(type="int"),
        renormalization_window_days=dict(type="int"),
        background_persist_interval=dict(type="str"),
        system_annotations_retention_days=dict(type="int"),
        # checked against job_datafeed_config_spec() by the job planner, where ml_anomaly_job and the bulk path
        # both pass (a nested spec here would have to be documented twice, with every datafeed option)
        datafeed_config=dict(type="dict"),
    )
    spec.update(_generated(JOB_GENERATED))
    return spec


def job_lifecycle_spec(states=JOB_STATES):
    """What a job run takes besides its body (ml_anomaly_job's own options)."""
    return dict(
        job_id=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=list(states)),
        recreate=dict(type="bool", default=False),
        force=dict(type="bool", default=False),
        timeout=dict(type="str"),
        wait_for_completion=dict(type="bool", default=True),
        delete_user_annotations=dict(type="bool", default=False),
        allow_no_match=dict(type="bool", default=True),
        preflight=dict(type="bool", default=True),
        preflight_window=dict(type="str", default="1d"),
        preflight_cardinality=dict(type="dict", options=dict(
            overall_cardinality=dict(type="dict"), max_bucket_cardinality=dict(type="dict"))),
    )


def anomaly_job_spec():
    """ml_anomaly_job's options."""
    spec = job_lifecycle_spec()
    spec.update(job_body_spec())
    return spec


def datafeed_lifecycle_spec():
    """What a datafeed run takes besides its body (ml_datafeed's own options)."""
    return dict(
        datafeed_id=dict(type="str"),
        job_id=dict(type="str"),
        state=dict(type="str", default="present", choices=list(DATAFEED_STATES)),
        start=dict(type="str"),
        end=dict(type="str"),
        restart=dict(type="bool", default=False),
        open_job=dict(type="bool", default=False),
        recreate=dict(type="bool", default=False),
        force=dict(type="bool", default=False),
        timeout=dict(type="str"),
        preflight=dict(type="bool", default=True),
        preflight_window=dict(type="str", default="1d"),
    )


def datafeed_spec():
    """ml_datafeed's options."""
    spec = datafeed_lifecycle_spec()
    spec.update(datafeed_body_spec())
    spec.update(_generated(DATAFEED_GENERATED))
    return spec


def calendar_spec():
    """ml_calendar's options."""
    return dict(
        calendar_id=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=list(PRESENCE_STATES)),
        description=dict(type="str"),
        job_ids=dict(type="list", elements="str"),
        events=dict(type="list", elements="dict"),
        purge_events=dict(type="bool", default=False),
        purge_past_events=dict(type="bool", default=False),
        recreate=dict(type="bool", default=False),
        preflight=dict(type="bool", default=True),
    )


def calendar_event_spec():
    """One scheduled event, as the post events API takes it (ml_calendar's ``events`` elements)."""
    return dict(
        description=dict(type="str", required=True),
        start_time=dict(type="raw", required=True),
        end_time=dict(type="raw", required=True),
        skip_result=dict(type="bool", default=True),
        skip_model_update=dict(type="bool", default=True),
        force_time_shift=dict(type="int"),
    )


def filter_spec():
    """ml_filter's options."""
    return dict(
        filter_id=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=list(PRESENCE_STATES)),
        description=dict(type="str"),
        items=dict(type="list", elements="str"),
    )


SNAPSHOT_STATES = ("present", "reverted", "upgraded", "absent")
SNAPSHOT_SELECTORS = ("snapshot_id", "latest_before", "matching_description")


def model_snapshot_spec():
    """ml_model_snapshot's options."""
    return dict(
        job_id=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=list(SNAPSHOT_STATES)),
        snapshot_id=dict(type="str"),
        latest_before=dict(type="str"),
        matching_description=dict(type="str"),
        keep_newest=dict(type="int"),
        description=dict(type="str"),
        retain=dict(type="bool"),
        delete_intervening_results=dict(type="bool", default=False),
        restart=dict(type="bool", default=True),
        min_version=dict(type="str"),
        wait_for_completion=dict(type="bool", default=True),
        timeout=dict(type="str", default="30m"),
    )


def model_snapshot_info_spec():
    """ml_model_snapshot_info's options."""
    return dict(
        job_id=dict(type="str", required=True),
        snapshot_id=dict(type="str"),
        start=dict(type="str"),
        end=dict(type="str"),
        sort=dict(type="str", default="timestamp"),
        desc=dict(type="bool", default=False),
        min_version=dict(type="str"),
        size=dict(type="int"),
        **{"from": dict(type="int", default=0)}
    )


def upgrade_mode_spec():
    """ml_upgrade_mode's options."""
    return dict(
        enabled=dict(type="bool", required=True),
        timeout=dict(type="str", default="30s"),
    )


def anomaly_jobs_spec():
    """ml_anomaly_jobs' options (each element of ``jobs`` is checked against ``bulk_job_spec``)."""
    return dict(
        jobs=dict(type="list", elements="dict", required=True),
        managed_group=dict(type="str"),
        prune_force=dict(type="bool", default=False),
        preflight=dict(type="bool", default=True),
        preflight_window=dict(type="str", default="1d"),
        keep_snapshots=dict(type="int"),
        declared_filters=dict(type="list", elements="str", default=[]),
        declared_calendars=dict(type="list", elements="str", default=[]),
        skip_missing_dependencies=dict(type="bool", default=False),
        parallelism=dict(type="int", default=16),
        declared_job_ids=dict(type="list", elements="str", default=[]),
        return_bodies=dict(type="bool", default=True),
    )


def info_spec(id_option, **more):
    """An info module's options: the ids to read (every one when not given), and ``more``."""
    spec = {id_option: dict(type="list", elements="str")}
    spec.update(more)
    return spec


def stats_info_spec(id_option):
    """ml_anomaly_job_info's and ml_datafeed_info's options: configs and, unless told not to, their stats."""
    return info_spec(id_option, allow_no_match=dict(type="bool", default=True),
                     include_stats=dict(type="bool", default=True), exclude_generated=dict(type="bool", default=False))


def bulk_job_spec():
    """One element of ml_anomaly_jobs' ``jobs`` (and of the role's ``anomaly_detection_jobs``)."""
    config = job_body_spec()
    config.update(job_id=dict(type="str"))
    return dict(
        job_id=dict(type="str", required=True),
        state=dict(type="str", default="opened", choices=list(BULK_JOB_STATES)),
        config=dict(type="dict", options=config),
        recreate=dict(type="bool", default=False),
        force=dict(type="bool", default=False),
        keep_snapshots=dict(type="int"),
        calendars=dict(type="list", elements="str"),
        # the role's: the Kibana spaces it puts the job in with ml_job_spaces (ml_anomaly_jobs does not use it)
        kibana_spaces=dict(type="list", elements="str"),
        datafeed=dict(type="dict", options=dict(
            datafeed_id=dict(type="str"),
            state=dict(type="str", choices=list(DATAFEED_STATES)),
            config=dict(type="dict", options=job_datafeed_config_spec()),  # a datafeed as GET returns it
            start=dict(type="str"),
            end=dict(type="str"),
        )),
    )


class OptionError(ConfigError):
    """A value that does not fit its option spec; the message names its full path (``jobs[2].config.groups``)."""


_CHECKS = {"bool": check_type_bool, "int": check_type_int, "dict": check_type_dict, "list": check_type_list,
           "str": lambda value: check_type_str(value, allow_conversion=True)}
_KINDS = {"bool": "true or false", "int": "an integer", "dict": "a mapping", "list": "a list", "str": "a string"}


def _convert(path, kind, value):
    if kind == "raw" or value is None:
        return value
    if kind == "int" and isinstance(value, bool):
        raise OptionError("%s: expected an integer, got %r" % (path, value))
    if kind == "str" and isinstance(value, (dict, list)):
        raise OptionError("%s: expected a string, got %s" % (path, "a mapping" if isinstance(value, dict) else "a list"))
    try:
        return _CHECKS[kind](value)
    except (TypeError, ValueError) as exc:
        raise OptionError("%s: expected %s, got %r (%s)" % (path, _KINDS[kind], value, exc))


def validate(spec, values, path):
    """``values`` checked and converted against ``spec`` as Ansible checks a module's options, with the same
    conversions (``"no"`` is false, ``"30"`` is 30), aliases, choices, defaults and required keys, and
    unknown keys refused. Keys not given stay absent (no None fill). Raises OptionError naming the path."""
    if values is None:
        raise OptionError("%s: expected a mapping, got null" % path)
    values = _convert(path, "dict", values)
    names = {}
    for name, option in spec.items():
        for alias in [name] + list(option.get("aliases") or []):
            names[alias] = name
    out = {}
    for key, value in values.items():
        if key not in names:
            raise OptionError("%s: unknown key %r; expected one of %s" % (path, key, ", ".join(sorted(spec))))
        name = names[key]
        if name in out:
            raise OptionError("%s: %s and its alias are both given; give one" % (path, name))
        out[name] = value
    for name, option in spec.items():
        where = "%s.%s" % (path, name)
        if out.get(name) is None:
            out.pop(name, None)
            if option.get("required"):
                raise OptionError("%s is required" % where)
            if option.get("default") is not None:
                out[name] = option["default"]
            continue
        value = _convert(where, option.get("type", "str"), out[name])
        if option.get("type") == "list" and option.get("elements"):
            value = [_convert("%s[%d]" % (where, i), option["elements"], item) for i, item in enumerate(value)]
        if option.get("options"):
            value = validate(option["options"], value, where)
        if option.get("choices") is not None and value not in option["choices"]:
            raise OptionError("%s: %r is not one of %s" % (where, value, ", ".join(option["choices"])))
        out[name] = value
    return out


def given(values):
    """The keys a user set in a nested-options dict (Ansible fills the others with None)."""
    return dict((k, v) for k, v in (values or {}).items() if v is not None)


def job_spaces_spec():
    """ml_job_spaces: the jobs, and their spaces exact or as changes."""
    return dict(
        job_id=dict(type="list", elements="str"),
        jobs=dict(type="list", elements="dict"),
        spaces=dict(type="list", elements="str"),
        spaces_to_add=dict(type="list", elements="str"),
        spaces_to_remove=dict(type="list", elements="str"),
        sync_missing=dict(type="bool", default=True),
        allow_cleanup=dict(type="bool", default=False),
        created_job_ids=dict(type="list", elements="str", default=[]),
    )


JOB_SPACES_EXCLUSIVE = [("job_id", "jobs"), ("spaces", "spaces_to_add"), ("spaces", "spaces_to_remove"),
                        ("jobs", "spaces"), ("jobs", "spaces_to_add"), ("jobs", "spaces_to_remove")]


def saved_objects_sync_spec():
    """ml_saved_objects_sync: the space the sync runs in, and where the objects it makes go."""
    return dict(
        space=dict(type="str"),
        add_to_all_spaces=dict(type="bool"),
    )
