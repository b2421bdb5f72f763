# -*- coding: utf-8 -*-
# Copyright (c) 2026, mlops.elasticsearch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Read-only views of jobs, datafeeds, calendars, filters and model snapshots for the _info modules, in a fixed
number of requests.

Jobs: one GET for the configs, one for their stats, one for every datafeed's stats (matched to
its job through ``timing_stats.job_id``), however many jobs there are. Datafeeds: two GETs.

FOR INTERNAL COLLECTION USE ONLY: the interfaces here may change in any release.
Python versions supported: 3.9 and later.
"""

from __future__ import annotations

from ansible_collections.mlops.elasticsearch.plugins.module_utils._model_snapshot import (
    cluster_version, previous_major, version_below)

JOB_STATS_KEYS = ("state", "node", "assignment_explanation", "open_time", "data_counts", "model_size_stats",
                  "forecasts_stats", "timing_stats")
FEED_STATS_KEYS = ("state", "node", "assignment_explanation", "running_state", "timing_stats")


def _expression(value):
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return ",".join(value) or None
    return value or None


def jobs_info(api, params):
    expression = _expression(params.get("job_id"))
    allow = params.get("allow_no_match", True)
    # ES answers 404 for an exact id that does not exist, whatever allow_no_match says: with it, "no such job" is
    # the empty answer an audit asks for
    found = api.get_jobs(expression, allow_no_match=allow, exclude_generated=params.get("exclude_generated") or None,
                         not_found_ok=allow)
    configs = (found or {}).get("jobs") or []
    out = [{"job_id": job["job_id"], "config": job} for job in configs]
    if params.get("include_stats", True) and out:
        stats = api.get_job_stats(expression, allow_no_match=allow).get("jobs") or []
        by_job = dict((s["job_id"], s) for s in stats)
        feeds = api.get_datafeed_stats(allow_no_match=True).get("datafeeds") or []
        feed_by_job = dict(((f.get("timing_stats") or {}).get("job_id"), f) for f in feeds)
        for item in out:
            job_stats = by_job.get(item["job_id"], {})
            item["stats"] = dict((k, job_stats[k]) for k in JOB_STATS_KEYS if k in job_stats)
            feed = feed_by_job.get(item["job_id"])
            if feed is not None:
                item["datafeed"] = {"datafeed_id": feed["datafeed_id"], "state": feed.get("state")}
    return {"changed": False, "jobs": out, "count": len(out)}


def with_kibana_spaces(kibana_api, result):
    """Each job's Kibana spaces (``kibana_spaces``; None for a job Kibana has no saved object of yet): one request."""
    spaces = kibana_api.get_jobs_spaces()
    for item in result["jobs"]:
        found = spaces.get(item["job_id"])
        item["kibana_spaces"] = sorted(found) if found is not None else None
    return result


def datafeeds_info(api, params):
    expression = _expression(params.get("datafeed_id"))
    allow = params.get("allow_no_match", True)
    found = api.get_datafeeds(expression, allow_no_match=allow,
                              exclude_generated=params.get("exclude_generated") or None, not_found_ok=allow)
    configs = (found or {}).get("datafeeds") or []
    out = [{"datafeed_id": feed["datafeed_id"], "job_id": feed.get("job_id"), "config": feed} for feed in configs]
    if params.get("include_stats", True) and out:
        stats = api.get_datafeed_stats(expression, allow_no_match=allow).get("datafeeds") or []
        by_id = dict((s["datafeed_id"], s) for s in stats)
        for item in out:
            feed_stats = by_id.get(item["datafeed_id"], {})
            item["stats"] = dict((k, feed_stats[k]) for k in FEED_STATS_KEYS if k in feed_stats)
    return {"changed": False, "datafeeds": out, "count": len(out)}


def filters_info(api, params):
    """Filters by id, wildcard or list (all when omitted): one request."""
    found = api.get_filters(_expression(params.get("filter_id")), size=10000, not_found_ok=True)
    filters = (found or {}).get("filters") or []
    return {"changed": False, "filters": filters, "count": len(filters)}


def calendars_info(api, params):
    """Calendars and, with include_events, their scheduled events: two requests whatever their number."""
    expression = _expression(params.get("calendar_id"))
    found = api.get_calendars(expression, size=None if expression else 10000, not_found_ok=True)
    calendars = [dict(c) for c in (found or {}).get("calendars") or []]
    if params.get("include_events", True) and calendars:
        events = api.get_calendar_events("_all", size=10000).get("events") or []
        for calendar in calendars:
            calendar["events"] = [e for e in events if e.get("calendar_id") == calendar["calendar_id"]]
    return {"changed": False, "calendars": calendars, "count": len(calendars)}


def snapshots_info(api, params):
    """One job's model snapshots (a time range, sorted), which is active, which are older than the Upgrade
    Assistant's floor, and the upgrades running: four requests (the job, its snapshots, _ml/info for the cluster's
    version, the upgrade stats)."""
    job_id = params["job_id"]
    job = api.job(job_id)
    if job is None:
        return {"changed": False, "job_exists": False, "snapshots": [], "count": 0, "active_snapshot_id": None,
                "upgrades": []}
    size = params.get("size")
    found = api.get_model_snapshots(job_id, params.get("snapshot_id"), from_=params.get("from") or None,
                                    size=10000 if size is None else size, start=params.get("start"),
                                    end=params.get("end"), sort=params.get("sort"), desc=params.get("desc") or None)
    floor = params.get("min_version") or previous_major(cluster_version(api))
    active = job.get("model_snapshot_id")
    snapshots = []
    for snapshot in found.get("model_snapshots") or []:
        snapshots.append(dict(snapshot, active=snapshot["snapshot_id"] == active,
                              needs_upgrade=version_below(snapshot.get("min_version", "0"), floor)))
    upgrades = api.get_model_snapshot_upgrade_stats(job_id, "_all").get("model_snapshot_upgrades") or []
    return {"changed": False, "job_exists": True, "snapshots": snapshots, "count": found.get("count", len(snapshots)),
            "active_snapshot_id": active, "min_version": floor, "upgrades": upgrades}
