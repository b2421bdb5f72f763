# -*- coding: utf-8 -*-
# Copyright (c) 2026, mlops.elasticsearch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The ML REST API, one method per endpoint of the REST spec, plus bounded waits for states and tasks.

FOR INTERNAL COLLECTION USE ONLY: the interfaces here may change in any release.
Python versions supported: 3.9 and later.
"""

from __future__ import annotations

import time

from ansible_collections.mlops.elasticsearch.plugins.module_utils._client import ElasticsearchError, path_of
from ansible_collections.mlops.elasticsearch.plugins.module_utils._units import es_seconds

# Path prefixes as segments: path_of() quotes each segment, so a "/" inside one would be escaped.
JOBS = ("_ml", "anomaly_detectors")
DATAFEEDS = ("_ml", "datafeeds")
CALENDARS = ("_ml", "calendars")
FILTERS = ("_ml", "filters")

# spec name -> (HTTP method, idempotent): the retry class of each call (see EsClient).
ENDPOINTS = {
    "ml.put_job": ("PUT", False),
    "ml.get_jobs": ("GET", True),
    "ml.get_job_stats": ("GET", True),
    "ml.update_job": ("POST", True),
    "ml.open_job": ("POST", False),
    # close and stop are not resent blindly after a lost response: a first copy arriving after the reopen (restart)
    # that follows would undo it. The reconcile engine reads back, waits for it to settle, then resends.
    "ml.close_job": ("POST", False),
    "ml.delete_job": ("DELETE", False),
    "ml.reset_job": ("POST", True),
    "ml.put_datafeed": ("PUT", False),
    "ml.get_datafeeds": ("GET", True),
    "ml.get_datafeed_stats": ("GET", True),
    "ml.update_datafeed": ("POST", True),
    "ml.start_datafeed": ("POST", False),
    "ml.stop_datafeed": ("POST", False),
    "ml.delete_datafeed": ("DELETE", False),
    "ml.info": ("GET", True),
    "ml.put_calendar": ("PUT", False),
    "ml.get_calendars": ("GET", True),
    "ml.delete_calendar": ("DELETE", False),
    "ml.put_calendar_job": ("PUT", True),
    "ml.delete_calendar_job": ("DELETE", False),
    "ml.post_calendar_events": ("POST", False),
    "ml.get_calendar_events": ("GET", True),
    "ml.delete_calendar_event": ("DELETE", False),
    "ml.put_filter": ("PUT", False),
    "ml.get_filters": ("GET", True),
    "ml.update_filter": ("POST", False),
    "ml.delete_filter": ("DELETE", False),
    "tasks.get": ("GET", True),
    "ml.post_data": ("POST", False),
    "ml.flush_job": ("POST", True),
    "ml.validate": ("POST", True),
    "ml.validate_detector": ("POST", True),
    "ml.estimate_model_memory": ("POST", True),
    "ml.preview_datafeed": ("POST", True),
    "ml.get_model_snapshots": ("GET", True),
    "ml.update_model_snapshot": ("POST", True),
    "ml.delete_model_snapshot": ("DELETE", False),
    # a revert that lands twice leaves the same active snapshot, but the second would delete results written
    # in between: read back instead of resending
    "ml.revert_model_snapshot": ("POST", False),
    "ml.upgrade_job_snapshot": ("POST", False),
    "ml.get_model_snapshot_upgrade_stats": ("GET", True),
    "ml.set_upgrade_mode": ("POST", True),
}


class _Recorder(object):
    """A client that sends nothing: it keeps the request an MlApi method would make (see ``request_line``)."""

    def __init__(self):
        self.sent = None

    def request(self, method, path, params=None, body=None, **_options):
        self.sent = (method, path.lstrip("/"), dict(params or {}), body)


def request_line(api_method, kwargs, api_class=None):
    """``(HTTP method, path, query params, body)`` of the request ``MlApi.<api_method>(**kwargs)`` (or another API
    class's) sends, without sending it: how a plan reports its steps, from the one place that knows each endpoint."""
    recorder = _Recorder()
    getattr((api_class or MlApi)(recorder), api_method)(**kwargs)
    return recorder.sent


class WaitTimeout(ElasticsearchError):
    """A bounded wait ran out; ``last`` holds what was last observed."""

    def __init__(self, message, last=None):
        super(WaitTimeout, self).__init__(message)
        self.last = last


def _params(**kwargs):
    return dict((k, v) for k, v in kwargs.items() if v is not None)


class MlApi(object):
    """Thin, typed access to the ML endpoints. Methods return the decoded JSON of the response."""

    def __init__(self, client, sleep=time.sleep, clock=time.monotonic):
        self.client = client
        self._sleep = sleep
        self._clock = clock

    def _call(self, name, path, params=None, body=None, timeout=None, not_found_ok=False, ndjson=False,
              secondary=False):
        method, idempotent = ENDPOINTS[name]
        options = {"secondary": True} if secondary else {}
        return self.client.request(method, path, params=params, body=body, idempotent=idempotent, timeout=timeout,
                                   not_found_ok=not_found_ok, ndjson=ndjson, **options)

    # -- anomaly detection jobs ------------------------------------------------------------------------------

    def put_job(self, job_id, body, **indices_options):
        # a job created with its datafeed_config creates the datafeed, which records the caller's access
        return self._call("ml.put_job", path_of(*JOBS, job_id), _params(**indices_options), body,
                          secondary=isinstance(body, dict) and "datafeed_config" in body)

    def get_jobs(self, job_id=None, allow_no_match=None, exclude_generated=None, not_found_ok=False):
        path = path_of(*JOBS, job_id) if job_id else path_of(*JOBS)
        return self._call("ml.get_jobs", path, _params(allow_no_match=allow_no_match,
                                                       exclude_generated=exclude_generated), not_found_ok=not_found_ok)

    def get_job_stats(self, job_id=None, allow_no_match=None, not_found_ok=False):
        path = path_of(*JOBS, job_id, "_stats") if job_id else path_of(*JOBS, "_stats")
        return self._call("ml.get_job_stats", path, _params(allow_no_match=allow_no_match), not_found_ok=not_found_ok)

    def update_job(self, job_id, body):
        return self._call("ml.update_job", path_of(*JOBS, job_id, "_update"), body=body)

    def open_job(self, job_id, timeout=None):
        return self._call("ml.open_job", path_of(*JOBS, job_id, "_open"), _params(timeout=timeout),
                          timeout=_seconds_or_none(timeout))

    def close_job(self, job_id, allow_no_match=None, force=None, timeout=None):
        return self._call("ml.close_job", path_of(*JOBS, job_id, "_close"),
                          _params(allow_no_match=allow_no_match, force=force, timeout=timeout),
                          timeout=_seconds_or_none(timeout))

    def delete_job(self, job_id, force=None, wait_for_completion=None, delete_user_annotations=None):
        return self._call("ml.delete_job", path_of(*JOBS, job_id),
                          _params(force=force, wait_for_completion=wait_for_completion,
                                  delete_user_annotations=delete_user_annotations))

    def reset_job(self, job_id, wait_for_completion=None, delete_user_annotations=None):
        return self._call("ml.reset_job", path_of(*JOBS, job_id, "_reset"),
                          _params(wait_for_completion=wait_for_completion,
                                  delete_user_annotations=delete_user_annotations))

    def post_data(self, job_id, records, reset_start=None, reset_end=None):
        return self._call("ml.post_data", path_of(*JOBS, job_id, "_data"),
                          _params(reset_start=reset_start, reset_end=reset_end), body=list(records), ndjson=True)

    def flush_job(self, job_id, calc_interim=None, start=None, end=None, advance_time=None, skip_time=None):
        return self._call("ml.flush_job", path_of(*JOBS, job_id, "_flush"),
                          _params(calc_interim=calc_interim, start=start, end=end, advance_time=advance_time,
                                  skip_time=skip_time))

    def validate_job(self, body):
        """Whether Elasticsearch would accept ``body`` as a job (nothing is created). Read-only."""
        return self._call("ml.validate", path_of(*JOBS, "_validate"), body=body)

    def validate_detector(self, body):
        return self._call("ml.validate_detector", path_of(*JOBS, "_validate", "detector"), body=body)

    def estimate_model_memory(self, body):
        """The model memory Elasticsearch estimates for ``analysis_config`` and the given cardinalities. Read-only."""
        return self._call("ml.estimate_model_memory", path_of(*JOBS, "_estimate_model_memory"), body=body)

    # -- datafeeds -------------------------------------------------------------------------------------------

    def put_datafeed(self, datafeed_id, body, **indices_options):
        return self._call("ml.put_datafeed", path_of(*DATAFEEDS, datafeed_id), _params(**indices_options), body,
                          secondary=True)

    def get_datafeeds(self, datafeed_id=None, allow_no_match=None, exclude_generated=None, not_found_ok=False):
        path = path_of(*DATAFEEDS, datafeed_id) if datafeed_id else path_of(*DATAFEEDS)
        return self._call("ml.get_datafeeds", path, _params(allow_no_match=allow_no_match,
                                                            exclude_generated=exclude_generated),
                          not_found_ok=not_found_ok)

    def get_datafeed_stats(self, datafeed_id=None, allow_no_match=None, not_found_ok=False):
        path = path_of(*DATAFEEDS, datafeed_id, "_stats") if datafeed_id else path_of(*DATAFEEDS, "_stats")
        return self._call("ml.get_datafeed_stats", path, _params(allow_no_match=allow_no_match),
                          not_found_ok=not_found_ok)

    def update_datafeed(self, datafeed_id, body, **indices_options):
        return self._call("ml.update_datafeed", path_of(*DATAFEEDS, datafeed_id, "_update"),
                          _params(**indices_options), body, secondary=True)

    def preview_datafeed(self, datafeed_id=None, body=None, start=None, end=None):
        """The rows a datafeed would feed its job: a stored one by id, or ``body`` (``datafeed_config`` and
        ``job_config``) for one not created yet. Read-only, so it is retried like a read."""
        path = path_of(*DATAFEEDS, datafeed_id, "_preview") if datafeed_id else path_of(*DATAFEEDS, "_preview")
        return self._call("ml.preview_datafeed", path, _params(start=start, end=end), body, secondary=True)

    def start_datafeed(self, datafeed_id, start=None, end=None, timeout=None):
        return self._call("ml.start_datafeed", path_of(*DATAFEEDS, datafeed_id, "_start"),
                          _params(start=start, end=end, timeout=timeout), timeout=_seconds_or_none(timeout))

    def stop_datafeed(self, datafeed_id, allow_no_match=None, force=None, timeout=None):
        return self._call("ml.stop_datafeed", path_of(*DATAFEEDS, datafeed_id, "_stop"),
                          _params(allow_no_match=allow_no_match, force=force, timeout=timeout),
                          timeout=_seconds_or_none(timeout))

    def delete_datafeed(self, datafeed_id, force=None):
        return self._call("ml.delete_datafeed", path_of(*DATAFEEDS, datafeed_id), _params(force=force))

    # -- calendars and filters -------------------------------------------------------------------------------

    def put_calendar(self, calendar_id, body=None):
        return self._call("ml.put_calendar", path_of(*CALENDARS, calendar_id), body=body or {})

    def get_calendars(self, calendar_id=None, from_=None, size=None, not_found_ok=False):
        path = path_of(*CALENDARS, calendar_id) if calendar_id else path_of(*CALENDARS)
        return self._call("ml.get_calendars", path, _params(**{"from": from_, "size": size}), not_found_ok=not_found_ok)

    def delete_calendar(self, calendar_id):
        return self._call("ml.delete_calendar", path_of(*CALENDARS, calendar_id))

    def put_calendar_job(self, calendar_id, job_id):
        return self._call("ml.put_calendar_job", path_of(*CALENDARS, calendar_id, "jobs", job_id))

    def delete_calendar_job(self, calendar_id, job_id):
        return self._call("ml.delete_calendar_job", path_of(*CALENDARS, calendar_id, "jobs", job_id))

    def post_calendar_events(self, calendar_id, events):
        return self._call("ml.post_calendar_events", path_of(*CALENDARS, calendar_id, "events"),
                          body={"events": list(events)})

    def get_calendar_events(self, calendar_id, job_id=None, start=None, end=None, from_=None, size=None):
        return self._call("ml.get_calendar_events", path_of(*CALENDARS, calendar_id, "events"),
                          _params(job_id=job_id, start=start, end=end, size=size, **{"from": from_}))

    def delete_calendar_event(self, calendar_id, event_id):
        return self._call("ml.delete_calendar_event", path_of(*CALENDARS, calendar_id, "events", event_id))

    def put_filter(self, filter_id, body):
        return self._call("ml.put_filter", path_of(*FILTERS, filter_id), body=body)

    def get_filters(self, filter_id=None, from_=None, size=None, not_found_ok=False):
        path = path_of(*FILTERS, filter_id) if filter_id else path_of(*FILTERS)
        return self._call("ml.get_filters", path, _params(size=size, **{"from": from_}), not_found_ok=not_found_ok)

    def update_filter(self, filter_id, body):
        return self._call("ml.update_filter", path_of(*FILTERS, filter_id, "_update"), body=body)

    def delete_filter(self, filter_id):
        return self._call("ml.delete_filter", path_of(*FILTERS, filter_id))

    # -- model snapshots -------------------------------------------------------------------------------------

    def get_model_snapshots(self, job_id, snapshot_id=None, from_=None, size=None, start=None, end=None, sort=None,
                            desc=None, not_found_ok=False):
        path = (path_of(*JOBS, job_id, "model_snapshots", snapshot_id) if snapshot_id
                else path_of(*JOBS, job_id, "model_snapshots"))
        return self._call("ml.get_model_snapshots", path,
                          _params(size=size, start=start, end=end, sort=sort, desc=desc, **{"from": from_}),
                          not_found_ok=not_found_ok)

    def update_model_snapshot(self, job_id, snapshot_id, body):
        return self._call("ml.update_model_snapshot", path_of(*JOBS, job_id, "model_snapshots", snapshot_id, "_update"),
                          body=body)

    def delete_model_snapshot(self, job_id, snapshot_id):
        return self._call("ml.delete_model_snapshot", path_of(*JOBS, job_id, "model_snapshots", snapshot_id))

    def revert_model_snapshot(self, job_id, snapshot_id, delete_intervening_results=None):
        return self._call("ml.revert_model_snapshot", path_of(*JOBS, job_id, "model_snapshots", snapshot_id, "_revert"),
                          _params(delete_intervening_results=delete_intervening_results))

    def upgrade_job_snapshot(self, job_id, snapshot_id, wait_for_completion=None, timeout=None):
        return self._call("ml.upgrade_job_snapshot", path_of(*JOBS, job_id, "model_snapshots", snapshot_id, "_upgrade"),
                          _params(wait_for_completion=wait_for_completion, timeout=timeout),
                          timeout=_seconds_or_none(timeout))

    def get_model_snapshot_upgrade_stats(self, job_id, snapshot_id, allow_no_match=None):
        return self._call("ml.get_model_snapshot_upgrade_stats",
                          path_of(*JOBS, job_id, "model_snapshots", snapshot_id, "_upgrade", "_stats"),
                          _params(allow_no_match=allow_no_match))

    def set_upgrade_mode(self, enabled, timeout=None):
        return self._call("ml.set_upgrade_mode", path_of("_ml", "set_upgrade_mode"),
                          _params(enabled=enabled, timeout=timeout), timeout=_seconds_or_none(timeout))

    # -- cluster ---------------------------------------------------------------------------------------------

    def info(self):
        return self._call("ml.info", path_of("_ml", "info"))

    def get_task(self, task_id, wait_for_completion=None, timeout=None, not_found_ok=False):
        return self._call("tasks.get", path_of("_tasks", task_id),
                          _params(wait_for_completion=wait_for_completion, timeout=timeout),
                          timeout=_seconds_or_none(timeout), not_found_ok=not_found_ok)

    # -- single-object reads ---------------------------------------------------------------------------------

    def job(self, job_id, exclude_generated=False):
        """One job's config, or None when it does not exist (an exact id 404s, get jobs API docs, allow_no_match)."""
        found = self.get_jobs(job_id, exclude_generated=exclude_generated or None, not_found_ok=True)
        return found["jobs"][0] if found and found.get("jobs") else None

    def job_stats(self, job_id):
        found = self.get_job_stats(job_id, not_found_ok=True)
        return found["jobs"][0] if found and found.get("jobs") else None

    def datafeed(self, datafeed_id, exclude_generated=False):
        found = self.get_datafeeds(datafeed_id, exclude_generated=exclude_generated or None, not_found_ok=True)
        return found["datafeeds"][0] if found and found.get("datafeeds") else None

    def datafeed_stats(self, datafeed_id):
        found = self.get_datafeed_stats(datafeed_id, not_found_ok=True)
        return found["datafeeds"][0] if found and found.get("datafeeds") else None

    # -- bounded waits ---------------------------------------------------------------------------------------

    def _poll(self, read, done, timeout, interval, what):
        deadline = self._clock() + float(timeout)
        delay = min(0.1, interval)
        while True:
            last = read()
            if done(last):
                return last
            if self._clock() >= deadline:
                raise WaitTimeout("timed out after %ss waiting for %s; last seen: %s" % (_fmt(timeout), what, _describe(last)),
                                  last=last)
            self._sleep(min(delay, max(0.0, deadline - self._clock())))
            delay = min(delay * 2, interval)

    def settle(self, check, seconds, interval=0.5):
        """Poll ``check()`` until it holds or ``seconds`` have passed; whether it held (never raises a timeout)."""
        deadline = self._clock() + float(seconds)
        delay = min(0.1, interval)
        while not check():
            if self._clock() >= deadline:
                return False
            self._sleep(min(delay, max(0.0, deadline - self._clock())))
            delay = min(delay * 2, interval)
        return True

    def wait_for_job_state(self, job_id, states, timeout=60, interval=1.0):
        """Poll job stats until the job's state is one of ``states``."""
        wanted = set(states)
        return self._poll(lambda: self.job_stats(job_id), lambda stats: stats is not None and stats.get("state") in wanted,
                          timeout, interval, "job [%s] to be %s" % (job_id, "/".join(sorted(wanted))))

    def wait_for_job_unblocked(self, job_id, timeout=60, interval=1.0):
        """Wait while a delete, reset or revert holds the job (``blocked``); returns the job or None if deleted."""
        return self._poll(lambda: self.job(job_id), lambda job: job is None or not job.get("blocked"),
                          timeout, interval, "job [%s] to finish its running %s" % (job_id, "task"))


def _seconds_or_none(timeout):
    """An ES time value (``30m``, ``90s``) plus a margin, so the HTTP read timeout outlasts the server's wait."""
    seconds = es_seconds(timeout)
    return None if seconds is None else seconds + 10.0


def _fmt(value):
    return "%g" % float(value)


def _describe(stats):
    if stats is None:
        return "not found"
    if isinstance(stats, dict):
        keys = ("state", "node", "assignment_explanation", "blocked", "completed")
        return ", ".join("%s=%s" % (k, stats[k]) for k in keys if k in stats) or "no state"
    return str(stats)
