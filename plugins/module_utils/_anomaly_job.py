# -*- coding: utf-8 -*-
# Copyright (c) 2026, mlops.elasticsearch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The lifecycle of one anomaly-detection job: read, compare, plan, then apply or (check mode) report.

``run()`` is what the ml_anomaly_job module does; it returns the module's result and raises
ReconcileError, ConfigError or ElasticsearchError for main() to report.

Requests, at their minimum (a no-op costs only reads):

- present: GET the job (1); create: + PUT; update: + POST _update; a model memory change on an
  open job also reads stats (and the datafeed's) to close, update, reopen and restart it.
- opened/closed/reset/absent: GET the job and GET its stats (2), then the writes that are needed.

FOR INTERNAL COLLECTION USE ONLY: the interfaces here may change in any release.
Python versions supported: 3.9 and later.
"""

from __future__ import annotations

import copy

from ansible_collections.mlops.elasticsearch.plugins.module_utils._compare import apply_changes
from ansible_collections.mlops.elasticsearch.plugins.module_utils._job_config import (
    comparable, defaults_for_create, desired_body, differences, request_body, update_body)
from ansible_collections.mlops.elasticsearch.plugins.module_utils._options import (
    JOB_STATES, ConfigError, anomaly_job_spec, check_duration, given, job_datafeed_config_spec, validate, validate_id,
    with_defaults)
from ansible_collections.mlops.elasticsearch.plugins.module_utils._preflight import Preflight
from ansible_collections.mlops.elasticsearch.plugins.module_utils._reconcile import (
    Action, Facts, Plan, Planner, ReconcileError, apply, is_already_exists, is_conflict, is_missing)
from ansible_collections.mlops.elasticsearch.plugins.module_utils._units import UnitError, es_seconds, parse_mib


STATES = JOB_STATES
OPEN = ("opened", "opening")
# What a datafeed config from GET carries that a job's PUT need not send again (its id is sent, its job is the job).
DATAFEED_GENERATED = ("job_id", "authorization")


def feed_body(params):
    """The datafeed's request body (_datafeed_config.desired_body). The datafeed's modules are imported only by a job
    that declares one: a module runs from a zip that Python compiles on every task, so what a job without a datafeed
    never uses is not loaded (docs/performance.md, per-task overhead)."""
    from ansible_collections.mlops.elasticsearch.plugins.module_utils._datafeed_config import desired_body
    return desired_body(params)


def default_datafeed_id(job_id, job):
    """The id of a job's declared ``datafeed_config`` that names none: that of the datafeed the job has (from GET),
    else the job's own id, as ES defaults it when it creates the job."""
    return ((job or {}).get("datafeed_config") or {}).get("datafeed_id") or job_id


def _is_expression(job_id):
    return job_id == "_all" or "*" in job_id or "," in job_id


# -- declare -----------------------------------------------------------------------------------------------------

def declare(params, warn):
    """Everything that can be refused without asking the server, refused before any request."""
    declared = Facts(**with_defaults(anomaly_job_spec(), params))
    declared.body = declared.feed = None
    declared.expression = _is_expression(declared.job_id)
    if declared.state not in STATES:
        raise ConfigError("state must be one of %s" % ", ".join(STATES))
    if declared.expression and declared.state != "closed":
        raise ConfigError("job_id %r names several jobs; only state=closed accepts a wildcard, a list or _all. "
                          "%s acts on exactly one job: name it" % (declared.job_id, declared.state))
    if not declared.expression:
        validate_id("job_id", declared.job_id)
    check_duration("timeout", declared.timeout)
    check_duration("preflight_window", declared.preflight_window)
    declared.wait_seconds = es_seconds(declared.timeout, default=1800.0)
    if declared.state == "absent":
        return declared  # a delete needs no configuration: one given (the same task with state flipped) is not used
    declared.body = desired_body(params)
    if declared.body is not None and declared.expression:
        raise ConfigError("the job's configuration options apply to one job, but job_id %r names several"
                          % declared.job_id)
    if declared.datafeed_config is not None:
        declared.feed = _declared_feed(declared, warn)
        if declared.body is None:
            raise ConfigError("datafeed_config is given without the job's analysis_config: give the job's whole "
                              "body with it")
    return declared


def _declared_feed(declared, warn):
    """``datafeed_config`` as ES's job create API takes it: the datafeed's params for the datafeed planner, its id
    left unset when not given (``feed_params`` resolves it against the job as read)."""
    config = given(validate(job_datafeed_config_spec(), declared.datafeed_config, "datafeed_config"))
    if config.get("job_id") not in (None, declared.job_id):
        raise ConfigError("datafeed_config.job_id is %r, but the job is %r; leave it out"
                          % (config["job_id"], declared.job_id))
    if config.pop("authorization", None) is not None:
        warn("datafeed_config.authorization is ignored: Elasticsearch records the creating user's roles itself")
    params = dict(config, job_id=declared.job_id, state="present")
    if "indices" not in config:
        raise ConfigError("datafeed_config.indices is required: the datafeed reads them")
    try:
        feed_body(params)
    except ConfigError as exc:
        raise ConfigError("datafeed_config.%s" % exc)
    return params


def closes_by_expression(declared):
    """closed without a body: one stats read for the id, group or expression, then one close."""
    return declared.state == "closed" and (declared.body is None or declared.expression)


# -- read --------------------------------------------------------------------------------------------------------

def read(api, declared, check_mode):
    """One snapshot: the job, then only what the plan needs (its stats, its datafeed's stats). A job that a delete,
    reset or revert holds is waited for first (in check mode: predicted)."""
    current = Facts(job=None, stats=None, feed_stats=None, waited=[], task=None, jobs=None)
    if closes_by_expression(declared):
        found = api.get_job_stats(declared.job_id, allow_no_match=declared.allow_no_match)
        current.jobs = found.get("jobs") or []
        return current
    current.job = _read_job(api, declared)
    _wait_if_blocked(api, declared, current, check_mode)
    if current.job is None or current.task is not None:
        return current
    stats, feed_stats = _reads_needed(declared, current.job)
    if stats or declared.state != "present":
        current.stats = api.job_stats(declared.job_id)
    feed = _feed_id(current)
    if feed and (feed_stats is True or (feed_stats is None and _job_state(current) in OPEN)):
        current.feed_stats = api.datafeed_stats(feed) or {}
    return current


def _read_job(api, declared):
    found = api.get_jobs(declared.job_id, not_found_ok=True)
    jobs = (found or {}).get("jobs") or []
    mine = [j for j in jobs if j.get("job_id") == declared.job_id]
    if jobs and not mine:
        raise ReconcileError(
            "job_id [%s] is a group of %d jobs (%s), not a job; state=%s acts on one job. Use state=closed to close "
            "a group, or name a job" % (declared.job_id, len(jobs), ", ".join(j["job_id"] for j in jobs),
                                        declared.state))
    return mine[0] if mine else None


def _wait_if_blocked(api, declared, current, check_mode):
    """A job busy with a delete, reset or revert is waited for before anything else (ES Blocked)."""
    blocked = (current.job or {}).get("blocked")
    if not blocked:
        return
    reason = blocked.get("reason")
    if declared.state == "absent" and reason == "delete" and not declared.wait_for_completion:
        current.task = blocked.get("task_id")
        return
    current.waited.append(Action(
        "wait_for_job", {"job_id": declared.job_id}, shown_as=("get_jobs", {"job_id": declared.job_id}),
        note="the job is busy with [%s] (task %s); waited for it to finish" % (reason, blocked.get("task_id"))
    ).as_dict())
    if not check_mode:
        current.job = api.wait_for_job_unblocked(declared.job_id, timeout=declared.wait_seconds, interval=1.0)
    elif reason == "delete":
        current.job = None  # what the running delete will leave
    else:
        current.job = dict((k, v) for k, v in current.job.items() if k != "blocked")


def _reads_needed(declared, job):
    """(job stats, datafeed stats) that planning the declared body against ``job`` needs: True, False, or for the
    datafeed's stats None, meaning only when the job is open (an update of its memory limit restarts it)."""
    if declared.body is None or declared.state == "absent":
        return False, False
    changes = differences(declared.body, job)
    if any(not c.updatable for c in changes):
        return bool(declared.recreate), bool(declared.recreate)
    if "analysis_limits" in update_body(changes, declared.body, job):
        return True, None
    return False, False


def _job_state(current):
    """The job's run state as read, or None when its stats were not read."""
    if current.job is None or current.stats is None:
        return None
    return (current.stats or {}).get("state", "closed")


def _feed_id(current):
    config = (current.job or {}).get("datafeed_config")
    return config.get("datafeed_id") if config else None


def _feed_started(current):
    return (current.feed_stats or {}).get("state") in ("started", "starting")


def feed_params(declared, job):
    """The declared datafeed's params for the datafeed planner, its id resolved against ``job`` as read."""
    if declared.feed is None:
        return None
    return dict(declared.feed, datafeed_id=declared.feed.get("datafeed_id") or default_datafeed_id(declared.job_id, job))


# -- plan --------------------------------------------------------------------------------------------------------

def plan(current, declared):
    """The plan for one job (or, for state=closed without a body, for an id expression), and its diff."""
    if current.jobs is not None:
        return _plan_close_expression(current, declared)
    job, state = current.job, _job_state(current)
    out = Plan("job [%s]" % declared.job_id,
               start_state="absent" if job is None else (current.stats or {}).get("state", "closed"))
    out.waited = list(current.waited)
    out.before = comparable(job) or {}
    if state is not None:
        out.before["state"] = state
    if current.task is not None:
        return out  # a delete already runs and the run does not wait for it
    if declared.state == "absent":
        _plan_absent(out, current, declared)
        return out
    state = _plan_config(out, current, declared, state)
    if declared.state == "opened":
        state = _plan_open(out, declared, state)
    elif declared.state == "closed":
        state = _plan_close(out, current, declared, state)
    elif declared.state == "reset":
        state = _plan_reset(out, current, declared, state)
    out.state = state
    if job is None:
        out.after = defaults_for_create(declared.body)
    else:
        out.after = apply_changes(comparable(job), out.changes)
    if state is not None and ("state" in out.before or declared.state != "present"):
        out.after["state"] = state
    if declared.state == "reset" and job is not None and current.stats is not None:
        # what a reset removes: the records it has seen and its model snapshot
        held = {"processed_record_count": (current.stats.get("data_counts") or {}).get("processed_record_count", 0),
                "model_snapshot_id": job.get("model_snapshot_id")}
        out.before.update(held)
        out.after.update({"processed_record_count": 0, "model_snapshot_id": None} if "reset_job" in out.names() else held)
    return out


def _plan_config(out, current, declared, state):
    """Create, update in place, or (with recreate) replace the job; returns the run state after."""
    job = current.job
    if job is None:
        if declared.body is None:
            if declared.state == "present":
                raise ReconcileError("job [%s] does not exist; give its analysis_config (and the rest of its "
                                     "body) to create it" % declared.job_id)
            raise ReconcileError("No known job with id '%s'; give its analysis_config (and the rest of its "
                                 "body) to create it, or name an existing job" % declared.job_id)
        out.add(_create(declared, _create_body(declared, job)))
        return "closed"
    if declared.body is None:
        return state
    out.changes = differences(declared.body, job)
    immutable = [c for c in out.changes if not c.updatable]
    if immutable:
        if not declared.recreate:
            raise ReconcileError(
                "job [%s] differs in settings Elasticsearch cannot update in place: %s. Set recreate=true to delete "
                "and re-create the job (its model state and results are lost; its datafeed and its open/started "
                "state are restored), or declare the job as it is"
                % (declared.job_id, "; ".join("%s is %s, declared %s" % (c.path, _show(c.before), _show(c.after))
                                              for c in immutable)),
                changes=[c.as_dict() for c in immutable])
        return _plan_recreate(out, current, declared, state)
    body = update_body(out.changes, declared.body, job)
    if not body:
        return state
    if "analysis_limits" in body and state in OPEN:
        return _plan_update_open_job(out, current, declared, body, state)
    out.add(_update(declared, body))
    return state


def _plan_update_open_job(out, current, declared, body, state):
    """analysis_limits needs a closed job (ES JobUpdate): close (stops the datafeed), update, reopen, restart."""
    feed = _feed_id(current)
    restart = _feed_started(current)
    stopped = " with datafeed [%s] stopped" % feed if restart else ""
    out.add(_close(declared, note=("also stops datafeed [%s]" % feed) if restart else None, leaves="closed" + stopped))
    out.add(_update(declared, body, leaves="closed and updated" + stopped))
    out.add(_open(declared, leaves="open with the new settings%s" % (", datafeed [%s] stopped" % feed if restart else "")))
    if restart:
        out.add(_start_feed(feed))
    # if a step after the close fails, reopen (and restart) so the job runs as before: the same task then
    # finds the job running and only the update to do, or nothing left
    out.restore_after = "close_job"
    out.restore = [_open(declared)] + ([_start_feed(feed)] if restart else [])
    return state


def _plan_recreate(out, current, declared, state):
    """close, delete, then one PUT that re-creates the job with its datafeed (``datafeed_config``): no moment
    after the PUT where the datafeed exists only in this run's memory. Should the PUT fail, the failure
    carries the datafeed's body (``datafeed_config``) to declare on the re-run."""
    if state == "failed" and not declared.force:
        raise ReconcileError("job [%s] has failed; set force=true to recreate it" % declared.job_id)
    feed = _feed_id(current)
    restart = _feed_started(current)
    runs_after = declared.state not in ("closed", "reset")
    was_open = state in ("opened", "opening", "failed")
    if was_open:
        out.add(_close(declared, force=state == "failed", leaves="closed",
                       note=("also stops datafeed [%s]" % feed) if restart else None))
        if runs_after:
            out.restore_after = "close_job"  # a failed delete leaves the old job: run it as before
            out.restore = [_open(declared)] + ([_start_feed(feed)] if restart else [])
    delete = out.add(_delete(declared, wait=True, note=("also deletes datafeed [%s]" % feed) if feed else None,
                             leaves="deleted (with its results%s)" % (" and datafeed [%s]" % feed if feed else "")))
    body = _create_body(declared, current.job)
    if feed and declared.feed is None:
        saved = dict((k, v) for k, v in current.job["datafeed_config"].items() if k not in DATAFEED_GENERATED)
        body["datafeed_config"] = saved
        delete.loses = ({"datafeed_config": saved},
                        "Its datafeed [%s] was deleted with it; its body is in this result's datafeed_config: "
                        "give it to the task as datafeed_config so that the run that re-creates the job "
                        "re-creates the datafeed too." % feed)
    create = out.add(_create(declared, body, leaves="re-created%s" % (" with its datafeed" if feed else "")))
    create.puts_back = "delete_job"
    create.restorable = False  # the old job is gone: nothing to bring back to running
    if was_open and runs_after:
        out.add(_open(declared, leaves="re-created and open"))
        if restart:
            out.add(_start_feed(feed))
        return "opened"
    return "closed"


def _plan_open(out, declared, state):
    if state in OPEN:
        return state
    if state == "failed":
        raise ReconcileError("job [%s] has failed; close it with state=closed and force=true, then open it again"
                             % declared.job_id)
    if state == "closing":
        out.add(Action("wait_for_job", {"job_id": declared.job_id, "states": ["closed"],
                                        "timeout": declared.wait_seconds},
                       api_method="wait_for_job_state", shown_as=("get_job_stats", {"job_id": declared.job_id}),
                       note="polls until the job is closed"))
    out.add(_open(declared, leaves="open"))
    return "opened"


def _plan_close(out, current, declared, state):
    if state == "closed":
        return state
    if state == "failed" and not declared.force:
        raise ReconcileError("job [%s] has failed; set force=true to close it" % declared.job_id)
    out.add(_close(declared, force=bool(declared.force), note=_stops_feed_note(current), leaves="closed"))
    return "closed"


def _stops_feed_note(current):
    """Closing stops the job's datafeed if it runs; said without reading its state (a request saved)."""
    feed = _feed_id(current)
    return ("also stops datafeed [%s] if it is started" % feed) if feed else None


def _plan_reset(out, current, declared, state):
    if out.names() == ["put_job"]:
        return "closed"  # a job just created holds nothing to reset
    counts = (current.stats or {}).get("data_counts") or {}
    holds = counts.get("processed_record_count") or (current.job or {}).get("model_snapshot_id")
    state = _plan_close(out, current, declared, state) if state != "closed" else state
    if not holds:
        return state  # nothing to reset: a job with no records and no model snapshot is as if new
    out.add(Action("reset_job", {"job_id": declared.job_id, "wait_for_completion": declared.wait_for_completion,
                                 "delete_user_annotations": declared.delete_user_annotations},
                   leaves="closed and reset"))
    return "closed"


def _plan_absent(out, current, declared):
    if current.job is None:
        return
    state = _job_state(current)
    feed = _feed_id(current)
    force = bool(declared.force)
    if state == "failed" and not force:
        raise ReconcileError("job [%s] has failed; set force=true to delete it" % declared.job_id)
    if state in ("opened", "opening", "closing") and not force:
        out.add(_close(declared, note=_stops_feed_note(current), leaves="closed", gone_ok=True))
    out.add(_delete(declared, force=force and state != "closed",
                    note=("also deletes datafeed [%s]" % feed) if feed else None, leaves="deleted"))


def _plan_close_expression(current, declared):
    out = Plan("job [%s]" % declared.job_id, start_state="closed")
    out.changes = None  # closing by expression reports the jobs it found, not a configuration
    jobs = current.jobs
    single = [j["job_id"] for j in jobs] == [declared.job_id]
    failed = [j["job_id"] for j in jobs if j.get("state") == "failed"]
    if failed and not declared.force:
        if single:
            raise ReconcileError("job [%s] has failed; set force=true to close it" % declared.job_id)
        raise ReconcileError("jobs %s have failed; set force=true to close them" % ", ".join(failed))
    open_jobs = [j["job_id"] for j in jobs if j.get("state") != "closed"]
    if open_jobs:
        if single:
            note = "also stops its datafeed, if started"
        else:
            note = "closes %s, and stops their datafeeds" % ", ".join(open_jobs)
        out.add(Action("close_job", {"job_id": declared.job_id, "allow_no_match": None if single else declared.allow_no_match,
                                     "force": declared.force or None, "timeout": declared.timeout},
                       note=note, leaves="closed"))
    out.state = "closed"
    out.before = dict((j["job_id"], j.get("state")) for j in jobs)
    out.after = dict((j["job_id"], "closed") for j in jobs)
    return out


# -- actions -----------------------------------------------------------------------------------------------------

def _create_body(declared, job):
    """The job's PUT body; a declared datafeed goes in it, so that ES creates the two in one request."""
    body = request_body(declared.body)
    feed = feed_params(declared, job)
    if feed is not None:
        body["datafeed_config"] = dict(feed_body(feed), datafeed_id=feed["datafeed_id"])
    return body


def _create(declared, body, leaves="created"):
    job_id, wanted = declared.job_id, declared.body

    def exists_as_declared(api):
        job = api.job(job_id)
        return None if job is None or differences(wanted, job) else job
    return Action("put_job", {"job_id": job_id, "body": body}, body_arg="body", leaves=leaves,
                  verify=exists_as_declared, tolerate=is_already_exists)


def _update(declared, body, leaves="updated"):
    return Action("update_job", {"job_id": declared.job_id, "body": body}, body_arg="body", leaves=leaves)


def _open(declared, leaves="open"):
    job_id = declared.job_id
    return Action("open_job", {"job_id": job_id, "timeout": declared.timeout}, leaves=leaves,
                  verify=lambda api: (api.job_stats(job_id) or {}).get("state") in OPEN,
                  tolerate=lambda exc: is_conflict(exc, "has already been opened"))


def _close(declared, force=False, note=None, leaves="closed", gone_ok=False):
    """Close; with ``gone_ok`` (on the way to deleting it) a job someone else deleted meanwhile is fine."""
    job_id = declared.job_id

    def closed(api):
        if gone_ok:
            return _is_gone(api, declared, wait=False)
        return (api.job_stats(job_id) or {}).get("state", "closed") == "closed"
    return Action("close_job", {"job_id": job_id, "force": force or None, "timeout": declared.timeout},
                  note=note, leaves=leaves, verify=closed, tolerate=is_missing if gone_ok else None)


def _delete(declared, force=False, note=None, leaves="deleted", wait=None):
    """Delete; with ``wait`` (a recreate) always until the job is gone, whatever wait_for_completion says."""
    wait = declared.wait_for_completion if wait is None else wait
    return Action("delete_job", {"job_id": declared.job_id, "force": force or None, "wait_for_completion": wait,
                                 "delete_user_annotations": declared.delete_user_annotations},
                  note=note, leaves=leaves, verify=lambda api: _is_gone(api, declared, wait=wait), tolerate=is_missing)


def _is_gone(api, declared, wait):
    """Whether the job is deleted; one whose delete is running is waited for (within ``timeout``) unless the
    run asked not to wait, in which case the running delete counts."""
    job = api.job(declared.job_id)
    deleting = job is not None and (job.get("blocked") or {}).get("reason") == "delete"
    if deleting and wait:
        job = api.wait_for_job_unblocked(declared.job_id, timeout=declared.wait_seconds, interval=1.0)
        deleting = False
    return job is None or deleting


def _start_feed(feed):
    return Action("start_datafeed", {"datafeed_id": feed}, note="resumes from where it stopped",
                  leaves="open with datafeed [%s] started" % feed,
                  verify=lambda api: (api.datafeed_stats(feed) or {}).get("state") in ("started", "starting"),
                  tolerate=lambda exc: is_conflict(exc, "has already been started"))


def _show(value):
    if isinstance(value, str):
        return repr(value)
    return "unset" if value is None else repr(value)


# -- report ------------------------------------------------------------------------------------------------------

def report(done, current, declared, check_mode):
    """The job as the last response that carried it has it (as read, in check mode), its run state and task."""
    if current.jobs is not None:
        return {"state": "closed", "jobs": [j["job_id"] for j in current.jobs]}
    job, state = current.job, done.state
    task = current.task
    if not check_mode:
        for response in done.results("put_job", "update_job"):
            if isinstance(response, dict) and response.get("job_id"):
                job = response
        job = copy.deepcopy(job)
        for response in done.results("open_job"):
            if isinstance(response, dict) and response.get("node") == "":
                state = "opening"  # a lazy job waiting for a node (ES TransportOpenJobAction)
            if job is not None:
                job.pop("finished_time", None)
        for response in done.results("delete_job", "reset_job"):
            if isinstance(response, dict) and response.get("task"):
                task = response["task"]
        if done.names()[-1:] == ["reset_job"] and job is not None:
            for key in ("model_snapshot_id", "finished_time"):
                job.pop(key, None)
        if declared.state == "absent" and task is None:
            job = None
    out = {"job": job}
    if state is not None:
        out["state"] = state
    if task is not None:
        out["task"] = task
    return out


# -- preflight ---------------------------------------------------------------------------------------------------

def preflight(api, plan, current, declared, checks):
    """What Elasticsearch says, read-only, of the config about to be written (_validate, _ml/info limits,
    _estimate_model_memory, and a datafeed declared with the job previewed), of a lowered memory limit against
    what the model uses, and of opening a job whose datafeed stays stopped."""
    names = plan.names()
    if "put_job" in names or "update_job" in names:
        body = request_body(declared.body)
        checks.job_config(declared.job_id, body)
        checks.model_memory(declared.job_id, body, "open_job" in names, given(declared.preflight_cardinality))
        for change in plan.changes or []:
            if change.path == "analysis_limits.model_memory_limit" and _lowers(change):
                checks.memory_in_use(declared.job_id, str(change.after), current.stats)
    if "put_job" in names and declared.feed is not None:
        feed = feed_params(declared, current.job)  # created with the job: previewed with the job as declared
        checks.datafeed(feed["datafeed_id"], feed_body(feed), declared.job_id, declared.preflight_window,
                        job_config=request_body(declared.body))
    if "open_job" in names and declared.state == "opened":
        feed_id = _feed_id(current) or (feed_params(declared, current.job) or {}).get("datafeed_id")
        state = (current.feed_stats or {}).get("state")
        if feed_id and state is None and current.job is not None and _feed_id(current):
            state = (api.datafeed_stats(feed_id) or {}).get("state")
        checks.idle_close(declared.job_id, feed_id, state)


def _lowers(change):
    try:
        return parse_mib(change.after) < parse_mib(change.before)
    except UnitError:
        return False


PLANNER = Planner(declare, read, plan, report, preflight)


def run(api, params, check_mode=False, diff_mode=False, warn=None, checks=None):
    """What ml_anomaly_job does. Returns the module result (changed, job, state, actions, ...)."""
    warn = warn or (lambda message: None)
    declared = declare(params, warn)
    checks = checks if checks is not None else Preflight(api, warn, enabled=declared.preflight)
    current = read(api, declared, check_mode)
    result = apply(api, PLANNER, declared, current, check_mode, diff_mode, checks)
    feed = feed_params(declared, current.job)
    if feed is not None and "put_job" not in [a["action"] for a in result["actions"]]:
        # the job was there: its declared datafeed is converged as ml_datafeed would (a PUT of the job carried it)
        feed = dict(feed, preflight=declared.preflight, preflight_window=declared.preflight_window)
        from ansible_collections.mlops.elasticsearch.plugins.module_utils import _datafeed  # only with a datafeed
        result["datafeed"] = _datafeed.run(api, feed, check_mode, diff_mode, warn, checks=checks)
        result["changed"] = result["changed"] or result["datafeed"]["changed"]
        result.pop("preflight", None)
        if checks.report:
            result["preflight"] = list(checks.report)
    return result
