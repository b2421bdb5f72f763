"""Datafeeds: their configs, who created them, their run state, and the datafeed APIs (ES Transport*DatafeedAction,
GetDatafeedsStatsAction)."""

from __future__ import annotations

import time

from . import datafeeds as dfs
from .errors import IllegalArgument, ResourceAlreadyExists, ValidationFailed, conflict, missing_datafeed
from .node import NODE, expand, now_ms
from .values import invalid_id_message, parse_date_param, parse_time, valid_id


class DatafeedRuntime:
    def __init__(self):
        self.state = "stopped"
        self.end_ms = None
        self.stops_at = None
        self.search_count = 0  # grows with every run, so a finished bounded datafeed shows it ran (ES GetDatafeedsStatsAction)


class DatafeedStore:
    """Every datafeed's config (``configs``), run state (``runtime``) and creator's authorization (``auth``)."""

    def __init__(self, cluster):
        self.cluster = cluster
        self.configs = {}
        self.runtime = {}
        self.auth = {}

    def expand(self, expression, allow_no_match):
        return expand(expression, allow_no_match, {d: [d] for d in self.configs}, missing_datafeed)

    def get(self, df_id):
        datafeed = self.configs.get(df_id)
        if datafeed is None:
            raise missing_datafeed(df_id)
        return datafeed

    def of_job(self, job_id):
        for df_id, datafeed in self.configs.items():
            if datafeed["job_id"] == job_id:
                return df_id
        return None

    def render(self, df_id, exclude_generated=False):
        return dfs.render(self.configs[df_id], exclude_generated, self.auth.get(df_id))

    def remove(self, df_id):
        self.stop_one(df_id)
        self.configs.pop(df_id, None)
        self.runtime.pop(df_id, None)
        self.auth.pop(df_id, None)

    def end_bounded(self, clock):
        """A datafeed with an end time stops when it gets there, and closes its job (ES Transport*JobAction)."""
        for df_id, rt in self.runtime.items():
            if rt.state == "started" and rt.stops_at is not None and rt.stops_at <= clock:
                self.stop_one(df_id)
                self.cluster.jobs.close_one(self.configs[df_id]["job_id"])

    def store(self, datafeed, principal):
        df_id = datafeed["datafeed_id"]
        self.configs[df_id] = datafeed
        self.runtime[df_id] = DatafeedRuntime()
        if principal is not None:
            self.auth[df_id] = principal.authorization()

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
        if df_id in self.configs:
            raise ResourceAlreadyExists("A datafeed with id [%s] already exists" % df_id)
        job = self.cluster.jobs.get(cfg["job_id"])
        existing = self.of_job(cfg["job_id"])
        if existing:
            raise conflict("A datafeed [%s] already exists for job [%s]" % (existing, cfg["job_id"]))
        datafeed = dfs.build(df_id, cfg, job, params)
        self.store(datafeed, principal)
        return self.render(df_id)

    def get_datafeeds(self, expression, allow_no_match, exclude_generated):
        ids = self.expand(expression, allow_no_match)
        return {"count": len(ids), "datafeeds": [self.render(i, exclude_generated) for i in ids]}

    def datafeed_stats(self, expression, allow_no_match):
        ids = self.expand(expression, allow_no_match)
        return {"count": len(ids), "datafeeds": [self._datafeed_stats(i) for i in ids]}

    def _datafeed_stats(self, df_id):
        rt = self.runtime[df_id]
        job_id = self.configs[df_id]["job_id"]
        out = {"datafeed_id": df_id, "state": rt.state}
        if rt.state != "stopped":
            job_rt = self.cluster.jobs.runtime[job_id]
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
        datafeed = self.get(df_id)
        if self.runtime[df_id].state != "stopped":
            raise conflict("Cannot update datafeed [%s] while its status is %s" % (df_id, self.runtime[df_id].state))
        job = self.cluster.jobs.configs[datafeed["job_id"]]
        self.configs[df_id] = dfs.apply_update(datafeed, update, job, params)
        return self.render(df_id)

    def start_datafeed(self, df_id, params):
        datafeed = self.get(df_id)
        if "timeout" in params:
            parse_time(params["timeout"], "timeout")
        clock = now_ms()
        start = parse_date_param(params["start"], "start", clock) if "start" in params else 0
        end = parse_date_param(params["end"], "end", clock) if "end" in params else None
        if end is not None and end <= start:
            raise ValidationFailed(["start [%d] must be earlier than end [%d]" % (start, end)])
        job_id = datafeed["job_id"]
        job_rt = self.cluster.jobs.runtime[job_id]
        if job_rt.state not in ("opened", "opening"):
            raise conflict("cannot start datafeed [%s] because job [%s] is %s" % (df_id, job_id, job_rt.state))
        rt = self.runtime[df_id]
        if rt.state != "stopped":
            raise conflict("cannot start datafeed [%s] because it has already been started" % df_id)
        rt.state = "started" if job_rt.node is not None else "starting"
        rt.search_count += 1
        rt.end_ms = end
        rt.stops_at = time.monotonic() + self.cluster.settings.datafeed_lookback_ms / 1000.0 if end is not None else None
        return {"started": True, "node": job_rt.node or ""}

    def stop_datafeed(self, expression, params):
        if "timeout" in params:
            parse_time(params["timeout"], "timeout")
        ids = self.expand(expression, params.get("allow_no_match", True))
        for df_id in ids:
            self.stop_one(df_id)
        return {"stopped": True}

    def stop_one(self, df_id):
        rt = self.runtime.get(df_id)
        if rt is not None:
            rt.state, rt.end_ms, rt.stops_at = "stopped", None, None

    def delete_datafeed(self, df_id, params):
        self.get(df_id)
        rt = self.runtime[df_id]
        if rt.state != "stopped" and not params.get("force", False):
            raise conflict("Cannot delete datafeed [%s] while its status is %s" % (df_id, rt.state))
        self.remove(df_id)
        return {"acknowledged": True}
