"""Anomaly-detection jobs: their configs, their run state on the node, and the job APIs (ES Transport*JobAction,
GetJobsStatsAction, TransportPostDataAction)."""

from __future__ import annotations

import time

from . import datafeeds as dfs
from . import jobs
from .errors import (EsException, IllegalArgument, ParseException, ResourceAlreadyExists, StatusException,
                     bad_request, conflict, missing_job)
from .datafeed_store import check_read
from .node import AWAITING_UPGRADE, ML_CONFIG_VERSION, NODE, NODE_ID, expand
from .values import MIB, epoch_or_iso_ms, parse_date_param, parse_time


class JobRuntime:
    def __init__(self):
        self.state = "closed"
        self.node = None
        self.opened_at = None
        self.explanation = None
        self.counts = {}
        self.model_bytes = 0
        self.memory_status = "ok"
        self.persisted_count = None  # processed_record_count when the model state was last persisted


def _empty_counts(job_id):
    return {"job_id": job_id, "processed_record_count": 0, "processed_field_count": 0, "input_bytes": 0,
            "input_field_count": 0, "invalid_date_count": 0, "missing_field_count": 0,
            "out_of_order_timestamp_count": 0, "empty_bucket_count": 0, "sparse_bucket_count": 0,
            "bucket_count": 0, "input_record_count": 0}


class JobStore:  # pylint: disable=too-many-public-methods
    """Every job's config (``configs``) and run state (``runtime``)."""

    def __init__(self, cluster):
        self.cluster = cluster
        self.configs = {}
        self.runtime = {}

    def expand(self, expression, allow_no_match):
        """Job ids, groups (every job of the group), wildcards over both, ``_all``."""
        names = {job_id: [job_id] + list(job.get("groups") or []) for job_id, job in self.configs.items()}
        return expand(expression, allow_no_match, names, missing_job)

    def get(self, job_id):
        job = self.configs.get(job_id)
        if job is None:
            raise missing_job(job_id)
        return job

    def render(self, job_id, exclude_generated=False):
        feeds = self.cluster.datafeeds
        df_id = feeds.of_job(job_id)
        return jobs.render_job(self.configs[job_id], feeds.render(df_id) if df_id else None, exclude_generated)

    def finish(self, task):
        """What a finished delete or reset task does to its job."""
        job = self.configs.get(task.job_id)
        if job is None or job.get("blocked", {}).get("task_id") != task.id:
            return
        if task.kind == "delete":
            self.remove(task.job_id)
        elif task.kind == "reset":
            rt = self.runtime[task.job_id]
            rt.counts = _empty_counts(task.job_id)
            rt.model_bytes = 0
            rt.memory_status = "ok"
            rt.persisted_count = None
            self.cluster.snapshots.remove_job(task.job_id)  # reset deletes the model state with the results
            for key in ("model_snapshot_id", "finished_time", "blocked", "model_snapshot_min_version"):
                job.pop(key, None)

    def remove(self, job_id):
        self.cluster.calendars.remove_job(job_id)  # calendars drop the job's id (ES TransportUpdateCalendarJobAction)
        self.configs.pop(job_id, None)
        self.runtime.pop(job_id, None)
        self.cluster.snapshots.remove_job(job_id)
        df_id = self.cluster.datafeeds.of_job(job_id)
        if df_id:
            self.cluster.datafeeds.remove(df_id)

    def put_job(self, job_id, body, params, principal):
        cfg = jobs.parse_put_body(job_id, body)
        df_node = cfg.pop("datafeed_config", None)
        df_cfg = dfs.parse_config(df_node) if df_node is not None else None
        jobs.apply_server_defaults(cfg, self.cluster.cluster_settings.max_model_memory_limit_mb())
        if job_id in self.configs:
            raise ResourceAlreadyExists("The job cannot be created with the Id '%s'. The Id is already used." % job_id)
        for other_id, other in self.configs.items():
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
            if df_id in self.cluster.datafeeds.configs:
                raise ResourceAlreadyExists("A datafeed with id [%s] already exists" % df_id)
            datafeed = dfs.build(df_id, df_cfg, cfg, params)
            check_read(datafeed, principal)
        cfg["job_type"] = "anomaly_detector"
        cfg["job_version"] = ML_CONFIG_VERSION
        cfg["create_time"] = self.cluster.now_ms()
        for ignored in ("deleting", "blocked", "model_snapshot_min_version"):
            cfg.pop(ignored, None)
        self.configs[job_id] = cfg
        rt = self.runtime[job_id] = JobRuntime()
        rt.counts = _empty_counts(job_id)
        if datafeed is not None:
            self.cluster.datafeeds.store(datafeed, principal)
        return self.render(job_id)

    def get_jobs(self, expression, allow_no_match, exclude_generated):
        ids = self.expand(expression, allow_no_match)
        out = {"count": len(ids), "jobs": [self.render(i, exclude_generated) for i in ids]}
        for job_id in ids:
            self.cluster.tasks.count_read((self.configs[job_id].get("blocked") or {}).get("task_id"))
        return out

    def job_stats(self, expression, allow_no_match):
        ids = self.expand(expression, allow_no_match)
        return {"count": len(ids), "jobs": [self._job_stats(i) for i in ids]}

    def _job_stats(self, job_id):
        job, rt = self.configs[job_id], self.runtime[job_id]
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
            if rt.node is not None and not self.cluster.upgrade_mode:
                out["node"] = dict(NODE)
            out["assignment_explanation"] = AWAITING_UPGRADE if self.cluster.upgrade_mode else rt.explanation or ""
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
        job = self.get(job_id)
        rt = self.runtime[job_id]
        for group in update.get("groups") or []:
            if group in self.configs:
                raise ResourceAlreadyExists("job and group names must be unique but job [%s] and group [%s] have the same name"
                                            % (group, group))
        merged = jobs.apply_update(job, update, rt.state == "opened", rt.model_bytes,
                                   self.cluster.cluster_settings.max_model_memory_limit_mb())
        self.configs[job_id] = merged
        return self.render(job_id)

    def _open_count(self):
        return sum(1 for rt in self.runtime.values() if rt.node is not None)

    def open_job(self, job_id, params):
        if "timeout" in params:
            parse_time(params["timeout"], "timeout")
        job = self.get(job_id)
        blocked = job.get("blocked")
        if blocked:
            raise conflict("Cannot open job [%s] because it is executing [%s]" % (job_id, blocked["reason"]))
        rt = self.runtime[job_id]
        if rt.state != "closed":
            raise conflict("Cannot open job [%s] because it has already been opened" % job_id)
        job.pop("finished_time", None)
        if not self.cluster.cluster_settings.assignment_enabled():
            raise StatusException("Cannot open jobs because persistent task assignment is disabled by the "
                                  "[cluster.persistent_tasks.allocation.enable] setting", status=429)
        refusal = self._no_room(job_id)
        if refusal is not None:
            if not (job["allow_lazy_open"] or self.cluster.cluster_settings.max_lazy_ml_nodes() > 1):
                detail = StatusException("Could not open job because no suitable nodes were found, allocation explanation "
                                         "[%s]" % refusal)
                detail.type = "illegal_state_exception"
                detail.es_native = False
                raise StatusException("Could not open job because no ML nodes with sufficient capacity were found",
                                      status=429, cause=detail)
            # a lazy job, or more ML nodes may come (xpack.ml.max_lazy_ml_nodes above the one there is): it waits
            rt.state, rt.node, rt.explanation = "opening", None, "persistent task is awaiting node assignment."
            rt.opened_at = None
            return {"opened": True, "node": ""}
        rt.state, rt.node, rt.explanation, rt.opened_at = "opened", NODE_ID, "", time.time()
        return {"opened": True, "node": NODE_ID}

    def _no_room(self, job_id):
        """Why the one ML node cannot take the job, or None (JobNodeSelector: open jobs, then native memory: the
        job's model_memory_limit plus 10mb for its process, beside 30mb for the node's native code)."""
        limit = self.cluster.cluster_settings.max_open_jobs()
        if self._open_count() >= limit:
            return ("persistent task [job-%s] cannot be assigned [node [%s] has reached its maximum number of open "
                    "jobs [%d]]" % (job_id, NODE_ID, limit))
        capacity = self.cluster.settings.ml_node_memory_mb
        if capacity:
            used = 30 + sum(self._mml_bytes(self.configs[j]) // MIB + 10 for j, rt in self.runtime.items()
                            if rt.node is not None)
            needed = self._mml_bytes(self.configs[job_id]) // MIB + 10
            if used + needed > capacity:
                return ("persistent task [job-%s] cannot be assigned [node [%s] has not enough free memory: %dmb "
                        "required, %dmb free of %dmb]" % (job_id, NODE_ID, needed, capacity - used, capacity))
        return None

    def assign_waiting(self):
        """Jobs waiting in opening get the node once it has room and assignment is allowed."""
        if not self.cluster.cluster_settings.assignment_enabled():
            return
        for job_id in sorted(self.runtime):
            rt = self.runtime[job_id]
            if rt.state == "opening" and rt.node is None and self._no_room(job_id) is None:
                rt.state, rt.node, rt.explanation, rt.opened_at = "opened", NODE_ID, "", time.time()

    def close_job(self, expression, params):
        allow_no_match = params.get("allow_no_match", True)
        force = params.get("force", False)
        if "timeout" in params:
            parse_time(params["timeout"], "timeout")
        ids = self.expand(expression, allow_no_match)
        failed = [i for i in ids if self.runtime[i].state == "failed"]
        if failed and not force:
            if len(ids) == 1:
                raise conflict("cannot close job [%s] because it failed, use force close" % failed[0])
            raise conflict("one or more jobs have state failed, use force close")
        for job_id in ids:
            df_id = self.cluster.datafeeds.of_job(job_id)
            if df_id:
                self.cluster.datafeeds.stop_one(df_id)
            self.close_one(job_id)
        return {"closed": True}

    def close_one(self, job_id):
        rt = self.runtime.get(job_id)
        if rt is None or rt.state == "closed":
            return
        job = self.configs[job_id]
        if rt.node is not None:
            self.cluster.snapshots.persist_on_close(job_id, rt)
        if rt.node is not None:
            job["finished_time"] = self.cluster.now_ms()
        rt.state, rt.node, rt.explanation, rt.opened_at = "closed", None, None, None
        if rt.memory_status != "hard_limit":
            rt.memory_status = "ok"

    def delete_job(self, job_id, params):
        force = params.get("force", False)
        wait = params.get("wait_for_completion", True)
        job = self.get(job_id)
        blocked = job.get("blocked")
        if blocked and blocked["reason"] == "delete":
            return self._answer(self.cluster.tasks[blocked["task_id"]], wait)  # the running one, again
        if blocked and blocked["reason"] in ("reset", "revert"):
            raise conflict("Cannot delete job [%s] while it is being %s" % (job_id, blocked["reason"]))
        rt = self.runtime[job_id]
        feeds = self.cluster.datafeeds
        df_id = feeds.of_job(job_id)
        if df_id and feeds.runtime[df_id].state != "stopped" and not force:
            cause = conflict("Cannot delete datafeed [%s] while its status is %s" % (df_id, feeds.runtime[df_id].state))
            raise StatusException("failed to delete job [%s] as its datafeed [%s] could not be deleted" % (job_id, df_id),
                                  status=409, cause=cause)
        if rt.state != "closed" and not force:
            raise conflict("Cannot delete job [%s] because the job is %s" % (job_id, rt.state))
        if df_id:
            feeds.remove(df_id)
        rt.state, rt.node, rt.explanation = "closed", None, None
        task = self.cluster.tasks.new("cluster:admin/xpack/ml/job/delete", "delete-job-%s" % job_id, job_id, "delete", False)
        job["blocked"] = {"reason": "delete", "task_id": task.id}
        self.cluster.tick()
        return self._answer(task, wait)

    def reset_job(self, job_id, params):
        wait = params.get("wait_for_completion", True)
        job = self.get(job_id)
        blocked = job.get("blocked")
        if blocked and blocked["reason"] == "reset":
            return self._answer(self.cluster.tasks[blocked["task_id"]], wait)  # the running one, again
        if blocked:
            raise conflict("cannot reset job while it is blocked with [%s]" % blocked["reason"])
        if self.runtime[job_id].state != "closed":
            raise conflict("Can only reset a job when it is closed.")
        task = self.cluster.tasks.new("cluster:admin/xpack/ml/job/reset", "job-%s" % job_id, job_id, "reset", True)
        job["blocked"] = {"reason": "reset", "task_id": task.id}
        self.cluster.tick()
        return self._answer(task, wait)

    def _answer(self, task, wait):
        """A delete's or reset's answer: its task's id, or (waiting for it) the acknowledgement once it is done."""
        if not wait:
            return {"task": task.id}
        self.cluster.wait_for(task)
        return {"acknowledged": True}

    def post_data(self, job_id, records, input_bytes):
        job = self.get(job_id)
        self._require_open(job_id)
        return self.process(job, records, input_bytes, job["data_description"]["time_format"])

    def _require_open(self, job_id):
        """TransportJobTaskAction: data and flush need the job's task, assigned to a node."""
        rt = self.runtime[job_id]
        if rt.state != "opened" or rt.node is None:
            raise conflict("Cannot perform requested action because job [%s] is not open" % job_id)

    def process(self, job, records, input_bytes, time_format):
        """Records into the job's data counts, as the autodetect process counts them (DataCountsReporter)."""
        rt = self.runtime[job["job_id"]]
        counts = rt.counts
        ac = job["analysis_config"]
        time_field = job["data_description"]["time_field"]
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
        counts["last_data_time"] = self.cluster.now_ms()
        counts["log_time"] = counts["last_data_time"]
        if "earliest_record_timestamp" in counts:
            span_ms = ac["bucket_span"].nanos // 10 ** 6
            counts["bucket_count"] = (counts["latest_record_timestamp"] - counts["earliest_record_timestamp"]) // span_ms
            counts["latest_bucket_timestamp"] = counts["latest_record_timestamp"] // span_ms * span_ms
        rt.model_bytes = min(self._mml_bytes(job), 100000 + 64 * counts["processed_record_count"])
        return dict(counts)

    def flush_job(self, job_id, params):
        """ES TransportFlushJobAction and FlushJobParams: the job must be open; start and end only with
        calc_interim (and then start first); advance_time after skip_time. The answer names the end of the
        last finalized bucket: the bucket before the one the latest record falls in."""
        job = self.get(job_id)
        self._require_open(job_id)
        interim = params.get("calc_interim", False)
        for key in ("start", "end"):
            if not interim and params.get(key) not in (None, ""):
                raise IllegalArgument("Invalid flush parameters: unexpected '%s'." % key)
        if interim and params.get("start") in (None, "") and params.get("end") not in (None, ""):
            raise IllegalArgument("Invalid flush parameters: 'start' has not been specified.")
        times = {}
        for key in ("advance_time", "skip_time"):
            if params.get(key) not in (None, ""):
                times[key] = _flush_time(key, params[key], self.cluster.now_ms())
        if "advance_time" in times and "skip_time" in times and times["advance_time"] <= times["skip_time"]:
            raise bad_request("advance_time [%s] must be later than skip_time [%s]"
                              % (params["advance_time"], params["skip_time"]))
        span_ms = job["analysis_config"]["bucket_span"].nanos // 10 ** 6
        latest = self.runtime[job_id].counts.get("latest_record_timestamp")
        finalized = (latest // span_ms) * span_ms if latest is not None else 0
        if "advance_time" in times:
            finalized = max(finalized, times["advance_time"] // span_ms * span_ms)
        return {"flushed": True, "last_finalized_bucket_end": finalized}

    def set_runtime(self, job_id, values):
        """Test control: put a job in a state the API alone cannot reach (failed, hard_limit)."""
        self.get(job_id)
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


def _flush_time(name, value, now):
    """FlushJobParams.paramToEpochIfValidOrThrow: ``now``, epoch seconds or ms, or ISO 8601; else a parse error."""
    if value == "now":
        return now
    millis = epoch_or_iso_ms(value)
    if millis is None or millis < 0:
        raise ParseException("Query param [%s] with value [%s] cannot be parsed as a date or converted to a number "
                             "(epoch)." % (name, value))
    return millis * 1000 if len(str(value)) <= 10 and str(value).isdigit() else millis


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
