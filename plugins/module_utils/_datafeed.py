# -*- coding: utf-8 -*-
# Copyright (c) 2026, mlops.elasticsearch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The lifecycle of one datafeed, on the same reconcile engine as jobs: read, compare, plan, apply or report.

Requests: present reads the datafeed (1); started/stopped/absent also read its stats (2); starting a
stopped datafeed reads its job's stats (3) to know the job is open (or, with ``open_job``, to open it).

FOR INTERNAL COLLECTION USE ONLY: the interfaces here may change in any release.
Python versions supported: 3.9 and later.
"""

from __future__ import annotations

import copy
import re

from ansible_collections.mlops.elasticsearch.plugins.module_utils._compare import apply_changes
from ansible_collections.mlops.elasticsearch.plugins.module_utils._datafeed_config import (
    comparable, desired_body, differences, update_body)
from ansible_collections.mlops.elasticsearch.plugins.module_utils._options import (
    DATAFEED_STATES, ConfigError, check_duration, datafeed_spec, validate_datafeed_id, validate_id, with_defaults)
from ansible_collections.mlops.elasticsearch.plugins.module_utils._preflight import Preflight
from ansible_collections.mlops.elasticsearch.plugins.module_utils._reconcile import (
    Action, Facts, Plan, Planner, ReconcileError, converge, is_already_exists, is_conflict, is_missing)
from ansible_collections.mlops.elasticsearch.plugins.module_utils._units import epoch_ms, es_seconds

STATES = DATAFEED_STATES
RUNNING = ("started", "starting")


# -- declare -----------------------------------------------------------------------------------------------------

def declare(params, warn):
    """The declared datafeed, refused before any request when it cannot be right."""
    declared = Facts(**with_defaults(datafeed_spec(), params))
    declared.datafeed_id = declared.datafeed_id or ("datafeed-%s" % declared.job_id if declared.job_id else None)
    declared.body = None
    if declared.state not in STATES:
        raise ConfigError("state must be one of %s" % ", ".join(STATES))
    if not declared.datafeed_id:
        raise ConfigError("give datafeed_id, or job_id for the default datafeed-<job_id>")
    validate_datafeed_id(declared.datafeed_id)
    if declared.job_id is not None:
        validate_id("job_id", declared.job_id)
    check_duration("timeout", declared.timeout)
    check_duration("preflight_window", declared.preflight_window)
    if declared.state == "absent":
        return declared  # a delete needs no configuration: one given (the same task with state flipped) is not used
    declared.body = desired_body(params)
    if (declared.start is not None or declared.end is not None) and declared.state != "started":
        raise ConfigError("start and end apply to state=started")
    _check_window(declared)
    if declared.authorization is not None:
        warn("authorization is ignored: Elasticsearch records the creating user's roles itself")
    return declared


def _check_window(declared):
    """start and end as ES parses them (epoch ms, ISO 8601 with a zone, or date math from ``now``), end after
    start, refused before the datafeed is created rather than by the start that follows it."""
    found = {}
    for key in ("start", "end"):
        value = getattr(declared, key)
        if value is None:
            continue
        text = str(value).strip()
        if text.startswith("now"):
            if not re.match(r"now([+-]\d+[yMwdhHms])*(/[yMwdhHms])?\Z", text):
                raise ConfigError("%s: %r is not a date: give epoch milliseconds, ISO 8601 (such as "
                                  "2026-01-31T00:00:00Z) or date math such as now-1d" % (key, value))
            continue
        found[key] = epoch_ms(text)
        if found[key] is None:
            raise ConfigError("%s: %r is not a date: give epoch milliseconds, ISO 8601 (such as "
                              "2026-01-31T00:00:00Z) or date math such as now-1d" % (key, value))
    if "start" in found and "end" in found and found["end"] <= found["start"]:
        raise ConfigError("end (%s) must be after start (%s)" % (declared.end, declared.start))


# -- read --------------------------------------------------------------------------------------------------------

def read(api, declared, check_mode):
    """The datafeed; its stats unless only its config matters (or a config change needs its run state); for a
    start, its job's stats (and, to tell whether a bounded run already reached its end, the job)."""
    current = Facts(datafeed=api.datafeed(declared.datafeed_id), stats=None, job_stats=None, job=None)
    if current.datafeed is None and declared.state == "absent":
        return current
    if current.datafeed is not None and (declared.state != "present" or _config_step(current, declared)[0] in (
            "update", "recreate")):
        current.stats = api.datafeed_stats(declared.datafeed_id) or {}
    step = _config_step(current, declared)[0]  # raises, before any further read, what the plan would raise
    if declared.state == "started" and _state_after(current, step) not in RUNNING:
        job_id = _job_of(current, declared)
        current.job_stats = api.job_stats(job_id) if job_id else None
        latest = ((current.job_stats or {}).get("data_counts") or {}).get("latest_record_timestamp")
        if (declared.end is not None and not declared.restart and step is None and latest is not None
                and epoch_ms(declared.end) is not None):
            current.job = api.job(job_id) or {}
    return current


def _config_step(current, declared):
    """(what the config needs: create, recreate, update or None, the changes); raises what cannot be done."""
    found = current.datafeed
    if found is None:
        if declared.body is None or "indices" not in declared.body or declared.job_id is None:
            raise ReconcileError("datafeed [%s] does not exist; give job_id and indices (and the rest of its body) "
                                 "to create it" % declared.datafeed_id)
        return "create", []
    if declared.job_id is not None and declared.job_id != found.get("job_id"):
        if not declared.recreate:
            raise ReconcileError(
                "datafeed [%s] feeds job [%s], declared [%s]; Elasticsearch cannot change a datafeed's job. Set "
                "recreate=true to delete the datafeed and create it for the declared job"
                % (declared.datafeed_id, found.get("job_id"), declared.job_id))
        return "recreate", []
    changes = differences(declared.body, found) if declared.body is not None else []
    return ("update" if changes else None), changes


def _state_after(current, step):
    """The run state once the config step is done (a created or re-created datafeed is stopped)."""
    if step in ("create", "recreate"):
        return "stopped"
    return _feed_state(current)


def _feed_state(current):
    if current.datafeed is None or current.stats is None:
        return None
    return current.stats.get("state", "stopped")


def _job_of(current, declared):
    return declared.job_id or (current.datafeed or {}).get("job_id")


# -- plan --------------------------------------------------------------------------------------------------------

def plan(current, declared):
    out = Plan("datafeed [%s]" % declared.datafeed_id, start_state=_feed_state(current) or "absent")
    out.before = comparable(current.datafeed) or {}
    if current.datafeed is not None and current.stats is not None:
        out.before["state"] = _feed_state(current)
    if declared.state == "absent":
        _plan_absent(out, current, declared)
        return out
    step, out.changes = _config_step(current, declared)
    state = _feed_state(current)
    if step == "create":
        _add_create(out, declared)
        out.after = dict(copy.deepcopy(declared.body), job_id=declared.job_id)
    elif step == "recreate":
        _plan_recreate(out, current, declared)
        out.after = dict(comparable(current.datafeed), job_id=declared.job_id)
    else:
        if step == "update":
            _plan_update(out, declared, state)
        out.after = apply_changes(comparable(current.datafeed), out.changes)
    state = _state_after(current, step)
    if declared.state == "started":
        state = _plan_start(out, current, declared, state)
    elif declared.state == "stopped" and state in RUNNING:
        out.add(_stop(declared, force=bool(declared.force)))
        state = "stopped"
    out.state = state
    if state is not None and (out.before.get("state") is not None or declared.state != "present"):
        out.after["state"] = state
    return out


def _plan_absent(out, current, declared):
    if current.datafeed is None:
        return
    force = bool(declared.force)
    if _feed_state(current) in RUNNING and not force:
        out.add(_stop(declared, leaves="stopped, not deleted"))
    feed_id = declared.datafeed_id
    out.add(Action("delete_datafeed", {"datafeed_id": feed_id, "force": force or None}, leaves="deleted",
                   verify=lambda api: api.datafeed(feed_id) is None, tolerate=is_missing))


def _add_create(out, declared):
    body = dict(copy.deepcopy(declared.body), job_id=declared.job_id)
    feed_id, wanted = declared.datafeed_id, declared.body

    def exists_as_declared(api):
        found = api.datafeed(feed_id)
        if found is None or found.get("job_id") != declared.job_id or differences(wanted, found):
            return None
        return found
    out.add(Action("put_datafeed", {"datafeed_id": feed_id, "body": body}, body_arg="body", leaves="created",
                   verify=exists_as_declared, tolerate=is_already_exists))


def _plan_update(out, declared, state):
    """An update needs the datafeed stopped: stop, update, start again (from where it stopped)."""
    running = state in RUNNING
    if running:
        out.add(_stop(declared, leaves="stopped, not yet updated"))
    out.add(Action("update_datafeed", {"datafeed_id": declared.datafeed_id,
                                       "body": update_body(out.changes, declared.body)},
                   body_arg="body", leaves="updated%s" % (", stopped" if running else "")))
    if running and declared.state != "stopped":
        out.add(_start(declared, note="resumes from where it stopped"))
        out.restore_after = "stop_datafeed"  # a failed update still leaves the datafeed running
        out.restore = [_start(declared)]


def _plan_recreate(out, current, declared):
    """ES cannot move a datafeed to another job: stop, delete, put it again for the declared job."""
    if _feed_state(current) in RUNNING:
        out.add(_stop(declared, leaves="stopped"))
    body = dict((k, v) for k, v in current.datafeed.items() if k not in ("datafeed_id", "authorization"))
    body.update(copy.deepcopy(declared.body or {}))
    body["job_id"] = declared.job_id
    out.add(Action("delete_datafeed", {"datafeed_id": declared.datafeed_id}, leaves="deleted"))
    out.add(Action("put_datafeed", {"datafeed_id": declared.datafeed_id, "body": body}, body_arg="body",
                   leaves="re-created for job [%s], stopped" % declared.job_id))


def _plan_start(out, current, declared, state):
    """Start (opening the job first with open_job); a bounded run that already reached its end is not rerun."""
    if state in RUNNING:
        return state
    job_id = _job_of(current, declared)
    if declared.end is not None and not declared.restart and not out and _window_done(current, declared):
        out.notes.append("the datafeed has already fed its job up to end %s; set restart=true to run it again"
                         % declared.end)
        return state
    if job_id and current.job_stats is None:
        raise ReconcileError("cannot start datafeed [%s] because its job [%s] does not exist; create the job "
                             "(mlops.elasticsearch.ml_anomaly_job) first" % (declared.datafeed_id, job_id))
    job_state = (current.job_stats or {}).get("state", "closed")
    if job_state not in ("opened", "opening"):
        if not declared.open_job:
            raise ReconcileError("cannot start datafeed [%s] because job [%s] is %s; open the job first "
                                 "(mlops.elasticsearch.ml_anomaly_job with state=opened) or set open_job=true"
                                 % (declared.datafeed_id, job_id, job_state))
        if job_state == "failed":
            raise ReconcileError("job [%s] has failed; close it with force and open it before starting datafeed [%s]"
                                 % (job_id, declared.datafeed_id))
        out.add(Action("open_job", {"job_id": job_id, "timeout": declared.timeout},
                       leaves="stopped, its job [%s] open" % job_id,
                       verify=lambda api: (api.job_stats(job_id) or {}).get("state") in ("opened", "opening"),
                       tolerate=lambda exc: is_conflict(exc, "has already been opened")))
        # a start that fails (an index missing, a field unmapped) closes the job this run opened for it
        out.restore_after = "open_job"
        out.restore = [Action("close_job", {"job_id": job_id, "timeout": declared.timeout}, leaves="closed")]
        out.restored_to = "stopped and its job [%s] %s, as they were" % (job_id, job_state)
    out.add(_start(declared, start=declared.start, end=declared.end))
    return "started"  # a bounded datafeed may finish at once; its next run sees it stopped, and done


def _window_done(current, declared):
    """Whether a bounded run already reached ``end``: the job has processed records to within one bucket of it.

    A datafeed keeps no record of the windows it ran; its job's data counts are the evidence. (A window with no
    data leaves none, and is run again: harmless, as it finds nothing.)
    """
    latest = ((current.job_stats or {}).get("data_counts") or {}).get("latest_record_timestamp")
    end_ms = epoch_ms(declared.end)
    if latest is None or end_ms is None or current.job is None:
        return False
    bucket = es_seconds((current.job.get("analysis_config") or {}).get("bucket_span"), default=300.0) * 1000
    return latest >= end_ms - bucket


def _stop(declared, force=False, leaves="stopped"):
    return Action("stop_datafeed", {"datafeed_id": declared.datafeed_id, "force": force or None,
                                    "timeout": declared.timeout}, leaves=leaves)


def _start(declared, start=None, end=None, note=None):
    feed_id = declared.datafeed_id
    return Action("start_datafeed", {"datafeed_id": feed_id, "start": start, "end": end, "timeout": declared.timeout},
                  note=note, leaves="started",
                  verify=lambda api: (api.datafeed_stats(feed_id) or {}).get("state") in RUNNING,
                  tolerate=lambda exc: is_conflict(exc, "has already been started"))


# -- report ------------------------------------------------------------------------------------------------------

def report(done, current, declared, check_mode):
    datafeed = current.datafeed
    if not check_mode:
        for response in done.results("put_datafeed", "update_datafeed"):
            if isinstance(response, dict) and response.get("datafeed_id"):
                datafeed = response
        if declared.state == "absent":
            datafeed = None
    out = {"datafeed": datafeed}
    if done.state is not None and declared.state != "absent":
        out["state"] = done.state
    return out


# -- preflight ---------------------------------------------------------------------------------------------------

def preflight(api, plan, current, declared, checks):
    """The datafeed about to be created or changed, previewed over the last preflight_window (its errors fail the
    task before any write, no rows is a warning); a job this run opens for it, checked to fit an ML node."""
    names = plan.names()
    if "put_datafeed" in names or "update_datafeed" in names:
        config = dict((k, v) for k, v in (current.datafeed or {}).items()
                      if k not in ("datafeed_id", "job_id", "authorization", "query_delay", "chunking_config"))
        config.update(declared.body or {})
        job_id = _job_of(current, declared)
        # a job that a check-mode run of the bulk path plans to create is not on the server: preview with its body
        predicted = getattr(api, "predicted_job", None)
        job_config = predicted(job_id) if predicted is not None else None
        checks.datafeed(declared.datafeed_id, config, job_id, declared.preflight_window, job_config=job_config)
    if "open_job" in names:
        job_id = _job_of(current, declared)
        job = api.job(job_id) or {}
        checks.fits(job_id, job)


PLANNER = Planner(declare, read, plan, report, preflight)


def run(api, params, check_mode=False, diff_mode=False, warn=None, checks=None):
    """What ml_datafeed does; returns the module result."""
    warn = warn or (lambda message: None)
    if checks is None:
        checks = Preflight(api, warn, enabled=with_defaults(datafeed_spec(), params)["preflight"])
    return converge(api, PLANNER, params, check_mode, diff_mode, warn, checks)
