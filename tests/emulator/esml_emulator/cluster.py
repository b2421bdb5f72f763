"""The emulated cluster: one store per kind of object, the settings, and the clock that moves them.

The stores (indices, jobs, datafeeds, tasks, calendars, filters) each keep one kind of object and its API; the
cluster holds them, its settings and ``/_ml/info``. All state sits behind one lock. Time-driven
transitions (a delete or reset task finishing, a bounded datafeed ending, a lazy job getting a node)
are applied by ``tick()`` at the start of every request, so nothing runs in the background.
"""

from __future__ import annotations

import threading
import time

from . import jobs
from .calendars import CalendarStore
from .datafeed_store import DatafeedStore
from .errors import IllegalArgument
from .filters import FilterStore
from .indices import IndexStore
from .job_store import JobStore
from .settings_store import SettingsStore
from .snapshots import SnapshotStore
from .task_store import TaskStore


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
        self.ml_node_memory_mb = 0  # the ML node's memory for jobs; 0: not checked
        self.snapshot_upgrade_ms = 0  # how long a model snapshot upgrade runs
        self.flavor = "default"  # "serverless": GET / says so, internal APIs answer 410, basic auth is refused
        # added to every read (GET, HEAD, a POST that changes nothing), as a real cluster's time to answer
        self.read_latency_ms = 0
        self.write_latency_ms = 0  # added to every other request

    def update(self, values):
        for key, value in values.items():
            if not hasattr(self, key):
                raise IllegalArgument("unknown emulator setting [%s]" % key)
            setattr(self, key, value)

    def as_dict(self):
        return dict(vars(self))


class Cluster:
    def __init__(self):
        self.lock = threading.RLock()
        self.settings = Settings()
        self.reset()

    def reset(self):
        with self.lock:
            self.clock_offset_ms = 0  # POST /_emulator/clock moves the cluster's time forward
            self.cluster_settings = SettingsStore(self)
            self.indices = IndexStore(self)
            self.tasks = TaskStore(self)
            self.jobs = JobStore(self)
            self.datafeeds = DatafeedStore(self)
            self.calendars = CalendarStore(self)
            self.filters = FilterStore(self)
            self.snapshots = SnapshotStore(self)
            self.upgrade_mode = False  # POST _ml/set_upgrade_mode

    def now_ms(self):
        """The cluster's time in epoch ms: the machine's, plus what the tests advanced it by."""
        return int(time.time() * 1000) + self.clock_offset_ms

    def advance(self, millis):
        self.clock_offset_ms += millis
        self.tick()
        return {"now": self.now_ms(), "offset_ms": self.clock_offset_ms}

    def tick(self):
        with self.lock:
            clock = time.monotonic()
            for task in self.tasks.due(clock):
                self.jobs.finish(task)
            self.snapshots.finish_due(clock)
            self.indices.refresh_all()
            self.jobs.assign_waiting()
            self.datafeeds.run()
            self.datafeeds.end_bounded(clock)

    def maintenance(self):
        """ES MlDailyMaintenanceService.triggerCloseIdleJobsWithStoppedDatafeeds, run now: an open job whose datafeed
        exists but is stopped, and whose latest record is older than xpack.ml.idle_job_auto_close_timeout, is closed.
        Jobs without a datafeed, without data, or with the timeout at -1, are left alone."""
        timeout = self.cluster_settings.idle_timeout_ms()
        closed = []
        if timeout is not None:
            for job_id in sorted(self.jobs.runtime):
                rt = self.jobs.runtime[job_id]
                df_id = self.datafeeds.of_job(job_id)
                latest = rt.counts.get("latest_record_timestamp")
                if (rt.state == "opened" and df_id and self.datafeeds.runtime[df_id].state == "stopped"
                        and latest is not None and latest < self.now_ms() - timeout):
                    self.jobs.close_one(job_id)
                    closed.append(job_id)
        return {"closed": closed}

    def wait_for(self, task):
        """Block the calling request (not the cluster) until ``task`` is due, then finish it."""
        while task.due > time.monotonic():  # a held task's due moves when other requests read its job
            self.lock.release()
            try:
                time.sleep(min(0.05, max(0.0, task.due - time.monotonic())))
            finally:
                self.lock.acquire()
        self.tick()

    def wait_until(self, due):
        """Block the calling request (not the cluster) until the monotonic time ``due``, then tick."""
        while due > time.monotonic():
            self.lock.release()
            try:
                time.sleep(min(0.05, max(0.0, due - time.monotonic())))
            finally:
                self.lock.acquire()
        self.tick()

    def set_upgrade_mode(self, params):
        """ES TransportSetUpgradeModeAction: the same value again is acknowledged at once; on, every job and datafeed
        task loses its node (they stay opened and started, awaiting the upgrade) and the actions that reach ML state
        are refused (MlUpgradeModeActionFilter); off, they are assigned again."""
        self.upgrade_mode = bool(params.get("enabled", False))  # the spec's default: false
        return {"acknowledged": True}

    def _effective_limit_mb(self, limit):
        """The largest model memory limit a job could open with: the ML node's memory less the node's native code
        (30mb) and the job's process (10mb), capped by xpack.ml.max_model_memory_limit (ES TransportMlInfoAction)."""
        largest = self.settings.ml_node_memory_mb - 40 if self.settings.ml_node_memory_mb else 28961
        return min(largest, limit) if limit else largest

    def ml_info(self):
        limit = self.cluster_settings.max_model_memory_limit_mb()
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
            "upgrade_mode": self.upgrade_mode,
            "native_code": {"version": self.settings.version, "build_hash": "a1b2c3d4e5f6a7"},
            "limits": {"effective_max_model_memory_limit": "%dmb" % self._effective_limit_mb(limit),
                       "total_ml_memory": "%dmb" % (self.settings.ml_node_memory_mb or 24576)},
        }
        if limit:
            info["limits"]["max_model_memory_limit"] = "%dmb" % limit
        return info
