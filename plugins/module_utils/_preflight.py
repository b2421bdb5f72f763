# -*- coding: utf-8 -*-
# Copyright (c) 2026, mlops.elasticsearch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Preflight: before a plan's first write (and in check mode), ask Elasticsearch, read-only, whether it will work.

A planner's ``preflight`` function looks at its plan and calls the checks here for what is about to be created or
changed, never for a no-op: ``_validate`` for a job's config, ``_ml/info`` limits and ``_estimate_model_memory``
for its memory, ``_preview`` for a datafeed. A check that finds the plan would fail raises ReconcileError before any
write; one that finds a risk adds a warning. An API the cluster does not offer (serverless hides some, older
versions lack some) is skipped with one warning; the preflight itself never fails a task. What was checked is in
the result's ``preflight``.

FOR INTERNAL COLLECTION USE ONLY: the interfaces here may change in any release.
Python versions supported: 3.9 and later.
"""

from __future__ import annotations

import threading
import time

from ansible_collections.mlops.elasticsearch.plugins.module_utils._client import ElasticsearchError
from ansible_collections.mlops.elasticsearch.plugins.module_utils._reconcile import ReconcileError
from ansible_collections.mlops.elasticsearch.plugins.module_utils._units import UnitError, es_seconds, parse_mib

DEFAULT_MODEL_MEMORY_LIMIT = "1gb"  # a job's model_memory_limit when it gives none (ES AnalysisLimits)
# Checks whose APIs Elasticsearch Serverless keeps internal (the REST spec's `visibility=private` there): once a
# 410 says the cluster is serverless, they are skipped without asking
SERVERLESS_INTERNAL_CHECKS = ("validate", "ml_info")


def unavailable(exc):
    """Whether an error only says the API is not offered here (a serverless 410, an older version's 404 or 400
    'no handler found'), as opposed to an answer about what was sent."""
    reason = exc.reason or ""
    return exc.status in (405, 410, 501) or exc.error_type == "api_not_available_exception" \
        or reason.startswith("no handler found") or (exc.status == 404 and exc.error_type is None)


class Preflight(object):
    """The checks of one run (the bulk module shares one across its jobs, so ``_ml/info`` is read once)."""

    def __init__(self, api, warn, enabled=True, clock=time.time):
        self.api = api
        self.warn = warn
        self.enabled = enabled
        self.clock = clock
        self.report = []  # what was checked and what it found, for the result
        self._info = None
        self._skipped = set()
        self.serverless = False  # a 410 api_not_available_exception said so
        self._lock = threading.Lock()  # the bulk path checks several jobs at once; _ml/info is still read once
        self._probe_lock = threading.Lock()
        self._probed = False

    def _note(self, subject, check, found, detail=None):
        entry = {"subject": subject, "check": check, "found": found}
        if detail:
            entry["detail"] = detail
        self.report.append(entry)

    def _ask(self, subject, check, call):
        """``call()``, or None when the API is not offered (said once per API, in a warning). On Elasticsearch
        Serverless, once a 410 has said so, the checks whose APIs it keeps internal are skipped without a request."""
        if check in SERVERLESS_INTERNAL_CHECKS:
            with self._probe_lock:
                if not self._probed:
                    # the first internal call tells whether this is a Serverless project: checks of other jobs
                    # running at once (the bulk path's parallelism) wait for its answer rather than probe too
                    self._probed = True
                    return self._ask_now(subject, check, call)
            if self.serverless:
                self._note(subject, check, "skipped", "not available on Elasticsearch Serverless")
                return None
        return self._ask_now(subject, check, call)

    def _ask_now(self, subject, check, call):
        try:
            return call()
        except ElasticsearchError as exc:
            if exc.error_type == "api_not_available_exception":
                self.serverless = True
            if unavailable(exc):
                why = "this cluster does not offer it"
            elif exc.status in (401, 403) or exc.status is None or exc.status >= 429:
                why = "it could not be asked"  # credentials, load or the network: the write will say what it meets
            else:
                raise  # an answer about what was sent: the plan would fail
            if check not in self._skipped:
                self._skipped.add(check)
                self.warn("preflight skipped %s: %s (%s %s: %s)" % (check, why, exc.status, exc.error_type, exc.reason))
            self._note(subject, check, "skipped")
            return None

    def info(self, subject):
        with self._lock:
            if self._info is None:
                self._info = self._ask(subject, "ml_info", self.api.info) or {}
            return self._info

    # -- jobs --------------------------------------------------------------------------------------------------

    def job_config(self, job_id, body):
        """``_validate``: Elasticsearch's own verdict on the job's config, its error the task's failure."""
        subject = "job [%s]" % job_id
        try:
            answer = self._ask(subject, "validate", lambda: self.api.validate_job(dict(body, job_id=job_id)))
        except ElasticsearchError as exc:
            self._note(subject, "validate", "refused", exc.reason)
            raise ReconcileError("job [%s] would be refused, so nothing was written (preflight, Elasticsearch's "
                                 "_validate): %s" % (job_id, exc), preflight=self.report)
        if answer is not None:
            self._note(subject, "validate", "ok")

    def model_memory(self, job_id, body, opens, cardinality=None):
        """The declared model_memory_limit against the cluster's limits, and against Elasticsearch's estimate."""
        subject = "job [%s]" % job_id
        text = str(((body.get("analysis_limits") or {}).get("model_memory_limit")) or DEFAULT_MODEL_MEMORY_LIMIT)
        try:
            declared = parse_mib(text)
        except UnitError:
            return
        limits = self.info(subject).get("limits") or {}
        maximum = _mib(limits.get("max_model_memory_limit"))
        if maximum is not None and declared > maximum:
            self._note(subject, "model_memory_limit", "refused", "above xpack.ml.max_model_memory_limit")
            raise ReconcileError(
                "job [%s]: model_memory_limit [%s] must be less than the value of the xpack.ml.max_model_memory_limit "
                "setting [%s]; nothing was written (preflight, _ml/info). Lower the limit, or raise the setting"
                % (job_id, text, limits["max_model_memory_limit"]), preflight=self.report)
        largest = _mib(limits.get("effective_max_model_memory_limit"))
        if opens and largest is not None and declared > largest:
            self._note(subject, "model_memory_limit", "refused", "no ML node is large enough")
            lazy = " (allow_lazy_open lets it wait for a larger node)" if not body.get("allow_lazy_open") else ""
            message = ("job [%s]: model_memory_limit [%s] is more than any ML node can give a job [%s] "
                       "(effective_max_model_memory_limit)%s" % (job_id, text, limits["effective_max_model_memory_limit"],
                                                                 lazy))
            if not body.get("allow_lazy_open"):
                raise ReconcileError("%s; it would not open, so nothing was written (preflight, _ml/info)" % message,
                                     preflight=self.report)
            self.warn("%s; it will wait in opening until one is" % message)
        self._estimate(subject, body, text, declared, cardinality)

    def fits(self, job_id, job):
        """A job about to be opened (to start its datafeed) that no ML node can hold is refused before the open."""
        subject = "job [%s]" % job_id
        text = str(((job.get("analysis_limits") or {}).get("model_memory_limit")) or DEFAULT_MODEL_MEMORY_LIMIT)
        largest = _mib((self.info(subject).get("limits") or {}).get("effective_max_model_memory_limit"))
        declared = _mib(text)
        if largest is None or declared is None or declared <= largest or job.get("allow_lazy_open"):
            self._note(subject, "fits_a_node", "ok" if largest is not None else "skipped")
            return
        self._note(subject, "fits_a_node", "refused", "no ML node is large enough")
        raise ReconcileError("job [%s]: model_memory_limit [%s] is more than any ML node can give a job [%s] "
                             "(effective_max_model_memory_limit); it would not open, so nothing was written (preflight, "
                             "_ml/info)" % (job_id, text, self.info(subject)["limits"]["effective_max_model_memory_limit"]),
                             preflight=self.report)

    def _estimate(self, subject, body, text, declared, cardinality):
        request = {"analysis_config": body["analysis_config"]}
        request.update(dict((k, v) for k, v in (cardinality or {}).items() if v))
        answer = self._ask(subject, "estimate_model_memory", lambda: self.api.estimate_model_memory(request))
        if answer is None:
            return
        estimate = _mib(answer.get("model_memory_estimate"))
        if estimate is not None and estimate > declared:
            self._note(subject, "estimate_model_memory", "warning", "estimate %s" % answer["model_memory_estimate"])
            self.warn("%s: model_memory_limit [%s] is below Elasticsearch's estimate [%s] for this analysis_config%s; "
                      "the job may reach hard_limit and stop learning" % (
                          subject, text, answer["model_memory_estimate"],
                          "" if cardinality else " (give preflight_cardinality for a closer estimate)"))
        else:
            self._note(subject, "estimate_model_memory", "ok", answer.get("model_memory_estimate"))

    def memory_in_use(self, job_id, text, stats):
        """A lowered model_memory_limit below what the model already uses is refused by ES after the close of an
        open job: refuse it before anything is closed."""
        subject = "job [%s]" % job_id
        used = ((stats or {}).get("model_size_stats") or {}).get("model_bytes")
        try:
            declared = parse_mib(text) * 1024 * 1024
        except UnitError:
            return
        if used and declared < used:
            self._note(subject, "model_memory_in_use", "refused", "%d bytes in use" % used)
            raise ReconcileError(
                "job [%s]: Invalid update value for analysis_limits: model_memory_limit cannot be decreased below "
                "current usage; current usage [%s], update had [%s]. Nothing was written (preflight, job stats): the "
                "job was not closed for an update that cannot succeed" % (job_id, _mb(used), text),
                preflight=self.report)
        self._note(subject, "model_memory_in_use", "ok")

    def idle_close(self, job_id, feed_id, feed_state):
        """Elasticsearch closes an open job whose datafeed is stopped once it has been idle a while."""
        if feed_id and feed_state not in ("started", "starting"):
            self._note("job [%s]" % job_id, "idle_auto_close", "warning")
            self.warn("job [%s] is opened while its datafeed [%s] is stopped: Elasticsearch closes such a job once its "
                      "latest record is older than xpack.ml.idle_job_auto_close_timeout (48h by default), and a later "
                      "run opens it again; start the datafeed (or close the job) to keep it as declared"
                      % (job_id, feed_id))

    # -- calendars ---------------------------------------------------------------------------------------------

    def jobs_exist(self, subject, members):
        """Job ids and groups a calendar is about to name, read with allow_no_match=false. Elasticsearch accepts a
        calendar that names a job not yet created (TransportPutCalendarAction checks nothing), so one that does not
        exist is a warning, likely a typo, not a refusal."""
        if not members:
            return
        try:
            found = self._ask(subject, "members_exist",
                              lambda: self.api.get_jobs(",".join(members), allow_no_match=False))
        except ElasticsearchError as exc:
            if exc.status != 404:
                raise
            self._note(subject, "members_exist", "warning", exc.reason)
            self.warn("%s names a job or group that does not exist (yet): %s. Elasticsearch accepts it; the calendar "
                      "applies once such a job exists" % (subject, exc.reason))
            return
        if found is not None:
            self._note(subject, "members_exist", "ok")

    # -- datafeeds ---------------------------------------------------------------------------------------------

    def datafeed(self, feed_id, config, job_id, window, job_config=None):
        """``_preview`` of the datafeed as it is about to be, over the last ``window``: an error fails the task before
        any write; no rows is a warning."""
        seconds = es_seconds(window) if window else 0
        if not seconds:
            return  # preflight_window 0: no preview
        subject = "datafeed [%s]" % feed_id
        end = int(self.clock() * 1000)
        body = {"datafeed_config": dict(config, job_id=job_id) if job_config is None else dict(config)}
        if job_config is not None:
            body["job_config"] = job_config
        try:
            rows = self._ask(subject, "preview", lambda: self.api.preview_datafeed(
                body=body, start=str(end - int(seconds * 1000)), end=str(end)))
        except ElasticsearchError as exc:
            self._note(subject, "preview", "refused", exc.reason)
            raise ReconcileError("datafeed [%s] would not read its data, so nothing was written (preflight, "
                                 "Elasticsearch's _preview): %s" % (feed_id, exc), preflight=self.report)
        if rows is None:
            return
        if not rows:
            self._note(subject, "preview", "warning", "no rows in the last %s" % window)
            self.warn("datafeed [%s] would feed job [%s] no data: its preview over the last %s found no documents "
                      "(check its indices and query; preflight_window sets the window)" % (feed_id, job_id, window))
        else:
            self._note(subject, "preview", "ok", "%d rows in the last %s" % (len(rows), window))


def _mib(text):
    if text is None:
        return None
    try:
        return parse_mib(text)
    except UnitError:
        return None


def _mb(amount):
    return "%dmb" % -(-amount // (1024 * 1024))
