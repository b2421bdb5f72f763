"""Model snapshots: made when a job that processed data is closed, and the snapshot APIs (ES
Transport{Get,Update,Delete,Revert}ModelSnapshotAction, TransportUpgradeJobModelSnapshotAction,
TransportGetJobModelSnapshotsUpgradeStatsAction).

Rules, in the words of the sources they follow (x-pack/plugin/ml/src/main/java/org/elasticsearch/xpack/ml/action/):

- get: the job must exist (404 otherwise); ``snapshot_id`` may be a comma list or wildcards and an id that matches
  nothing gives ``count: 0``, not an error; ``start``/``end`` bound the snapshot's ``timestamp`` (from inclusive,
  to exclusive); ``sort`` (default ``timestamp``) and ``desc`` order them; ``from``/``size`` (default 0/100) page
  them and ``count`` is the number before paging. They come as query parameters or, when there is a body, from the
  body (``page: {from, size}`` there).
- update: ``description`` and ``retain``; the answer is ``{acknowledged, model}``.
- delete: 404 for a snapshot that does not exist; the job's active snapshot (its ``model_snapshot_id``) cannot be
  deleted: 400, ``Model snapshot '<id>' is the active snapshot for job '<job>', so cannot be deleted``.
- revert: only a closed job (409, ``Can only revert to a model snapshot when the job is closed.``), not while that
  snapshot is being upgraded (409); the job's ``model_snapshot_id`` becomes the snapshot's; with
  ``delete_intervening_results`` the job's latest record time goes back to the snapshot's. The answer is
  ``{model}``.
- upgrade: 409 when another snapshot of the job is being upgraded, when the snapshot is the active one of a job that
  is not closed, and when its ``min_version`` is the node's current ML config version; otherwise a persistent task
  loads the old state and saves it again with the current format, after which the snapshot's ``min_version`` is the
  one the model state now has. ``wait_for_completion`` (default false) answers when that is done.
- upgrade stats: the upgrades running, as ``{count, model_snapshot_upgrades: [{job_id, snapshot_id, state, node,
  assignment_explanation}]}``.

The ``min_version`` a new snapshot gets is ``MODEL_SNAPSHOT_MIN_VERSION``: ES's autodetect process writes the
version at which its model-state format last changed (ml-cpp ``lib/api/CAnomalyJob.cc``); the emulator's value is
its own choice. Snapshots that an older cluster made are put in place with ``POST /_emulator/jobs/<id>/_snapshots``.
"""

from __future__ import annotations

import fnmatch
import time

from . import objparse as op
from .errors import IllegalArgument, ResourceNotFound, conflict
from .node import ML_CONFIG_VERSION, NODE, NODE_ID
from .values import epoch_or_iso_ms

MODEL_SNAPSHOT_MIN_VERSION = "8.3.0"
SORTABLE = ("timestamp", "snapshot_id", "description", "min_version", "latest_record_time_stamp",
            "latest_result_time_stamp", "snapshot_doc_count", "retain")

UPDATE_FIELDS = {
    "job_id": op.Field(op.STRING),
    "snapshot_id": op.Field(op.STRING),
    "description": op.Field(op.STRING),
    "retain": op.Field(op.BOOLEAN, lambda v, _c: v if isinstance(v, bool) else _bool(v)),
}
PAGE_FIELDS = {"from": op.Field(op.NUMBER, op.to_int), "size": op.Field(op.NUMBER, op.to_int)}
GET_FIELDS = {
    "job_id": op.Field(op.STRING),
    "snapshot_id": op.Field(op.STRING),
    "desc": op.Field(op.BOOLEAN, lambda v, _c: v if isinstance(v, bool) else _bool(v)),
    "start": op.Field(op.VALUE),
    "end": op.Field(op.VALUE),
    "sort": op.Field(op.STRING),
    "page": op.Field(op.OBJECT, lambda v, _c: op.parse_object("page", v, PAGE_FIELDS)),
}
REVERT_FIELDS = {
    "job_id": op.Field(op.STRING),
    "snapshot_id": op.Field(op.STRING),
    "delete_intervening_results": op.Field(op.BOOLEAN, lambda v, _c: v if isinstance(v, bool) else _bool(v)),
}


def _bool(value):
    if value in ("true", "false"):
        return value == "true"
    raise IllegalArgument("Failed to parse value [%s] as only [true] or [false] are allowed." % value)


def no_such_snapshot(snapshot_id, job_id):
    return ResourceNotFound("No model snapshot with id [%s] exists for job [%s]" % (snapshot_id, job_id))


class SnapshotStore:
    """Each job's snapshots (``by_job``: job id -> snapshot id -> snapshot) and the upgrades running."""

    def __init__(self, cluster):
        self.cluster = cluster
        self.by_job = {}
        self.upgrades = {}  # (job_id, snapshot_id) -> {"due": monotonic time, "state": ...}

    # -- what the job store calls -------------------------------------------------------------------------------

    def persist_on_close(self, job_id, runtime):
        """The job's process persists its state when the job closes, when it processed data since the last time."""
        processed = runtime.counts.get("processed_record_count", 0)
        if not processed or processed == getattr(runtime, "persisted_count", None):
            return None
        now = self.cluster.now_ms()
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime(now // 1000))
        snapshot = self._add(job_id, now, "State persisted due to job close at %s" % stamp, MODEL_SNAPSHOT_MIN_VERSION,
                             runtime)
        runtime.persisted_count = processed
        job = self.cluster.jobs.configs[job_id]
        job["model_snapshot_id"] = snapshot["snapshot_id"]
        job["model_snapshot_min_version"] = snapshot["min_version"]
        return snapshot

    def _add(self, job_id, timestamp_ms, description, min_version, runtime, snapshot_id=None, extra=None):
        snapshots = self.by_job.setdefault(job_id, {})
        if snapshot_id is None:
            seconds = timestamp_ms // 1000
            while str(seconds) in snapshots:  # ids are epoch seconds; two in one second take the next one
                seconds += 1
            snapshot_id = str(seconds)
        counts = runtime.counts if runtime is not None else {}
        snapshot = {
            "job_id": job_id,
            "min_version": min_version,
            "timestamp": timestamp_ms,
            "description": description,
            "snapshot_id": snapshot_id,
            "snapshot_doc_count": 1,
            "model_size_stats": {
                "job_id": job_id, "result_type": "model_size_stats",
                "model_bytes": runtime.model_bytes if runtime is not None else 0,
                "total_by_field_count": 3, "total_over_field_count": 0, "total_partition_field_count": 2,
                "bucket_allocation_failures_count": 0,
                "memory_status": runtime.memory_status if runtime is not None else "ok",
                "log_time": timestamp_ms, "timestamp": counts.get("latest_bucket_timestamp", timestamp_ms),
            },
            "retain": False,
        }
        if counts.get("latest_record_timestamp") is not None:
            snapshot["latest_record_time_stamp"] = counts["latest_record_timestamp"]
        if counts.get("latest_bucket_timestamp") is not None:
            snapshot["latest_result_time_stamp"] = counts["latest_bucket_timestamp"]
        snapshot.update(extra or {})
        snapshots[snapshot_id] = snapshot
        return snapshot

    def remove_job(self, job_id):
        """A deleted or reset job's snapshots go with its model state."""
        self.by_job.pop(job_id, None)
        for key in [k for k in self.upgrades if k[0] == job_id]:
            self.upgrades.pop(key)

    def seed(self, job_id, values):
        """Test control: a snapshot as an earlier cluster made it (``min_version``, ``timestamp``, ...); with
        ``active: true`` it becomes the job's current one."""
        self.cluster.jobs.get(job_id)
        values = dict(values or {})
        active = values.pop("active", False)
        timestamp = int(values.pop("timestamp", self.cluster.now_ms()))
        snapshot = self._add(job_id, timestamp, values.pop("description", "seeded"),
                             values.pop("min_version", MODEL_SNAPSHOT_MIN_VERSION), self.cluster.jobs.runtime[job_id],
                             snapshot_id=values.pop("snapshot_id", None), extra=values)
        if active:
            job = self.cluster.jobs.configs[job_id]
            job["model_snapshot_id"] = snapshot["snapshot_id"]
            job["model_snapshot_min_version"] = snapshot["min_version"]
        return snapshot

    # -- the APIs ---------------------------------------------------------------------------------------------------

    def _job_ids(self, expression):
        if expression in ("_all", "*") or "*" in expression or "," in expression:
            return self.cluster.jobs.expand(expression, True)
        self.cluster.jobs.get(expression)
        return [expression]

    def _one(self, job_id, snapshot_id):
        self.cluster.jobs.get(job_id)
        snapshot = self.by_job.get(job_id, {}).get(snapshot_id)
        if snapshot is None:
            raise no_such_snapshot(snapshot_id, job_id)
        return snapshot

    def get(self, job_expr, snapshot_expr, params, body):
        options = dict(params)
        if body:
            fields = op.parse_object("get_model_snapshots", body, GET_FIELDS)
            options.update((k, v) for k, v in fields.items() if k in ("desc", "end", "sort", "start"))
            options.update(fields.get("page") or {})
        patterns = [p for p in (snapshot_expr or "_all").split(",") if p]
        found = []
        for job_id in self._job_ids(job_expr):
            for snapshot in self.by_job.get(job_id, {}).values():
                if any(p in ("_all", "*") or fnmatch.fnmatchcase(snapshot["snapshot_id"], p) for p in patterns):
                    found.append(snapshot)
        now = self.cluster.now_ms()
        start = _time_bound(options.get("start"), "start", now)
        end = _time_bound(options.get("end"), "end", now)
        found = [s for s in found if (start is None or s["timestamp"] >= start) and (end is None or s["timestamp"] < end)]
        sort = options.get("sort") or "timestamp"
        desc = options.get("desc") in (True, "true")
        found.sort(key=lambda s: (_sort_key(s.get(sort)), s["job_id"], s["snapshot_id"]), reverse=desc)
        first = int(options.get("from") or 0)
        size = 100 if options.get("size") is None else int(options["size"])
        return {"count": len(found), "model_snapshots": [dict(s) for s in found[first:first + size]]}

    def update(self, job_id, snapshot_id, body):
        fields = op.parse_object("update_model_snapshot", body, UPDATE_FIELDS) if body else {}
        snapshot = self._one(job_id, snapshot_id)
        for key in ("description", "retain"):
            if key in fields:
                snapshot[key] = fields[key]
        return {"acknowledged": True, "model": dict(snapshot)}

    def delete(self, job_id, snapshot_id):
        self._one(job_id, snapshot_id)
        if self.cluster.jobs.configs[job_id].get("model_snapshot_id") == snapshot_id:
            raise IllegalArgument("Model snapshot '%s' is the active snapshot for job '%s', so cannot be deleted"
                                  % (snapshot_id, job_id))
        del self.by_job[job_id][snapshot_id]
        return {"acknowledged": True}

    def revert(self, job_id, snapshot_id, params, body):
        fields = op.parse_object("revert_model_snapshot", body, REVERT_FIELDS) if body else {}
        delete_intervening = fields.get("delete_intervening_results", params.get("delete_intervening_results", False))
        self.cluster.jobs.get(job_id)
        runtime = self.cluster.jobs.runtime[job_id]
        if runtime.state != "closed":
            raise conflict("Can only revert to a model snapshot when the job is closed.")
        if (job_id, snapshot_id) in self.upgrades:
            raise conflict("Cannot revert job [%s] to snapshot [%s] as it is being upgraded" % (job_id, snapshot_id))
        snapshot = self._one(job_id, snapshot_id)
        job = self.cluster.jobs.configs[job_id]
        job["model_snapshot_id"] = snapshot_id
        job["model_snapshot_min_version"] = snapshot["min_version"]
        if delete_intervening:
            latest = snapshot.get("latest_record_time_stamp")
            if latest is None:
                runtime.counts.pop("latest_record_timestamp", None)
            else:
                runtime.counts["latest_record_timestamp"] = latest
        runtime.persisted_count = runtime.counts.get("processed_record_count", 0)
        return {"model": dict(snapshot)}

    def upgrade(self, job_id, snapshot_id, params):
        job = self.cluster.jobs.get(job_id)
        if any(key[0] == job_id for key in self.upgrades):
            raise conflict("Cannot upgrade job [%s] snapshot [%s] as there is currently a snapshot for this job being "
                           "upgraded" % (job_id, snapshot_id))
        state = self.cluster.jobs.runtime[job_id].state
        if job.get("model_snapshot_id") == snapshot_id and state != "closed":
            raise conflict("Cannot upgrade snapshot [%s] for job [%s] as it is the current primary job snapshot and the "
                           "job's state is [%s]. Please close the job before upgrading the snapshot."
                           % (snapshot_id, job_id, state))
        snapshot = self.by_job.get(job_id, {}).get(snapshot_id)
        if snapshot is None:
            raise no_such_snapshot(snapshot_id, job_id)
        if snapshot["min_version"] == ML_CONFIG_VERSION:
            raise conflict("Cannot upgrade job [%s] snapshot [%s] as it is already compatible with current version %s"
                           % (job_id, snapshot_id, ML_CONFIG_VERSION))
        duration = self.cluster.settings.snapshot_upgrade_ms / 1000.0
        upgrade = {"due": time.monotonic() + duration, "state": "loading_old_state"}
        self.upgrades[(job_id, snapshot_id)] = upgrade
        if params.get("wait_for_completion", False):
            self.cluster.wait_until(upgrade["due"])
            return {"node": NODE_ID, "completed": True}
        return {"node": NODE_ID, "completed": False}

    def finish_due(self, clock):
        for key, upgrade in sorted(self.upgrades.items()):
            if upgrade["due"] <= clock:
                del self.upgrades[key]
                snapshot = self.by_job.get(key[0], {}).get(key[1])
                if snapshot is not None:
                    snapshot["min_version"] = MODEL_SNAPSHOT_MIN_VERSION
                    job = self.cluster.jobs.configs.get(key[0])
                    if job is not None and job.get("model_snapshot_id") == key[1]:
                        job["model_snapshot_min_version"] = MODEL_SNAPSHOT_MIN_VERSION
            elif upgrade["state"] == "loading_old_state":
                upgrade["state"] = "saving_new_state"

    def upgrade_stats(self, job_expr, snapshot_expr):
        jobs = set(self._job_ids(job_expr)) if job_expr not in ("_all", "*") else None
        patterns = [p for p in (snapshot_expr or "_all").split(",") if p]
        out = []
        for (job_id, snapshot_id), upgrade in sorted(self.upgrades.items()):
            if jobs is not None and job_id not in jobs:
                continue
            if any(p in ("_all", "*") or fnmatch.fnmatchcase(snapshot_id, p) for p in patterns):
                out.append({"job_id": job_id, "snapshot_id": snapshot_id, "state": upgrade["state"],
                            "node": {"id": NODE["id"], "name": NODE["name"], "ephemeral_id": NODE["ephemeral_id"],
                                     "transport_address": NODE["transport_address"],
                                     "attributes": {k: v for k, v in NODE["attributes"].items()
                                                    if k.startswith("ml.")}},
                            "assignment_explanation": ""})
        return {"count": len(out), "model_snapshot_upgrades": out}


def _time_bound(value, name, now):
    if value in (None, ""):
        return None
    if str(value) == "now":
        return now
    millis = epoch_or_iso_ms(value)
    if millis is None:
        raise IllegalArgument("Query param [%s] with value [%s] cannot be parsed as a date or converted to a number "
                              "(epoch)." % (name, value))
    return millis


def _sort_key(value):
    if value is None:
        return (0, "")
    if isinstance(value, bool):
        return (1, int(value))
    if isinstance(value, (int, float)):
        return (1, value)
    return (2, str(value))
