# -*- coding: utf-8 -*-
# Copyright (c) 2026, mlops.elasticsearch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A job's model snapshots: keep, revert to, upgrade and delete them (ml_model_snapshot).

Elasticsearch's rules, met before any request so that the module's message says what to do:

- a revert needs the job closed, so a running job is closed (which stops its datafeed), reverted, then reopened
  and its datafeed restarted (ES RevertModelSnapshotAction); a job already at the snapshot is left alone;
- the active snapshot (the job's ``model_snapshot_id``) cannot be deleted (ES DeleteModelSnapshotAction), nor
  upgraded while its job is not closed (ES UpgradeJobModelSnapshotAction), and one job upgrades one snapshot at
  a time;
- a snapshot needs upgrading when its ``min_version`` is older than ``min_version`` (by default the major before
  the cluster's, the Upgrade Assistant's rule: ES MlDeprecationChecker).

Requests: one read of the job and one of its snapshots; a revert also reads the job's stats and its datafeed's.

FOR INTERNAL COLLECTION USE ONLY: the interfaces here may change in any release.
Python versions supported: 3.9 and later.
"""

from __future__ import annotations

import re

from ansible_collections.mlops.elasticsearch.plugins.module_utils._compare import Change
from ansible_collections.mlops.elasticsearch.plugins.module_utils._options import (
    SNAPSHOT_SELECTORS, ConfigError, check_duration, model_snapshot_spec, validate_id, with_defaults)
from ansible_collections.mlops.elasticsearch.plugins.module_utils._reconcile import (
    Action, Facts, Plan, Planner, ReconcileError, converge, is_conflict, is_missing)
from ansible_collections.mlops.elasticsearch.plugins.module_utils._units import epoch_ms, es_seconds

OPEN = ("opened", "opening")
VERSION_RE = re.compile(r"\d+(\.\d+){0,2}\Z")
# snapshots per job read at once; ES keeps model_snapshot_retention_days (10 by default) of them, one a day after
# the first day, so a job has tens, not thousands
PAGE = 10000


def declare(params, warn):
    declared = Facts(**with_defaults(model_snapshot_spec(), params))
    validate_id("job_id", declared.job_id)
    chosen = [name for name in SNAPSHOT_SELECTORS if getattr(declared, name) not in (None, "")]
    if len(chosen) > 1:
        raise ConfigError("give one of snapshot_id, latest_before and matching_description, not %s"
                          % " and ".join(chosen))
    declared.selector = chosen[0] if chosen else None
    if declared.keep_newest is not None:
        if declared.state != "absent":
            raise ConfigError("keep_newest is for state=absent (delete all but the newest snapshots)")
        if declared.selector or declared.keep_newest < 0:
            raise ConfigError("keep_newest must be a number of snapshots, 0 or more, and goes without snapshot_id, "
                              "latest_before or matching_description")
    if declared.state == "absent" and declared.keep_newest is None and declared.selector != "snapshot_id":
        raise ConfigError("state=absent deletes one snapshot named by snapshot_id, or with keep_newest all but the "
                          "newest; latest_before and matching_description would pick another snapshot on every run")
    if declared.state in ("present", "reverted") and declared.selector is None:
        raise ConfigError("state=%s needs the snapshot: give snapshot_id, latest_before or matching_description"
                          % declared.state)
    if declared.state != "present" and (declared.description is not None or declared.retain is not None):
        raise ConfigError("description and retain are set with state=present")
    if declared.latest_before is not None:
        declared.before_ms = epoch_ms(declared.latest_before)
        if declared.before_ms is None:
            raise ConfigError("latest_before: %r is not a time: give ISO 8601 (2026-03-01T00:00:00Z), epoch "
                              "milliseconds or now" % declared.latest_before)
    if declared.min_version is not None and not VERSION_RE.match(declared.min_version):
        raise ConfigError("min_version: %r is not a version such as 8.0.0" % declared.min_version)
    check_duration("timeout", declared.timeout)
    declared.wait_seconds = es_seconds(declared.timeout, 1800.0)
    return declared


def read(api, declared, check_mode):
    job = api.job(declared.job_id)
    if job is None:
        if declared.state == "absent":
            return Facts(job=None, snapshots=[], stats=None, feed=None, feed_stats=None, floor=None, upgrading=[])
        raise ReconcileError("job [%s] does not exist, so it has no model snapshots" % declared.job_id)
    found = api.get_model_snapshots(declared.job_id, size=PAGE, sort="timestamp")
    current = Facts(job=job, snapshots=found.get("model_snapshots") or [], stats=None, feed=None, feed_stats=None,
                    floor=None, upgrading=[])
    if declared.state in ("reverted", "upgraded"):
        current.stats = api.job_stats(declared.job_id) or {}
        current.feed = (job.get("datafeed_config") or {}).get("datafeed_id")
        if current.feed and declared.state == "reverted":
            current.feed_stats = api.datafeed_stats(current.feed) or {}
    if declared.state == "upgraded":
        current.floor = declared.min_version or previous_major(cluster_version(api))
        upgrades = api.get_model_snapshot_upgrade_stats(declared.job_id, "_all")
        current.upgrading = [u["snapshot_id"] for u in upgrades.get("model_snapshot_upgrades") or []]
    return current


def cluster_version(api):
    """The cluster's version, from ``_ml/info`` (its ``native_code.version``): readable with the ML privileges alone,
    where ``GET /`` needs ``monitor``."""
    version = ((api.info() or {}).get("native_code") or {}).get("version")
    if not version:
        raise ReconcileError("_ml/info does not say the cluster's version (native_code.version); give min_version")
    return version


def previous_major(version):
    """The Upgrade Assistant's floor: snapshots older than the major before the cluster's need upgrading."""
    major = int(str(version).split(".", 1)[0])
    return "%d.0.0" % max(major - 1, 0)


def version_below(version, floor):
    return _version_key(version) < _version_key(floor)


def _version_key(version):
    parts = [int(p) if p.isdigit() else 0 for p in str(version).split("-", 1)[0].split(".")]
    return tuple(parts + [0] * (3 - len(parts)))


def select(snapshots, declared):
    """The snapshot the declaration names, or None."""
    if declared.selector == "snapshot_id":
        return next((s for s in snapshots if s["snapshot_id"] == declared.snapshot_id), None)
    if declared.selector == "matching_description":
        matching = [s for s in snapshots if s.get("description") == declared.matching_description]
        return max(matching, key=lambda s: s["timestamp"]) if matching else None
    if declared.selector == "latest_before":
        earlier = [s for s in snapshots if _data_time(s) < declared.before_ms]
        return max(earlier, key=lambda s: (_data_time(s), s["timestamp"])) if earlier else None
    return None


def _data_time(snapshot):
    """How far the snapshot's model had seen: its latest record's time (the time it was taken when it has none)."""
    latest = snapshot.get("latest_record_time_stamp")
    return latest if isinstance(latest, (int, float)) else snapshot["timestamp"]


def _selector_words(declared):
    if declared.selector == "snapshot_id":
        return "snapshot [%s]" % declared.snapshot_id
    if declared.selector == "matching_description":
        return "a snapshot described %r" % declared.matching_description
    return "a snapshot whose data ends before %s" % declared.latest_before


def _missing(current, declared):
    have = ", ".join("%s (%s)" % (s["snapshot_id"], s.get("description", "")) for s in current.snapshots[-5:])
    return ReconcileError("job [%s] has no %s; its snapshots are: %s" % (
        declared.job_id, _selector_words(declared)[2:] if declared.selector != "snapshot_id"
        else _selector_words(declared), have or "none"))


def plan(current, declared):
    job_id = declared.job_id
    active = (current.job or {}).get("model_snapshot_id")
    out = Plan("job [%s]" % job_id, start_state="as it was")
    out.state = declared.state
    if declared.state == "absent":
        return _plan_absent(out, current, declared, active)
    if declared.state == "upgraded":
        return _plan_upgraded(out, current, declared, active)
    target = select(current.snapshots, declared)
    if target is None:
        raise _missing(current, declared)
    if declared.state == "present":
        return _plan_present(out, target, declared)
    return _plan_reverted(out, current, declared, target, active)


def _plan_present(out, target, declared):
    body, shown_before, shown_after = {}, {}, {}
    for key in ("description", "retain"):
        want = getattr(declared, key)
        shown_before[key] = target.get(key)
        shown_after[key] = target.get(key) if want is None else want
        if want is not None and want != target.get(key):
            body[key] = want
            out.changes.append(Change(key, target.get(key), want, True))
    out.before, out.after = shown_before, shown_after
    if body:
        out.add(Action("update_model_snapshot", {"job_id": declared.job_id, "snapshot_id": target["snapshot_id"],
                                                 "body": body}, body_arg="body", leaves="updated"))
    return out


def _plan_absent(out, current, declared, active):
    by_id = dict((s["snapshot_id"], s) for s in current.snapshots)
    if declared.keep_newest is not None:
        unretained = sorted((s for s in current.snapshots if not s.get("retain")), key=lambda s: s["timestamp"],
                            reverse=True)
        doomed = [s["snapshot_id"] for s in reversed(unretained[declared.keep_newest:]) if s["snapshot_id"] != active]
    else:
        doomed = [declared.snapshot_id] if declared.snapshot_id in by_id else []
        if doomed and declared.snapshot_id == active:
            raise ReconcileError(
                "snapshot [%s] is the active snapshot of job [%s], which Elasticsearch does not delete; revert the job "
                "to another snapshot first (state=reverted), then delete this one" % (active, declared.job_id))
    out.before = {"snapshots": sorted(by_id)}
    out.after = {"snapshots": sorted(set(by_id) - set(doomed))}
    for snapshot_id in doomed:
        out.add(Action("delete_model_snapshot", {"job_id": declared.job_id, "snapshot_id": snapshot_id},
                       leaves="with snapshot [%s] deleted" % snapshot_id, tolerate=is_missing,
                       verify=_gone(declared.job_id, snapshot_id)))
    out.changes = [Change("snapshots", out.before["snapshots"], out.after["snapshots"], True)] if doomed else []
    return out


def _gone(job_id, snapshot_id):
    def check(api):
        found = api.get_model_snapshots(job_id, snapshot_id, not_found_ok=True)
        return not (found or {}).get("model_snapshots")
    return check


def _plan_reverted(out, current, declared, target, active):
    job_id, snapshot_id = declared.job_id, target["snapshot_id"]
    out.before = {"model_snapshot_id": active}
    out.after = {"model_snapshot_id": snapshot_id}
    if active == snapshot_id:
        return out
    out.changes = [Change("model_snapshot_id", active, snapshot_id, True)]
    state = current.stats.get("state", "closed")
    if state == "failed":
        raise ReconcileError("job [%s] has failed; close it with force (ml_anomaly_job state=closed force=true), then "
                             "revert" % job_id)
    running = state in OPEN
    feed_running = bool(current.feed_stats) and current.feed_stats.get("state") in ("started", "starting")
    if running:
        note = "also stops datafeed [%s]" % current.feed if feed_running else None
        out.add(Action("close_job", {"job_id": job_id, "timeout": declared.timeout}, note=note, leaves="closed",
                       verify=lambda api: (api.job_stats(job_id) or {}).get("state", "closed") == "closed"))
    out.add(Action("revert_model_snapshot", {"job_id": job_id, "snapshot_id": snapshot_id,
                                             "delete_intervening_results": declared.delete_intervening_results or None},
                   leaves="closed, at snapshot [%s]" % snapshot_id,
                   note="deletes the results after the snapshot" if declared.delete_intervening_results else None,
                   verify=lambda api: (api.job(job_id) or {}).get("model_snapshot_id") == snapshot_id))
    reopen = []
    if running:
        reopen.append(Action("open_job", {"job_id": job_id, "timeout": declared.timeout}, leaves="open",
                             verify=lambda api: (api.job_stats(job_id) or {}).get("state") in OPEN,
                             tolerate=lambda exc: is_conflict(exc, "has already been opened")))
        if feed_running:
            feed = current.feed
            reopen.append(Action("start_datafeed", {"datafeed_id": feed},
                                 note="resumes from the snapshot's latest record" if declared.delete_intervening_results
                                 else "resumes from where it stopped",
                                 leaves="open with datafeed [%s] started" % feed,
                                 verify=lambda api: (api.datafeed_stats(feed) or {}).get("state") in ("started",
                                                                                                      "starting"),
                                 tolerate=lambda exc: is_conflict(exc, "has already been started")))
    if declared.restart:
        for action in reopen:
            out.add(action)
        out.restore_after = "close_job"
        out.restore = list(reopen)
    elif reopen:
        out.notes.append("restart=false: job [%s] is left closed%s" % (
            job_id, " and datafeed [%s] stopped" % current.feed if feed_running else ""))
    return out


def _plan_upgraded(out, current, declared, active):
    floor = current.floor
    candidates = [select(current.snapshots, declared)] if declared.selector else list(current.snapshots)
    if declared.selector and candidates[0] is None:
        raise _missing(current, declared)
    old = [s for s in candidates if version_below(s.get("min_version", "0"), floor)]
    out.before = {"below_min_version": sorted(s["snapshot_id"] for s in old), "min_version": floor}
    pending = [s for s in old if s["snapshot_id"] not in current.upgrading]
    if current.upgrading:
        out.notes.append("an upgrade is running for snapshot(s) %s of job [%s]; run again when it ends"
                         % (", ".join(current.upgrading), declared.job_id))
        pending = []
    state = (current.stats or {}).get("state", "closed")
    if any(s["snapshot_id"] == active for s in pending) and state != "closed":
        raise ReconcileError(
            "snapshot [%s] is the active snapshot of job [%s], which is %s; Elasticsearch upgrades it only with the "
            "job closed: close the job first (ml_anomaly_job state=closed), or upgrade during a window when it is"
            % (active, declared.job_id, state))
    if not declared.wait_for_completion and len(pending) > 1:
        out.notes.append("wait_for_completion=false: Elasticsearch upgrades one snapshot of a job at a time; %d more "
                         "are left for the next runs" % (len(pending) - 1))
        pending = pending[:1]
    for snapshot in pending:
        out.add(Action("upgrade_job_snapshot", {"job_id": declared.job_id, "snapshot_id": snapshot["snapshot_id"],
                                                "wait_for_completion": declared.wait_for_completion,
                                                "timeout": declared.timeout},
                       leaves="with snapshot [%s] upgraded" % snapshot["snapshot_id"],
                       tolerate=lambda exc: is_conflict(exc, "already compatible with current version")))
    remaining = sorted(s["snapshot_id"] for s in old if s not in pending or not declared.wait_for_completion)
    out.after = {"below_min_version": remaining, "min_version": floor}
    if pending:
        out.changes = [Change("below_min_version", out.before["below_min_version"], remaining, True)]
    return out


def report(done, current, declared, check_mode):
    out = {"job_id": declared.job_id}
    active = (current.job or {}).get("model_snapshot_id")
    target = select(current.snapshots, declared) if declared.selector else None
    if declared.state == "present" and target is not None:
        updated = done.results("update_model_snapshot") if not check_mode else []
        out["snapshot"] = updated[-1]["model"] if updated else target
    elif declared.state == "reverted" and target is not None:
        reverted = done.results("revert_model_snapshot") if not check_mode else []
        out["snapshot"] = reverted[-1]["model"] if reverted and reverted[-1] else target
        if not check_mode and done:
            active = target["snapshot_id"]
    elif declared.state == "absent":
        out["deleted"] = [a.kwargs["snapshot_id"] for a in done.actions]
    elif declared.state == "upgraded":
        out["upgraded"] = [a.kwargs["snapshot_id"] for a in done.actions]
        out["min_version"] = current.floor
    out["active_snapshot_id"] = active
    return out


PLANNER = Planner(declare, read, plan, report)


def run(api, params, check_mode=False, diff_mode=False, warn=None):
    """What ml_model_snapshot does; returns the module result."""
    return converge(api, PLANNER, params, check_mode, diff_mode, warn)
