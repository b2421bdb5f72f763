# -*- coding: utf-8 -*-
# Copyright (c) 2026, mlops.elasticsearch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Converging many jobs in one module process: one read of everything, then the same planners per job.

CachedApi reads all jobs, job stats, datafeeds and datafeed stats with one request each, and serves the
planners' reads from that snapshot. Writes go to the server, and once an object has been written (or its
state must be re-checked after a lost response) its reads go to the server too. The planners are those of
ml_anomaly_job and ml_datafeed: no second implementation, so a bulk converge plans exactly what the
modules would, job by job, minus the per-job reads.

FOR INTERNAL COLLECTION USE ONLY: the interfaces here may change in any release.
Python versions supported: 3.9 and later.
"""

from __future__ import annotations

from ansible_collections.mlops.elasticsearch.plugins.module_utils import _anomaly_job, _datafeed
from ansible_collections.mlops.elasticsearch.plugins.module_utils._client import ElasticsearchError
from ansible_collections.mlops.elasticsearch.plugins.module_utils._job_config import BODY_OPTIONS as JOB_BODY
from ansible_collections.mlops.elasticsearch.plugins.module_utils._job_config import ConfigError
from ansible_collections.mlops.elasticsearch.plugins.module_utils._datafeed_config import BODY_OPTIONS as FEED_BODY
from ansible_collections.mlops.elasticsearch.plugins.module_utils._reconcile import ReconcileError

JOB_DEFAULTS = {"state": "opened", "recreate": False, "force": False, "timeout": None, "wait_for_completion": True,
                "delete_user_annotations": False, "allow_no_match": True}
FEED_DEFAULTS = {"recreate": False, "force": False, "timeout": None, "restart": False, "open_job": False}
READS = ("get_jobs", "job", "job_stats", "datafeed", "datafeed_stats")


class CachedApi(object):
    """An MlApi whose single-object reads come from one snapshot of the cluster, until the object is written."""

    def __init__(self, api):
        self._api = api
        self.jobs = {}
        self.job_stats_by_id = {}
        self.feeds = {}
        self.feed_stats_by_id = {}
        self.dirty = set()

    def prefetch(self):
        """Four requests, whatever the number of jobs."""
        self.jobs = dict((j["job_id"], j) for j in self._api.get_jobs(allow_no_match=True).get("jobs") or [])
        self.job_stats_by_id = dict((s["job_id"], s) for s in
                                    self._api.get_job_stats(allow_no_match=True).get("jobs") or [])
        self.feeds = dict((f["datafeed_id"], f) for f in self._api.get_datafeeds(allow_no_match=True).get("datafeeds") or [])
        self.feed_stats_by_id = dict((s["datafeed_id"], s) for s in
                                     self._api.get_datafeed_stats(allow_no_match=True).get("datafeeds") or [])
        # GET _ml/anomaly_detectors nests each job's datafeed; keep the two views consistent for the planners
        for feed in self.feeds.values():
            job = self.jobs.get(feed.get("job_id"))
            if job is not None and "datafeed_config" not in job:
                job["datafeed_config"] = feed

    def _fresh(self, *ids):
        return any(i in self.dirty for i in ids if i)

    def get_jobs(self, job_id=None, allow_no_match=None, exclude_generated=None, not_found_ok=False):
        if job_id is None or exclude_generated or self._fresh(job_id) or "*" in job_id or "," in job_id:
            return self._api.get_jobs(job_id, allow_no_match=allow_no_match, exclude_generated=exclude_generated,
                                      not_found_ok=not_found_ok)
        found = [j for jid, j in sorted(self.jobs.items()) if jid == job_id or job_id in (j.get("groups") or [])]
        if not found:
            if not_found_ok:
                return None
            return self._api.get_jobs(job_id, allow_no_match=allow_no_match)  # ES's own 404
        return {"count": len(found), "jobs": found}

    def job(self, job_id, exclude_generated=False):
        if exclude_generated or self._fresh(job_id):
            return self._api.job(job_id, exclude_generated=exclude_generated)
        return self.jobs.get(job_id)

    def job_stats(self, job_id):
        if self._fresh(job_id):
            return self._api.job_stats(job_id)
        return self.job_stats_by_id.get(job_id)

    def datafeed(self, datafeed_id, exclude_generated=False):
        if exclude_generated or self._fresh(datafeed_id):
            return self._api.datafeed(datafeed_id, exclude_generated=exclude_generated)
        return self.feeds.get(datafeed_id)

    def datafeed_stats(self, datafeed_id):
        if self._fresh(datafeed_id):
            return self._api.datafeed_stats(datafeed_id)
        return self.feed_stats_by_id.get(datafeed_id)

    def __getattr__(self, name):
        """Writes, waits and anything else: to the server, marking what they touch as no longer cached."""
        target = getattr(self._api, name)

        def call(*args, **kwargs):
            for key in ("job_id", "datafeed_id"):
                if kwargs.get(key):
                    self.dirty.add(kwargs[key])
            if args:
                self.dirty.add(args[0])
            return target(*args, **kwargs)
        return call


def _job_params(job):
    params = dict(JOB_DEFAULTS, job_id=job["job_id"])
    for key in ("state", "recreate", "force"):
        if job.get(key) is not None:
            params[key] = job[key]
    for key, value in (job.get("config") or {}).items():
        if key in JOB_BODY or key in ("job_type", "job_version", "create_time"):
            params[key] = value
        elif key != "job_id":
            raise ConfigError("jobs[%s].config: unknown key %r" % (job["job_id"], key))
    return params


def _feed_params(job):
    feed = job["datafeed"]
    params = dict(FEED_DEFAULTS, job_id=job["job_id"], datafeed_id=feed.get("datafeed_id"),
                  start=feed.get("start"), end=feed.get("end"))
    job_state = job.get("state") or "opened"
    params["state"] = feed.get("state") or ("started" if job_state == "opened" else "stopped")
    for key, value in (feed.get("config") or {}).items():
        if key in FEED_BODY or key == "indexes":
            params["indices" if key == "indexes" else key] = value
        elif key not in ("job_id", "datafeed_id", "authorization"):
            raise ConfigError("jobs[%s].datafeed.config: unknown key %r" % (job["job_id"], key))
    return params


def check_jobs(jobs):
    """What can be refused for the whole set before anything is read."""
    seen = set()
    for index, job in enumerate(jobs):
        job_id = job.get("job_id")
        if not job_id:
            raise ConfigError("jobs[%d]: job_id is required" % index)
        if job_id in seen:
            raise ConfigError("jobs[%d]: job %s is declared twice" % (index, job_id))
        seen.add(job_id)
        state = job.get("state") or "opened"
        if state != "absent" and not isinstance(job.get("config"), dict):
            raise ConfigError("jobs[%s]: config is required unless state is absent" % job_id)
        feed = job.get("datafeed")
        if feed and (feed.get("state") == "started") and state != "opened":
            raise ConfigError("jobs[%s]: a started datafeed needs its job opened" % job_id)
        # validate each body through the planners' own input checks, still before any request
        _anomaly_job.JobRun(None, _job_params(job), True, lambda m: None).check_input()
        if feed and state != "absent":
            _datafeed.DatafeedRun(None, _feed_params(job), True, lambda m: None).check_input()


def run(api, params, check_mode=False, diff_mode=False, warn=None):
    """Converge every declared job (and datafeed), then prune the managed group if one is named."""
    warn = warn or (lambda message: None)
    jobs = params.get("jobs") or []
    check_jobs(jobs)
    cached = CachedApi(api)
    cached.prefetch()
    results, failures, diffs = [], [], {"before": {}, "after": {}}
    for job in jobs:
        entry = {"job_id": job["job_id"]}
        try:
            outcome = _anomaly_job.run(cached, _job_params(job), check_mode, diff_mode, warn)
            entry.update(outcome)
            feed = job.get("datafeed")
            if feed and (job.get("state") or "opened") != "absent":
                entry["datafeed"] = _datafeed.run(cached, _feed_params(job), check_mode, diff_mode, warn)
        except (ElasticsearchError, ReconcileError, ConfigError) as exc:
            entry["failed"] = True
            entry["msg"] = str(exc)
            failures.append("%s: %s" % (job["job_id"], exc))
        _merge_diff(diffs, job["job_id"], entry)
        results.append(entry)
    pruned = []
    group = params.get("managed_group")
    if group and not failures:
        declared = set(j["job_id"] for j in jobs)
        for job_id, job in sorted(cached.jobs.items()):
            if job_id in declared or group not in (job.get("groups") or []):
                continue
            force = bool(params.get("prune_force"))
            entry = {"job_id": job_id, "pruned": True}
            feed = (job.get("datafeed_config") or {}).get("datafeed_id")
            if feed:  # the datafeed first, then the job
                entry["datafeed"] = _datafeed.run(cached, dict(FEED_DEFAULTS, job_id=job_id, datafeed_id=feed,
                                                               state="absent", force=force), check_mode, diff_mode, warn)
            entry.update(_anomaly_job.run(cached, dict(JOB_DEFAULTS, job_id=job_id, state="absent", force=force),
                                          check_mode, diff_mode, warn))
            _merge_diff(diffs, job_id, entry)
            pruned.append(entry)
    changed = any(r.get("changed") or (r.get("datafeed") or {}).get("changed") for r in results + pruned)
    out = {"changed": changed, "results": results, "pruned": pruned}
    if diff_mode:
        out["diff"] = diffs
    if failures:
        out["failed"] = True
        out["msg"] = "%d of %d jobs could not be converged: %s" % (len(failures), len(jobs), "; ".join(failures))
    return out


def _merge_diff(diffs, job_id, entry):
    """One diff for the whole converge, keyed by job id (each entry keeps its own too)."""
    diff = entry.get("diff")
    feed_diff = (entry.get("datafeed") or {}).get("diff")
    if diff is None and feed_diff is None:
        return
    if entry.get("changed") or (entry.get("datafeed") or {}).get("changed"):
        before = dict((diff or {}).get("before") or {})
        after = dict((diff or {}).get("after") or {})
        if feed_diff is not None:
            before["datafeed"] = feed_diff.get("before")
            after["datafeed"] = feed_diff.get("after")
        diffs["before"][job_id] = before
        diffs["after"][job_id] = after
