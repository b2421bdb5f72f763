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

import itertools
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.mlops.elasticsearch.plugins.module_utils import _anomaly_job, _datafeed, _model_snapshot
from ansible_collections.mlops.elasticsearch.plugins.module_utils._kibana_formats import filter_ids
from ansible_collections.mlops.elasticsearch.plugins.module_utils._client import ElasticsearchError
from ansible_collections.mlops.elasticsearch.plugins.module_utils._options import (
    JOB_GENERATED, ConfigError, bulk_job_spec, given, job_datafeed_config_spec, validate)
from ansible_collections.mlops.elasticsearch.plugins.module_utils._preflight import Preflight
from ansible_collections.mlops.elasticsearch.plugins.module_utils._reconcile import ReconcileError

READ_ONLY_CALLS = ("info", "validate_job", "validate_detector", "estimate_model_memory", "preview_datafeed",
                   "get_model_snapshots")
SHOWN_FAILURES = 5  # failures quoted in full in the message; the rest are counted, grouped by their reason
# jobs written at once (parallelism); the default is what `make bench` measured (docs/performance.md)
DEFAULT_PARALLELISM = 16
MAX_PARALLELISM = 64


class CachedApi(object):
    """An MlApi whose single-object reads come from one snapshot of the cluster, until the object is written."""

    def __init__(self, api):
        self._api = api
        self.jobs = {}
        self.job_stats_by_id = {}
        self.feeds = {}
        self.feed_stats_by_id = {}
        self.dirty = set()
        self.predicted = set()  # check mode: jobs the plan creates, known only from their declaration
        self.members = {}  # group -> the ids of its jobs: an id is looked up without a scan of every job

    def prefetch(self):
        """Four requests, whatever the number of jobs."""
        self.jobs = dict((j["job_id"], j) for j in self._api.get_jobs(allow_no_match=True).get("jobs") or [])
        self.job_stats_by_id = dict((s["job_id"], s) for s in
                                    self._api.get_job_stats(allow_no_match=True).get("jobs") or [])
        self.feeds = dict((f["datafeed_id"], f) for f in self._api.get_datafeeds(allow_no_match=True).get("datafeeds") or [])
        self.feed_stats_by_id = dict((s["datafeed_id"], s) for s in
                                     self._api.get_datafeed_stats(allow_no_match=True).get("datafeeds") or [])
        for job_id, job in self.jobs.items():
            self._index_groups(job_id, job)
        # GET _ml/anomaly_detectors nests each job's datafeed; keep the two views consistent for the planners
        for feed in self.feeds.values():
            job = self.jobs.get(feed.get("job_id"))
            if job is not None and "datafeed_config" not in job:
                job["datafeed_config"] = feed

    def predict(self, job_id, outcome, config):
        """Check mode: what the job's plan predicts (its run state; the declared job, when it is to be created)
        stands in for the server's answer in the reads of the planners that follow, as the real run reads it back."""
        state = outcome.get("state")
        if outcome.get("failed") or not outcome.get("changed") or state is None:
            return
        stats = dict(self.job_stats_by_id.get(job_id) or {"job_id": job_id})
        stats["state"] = state
        self.job_stats_by_id[job_id] = stats
        if job_id not in self.jobs and state != "absent":
            self.jobs[job_id] = dict(config or {}, job_id=job_id)
            self._index_groups(job_id, self.jobs[job_id])
            self.predicted.add(job_id)

    def _index_groups(self, job_id, job):
        for group in job.get("groups") or []:
            self.members.setdefault(group, set()).add(job_id)

    def predicted_job(self, job_id):
        """The body of a job that check mode plans to create, which the server does not have (for a datafeed's
        preview, which then carries it as ``job_config``); None for a job the server has."""
        if job_id not in self.predicted:
            return None
        return dict((k, v) for k, v in self.jobs[job_id].items()
                    if k not in JOB_GENERATED + ("job_id", "datafeed_config"))

    def _fresh(self, *ids):
        return any(i in self.dirty for i in ids if i)

    def get_jobs(self, job_id=None, allow_no_match=None, exclude_generated=None, not_found_ok=False):
        if job_id is None or exclude_generated or self._fresh(job_id) or "*" in job_id or "," in job_id:
            return self._api.get_jobs(job_id, allow_no_match=allow_no_match, exclude_generated=exclude_generated,
                                      not_found_ok=not_found_ok)
        # the job of that id and the jobs of the group of that name (ES keeps the two names apart), sorted by id
        ids = set(self.members.get(job_id, ()))
        if job_id in self.jobs:
            ids.add(job_id)
        found = [self.jobs[jid] for jid in sorted(ids)]
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
        """Writes, waits and anything else: to the server, marking what they touch as no longer cached (the
        preflight's read-only calls mark nothing)."""
        target = getattr(self._api, name)
        if name in READ_ONLY_CALLS:
            return target

        def call(*args, **kwargs):
            for key in ("job_id", "datafeed_id"):
                if kwargs.get(key):
                    self.dirty.add(kwargs[key])
            if args and isinstance(args[0], str):
                self.dirty.add(args[0])
            return target(*args, **kwargs)
        return call


def declared(jobs):
    """Every element of ``jobs`` checked and converted as a module's options are (``recreate: "false"`` is false,
    a misspelt key is refused with its name), and each job's datafeed found (``datafeed``, or the job's own
    ``datafeed_config``). Raises ConfigError naming the element before anything is read."""
    out, seen = [], set()
    for index, raw in enumerate(jobs):
        job = validate(bulk_job_spec(), raw, "jobs[%d]" % index)
        where = "jobs[%d] (%s)" % (index, job["job_id"])
        if job["job_id"] in seen:
            raise ConfigError("%s: job %s is declared twice" % (where, job["job_id"]))
        seen.add(job["job_id"])
        config = dict(job.get("config") or {})
        if config.pop("job_id", job["job_id"]) != job["job_id"]:
            raise ConfigError("%s: config.job_id differs from job_id; leave it out" % where)
        feed_config = config.pop("datafeed_config", None)
        if feed_config is not None:
            if job.get("datafeed") is not None:
                raise ConfigError("%s: the datafeed is declared twice, as datafeed and as config.datafeed_config; "
                                  "keep one" % where)
            feed_config = validate(job_datafeed_config_spec(), feed_config, "jobs[%d].config.datafeed_config" % index)
            # ES's default id for a job's datafeed_config is the job's own (or that of the datafeed it has)
            job["datafeed"] = {"datafeed_id": feed_config.pop("datafeed_id", None), "config": feed_config,
                               "id_from_job": True}
        job["config"] = config if job.get("config") is not None else None
        if job["state"] != "absent" and job["config"] is None:
            raise ConfigError("%s: config is required unless state is absent" % where)
        if job.get("keep_snapshots") is not None and job["keep_snapshots"] < 0:
            raise ConfigError("%s: keep_snapshots must be a number of snapshots, 0 or more" % where)
        feed = job.get("datafeed")
        if feed is not None and feed.get("state") == "started" and job["state"] != "opened":
            raise ConfigError("%s: a started datafeed needs its job opened" % where)
        # validate each body through the planners' own input checks, still before any request
        try:
            _anomaly_job.declare(_job_params(job), lambda m: None)
            if feed is not None and job["state"] != "absent":
                _datafeed.declare(_feed_params(job), lambda m: None)
        except ConfigError as exc:
            raise ConfigError("%s: %s" % (where, exc))
        out.append(job)
    return out


def _job_params(job):
    params = dict(job_id=job["job_id"], state=job["state"], recreate=job["recreate"], force=job["force"])
    params.update(given(job.get("config")))
    return params


def _feed_params(job, cached=None):
    feed = job["datafeed"]
    feed_id = feed.get("datafeed_id")
    if not feed_id and feed.get("id_from_job"):
        found = cached.jobs.get(job["job_id"]) if cached is not None else None
        feed_id = _anomaly_job.default_datafeed_id(job["job_id"], found)
    params = dict(job_id=job["job_id"], datafeed_id=feed_id, start=feed.get("start"), end=feed.get("end"))
    params["state"] = feed.get("state") or ("started" if job["state"] == "opened" else "stopped")
    config = given(feed.get("config"))
    config.pop("datafeed_id", None)
    if config.pop("job_id", job["job_id"]) != job["job_id"]:
        raise ConfigError("jobs[%s].datafeed.config.job_id differs from the job's id; leave it out" % job["job_id"])
    config.pop("authorization", None)  # what GET returns; ES records the roles of whoever writes the datafeed
    params.update(config)
    return params


def run(api, params, check_mode=False, diff_mode=False, warn=None):
    """Converge every declared job (and datafeed), then prune the managed group if one is named."""
    warn = warn or (lambda message: None)
    jobs = declared(params.get("jobs") or [])
    # a job left out below is still declared, and so is one the caller converges in another call: never pruned
    declared_ids = set(j["job_id"] for j in jobs) | set(params.get("declared_job_ids") or [])
    keep_default = params.get("keep_snapshots")
    if keep_default is not None and keep_default < 0:
        raise ConfigError("keep_snapshots must be a number of snapshots, 0 or more")
    jobs, skipped = _check_dependencies(api, jobs, params, warn)
    cached = CachedApi(api)
    cached.prefetch()
    # one set of checks for the whole converge: _ml/info is read once, whatever the number of jobs
    checks = Preflight(cached, warn, enabled=params.get("preflight", True))
    window = params.get("preflight_window", "1d")
    results, failures, diffs = [], [], {"before": {}, "after": {}}

    def converge_one(job):
        """One job's own steps, in order: the job, its datafeed, its snapshot retention."""
        entry = {"job_id": job["job_id"]}
        try:
            outcome = _anomaly_job.run(cached, dict(_job_params(job), preflight_window=window), check_mode, diff_mode,
                                       warn, checks=checks)
            entry.update(outcome)
            if check_mode:
                cached.predict(job["job_id"], outcome, job.get("config"))
            if job.get("datafeed") is not None and job["state"] != "absent":
                entry["datafeed"] = _datafeed.run(cached, dict(_feed_params(job, cached), preflight_window=window),
                                                  check_mode, diff_mode, warn, checks=checks)
                entry["datafeed"].pop("preflight", None)
            entry.pop("preflight", None)  # the converge's checks are reported once, for all jobs
            keep = job.get("keep_snapshots") if job.get("keep_snapshots") is not None else keep_default
            if keep is not None and job["state"] != "absent":
                entry["snapshots"] = _model_snapshot.run(
                    cached, dict(job_id=job["job_id"], state="absent", keep_newest=keep), check_mode, diff_mode, warn)
        except (ElasticsearchError, ReconcileError, ConfigError) as exc:
            entry["failed"] = True
            entry["msg"] = str(exc)
            entry["_exc"] = exc
        return entry

    parallelism = _parallelism(params.get("parallelism"))
    if parallelism > 1 and len(jobs) > 1:
        # different jobs are independent objects: their writes may overlap; each job's own steps stay in order
        entries = _in_parallel(converge_one, jobs, parallelism)
    else:
        entries = [converge_one(job) for job in jobs]
    for job, entry in zip(jobs, entries):  # reported in declaration order, whatever order they finished in
        if "_exc" in entry:
            failures.append((job["job_id"], entry.pop("_exc")))
        _merge_diff(diffs, job["job_id"], entry)
        if not params.get("return_bodies", True):
            # at thousands of jobs the bodies are most of the result, and Ansible copies a result several times; an
            # entry's own diff repeats the task's, which keeps every change
            entry.pop("job", None)
            entry.pop("diff", None)
            (entry.get("datafeed") or {}).pop("datafeed", None)
            (entry.get("datafeed") or {}).pop("diff", None)
        results.append(entry)
    checks.report.sort(key=_declaration_order(jobs))
    pruned = []
    group = params.get("managed_group")
    if group and not failures:
        pruned = _prune(cached, group, declared_ids, params, check_mode, diff_mode, warn, diffs)
    changed = any(r.get("changed") or (r.get("datafeed") or {}).get("changed") or (r.get("snapshots") or {}).get("changed")
                  for r in results + pruned)
    out = {"changed": changed, "results": results, "pruned": pruned}
    if skipped:
        out["skipped"] = skipped
    if checks.report:
        out["preflight"] = checks.report
    if diff_mode:
        out["diff"] = diffs
    if failures:
        out.update(_failure_summary(failures, results))
    return out


def _parallelism(value):
    """How many jobs are written at once: 1 (one after another) to MAX_PARALLELISM."""
    number = DEFAULT_PARALLELISM if value is None else value
    if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= MAX_PARALLELISM:
        raise ConfigError("parallelism must be a whole number from 1 to %d, got %r" % (MAX_PARALLELISM, value))
    return number


def _declaration_order(jobs):
    """A sort key putting preflight entries in the order of the jobs they are about (stable within a job)."""
    position = {}
    for index, job in enumerate(jobs):
        position["job [%s]" % job["job_id"]] = index
        feed = job.get("datafeed") or {}
        position["datafeed [%s]" % (feed.get("datafeed_id") or "datafeed-%s" % job["job_id"])] = index
    return lambda entry: position.get(entry.get("subject"), len(jobs))


def _in_parallel(function, items, workers):
    """``function`` of each item, in the items' order, up to ``workers`` at once. Each worker takes the next item
    when it is done with one: the main thread hands out no task per item, which at thousands of no-op jobs (work that
    holds the GIL) cost more than the work. An unexpected exception is raised here, as ``map`` would."""
    results = [None] * len(items)
    taken = itertools.count()  # next() of a count is atomic: each index goes to one worker

    def work():
        for index in iter(lambda: next(taken), None):
            if index >= len(items):
                return
            results[index] = function(items[index])

    with ThreadPoolExecutor(max_workers=min(workers, len(items))) as pool:
        for future in [pool.submit(work) for _worker in range(min(workers, len(items)))]:
            future.result()
    return results


def _check_dependencies(api, jobs, params, warn):
    """Before any write: every filter a job's custom rules name and every calendar its entry names (a Kibana export
    lists them) is declared by the caller (``declared_filters``, ``declared_calendars``) or on the cluster. A job
    missing one is refused with its name, or with ``skip_missing_dependencies`` left out, as Kibana's import leaves
    it out. The filters and calendars are read (one request each) only when some job names one."""
    needs = []
    for index, job in enumerate(jobs):
        if job["state"] == "absent":
            continue
        filters, calendars = filter_ids(job.get("config")), list(job.get("calendars") or [])
        if filters or calendars:
            needs.append((index, job, filters, calendars))
    if not needs:
        return jobs, []
    have_filters = set(params.get("declared_filters") or [])
    have_calendars = set(params.get("declared_calendars") or [])
    if any(f not in have_filters for _i, _j, filters, _c in needs for f in filters):
        found = api.get_filters(size=10000, not_found_ok=True) or {}
        have_filters |= set(f["filter_id"] for f in found.get("filters") or [])
    if any(c not in have_calendars for _i, _j, _f, calendars in needs for c in calendars):
        found = api.get_calendars(size=10000, not_found_ok=True) or {}
        have_calendars |= set(c["calendar_id"] for c in found.get("calendars") or [])
    missing = []
    for index, job, filters, calendars in needs:
        lacks = {"job_id": job["job_id"], "missing_filters": [f for f in filters if f not in have_filters],
                 "missing_calendars": [c for c in calendars if c not in have_calendars]}
        if lacks["missing_filters"] or lacks["missing_calendars"]:
            missing.append((index, lacks))
    if not missing:
        return jobs, []
    words = ["jobs[%d] (%s) needs %s" % (index, lacks["job_id"], " and ".join(
        part for part in ("filter(s) %s" % ", ".join(lacks["missing_filters"]) if lacks["missing_filters"] else "",
                          "calendar(s) %s" % ", ".join(lacks["missing_calendars"]) if lacks["missing_calendars"] else "")
        if part)) for index, lacks in missing]
    if not params.get("skip_missing_dependencies"):
        raise ConfigError("%s, neither declared nor on the cluster. Declare them (the role's anomaly_detection_filters "
                          "and anomaly_detection_calendars), or set skip_missing_dependencies to leave such jobs out, "
                          "as Kibana's import does" % "; ".join(words))
    warn("left out, as skip_missing_dependencies asks: %s" % "; ".join(words))
    left_out = set(index for index, _lacks in missing)
    return [job for index, job in enumerate(jobs) if index not in left_out], [lacks for _index, lacks in missing]


def _prune(cached, group, declared_ids, params, check_mode, diff_mode, warn, diffs):
    pruned = []
    force = bool(params.get("prune_force"))
    for job_id, job in sorted(cached.jobs.items()):
        if job_id in declared_ids or group not in (job.get("groups") or []):
            continue
        entry = {"job_id": job_id, "pruned": True}
        feed = (job.get("datafeed_config") or {}).get("datafeed_id")
        if feed:  # the datafeed first, then the job
            entry["datafeed"] = _datafeed.run(cached, dict(job_id=job_id, datafeed_id=feed, state="absent",
                                                           force=force), check_mode, diff_mode, warn)
        entry.update(_anomaly_job.run(cached, dict(job_id=job_id, state="absent", force=force),
                                      check_mode, diff_mode, warn))
        _merge_diff(diffs, job_id, entry)
        pruned.append(entry)
    return pruned


def _failure_summary(failures, results):
    """A failed converge, readable at any size: counts, failures grouped by reason, the first ones in full.

    Each job's outcome stays in ``results``; their job bodies are left out of a failed result (Ansible prints
    the whole of it), ``failed_jobs`` lists the ids.
    """
    groups = {}
    for job_id, exc in failures:  # the same reason for many jobs reads as one, with each job's id taken out
        reason = "%s: %s" % (exc.error_type, exc.reason) if getattr(exc, "reason", None) else str(exc)
        groups.setdefault(reason.replace(job_id, "<job>"), []).append(job_id)
    ok = len(results) - len(failures)
    lines = ["%d of %d jobs could not be converged (%d converged)." % (len(failures), len(results), ok)]
    for reason, ids in sorted(groups.items(), key=lambda item: -len(item[1])):
        shown = ", ".join(ids[:10]) + (" and %d more" % (len(ids) - 10) if len(ids) > 10 else "")
        lines.append("%d: %s [%s]" % (len(ids), reason, shown))
    lines.append("First failures: " + "; ".join("%s: %s" % (job_id, exc) for job_id, exc in failures[:SHOWN_FAILURES]))
    for entry in results:
        entry.pop("job", None)
    return {"failed": True, "msg": " ".join(lines), "failed_jobs": [job_id for job_id, _exc in failures]}


def _merge_diff(diffs, job_id, entry):
    """One diff for the whole converge, keyed by job id (each entry keeps its own too)."""
    diff = entry.get("diff")
    feed_diff = (entry.get("datafeed") or {}).get("diff")
    snapshots = entry.get("snapshots") or {}
    if diff is None and feed_diff is None:
        return
    if entry.get("changed") or (entry.get("datafeed") or {}).get("changed") or snapshots.get("changed"):
        before = dict((diff or {}).get("before") or {})
        after = dict((diff or {}).get("after") or {})
        if feed_diff is not None:
            before["datafeed"] = feed_diff.get("before")
            after["datafeed"] = feed_diff.get("after")
        if snapshots.get("changed") and snapshots.get("diff"):
            before["model_snapshots"] = snapshots["diff"]["before"].get("snapshots")
            after["model_snapshots"] = snapshots["diff"]["after"].get("snapshots")
        diffs["before"][job_id] = before
        diffs["after"][job_id] = after
