"""The emulated cluster: jobs, datafeeds, their state machines and tasks (ES Transport*JobAction, Get*StatsAction).

All state sits behind one lock. Time-driven transitions (a delete or reset task finishing, a
bounded datafeed ending, a lazy job getting a node) are applied by ``tick()`` at the start of
every request, so nothing runs in the background.
"""

from __future__ import annotations

import fnmatch
import threading
import time

from . import datafeeds as dfs
from . import jobs
from .errors import (EsException, IllegalArgument, ResourceAlreadyExists, ResourceNotFound, StatusException,
                     conflict, missing_datafeed, missing_job)
from .values import MIB, invalid_id_message, parse_date_param, parse_time, valid_id

NODE_ID = "7bmMXyWCRs-TuPfGJJ_yMw"
NODE = {
    "id": NODE_ID,
    "name": "emulator-ml-0",
    "ephemeral_id": "gXzhmWxvTMaNW8JUdHWVvg",
    "transport_address": "127.0.0.1:9300",
    "attributes": {"ml.machine_memory": "25769803776", "ml.max_jvm_size": "8589934592",
                   "ml.allocated_processors": "2", "ml.allocated_processors_double": "2.0",
                   "ml.config_version": "12.0.0", "xpack.installed": "true"},
}
ML_CONFIG_VERSION = "12.0.0"


class ValidationFailed(EsException):
    """ActionRequestValidationException."""

    type = "action_request_validation_exception"
    status = 400

    def __init__(self, errors):
        super().__init__("Validation Failed: " + "".join("%d: %s;" % (i + 1, e) for i, e in enumerate(errors)))


def now_ms():
    return int(time.time() * 1000)


class Settings:
    """Knobs a test sets through ``PUT /_emulator/settings``."""

    def __init__(self):
        self.version = "9.1.0"
        self.max_model_memory_limit_mb = 0  # xpack.ml.max_model_memory_limit; 0 = unset
        self.max_open_jobs = 512  # xpack.ml.max_open_jobs of the single ML node
        self.task_duration_ms = 0  # how long a delete or reset task keeps its job blocked
        # instead, when above 0: a new delete or reset task runs until its job's config has been read this many times
        # (the last of those reads still shows it running), a clock that a slow machine cannot outrun
        self.task_held_for_reads = 0
        self.datafeed_lookback_ms = 0  # how long a datafeed with an end time runs before it stops

    def update(self, values):
        for key, value in values.items():
            if not hasattr(self, key):
                raise IllegalArgument("unknown emulator setting [%s]" % key)
            setattr(self, key, value)

    def as_dict(self):
        return dict(vars(self))


class JobRuntime:
    def __init__(self):
        self.state = "closed"
        self.node = None
        self.opened_at = None
        self.explanation = None
        self.counts = {}
        self.model_bytes = 0
        self.memory_status = "ok"


class DatafeedRuntime:
    def __init__(self):
        self.state = "stopped"
        self.end_ms = None
        self.stops_at = None
        self.search_count = 0  # grows with every run, so a finished bounded datafeed shows it ran (ES GetDatafeedsStatsAction)


class Task:
    def __init__(self, number, action, description, job_id, kind, duration_ms, cancellable, reads=0):
        self.id = "%s:%d" % (NODE_ID, number)
        self.number = number
        self.action = action
        self.description = description
        self.job_id = job_id
        self.kind = kind
        self.start_ms = now_ms()
        self.due = time.monotonic() + duration_ms / 1000.0
        self.reads_left = reads or None  # see Settings.task_held_for_reads
        if self.reads_left:
            self.due = float("inf")
        self.cancellable = cancellable
        self.completed = False
        self.response = None

    def render(self):
        task = {"node": NODE_ID, "id": self.number, "type": "transport", "action": self.action,
                "description": self.description, "start_time_in_millis": self.start_ms,
                "running_time_in_nanos": max(0, now_ms() - self.start_ms) * 10 ** 6,
                "cancellable": self.cancellable, "headers": {}}
        if self.cancellable:
            task["cancelled"] = False
        out = {"completed": self.completed, "task": task}
        if self.completed:
            out["response"] = self.response
        return out


def _empty_counts(job_id):
    return {"job_id": job_id, "processed_record_count": 0, "processed_field_count": 0, "input_bytes": 0,
            "input_field_count": 0, "invalid_date_count": 0, "missing_field_count": 0,
            "out_of_order_timestamp_count": 0, "empty_bucket_count": 0, "sparse_bucket_count": 0,
            "bucket_count": 0, "input_record_count": 0}


class Cluster:  # pylint: disable=too-many-public-methods
    def __init__(self):
        self.lock = threading.RLock()
        self.settings = Settings()
        self.on_job_removed = None
        self.reset()

    def reset(self):
        with self.lock:
            self.jobs = {}
            self.runtime = {}
            self.datafeeds = {}
            self.df_runtime = {}
            self.df_auth = {}
            self.tasks = {}
            self.task_counter = 1000

    # -- time ------------------------------------------------------------------------------------------------

    def tick(self):
        with self.lock:
            clock = time.monotonic()
            for task in list(self.tasks.values()):
                if not task.completed and task.due <= clock:
                    self._finish_task(task)
            for df_id, rt in self.df_runtime.items():
                if rt.state == "started" and rt.stops_at is not None and rt.stops_at <= clock:
                    job_id = self.datafeeds[df_id]["job_id"]
                    self._stop_datafeed(df_id)
                    self._close_job(job_id)  # a datafeed with an end time closes its job (ES Transport*JobAction)
            self._assign_waiting_jobs()

    def _finish_task(self, task):
        task.completed = True
        task.response = {"acknowledged": True}
        job = self.jobs.get(task.job_id)
        if job is None or job.get("blocked", {}).get("task_id") != task.id:
            return
        if task.kind == "delete":
            self._remove_job(task.job_id)
        elif task.kind == "reset":
            rt = self.runtime[task.job_id]
            rt.counts = _empty_counts(task.job_id)
            rt.model_bytes = 0
            rt.memory_status = "ok"
            for key in ("model_snapshot_id", "finished_time", "blocked", "model_snapshot_min_version"):
                job.pop(key, None)

    def _remove_job(self, job_id):
        if self.on_job_removed is not None:
            self.on_job_removed(job_id)  # calendars drop the job's id (ES TransportUpdateCalendarJobAction)
        self.jobs.pop(job_id, None)
        self.runtime.pop(job_id, None)
        for df_id in [d for d, df in self.datafeeds.items() if df["job_id"] == job_id]:
            self.datafeeds.pop(df_id)
            self.df_runtime.pop(df_id, None)
            self.df_auth.pop(df_id, None)

    def _wait_for(self, task):
        """Block the calling request (not the cluster) until ``task`` is due, then finish it."""
        while task.due > time.monotonic():  # a held task's due moves when other requests read its job
            self.lock.release()
            try:
                time.sleep(min(0.05, max(0.0, task.due - time.monotonic())))
            finally:
                self.lock.acquire()
        self.tick()

    def _new_task(self, action, description, job_id, kind, cancellable):
        self.task_counter += 1
        task = Task(self.task_counter, action, description, job_id, kind, self.settings.task_duration_ms, cancellable,
                    self.settings.task_held_for_reads)
        self.tasks[task.id] = task
        return task

    # -- id expressions (ES rest-api-spec ml.*.json: comma lists, wildcards, groups, _all) --------------------

    def expand_job_ids(self, expression, allow_no_match):
        """Job ids, groups (every job of the group), wildcards over both, ``_all``."""
        names = {job_id: [job_id] + list(job.get("groups") or []) for job_id, job in self.jobs.items()}
        return _expand(expression, allow_no_match, names, missing_job)

    def expand_datafeed_ids(self, expression, allow_no_match):
        return _expand(expression, allow_no_match, {d: [d] for d in self.datafeeds}, missing_datafeed)

    def _job(self, job_id):
        job = self.jobs.get(job_id)
        if job is None:
            raise missing_job(job_id)
        return job

    def _datafeed(self, df_id):
        datafeed = self.datafeeds.get(df_id)
        if datafeed is None:
            raise missing_datafeed(df_id)
        return datafeed

    def datafeed_of(self, job_id):
        for df_id, datafeed in self.datafeeds.items():
            if datafeed["job_id"] == job_id:
                return df_id
        return None

    def render_job(self, job_id, exclude_generated=False):
        job = self.jobs[job_id]
        df_id = self.datafeed_of(job_id)
        datafeed = self.render_datafeed(df_id) if df_id else None
        return jobs.render_job(job, datafeed, exclude_generated)

    def render_datafeed(self, df_id, exclude_generated=False):
        return dfs.render(self.datafeeds[df_id], exclude_generated, self.df_auth.get(df_id))

    # -- jobs ------------------------------------------------------------------------------------------------

    def put_job(self, job_id, body, params, principal):
        cfg = jobs.parse_put_body(job_id, body)
        df_node = cfg.pop("datafeed_config", None)
        df_cfg = dfs.parse_config(df_node) if df_node is not None else None
        jobs.apply_server_defaults(cfg, self.settings.max_model_memory_limit_mb)
        if job_id in self.jobs:
            raise ResourceAlreadyExists("The job cannot be created with the Id '%s'. The Id is already used." % job_id)
        for other_id, other in self.jobs.items():
            if job_id in (other.get("groups") or []):
                raise ResourceAlreadyExists("job and group names must be unique but job [%s] and group [%s] have the same name"
                                            % (job_id, job_id))
            if other_id in (cfg.get("groups") or []):
                raise ResourceAlreadyExists("job and group names must be unique but job [%s] and group [%s] have the same name"
                                            % (other_id, other_id))
        datafeed = None
        if df_cfg is not None:
            df_id = df_cfg.pop("datafeed_id", None) or job_id
            if df_cfg.get("job_id") not in (None, job_id):
                raise IllegalArgument("datafeed job_id [%s] does not equal job id [%s}" % (df_cfg["job_id"], job_id))
            if df_id in self.datafeeds:
                raise ResourceAlreadyExists("A datafeed with id [%s] already exists" % df_id)
            datafeed = dfs.build(df_id, df_cfg, cfg, params)
        cfg["job_type"] = "anomaly_detector"
        cfg["job_version"] = ML_CONFIG_VERSION
        cfg["create_time"] = now_ms()
        for ignored in ("deleting", "blocked", "model_snapshot_min_version"):
            cfg.pop(ignored, None)
        self.jobs[job_id] = cfg
        rt = self.runtime[job_id] = JobRuntime()
        rt.counts = _empty_counts(job_id)
        if datafeed is not None:
            self._store_datafeed(datafeed, principal)
        return self.render_job(job_id)

    def get_jobs(self, expression, allow_no_match, exclude_generated):
        ids = self.expand_job_ids(expression, allow_no_match)
        out = {"count": len(ids), "jobs": [self.render_job(i, exclude_generated) for i in ids]}
        for job_id in ids:
            self._count_read(job_id)
        return out

    def _count_read(self, job_id):
        """A read of a job that a held task blocks brings the task one read closer to its end."""
        task = self.tasks.get((self.jobs[job_id].get("blocked") or {}).get("task_id"))
        if task is not None and task.reads_left:
            task.reads_left -= 1
            if not task.reads_left:
                task.due = time.monotonic()

    def job_stats(self, expression, allow_no_match):
        ids = self.expand_job_ids(expression, allow_no_match)
        return {"count": len(ids), "jobs": [self._job_stats(i) for i in ids]}

    def _job_stats(self, job_id):
        job, rt = self.jobs[job_id], self.runtime[job_id]
        counts = dict(rt.counts)
        out = {"job_id": job_id, "data_counts": counts}
        size = {"job_id": job_id, "result_type": "model_size_stats", "model_bytes": rt.model_bytes,
                "peak_model_bytes": rt.model_bytes,
                "model_bytes_exceeded": max(0, rt.model_bytes - self._mml_bytes(job)) if rt.memory_status == "hard_limit" else 0,
                "model_bytes_memory_limit": self._mml_bytes(job),
                "total_by_field_count": 3 if rt.model_bytes else 0, "total_over_field_count": 0,
                "total_partition_field_count": 2 if rt.model_bytes else 0,
                "bucket_allocation_failures_count": 0, "memory_status": rt.memory_status,
                "assignment_memory_basis": "model_memory_limit", "categorized_doc_count": 0,
                "total_category_count": 0, "frequent_category_count": 0, "rare_category_count": 0,
                "dead_category_count": 0, "failed_category_count": 0, "categorization_status": "ok",
                "log_time": counts.get("last_data_time", job["create_time"]),
                "timestamp": counts.get("latest_record_timestamp", 0)}
        out["model_size_stats"] = size
        out["forecasts_stats"] = {"total": 0, "forecasted_jobs": 0}
        out["state"] = rt.state
        if rt.state != "closed":
            if rt.node is not None:
                out["node"] = dict(NODE)
            out["assignment_explanation"] = rt.explanation or ""
            if rt.opened_at is not None:
                out["open_time"] = "%ds" % int(time.time() - rt.opened_at)
        buckets = counts.get("bucket_count", 0)
        timing = {"job_id": job_id, "bucket_count": buckets, "total_bucket_processing_time_ms": float(buckets * 2)}
        if buckets:
            timing.update({"minimum_bucket_processing_time_ms": 1.0, "maximum_bucket_processing_time_ms": 3.0,
                           "average_bucket_processing_time_ms": 2.0,
                           "exponential_average_bucket_processing_time_ms": 2.0})
        timing["exponential_average_bucket_processing_time_per_hour_ms"] = float(buckets * 2)
        out["timing_stats"] = timing
        return out

    @staticmethod
    def _mml_bytes(job):
        return int(job["analysis_limits"]["model_memory_limit"][:-2]) * MIB

    def update_job(self, job_id, body):
        jobs.reject_update_all(job_id)
        update = jobs.parse_update_body(body)
        job = self._job(job_id)
        rt = self.runtime[job_id]
        for group in update.get("groups") or []:
            if group in self.jobs:
                raise ResourceAlreadyExists("job and group names must be unique but job [%s] and group [%s] have the same name"
                                            % (group, group))
        merged = jobs.apply_update(job, update, rt.state == "opened", rt.model_bytes,
                                   self.settings.max_model_memory_limit_mb)
        self.jobs[job_id] = merged
        return self.render_job(job_id)

    def _open_jobs_count(self):
        return sum(1 for rt in self.runtime.values() if rt.node is not None)

    def open_job(self, job_id, params):
        if "timeout" in params:
            parse_time(params["timeout"], "timeout")
        job = self._job(job_id)
        blocked = job.get("blocked")
        if blocked:
            raise conflict("Cannot open job [%s] because it is executing [%s]" % (job_id, blocked["reason"]))
        rt = self.runtime[job_id]
        if rt.state != "closed":
            raise conflict("Cannot open job [%s] because it has already been opened" % job_id)
        job.pop("finished_time", None)
        if self._open_jobs_count() >= self.settings.max_open_jobs:
            if not job["allow_lazy_open"]:
                explanation = ("persistent task [job-%s] cannot be assigned [node [%s] has reached its maximum number of "
                               "open jobs [%d]]" % (job_id, NODE_ID, self.settings.max_open_jobs))
                detail = StatusException("Could not open job because no suitable nodes were found, allocation explanation "
                                         "[%s]" % explanation)
                detail.type = "illegal_state_exception"
                detail.es_native = False
                raise StatusException("Could not open job because no ML nodes with sufficient capacity were found",
                                      status=429, cause=detail)
            rt.state, rt.node, rt.explanation = "opening", None, "persistent task is awaiting node assignment."
            rt.opened_at = None
            return {"opened": True, "node": ""}
        rt.state, rt.node, rt.explanation, rt.opened_at = "opened", NODE_ID, "", time.time()
        return {"opened": True, "node": NODE_ID}

    def _assign_waiting_jobs(self):
        for job_id in sorted(self.runtime):
            rt = self.runtime[job_id]
            if rt.state == "opening" and rt.node is None and self._open_jobs_count() < self.settings.max_open_jobs:
                rt.state, rt.node, rt.explanation, rt.opened_at = "opened", NODE_ID, "", time.time()

    def close_job(self, expression, params):
        allow_no_match = params.get("allow_no_match", True)
        force = params.get("force", False)
        if "timeout" in params:
            parse_time(params["timeout"], "timeout")
        ids = self.expand_job_ids(expression, allow_no_match)
        failed = [i for i in ids if self.runtime[i].state == "failed"]
        if failed and not force:
            if len(ids) == 1:
                raise conflict("cannot close job [%s] because it failed, use force close" % failed[0])
            raise conflict("one or more jobs have state failed, use force close")
        for job_id in ids:
            df_id = self.datafeed_of(job_id)
            if df_id and self.df_runtime[df_id].state != "stopped":
                self._stop_datafeed(df_id)
            self._close_job(job_id)
        return {"closed": True}

    def _close_job(self, job_id):
        rt = self.runtime.get(job_id)
        if rt is None or rt.state == "closed":
            return
        job = self.jobs[job_id]
        if rt.counts.get("processed_record_count") and rt.node is not None:
            job["model_snapshot_id"] = str(int(time.time()))
            job["model_snapshot_min_version"] = "8.3.0"
        if rt.node is not None:
            job["finished_time"] = now_ms()
        rt.state, rt.node, rt.explanation, rt.opened_at = "closed", None, None, None
        if rt.memory_status != "hard_limit":
            rt.memory_status = "ok"

    def delete_job(self, job_id, params):
        force = params.get("force", False)
        wait = params.get("wait_for_completion", True)
        job = self._job(job_id)
        blocked = job.get("blocked")
        if blocked and blocked["reason"] == "delete":
            task = self.tasks[blocked["task_id"]]
            if not wait:
                return {"task": task.id}
            self._wait_for(task)
            return {"acknowledged": True}
        if blocked and blocked["reason"] in ("reset", "revert"):
            raise conflict("Cannot delete job [%s] while it is being %s" % (job_id, blocked["reason"]))
        rt = self.runtime[job_id]
        df_id = self.datafeed_of(job_id)
        if df_id and self.df_runtime[df_id].state != "stopped" and not force:
            cause = conflict("Cannot delete datafeed [%s] while its status is %s" % (df_id, self.df_runtime[df_id].state))
            raise StatusException("failed to delete job [%s] as its datafeed [%s] could not be deleted" % (job_id, df_id),
                                  status=409, cause=cause)
        if rt.state != "closed" and not force:
            raise conflict("Cannot delete job [%s] because the job is %s" % (job_id, rt.state))
        if df_id:
            self._stop_datafeed(df_id)
            self.datafeeds.pop(df_id)
            self.df_runtime.pop(df_id)
            self.df_auth.pop(df_id, None)
        rt.state, rt.node, rt.explanation = "closed", None, None
        task = self._new_task("cluster:admin/xpack/ml/job/delete", "delete-job-%s" % job_id, job_id, "delete", False)
        job["blocked"] = {"reason": "delete", "task_id": task.id}
        if not wait:
            self.tick()
            return {"task": task.id}
        self._wait_for(task)
        return {"acknowledged": True}

    def reset_job(self, job_id, params):
        wait = params.get("wait_for_completion", True)
        job = self._job(job_id)
        blocked = job.get("blocked")
        if blocked and blocked["reason"] == "reset":
            task = self.tasks[blocked["task_id"]]
            if not wait:
                return {"task": task.id}
            self._wait_for(task)
            return {"acknowledged": True}
        if blocked:
            raise conflict("cannot reset job while it is blocked with [%s]" % blocked["reason"])
        if self.runtime[job_id].state != "closed":
            raise conflict("Can only reset a job when it is closed.")
        task = self._new_task("cluster:admin/xpack/ml/job/reset", "job-%s" % job_id, job_id, "reset", True)
        job["blocked"] = {"reason": "reset", "task_id": task.id}
        if not wait:
            self.tick()
            return {"task": task.id}
        self._wait_for(task)
        return {"acknowledged": True}

    def post_data(self, job_id, records, input_bytes):
        job = self._job(job_id)
        rt = self.runtime[job_id]
        if rt.state != "opened" or rt.node is None:
            raise conflict("Cannot perform requested action because job [%s] is not open" % job_id)
        counts = rt.counts
        ac = job["analysis_config"]
        time_field = job["data_description"]["time_field"]
        time_format = job["data_description"]["time_format"]
        wanted = jobs.analysis_fields(ac)
        latest = counts.get("latest_record_timestamp")
        for record in records:
            counts["input_record_count"] += 1
            counts["input_field_count"] += len(record) if isinstance(record, dict) else 0
            stamp = _record_time(record, time_field, time_format)
            if stamp is None:
                counts["invalid_date_count"] += 1
                continue
            if latest is not None and stamp < latest - ac.get("latency", jobs.TimeSpan("0", "latency")).nanos // 10 ** 6:
                counts["out_of_order_timestamp_count"] += 1
                continue
            counts["processed_record_count"] += 1
            present = [f for f in wanted if f in record]
            counts["processed_field_count"] += len(present) + 1
            counts["missing_field_count"] += len(wanted) - len(present)
            counts["earliest_record_timestamp"] = min(stamp, counts.get("earliest_record_timestamp", stamp))
            latest = max(stamp, latest if latest is not None else stamp)
            counts["latest_record_timestamp"] = latest
        counts["input_bytes"] += input_bytes
        counts["last_data_time"] = now_ms()
        counts["log_time"] = counts["last_data_time"]
        if "earliest_record_timestamp" in counts:
            span_ms = ac["bucket_span"].nanos // 10 ** 6
            counts["bucket_count"] = (counts["latest_record_timestamp"] - counts["earliest_record_timestamp"]) // span_ms
            counts["latest_bucket_timestamp"] = counts["latest_record_timestamp"] // span_ms * span_ms
        rt.model_bytes = min(self._mml_bytes(job), 100000 + 64 * counts["processed_record_count"])
        return dict(counts)

    def set_runtime(self, job_id, values):
        """Test control: put a job in a state the API alone cannot reach (failed, hard_limit)."""
        self._job(job_id)
        rt = self.runtime[job_id]
        if "state" in values:
            rt.state = values["state"]
            if rt.state == "failed":
                rt.explanation = "process died"
        if "memory_status" in values:
            rt.memory_status = values["memory_status"]
        if "model_bytes" in values:
            rt.model_bytes = int(values["model_bytes"])
        return {"acknowledged": True}

    # -- datafeeds -------------------------------------------------------------------------------------------

    def _store_datafeed(self, datafeed, principal):
        df_id = datafeed["datafeed_id"]
        self.datafeeds[df_id] = datafeed
        self.df_runtime[df_id] = DatafeedRuntime()
        if principal is not None:
            self.df_auth[df_id] = principal.authorization()

    def put_datafeed(self, df_id, body, params, principal):
        cfg = dfs.parse_config(body)
        body_id = cfg.pop("datafeed_id", None)
        if body_id is not None and body_id != df_id:
            raise IllegalArgument("Inconsistent datafeed_id; '%s' specified in the body differs from '%s' specified as a URL "
                                  "argument" % (body_id, df_id))
        if not valid_id(df_id):
            raise IllegalArgument(invalid_id_message("datafeed_id", df_id))
        if cfg.get("job_id") is None:
            raise IllegalArgument("Required [job_id]")
        if df_id in self.datafeeds:
            raise ResourceAlreadyExists("A datafeed with id [%s] already exists" % df_id)
        job = self._job(cfg["job_id"])
        existing = self.datafeed_of(cfg["job_id"])
        if existing:
            raise conflict("A datafeed [%s] already exists for job [%s]" % (existing, cfg["job_id"]))
        datafeed = dfs.build(df_id, cfg, job, params)
        self._store_datafeed(datafeed, principal)
        return self.render_datafeed(df_id)

    def get_datafeeds(self, expression, allow_no_match, exclude_generated):
        ids = self.expand_datafeed_ids(expression, allow_no_match)
        return {"count": len(ids), "datafeeds": [self.render_datafeed(i, exclude_generated) for i in ids]}

    def datafeed_stats(self, expression, allow_no_match):
        ids = self.expand_datafeed_ids(expression, allow_no_match)
        return {"count": len(ids), "datafeeds": [self._datafeed_stats(i) for i in ids]}

    def _datafeed_stats(self, df_id):
        rt = self.df_runtime[df_id]
        job_id = self.datafeeds[df_id]["job_id"]
        out = {"datafeed_id": df_id, "state": rt.state}
        if rt.state != "stopped":
            job_rt = self.runtime[job_id]
            if job_rt.node is not None:
                node = dict(NODE)
                node["attributes"] = {k: v for k, v in NODE["attributes"].items() if k.startswith("ml.")}
                out["node"] = node
            out["assignment_explanation"] = ""
        out["timing_stats"] = {"job_id": job_id, "search_count": rt.search_count, "bucket_count": 0,
                               "total_search_time_ms": float(rt.search_count * 5),
                               "exponential_average_search_time_per_hour_ms": 0.0}
        if rt.state != "stopped":
            out["running_state"] = {"real_time_configured": rt.end_ms is None, "real_time_running": rt.end_ms is None}
        return out

    def update_datafeed(self, df_id, body, params):
        update = dfs.parse_update(body)
        datafeed = self._datafeed(df_id)
        if self.df_runtime[df_id].state != "stopped":
            raise conflict("Cannot update datafeed [%s] while its status is %s" % (df_id, self.df_runtime[df_id].state))
        job = self.jobs[datafeed["job_id"]]
        self.datafeeds[df_id] = dfs.apply_update(datafeed, update, job, params)
        return self.render_datafeed(df_id)

    def start_datafeed(self, df_id, params):
        datafeed = self._datafeed(df_id)
        if "timeout" in params:
            parse_time(params["timeout"], "timeout")
        clock = now_ms()
        start = parse_date_param(params["start"], "start", clock) if "start" in params else 0
        end = parse_date_param(params["end"], "end", clock) if "end" in params else None
        if end is not None and end <= start:
            raise ValidationFailed(["start [%d] must be earlier than end [%d]" % (start, end)])
        job_id = datafeed["job_id"]
        job_rt = self.runtime[job_id]
        if job_rt.state not in ("opened", "opening"):
            raise conflict("cannot start datafeed [%s] because job [%s] is %s" % (df_id, job_id, job_rt.state))
        rt = self.df_runtime[df_id]
        if rt.state != "stopped":
            raise conflict("cannot start datafeed [%s] because it has already been started" % df_id)
        rt.state = "started" if job_rt.node is not None else "starting"
        rt.search_count += 1
        rt.end_ms = end
        rt.stops_at = time.monotonic() + self.settings.datafeed_lookback_ms / 1000.0 if end is not None else None
        return {"started": True, "node": job_rt.node or ""}

    def stop_datafeed(self, expression, params):
        if "timeout" in params:
            parse_time(params["timeout"], "timeout")
        ids = self.expand_datafeed_ids(expression, params.get("allow_no_match", True))
        for df_id in ids:
            self._stop_datafeed(df_id)
        return {"stopped": True}

    def _stop_datafeed(self, df_id):
        rt = self.df_runtime.get(df_id)
        if rt is not None:
            rt.state, rt.end_ms, rt.stops_at = "stopped", None, None

    def delete_datafeed(self, df_id, params):
        self._datafeed(df_id)
        rt = self.df_runtime[df_id]
        if rt.state != "stopped" and not params.get("force", False):
            raise conflict("Cannot delete datafeed [%s] while its status is %s" % (df_id, rt.state))
        self.datafeeds.pop(df_id)
        self.df_runtime.pop(df_id)
        self.df_auth.pop(df_id, None)
        return {"acknowledged": True}

    # -- info and tasks --------------------------------------------------------------------------------------

    def ml_info(self):
        limit = self.settings.max_model_memory_limit_mb
        default_mml = min(1024, limit) if limit else 1024
        info = {
            "defaults": {
                "anomaly_detectors": {
                    "categorization_analyzer": jobs.default_categorization_analyzer(),
                    "model_memory_limit": "%dmb" % default_mml if default_mml != 1024 else "1gb",
                    "categorization_examples_limit": 4,
                    "model_snapshot_retention_days": 10,
                    "daily_model_snapshot_retention_after_days": 1,
                },
                "datafeeds": {"scroll_size": 1000},
            },
            "upgrade_mode": False,
            "native_code": {"version": self.settings.version, "build_hash": "a1b2c3d4e5f6a7"},
            "limits": {"effective_max_model_memory_limit": "%dmb" % (limit or 28961), "total_ml_memory": "24576mb"},
        }
        if limit:
            info["limits"]["max_model_memory_limit"] = "%dmb" % limit
        return info

    def get_task(self, task_id, params):
        if ":" not in task_id:
            raise IllegalArgument("malformed task id %s" % task_id)
        task = self.tasks.get(task_id)
        if task is None:
            raise ResourceNotFound("task [%s] isn't running and hasn't stored its results" % task_id)
        if params.get("wait_for_completion") and not task.completed:
            timeout = parse_time(params.get("timeout", "30s"), "timeout") / 10 ** 9
            if task.due - time.monotonic() > timeout:
                raise StatusException("Timed out waiting for completion of task [%s]" % task_id, status=408)
            self._wait_for(task)
        return task.render()


def _record_time(record, field, fmt):
    if not isinstance(record, dict) or field not in record:
        return None
    value = record[field]
    try:
        if fmt == "epoch":
            return int(float(value) * 1000)
        if fmt == "epoch_ms":
            return int(float(value))
        return parse_date_param(str(value), field, 0)
    except (ValueError, TypeError, EsException):
        return None


def _expand(expression, allow_no_match, names, missing):
    """ES's id expressions (ES rest-api-spec ml.*.json): comma lists of ids, names or wildcards, ``_all`` or nothing for all.

    ``names`` maps each object id to the names it answers to. A wildcard (or ``_all``) that matches
    nothing is an error only with ``allow_no_match=false``; an exact id that matches nothing always is.
    """
    tokens = [t for t in (expression or "").split(",") if t] or ["_all"]
    found, unmatched = set(), []
    for token in tokens:
        pattern = "*" if token == "_all" else token
        matched = {obj for obj, aliases in names.items() if any(fnmatch.fnmatchcase(a, pattern) for a in aliases)}
        if not matched and ("*" not in pattern or not allow_no_match):
            unmatched.append(token)
        found |= matched
    if unmatched:
        raise missing(",".join(unmatched))
    return sorted(found)
