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
    comparable, desired_body, differences, update_body, validate_datafeed_id)
from ansible_collections.mlops.elasticsearch.plugins.module_utils._job_config import ConfigError, validate_id
from ansible_collections.mlops.elasticsearch.plugins.module_utils._ml_api import datafeed_path as _dpath
from ansible_collections.mlops.elasticsearch.plugins.module_utils._ml_api import job_path as _jpath
from ansible_collections.mlops.elasticsearch.plugins.module_utils._reconcile import (
    Action, Plan, ReconcileError, is_already_exists, is_conflict, is_missing)
from ansible_collections.mlops.elasticsearch.plugins.module_utils._units import UnitError, epoch_ms, es_seconds, parse_duration

STATES = ("present", "absent", "started", "stopped")
RUNNING = ("started", "starting")


class DatafeedRun(object):
    def __init__(self, api, params, check_mode, warn):
        self.api = api
        self.params = params
        self.check_mode = check_mode
        self.warn = warn
        self.state = params.get("state") or "present"
        self.job_id = params.get("job_id")
        self.datafeed_id = params.get("datafeed_id") or ("datafeed-%s" % self.job_id if self.job_id else None)
        self.plan = Plan("datafeed [%s]" % self.datafeed_id)
        self.body = None
        self.datafeed = None
        self.stats = None
        self.changes = []
        self.final_state = None
        self.notes = []

    def check_input(self):
        if self.state not in STATES:
            raise ConfigError("state must be one of %s" % ", ".join(STATES))
        if not self.datafeed_id:
            raise ConfigError("give datafeed_id, or job_id for the default datafeed-<job_id>")
        validate_datafeed_id(self.datafeed_id)
        if self.job_id is not None:
            validate_id("job_id", self.job_id)
        if self.params.get("timeout") is not None:
            try:
                parse_duration(self.params["timeout"])
            except UnitError as exc:
                raise ConfigError("timeout: %s" % exc)
        if self.state == "absent":
            return  # a delete needs no configuration: one given (the same task with state flipped) is not used
        self.body = desired_body(self.params)
        if (self.params.get("start") is not None or self.params.get("end") is not None) and self.state != "started":
            raise ConfigError("start and end apply to state=started")
        self.check_window()
        if self.params.get("authorization") is not None:
            self.warn("authorization is ignored: Elasticsearch records the creating user's roles itself")

    def check_window(self):
        """start and end as ES parses them (epoch ms, ISO 8601 with a zone, or date math from ``now``), end after
        start, refused before the datafeed is created rather than by the start that follows it."""
        found = {}
        for key in ("start", "end"):
            value = self.params.get(key)
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
            raise ConfigError("end (%s) must be after start (%s)" % (self.params["end"], self.params["start"]))

    # -- reading ---------------------------------------------------------------------------------------------

    def read(self):
        self.datafeed = self.api.datafeed(self.datafeed_id)

    def read_stats(self):
        if self.datafeed is not None and self.stats is None:
            self.stats = self.api.datafeed_stats(self.datafeed_id) or {}

    def feed_state(self):
        return (self.stats or {}).get("state", "stopped")

    # -- planning --------------------------------------------------------------------------------------------

    def plan_all(self):
        self.read()
        if self.state == "absent":
            return self.plan_absent()
        if self.state != "present" and self.datafeed is not None:
            self.read_stats()
        state = self.feed_state() if self.datafeed is not None and self.stats is not None else None
        state = self.plan_config(state)
        if self.state == "started":
            state = self.plan_start(state)
        elif self.state == "stopped":
            state = self.plan_stop(state)
        self.final_state = state

    def plan_config(self, state):
        if self.datafeed is None:
            if self.body is None or "indices" not in self.body or self.job_id is None:
                raise ReconcileError("datafeed [%s] does not exist; give job_id and indices (and the rest of its body) "
                                     "to create it" % self.datafeed_id)
            body = copy.deepcopy(self.body)
            body["job_id"] = self.job_id
            self.plan.add(Action("put_datafeed", "put_datafeed", "PUT", _dpath(self.datafeed_id),
                                 kwargs={"datafeed_id": self.datafeed_id, "body": body}, body_arg="body",
                                 leaves="created", on_result=self._take, verify=self._exists_as_declared,
                                 tolerate=is_already_exists))
            return "stopped"
        current_job = self.datafeed.get("job_id")
        if self.job_id is not None and self.job_id != current_job:
            if not self.params.get("recreate"):
                raise ReconcileError(
                    "datafeed [%s] feeds job [%s], declared [%s]; Elasticsearch cannot change a datafeed's job. Set "
                    "recreate=true to delete the datafeed and create it for the declared job"
                    % (self.datafeed_id, current_job, self.job_id))
            return self.plan_recreate(state)
        if self.body is None:
            return state
        self.changes = differences(self.body, self.datafeed)
        if not self.changes:
            return state
        if state is None:
            self.read_stats()
            state = self.feed_state()
        running = state in RUNNING
        if running:
            self.add_stop(leaves="stopped, not yet updated")
        self.plan.add(Action("update_datafeed", "update_datafeed", "POST", _dpath(self.datafeed_id, "_update"),
                             kwargs={"datafeed_id": self.datafeed_id, "body": update_body(self.changes, self.body)},
                             body_arg="body", leaves="updated%s" % (", stopped" if running else ""),
                             on_result=self._take))
        if running and self.state != "stopped":
            self.add_start(note="resumes from where it stopped")
            self.plan.restore_after = "stop_datafeed"  # a failed update still leaves the datafeed running
            self.plan.restore = [self.start_action()]
        return state

    def plan_recreate(self, state):
        if state is None:
            self.read_stats()
            state = self.feed_state()
        running = state in RUNNING
        if running:
            self.add_stop(leaves="stopped")
        body = dict((k, v) for k, v in self.datafeed.items() if k not in ("datafeed_id", "authorization"))
        body.update(copy.deepcopy(self.body or {}))
        body["job_id"] = self.job_id
        self.changes = []
        self.plan.add(Action("delete_datafeed", "delete_datafeed", "DELETE", _dpath(self.datafeed_id),
                             kwargs={"datafeed_id": self.datafeed_id}, leaves="deleted"))
        self.plan.add(Action("put_datafeed", "put_datafeed", "PUT", _dpath(self.datafeed_id),
                             kwargs={"datafeed_id": self.datafeed_id, "body": body}, body_arg="body",
                             leaves="re-created for job [%s], stopped" % self.job_id, on_result=self._take))
        return "stopped"

    def plan_start(self, state):
        if state in RUNNING:
            return state
        bounded = self.params.get("end") is not None
        job_id = self.job_id or (self.datafeed or {}).get("job_id")
        job_stats = self.api.job_stats(job_id) if job_id else None
        if bounded and not self.params.get("restart") and not self.plan and self._window_done(job_id, job_stats):
            self.notes.append("the datafeed has already fed its job up to end %s; set restart=true to run it again"
                              % self.params["end"])
            return state
        if job_id and job_stats is None:
            raise ReconcileError("cannot start datafeed [%s] because its job [%s] does not exist; create the job "
                                 "(mlops.elasticsearch.ml_anomaly_job) first" % (self.datafeed_id, job_id))
        job_state = (job_stats or {}).get("state", "closed")
        if job_state not in ("opened", "opening"):
            if not self.params.get("open_job"):
                raise ReconcileError("cannot start datafeed [%s] because job [%s] is %s; open the job first "
                                     "(mlops.elasticsearch.ml_anomaly_job with state=opened) or set open_job=true"
                                     % (self.datafeed_id, job_id, job_state))
            if job_state == "failed":
                raise ReconcileError("job [%s] has failed; close it with force and open it before starting datafeed [%s]"
                                     % (job_id, self.datafeed_id))
            self.plan.add(Action("open_job", "open_job", "POST", _jpath(job_id, "_open"),
                                 kwargs={"job_id": job_id, "timeout": self.params.get("timeout")},
                                 leaves="stopped, its job [%s] open" % job_id,
                                 verify=lambda api: (api.job_stats(job_id) or {}).get("state") in ("opened", "opening"),
                                 tolerate=lambda exc: is_conflict(exc, "has already been opened")))
        self.add_start(start=self.params.get("start"), end=self.params.get("end"))
        return "started"  # a bounded datafeed may finish at once; its next run sees it stopped, and done

    def _window_done(self, job_id, job_stats):
        """Whether a bounded run already reached ``end``: the job has processed records to within one bucket of it.

        A datafeed keeps no record of the windows it ran; its job's data counts are the evidence. (A window with no
        data leaves none, and is run again: harmless, as it finds nothing.)
        """
        latest = ((job_stats or {}).get("data_counts") or {}).get("latest_record_timestamp")
        end_ms = epoch_ms(self.params["end"])
        if latest is None or end_ms is None:
            return False
        job = self.api.job(job_id) or {}
        bucket = es_seconds((job.get("analysis_config") or {}).get("bucket_span"), default=300.0) * 1000
        return latest >= end_ms - bucket

    def plan_stop(self, state):
        if state not in RUNNING:
            return state
        self.add_stop(force=bool(self.params.get("force")))
        return "stopped"

    def plan_absent(self):
        if self.datafeed is None:
            return
        self.read_stats()
        force = bool(self.params.get("force"))
        if self.feed_state() in RUNNING and not force:
            self.add_stop(leaves="stopped, not deleted")
        self.plan.add(Action("delete_datafeed", "delete_datafeed", "DELETE", _dpath(self.datafeed_id),
                             kwargs={"datafeed_id": self.datafeed_id, "force": force or None}, leaves="deleted",
                             verify=lambda api: api.datafeed(self.datafeed_id) is None, tolerate=is_missing))

    # -- actions ---------------------------------------------------------------------------------------------

    def add_stop(self, force=False, leaves="stopped"):
        self.plan.add(Action("stop_datafeed", "stop_datafeed", "POST", _dpath(self.datafeed_id, "_stop"),
                             kwargs={"datafeed_id": self.datafeed_id, "force": force or None,
                                     "timeout": self.params.get("timeout")}, leaves=leaves))

    def start_action(self, start=None, end=None, note=None):
        return Action("start_datafeed", "start_datafeed", "POST", _dpath(self.datafeed_id, "_start"),
                      kwargs={"datafeed_id": self.datafeed_id, "start": start, "end": end,
                              "timeout": self.params.get("timeout")}, note=note, leaves="started",
                      verify=lambda api: (api.datafeed_stats(self.datafeed_id) or {}).get("state") in RUNNING,
                      tolerate=lambda exc: is_conflict(exc, "has already been started"))

    def add_start(self, start=None, end=None, note=None):
        self.plan.add(self.start_action(start, end, note))

    def _exists_as_declared(self, api):
        datafeed = api.datafeed(self.datafeed_id)
        if datafeed is None or datafeed.get("job_id") != self.job_id or differences(self.body, datafeed):
            return False
        self.datafeed = datafeed
        return True

    def _take(self, response):
        if isinstance(response, dict) and response.get("datafeed_id"):
            self.datafeed = response


def run(api, params, check_mode=False, diff_mode=False, warn=None):
    """What ml_datafeed does; returns the module result."""
    feed_run = DatafeedRun(api, params, check_mode, warn or (lambda message: None))
    feed_run.check_input()
    feed_run.plan_all()
    before = copy.deepcopy(feed_run.datafeed)
    before_state = feed_run.feed_state() if before is not None and feed_run.stats is not None else None
    actions = feed_run.plan.run(api, check_mode, before_state or "absent")
    if feed_run.state == "absent" and not check_mode:
        feed_run.datafeed = None
    result = {"changed": bool(feed_run.plan), "actions": actions, "datafeed": feed_run.datafeed,
              "changes": [c.as_dict() for c in feed_run.changes]}
    if feed_run.final_state is not None and feed_run.state != "absent":
        result["state"] = feed_run.final_state
    if feed_run.notes:
        result["notes"] = feed_run.notes
    if diff_mode:
        result["diff"] = _diff(feed_run, before, before_state)
    return result


def _diff(feed_run, before_feed, before_state):
    before = comparable(before_feed) or {}
    if before_feed is not None and before_state is not None:
        before["state"] = before_state
    if feed_run.state == "absent":
        return {"before": before, "after": {}}
    if before_feed is None:
        after = dict(copy.deepcopy(feed_run.body or {}), job_id=feed_run.job_id)
    elif "delete_datafeed" in feed_run.plan.names():  # re-created for another job
        after = dict(before, job_id=feed_run.job_id)
        after.pop("state", None)
    else:
        after = apply_changes(comparable(before_feed), feed_run.changes)
    if feed_run.final_state is not None and (before_state is not None or feed_run.state != "present"):
        after["state"] = feed_run.final_state
    return {"after": after, "before": before}
