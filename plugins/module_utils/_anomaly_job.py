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

from ansible_collections.mlops.elasticsearch.plugins.module_utils import _datafeed
from ansible_collections.mlops.elasticsearch.plugins.module_utils._compare import apply_changes
from ansible_collections.mlops.elasticsearch.plugins.module_utils._datafeed_config import desired_body as feed_body
from ansible_collections.mlops.elasticsearch.plugins.module_utils._job_config import (
    ConfigError, comparable, defaults_for_create, desired_body, differences, request_body, update_body,
    validate_id)
from ansible_collections.mlops.elasticsearch.plugins.module_utils._ml_api import datafeed_path as _dpath
from ansible_collections.mlops.elasticsearch.plugins.module_utils._ml_api import job_path as _jpath
from ansible_collections.mlops.elasticsearch.plugins.module_utils._options import (
    JOB_STATES, given, job_datafeed_config_spec, validate)
from ansible_collections.mlops.elasticsearch.plugins.module_utils._reconcile import (
    Action, Plan, ReconcileError, is_already_exists, is_conflict, is_missing)
from ansible_collections.mlops.elasticsearch.plugins.module_utils._units import UnitError, es_seconds, parse_duration

STATES = JOB_STATES
# What a datafeed config from GET carries that a job's PUT need not send again (its id is sent, its job is the job).
DATAFEED_GENERATED = ("job_id", "authorization")


def default_datafeed_id(job_id, job):
    """The id of a job's declared ``datafeed_config`` that names none: that of the datafeed the job has (from GET),
    else the job's own id, as ES defaults it when it creates the job."""
    return ((job or {}).get("datafeed_config") or {}).get("datafeed_id") or job_id


def _is_expression(job_id):
    return job_id == "_all" or "*" in job_id or "," in job_id


class JobRun(object):
    """One module run for one job: facts read from the server, then the plan and its result."""

    def __init__(self, api, params, check_mode, warn):
        self.api = api
        self.params = params
        self.check_mode = check_mode
        self.warn = warn
        self.job_id = params["job_id"]
        self.state = params.get("state") or "present"
        self.body = None
        self.plan = Plan("job [%s]" % self.job_id)
        self.job = None  # the job as the server has it (GET, then responses that carry it)
        self.stats = None
        self.feed_stats = None
        self.changes = []
        self.task = None
        self.final_state = None
        self.pre_actions = []
        self.feed = None  # the datafeed declared with datafeed_config: its params for the datafeed planner

    # -- input -----------------------------------------------------------------------------------------------

    def check_input(self):
        """Everything that can be refused without asking the server, refused before any request."""
        params = self.params
        if self.state not in STATES:
            raise ConfigError("state must be one of %s" % ", ".join(STATES))
        expression = _is_expression(self.job_id)
        if expression and self.state != "closed":
            raise ConfigError("job_id %r names several jobs; only state=closed accepts a wildcard, a list or _all. "
                              "%s acts on exactly one job: name it" % (self.job_id, self.state))
        if not expression:
            validate_id("job_id", self.job_id)
        for key in ("timeout",):
            if params.get(key) is not None:
                try:
                    parse_duration(params[key])
                except UnitError as exc:
                    raise ConfigError("%s: %s" % (key, exc))
        if self.state == "absent":
            return  # a delete needs no configuration: one given (the same task with state flipped) is not used
        self.body = desired_body(params)
        if self.body is not None and expression:
            raise ConfigError("the job's configuration options apply to one job, but job_id %r names several" % self.job_id)
        if params.get("datafeed_config") is not None:
            self.feed = self.declared_feed(params["datafeed_config"])
            if self.body is None:
                raise ConfigError("datafeed_config is given without the job's analysis_config: give the job's whole "
                                  "body with it")

    def declared_feed(self, value):
        """``datafeed_config`` as ES's job create API takes it: the datafeed's body, its id defaulting (as ES
        defaults it) to the job's id, or to the id of the datafeed the job already has."""
        config = given(validate(job_datafeed_config_spec(), value, "datafeed_config"))
        if config.get("job_id") not in (None, self.job_id):
            raise ConfigError("datafeed_config.job_id is %r, but the job is %r; leave it out" % (config["job_id"], self.job_id))
        if config.pop("authorization", None) is not None:
            self.warn("datafeed_config.authorization is ignored: Elasticsearch records the creating user's roles itself")
        params = dict(config, job_id=self.job_id, state="present")
        if "indices" not in config:
            raise ConfigError("datafeed_config.indices is required: the datafeed reads them")
        try:
            feed_body(params)
        except ConfigError as exc:
            raise ConfigError("datafeed_config.%s" % exc)
        return params

    # -- reading ---------------------------------------------------------------------------------------------

    def read_job(self):
        found = self.api.get_jobs(self.job_id, not_found_ok=True)
        jobs = (found or {}).get("jobs") or []
        mine = [j for j in jobs if j.get("job_id") == self.job_id]
        if jobs and not mine:
            raise ReconcileError(
                "job_id [%s] is a group of %d jobs (%s), not a job; state=%s acts on one job. Use state=closed to close "
                "a group, or name a job" % (self.job_id, len(jobs), ", ".join(j["job_id"] for j in jobs), self.state))
        self.job = mine[0] if mine else None

    def read_stats(self):
        if self.job is not None and self.stats is None:
            self.stats = self.api.job_stats(self.job_id)

    def read_feed_stats(self):
        feed = self.datafeed_id()
        if feed and self.feed_stats is None:
            self.feed_stats = self.api.datafeed_stats(feed) or {}

    def datafeed_id(self):
        config = (self.job or {}).get("datafeed_config")
        return config.get("datafeed_id") if config else None

    def feed_params(self):
        """The declared datafeed's params for the datafeed planner, its id resolved against the job as read."""
        if self.feed is None:
            return None
        return dict(self.feed, datafeed_id=self.feed.get("datafeed_id") or default_datafeed_id(self.job_id, self.job))

    def create_body(self):
        """The job's PUT body; a declared datafeed goes in it, so that ES creates the two in one request."""
        body = request_body(self.body)
        feed = self.feed_params()
        if feed is not None:
            body["datafeed_config"] = dict(feed_body(feed), datafeed_id=feed["datafeed_id"])
        return body

    def job_state(self):
        return (self.stats or {}).get("state", "closed")

    def feed_started(self):
        return (self.feed_stats or {}).get("state") in ("started", "starting")

    def wait_if_blocked(self):
        """A job busy with a delete, reset or revert is waited for before anything else (ES Blocked)."""
        blocked = (self.job or {}).get("blocked")
        if not blocked:
            return
        reason = blocked.get("reason")
        if self.state == "absent" and reason == "delete" and not self.params.get("wait_for_completion", True):
            self.task = blocked.get("task_id")
            return
        self.pre_actions.append({"action": "wait_for_job", "method": "GET", "path": _jpath(self.job_id),
                                 "note": "the job is busy with [%s] (task %s); waited for it to finish"
                                         % (reason, blocked.get("task_id"))})
        if self.check_mode:
            if reason == "delete":
                self.job = None  # what the running delete will leave
            else:
                self.job = dict(self.job)
                self.job.pop("blocked", None)
            return
        self.job = self.api.wait_for_job_unblocked(self.job_id, timeout=self.wait_seconds(), interval=1.0)

    def wait_seconds(self):
        return es_seconds(self.params.get("timeout"), default=1800.0)

    # -- planning --------------------------------------------------------------------------------------------

    def closes_by_expression(self):
        """closed without a body: one stats read for the id, group or expression, then one close."""
        return self.state == "closed" and (self.body is None or _is_expression(self.job_id))

    def plan_all(self):
        if self.closes_by_expression():
            return self.plan_close_expression()
        self.read_job()
        self.wait_if_blocked()
        if self.task is not None:
            self.final_state = None
            return
        if self.state == "absent":
            return self.plan_absent()
        if self.state != "present" and self.job is not None:
            self.read_stats()
        current_state = self.job_state() if self.job is not None and self.stats is not None else None
        current_state = self.plan_config(current_state)
        if self.state == "opened":
            current_state = self.plan_open(current_state)
        elif self.state == "closed":
            current_state = self.plan_close(current_state)
        elif self.state == "reset":
            current_state = self.plan_reset(current_state)
        self.final_state = current_state

    def plan_config(self, state):
        """Create, update in place, or (with recreate) replace the job; returns the run state after."""
        if self.job is None:
            if self.body is None:
                if self.state == "present":
                    raise ReconcileError("job [%s] does not exist; give its analysis_config (and the rest of its "
                                         "body) to create it" % self.job_id)
                raise ReconcileError("No known job with id '%s'; give its analysis_config (and the rest of its "
                                     "body) to create it, or name an existing job" % self.job_id)
            self.add_create()
            return "closed"
        if self.body is None:
            return state
        self.changes = differences(self.body, self.job)
        immutable = [c for c in self.changes if not c.updatable]
        if immutable:
            if not self.params.get("recreate"):
                raise ReconcileError(
                    "job [%s] differs in settings Elasticsearch cannot update in place: %s. Set recreate=true to delete "
                    "and re-create the job (its model state and results are lost; its datafeed and its open/started "
                    "state are restored), or declare the job as it is"
                    % (self.job_id, "; ".join("%s is %s, declared %s" % (c.path, _show(c.before), _show(c.after))
                                              for c in immutable)),
                    changes=[c.as_dict() for c in immutable])
            return self.plan_recreate(state)
        body = update_body(self.changes, self.body, self.job)
        if not body:
            return state
        if "analysis_limits" in body:
            if state is None or self.stats is None:
                self.read_stats()
                state = self.job_state()
            if state in ("opened", "opening"):
                return self.plan_update_open_job(body, state)
        self.add_update(body)
        return state

    def plan_update_open_job(self, body, state):
        """analysis_limits needs a closed job (ES JobUpdate): close (stops the datafeed), update, reopen, restart."""
        self.read_feed_stats()
        feed = self.datafeed_id()
        restart = self.feed_started()
        self.add_close(note=("also stops datafeed [%s]" % feed) if restart else None,
                       leaves="closed%s" % (" with datafeed [%s] stopped" % feed if restart else ""))
        self.add_update(body, leaves="closed and updated%s" % (" with datafeed [%s] stopped" % feed if restart else ""))
        self.add_open(leaves="open with the new settings%s" % (", datafeed [%s] stopped" % feed if restart else ""))
        if restart:
            self.add_start_datafeed(feed)
        # if a step after the close fails, reopen (and restart) so the job runs as before: the same task then
        # finds the job running and only the update to do, or nothing left
        self.plan.restore_after = "close_job"
        self.plan.restore = [self.open_action()] + ([self.start_datafeed_action(feed)] if restart else [])
        return state if state != "opening" else "opening"

    def plan_recreate(self, state):
        """close, delete, then one PUT that re-creates the job with its datafeed (``datafeed_config``): no moment
        after the PUT where the datafeed exists only in this run's memory. Should the PUT fail, the failure
        carries the datafeed's body (``datafeed_config``) to declare on the re-run."""
        if state is None or self.stats is None:
            self.read_stats()
            state = self.job_state()
        if state == "failed" and not self.params.get("force"):
            raise ReconcileError("job [%s] has failed; set force=true to recreate it" % self.job_id)
        self.read_feed_stats()
        feed = self.datafeed_id()
        saved_feed = None
        if feed and self.feed is None:
            saved_feed = dict((k, v) for k, v in self.job["datafeed_config"].items() if k not in DATAFEED_GENERATED)
        restart = self.feed_started()
        was_open = state in ("opened", "opening", "failed")
        if was_open:
            self.add_close(force=state == "failed", note=("also stops datafeed [%s]" % feed) if restart else None,
                           leaves="closed")
            if self.state not in ("closed", "reset"):
                self.plan.restore_after = "close_job"  # a failed delete leaves the old job: run it as before
                self.plan.restore = [self.open_action()] + ([self.start_datafeed_action(feed)] if restart else [])
        delete = self.add_delete(note=("also deletes datafeed [%s]" % feed) if feed else None, wait=True,
                                 leaves="deleted (with its results%s)" % (" and datafeed [%s]" % feed if feed else ""))
        body = self.create_body()
        if saved_feed is not None:
            body["datafeed_config"] = saved_feed
            delete.loses = ({"datafeed_config": saved_feed},
                            "Its datafeed [%s] was deleted with it; its body is in this result's datafeed_config: "
                            "give it to the task as datafeed_config so that the run that re-creates the job "
                            "re-creates the datafeed too." % feed)
        create = self.add_create(body=body, leaves="re-created%s" % (" with its datafeed" if feed else ""))
        create.puts_back = "delete_job"
        create.restorable = False  # the old job is gone: nothing to bring back to running
        if was_open and self.state not in ("closed", "reset"):
            self.add_open(leaves="re-created and open")
            if restart:
                self.add_start_datafeed(feed)
            return "opened"
        return "closed"

    def plan_open(self, state):
        if state in ("opened", "opening"):
            return state
        if state == "failed":
            raise ReconcileError("job [%s] has failed; close it with state=closed and force=true, then open it again"
                                 % self.job_id)
        if state == "closing":
            self.add_wait_state(["closed"])
        self.add_open(leaves="open")
        return "opened"

    def plan_close(self, state):
        if state == "closed":
            return state
        if state == "failed" and not self.params.get("force"):
            raise ReconcileError("job [%s] has failed; set force=true to close it" % self.job_id)
        self.add_close(force=bool(self.params.get("force")), note=self._stops_feed_note(), leaves="closed")
        return "closed"

    def _stops_feed_note(self):
        """Closing stops the job's datafeed if it runs; said without reading its state (a request saved)."""
        feed = self.datafeed_id()
        return ("also stops datafeed [%s] if it is started" % feed) if feed else None

    def plan_reset(self, state):
        if self.plan.names() == ["put_job"]:
            return "closed"  # a job just created holds nothing to reset
        counts = (self.stats or {}).get("data_counts") or {}
        holds = counts.get("processed_record_count") or (self.job or {}).get("model_snapshot_id")
        state = self.plan_close(state) if state != "closed" else state
        if not holds:
            return state  # nothing to reset: a job with no records and no model snapshot is as if new
        wait = self.params.get("wait_for_completion", True)
        self.plan.add(Action("reset_job", "reset_job", "POST", _jpath(self.job_id, "_reset"),
                             kwargs={"job_id": self.job_id, "wait_for_completion": wait,
                                     "delete_user_annotations": self.params.get("delete_user_annotations")},
                             leaves="closed and reset", on_result=self._take_task))
        return "closed"

    def plan_absent(self):
        if self.job is None:
            self.final_state = None
            return
        self.read_stats()
        state = self.job_state()
        feed = self.datafeed_id()
        force = bool(self.params.get("force"))
        if state == "failed" and not force:
            raise ReconcileError("job [%s] has failed; set force=true to delete it" % self.job_id)
        if state in ("opened", "opening", "closing") and not force:
            self.add_close(note=self._stops_feed_note(), leaves="closed", gone_ok=True)
        self.add_delete(force=force and state != "closed",
                        note=("also deletes datafeed [%s]" % feed) if feed else None, leaves="deleted")
        self.final_state = None

    def plan_close_expression(self):
        allow = self.params.get("allow_no_match", True)
        found = self.api.get_job_stats(self.job_id, allow_no_match=allow)
        jobs = found.get("jobs") or []
        self.stats = {"jobs": jobs}
        single = [j["job_id"] for j in jobs] == [self.job_id]
        failed = [j["job_id"] for j in jobs if j.get("state") == "failed"]
        if failed and not self.params.get("force"):
            if single:
                raise ReconcileError("job [%s] has failed; set force=true to close it" % self.job_id)
            raise ReconcileError("jobs %s have failed; set force=true to close them" % ", ".join(failed))
        open_jobs = [j["job_id"] for j in jobs if j.get("state") != "closed"]
        if open_jobs:
            note = "also stops its datafeed, if started" if single else \
                "closes %s, and stops their datafeeds" % ", ".join(open_jobs)
            self.plan.add(Action("close_job", "close_job", "POST", _jpath(self.job_id, "_close"),
                                 kwargs={"job_id": self.job_id, "allow_no_match": None if single else allow,
                                         "force": self.params.get("force") or None, "timeout": self.params.get("timeout")},
                                 note=note, leaves="closed"))
        self.final_state = "closed"

    # -- actions ---------------------------------------------------------------------------------------------

    def add_create(self, body=None, leaves="created"):
        return self.plan.add(Action("put_job", "put_job", "PUT", _jpath(self.job_id),
                                    kwargs={"job_id": self.job_id, "body": body or self.create_body()},
                                    body_arg="body", leaves=leaves, on_result=self._take_job,
                                    verify=self._exists_as_declared, tolerate=is_already_exists))

    def _exists_as_declared(self, api):
        job = api.job(self.job_id)
        if job is None or differences(self.body, job):
            return False
        self.job = job
        return True

    def _is_open(self, api):
        return (api.job_stats(self.job_id) or {}).get("state") in ("opened", "opening")

    def _is_gone(self, api, wait=None):
        """Whether the job is deleted; one whose delete is running is waited for (within ``timeout``) unless the
        run asked not to wait, in which case the running delete counts."""
        job = api.job(self.job_id)
        deleting = job is not None and (job.get("blocked") or {}).get("reason") == "delete"
        if deleting and (wait if wait is not None else self.params.get("wait_for_completion", True)):
            job = api.wait_for_job_unblocked(self.job_id, timeout=self.wait_seconds(), interval=1.0)
            deleting = False
        return job is None or deleting

    def _is_closed(self, api):
        return (api.job_stats(self.job_id) or {}).get("state", "closed") == "closed"

    def add_update(self, body, leaves="updated"):
        self.plan.add(Action("update_job", "update_job", "POST", _jpath(self.job_id, "_update"),
                             kwargs={"job_id": self.job_id, "body": body}, body_arg="body", leaves=leaves,
                             on_result=self._take_job))

    def open_action(self, leaves="open"):
        return Action("open_job", "open_job", "POST", _jpath(self.job_id, "_open"),
                      kwargs={"job_id": self.job_id, "timeout": self.params.get("timeout")}, leaves=leaves,
                      on_result=self._opened, verify=self._is_open,
                      tolerate=lambda exc: is_conflict(exc, "has already been opened"))

    def add_open(self, leaves="open"):
        self.plan.add(self.open_action(leaves))

    def add_close(self, force=False, note=None, leaves="closed", gone_ok=False):
        """Close; with ``gone_ok`` (on the way to deleting it) a job someone else deleted meanwhile is fine."""
        self.plan.add(Action("close_job", "close_job", "POST", _jpath(self.job_id, "_close"),
                             kwargs={"job_id": self.job_id, "force": force or None, "timeout": self.params.get("timeout")},
                             note=note, leaves=leaves,
                             verify=(lambda api: self._is_gone(api, wait=False)) if gone_ok else self._is_closed,
                             tolerate=is_missing if gone_ok else None))

    def add_delete(self, force=False, note=None, leaves="deleted", wait=None):
        """Delete; with ``wait`` (a recreate) always until the job is gone, whatever wait_for_completion says."""
        wait = self.params.get("wait_for_completion", True) if wait is None else wait
        return self.plan.add(Action("delete_job", "delete_job", "DELETE", _jpath(self.job_id),
                                    kwargs={"job_id": self.job_id, "force": force or None, "wait_for_completion": wait,
                                            "delete_user_annotations": self.params.get("delete_user_annotations")},
                                    note=note, leaves=leaves, on_result=self._take_task,
                                    verify=lambda api: self._is_gone(api, wait=wait), tolerate=is_missing))

    def start_datafeed_action(self, feed):
        return Action("start_datafeed", "start_datafeed", "POST", _dpath(feed, "_start"),
                      kwargs={"datafeed_id": feed}, note="resumes from where it stopped",
                      leaves="open with datafeed [%s] started" % feed,
                      verify=lambda api: (api.datafeed_stats(feed) or {}).get("state") in ("started", "starting"),
                      tolerate=lambda exc: is_conflict(exc, "has already been started"))

    def add_start_datafeed(self, feed):
        self.plan.add(self.start_datafeed_action(feed))

    def add_wait_state(self, states):
        self.plan.add(Action("wait_for_job", "wait_for_job_state", "GET", _jpath(self.job_id, "_stats"),
                             kwargs={"job_id": self.job_id, "states": states, "timeout": self.wait_seconds()},
                             note="polls until the job is %s" % "/".join(states)))

    def _take_job(self, response):
        if isinstance(response, dict) and response.get("job_id"):
            self.job = response

    def _opened(self, response):
        if isinstance(response, dict) and response.get("node") == "":
            self.final_state = "opening"  # a lazy job waiting for a node (ES TransportOpenJobAction)
        if self.job is not None:
            self.job.pop("finished_time", None)

    def _take_task(self, response):
        if isinstance(response, dict) and response.get("task"):
            self.task = response["task"]

    # -- result ----------------------------------------------------------------------------------------------

    def execute(self):
        start_state = self.job_state() if self.job is not None else "absent"
        actions = self.plan.run(self.api, self.check_mode, start_state)
        if not self.check_mode:
            if self.state == "absent" and self.task is None:
                self.job = None
            if self.plan.names() and self.plan.names()[-1] == "reset_job" and self.job is not None:
                for key in ("model_snapshot_id", "finished_time"):
                    self.job.pop(key, None)
        return self.pre_actions + actions

    def diff(self, before_job, before_state):
        before = comparable(before_job) or {}
        if before_job is not None and before_state is not None:
            before["state"] = before_state
        if self.state == "absent":
            return {"before": before, "after": {}}
        if before_job is None:
            after = defaults_for_create(self.body) if self.body else {}
        else:
            after = apply_changes(comparable(before_job), self.changes)
        if self.final_state is not None and (before_state is not None or self.state != "present"):
            after["state"] = self.final_state
        if self.state == "reset" and before_job is not None and self.stats is not None:
            # what a reset removes: the records it has seen and its model snapshot
            held = {"processed_record_count": (self.stats.get("data_counts") or {}).get("processed_record_count", 0),
                    "model_snapshot_id": before_job.get("model_snapshot_id")}
            before.update(held)
            resets = "reset_job" in self.plan.names()
            after.update({"processed_record_count": 0, "model_snapshot_id": None} if resets else held)
        return {"before": before, "after": after}


def _show(value):
    if isinstance(value, str):
        return repr(value)
    return "unset" if value is None else repr(value)


def run(api, params, check_mode=False, diff_mode=False, warn=None):
    """What ml_anomaly_job does. Returns the module result (changed, job, state, actions, ...)."""
    job_run = JobRun(api, params, check_mode, warn or (lambda message: None))
    job_run.check_input()
    if job_run.closes_by_expression():
        job_run.plan_all()
        actions = job_run.execute()
        result = {"changed": bool(job_run.plan), "actions": actions, "state": "closed",
                  "jobs": [j["job_id"] for j in job_run.stats["jobs"]]}
        if diff_mode:
            result["diff"] = {"before": dict((j["job_id"], j.get("state")) for j in job_run.stats["jobs"]),
                              "after": dict((j["job_id"], "closed") for j in job_run.stats["jobs"])}
        return result
    job_run.plan_all()
    before_job = copy.deepcopy(job_run.job)
    before_state = job_run.job_state() if (job_run.job is not None and job_run.stats is not None) else None
    actions = job_run.execute()
    result = {"changed": bool(job_run.plan), "actions": actions, "job": job_run.job,
              "changes": [c.as_dict() for c in job_run.changes]}
    if job_run.final_state is not None:
        result["state"] = job_run.final_state
    if job_run.task is not None:
        result["task"] = job_run.task
    if diff_mode:
        result["diff"] = job_run.diff(before_job, before_state)
    feed = job_run.feed_params()
    if feed is not None and "put_job" not in job_run.plan.names():
        # the job was there: its declared datafeed is converged as ml_datafeed would (a PUT of the job carried it)
        result["datafeed"] = _datafeed.run(api, feed, check_mode, diff_mode, job_run.warn)
        result["changed"] = result["changed"] or result["datafeed"]["changed"]
    return result
