"""Datafeeds: their configs, who created them, their run state, and the datafeed APIs (ES Transport*DatafeedAction,
GetDatafeedsStatsAction)."""

from __future__ import annotations

import time

import json
import re

from . import datafeeds as dfs
from . import jobs as jobs_config
from .errors import (IllegalArgument, IndexNotFound, ResourceAlreadyExists, ResourceNotFound, SecurityException,
                     ValidationFailed, bad_request, conflict, missing_datafeed)
from .indices import AGGREGATABLE, epoch_of, flat_fields, value_at
from .node import AWAITING_UPGRADE, NODE, expand
from .query import matches
from .values import invalid_id_message, parse_date_param, parse_time, valid_id


class DatafeedRuntime:
    def __init__(self):
        self.state = "stopped"
        self.end_ms = None
        self.stops_at = None
        self.searched_to = 0  # where the next search starts (epoch ms)
        self.lookback_done = False
        # the cluster clock (epoch ms) before which catch_up has nothing to search; None: see at the next tick. Lets a
        # tick pass over thousands of started datafeeds without working out each one's next search again
        self.due_ms = None
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

    def run(self):
        """Every started datafeed reads what has become searchable since its last search (real time); none does in
        upgrade mode, where their tasks have no node."""
        if self.cluster.upgrade_mode:
            return
        now = self.cluster.now_ms()
        for df_id, rt in list(self.runtime.items()):
            if rt.state in ("started", "starting") and (rt.due_ms is None or now >= rt.due_ms):
                self.catch_up(df_id)

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
        check_read(datafeed, principal)
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
            if job_rt.node is not None and not self.cluster.upgrade_mode:
                node = dict(NODE)
                node["attributes"] = {k: v for k, v in NODE["attributes"].items() if k.startswith("ml.")}
                out["node"] = node
            out["assignment_explanation"] = AWAITING_UPGRADE if self.cluster.upgrade_mode else ""
        out["timing_stats"] = {"job_id": job_id, "search_count": rt.search_count, "bucket_count": 0,
                               "total_search_time_ms": float(rt.search_count * 5),
                               "exponential_average_search_time_per_hour_ms": 0.0}
        if rt.state != "stopped":
            out["running_state"] = {"real_time_configured": rt.end_ms is None, "real_time_running": rt.end_ms is None}
        return out

    def update_datafeed(self, df_id, body, params, principal=None):
        """ES TransportUpdateDatafeedAction: a stopped datafeed only; the update records the caller's access (their
        roles, or their API key) as the datafeed's authorization, as a create does."""
        update = dfs.parse_update(body)
        datafeed = self.get(df_id)
        if self.runtime[df_id].state != "stopped":
            raise conflict("Cannot update datafeed [%s] while its status is %s" % (df_id, self.runtime[df_id].state))
        job = self.cluster.jobs.configs[datafeed["job_id"]]
        self.configs[df_id] = dfs.apply_update(datafeed, update, job, params)
        if principal is not None:
            self.auth[df_id] = principal.authorization()
        return self.render(df_id)

    def start_datafeed(self, df_id, params):
        """ES TransportStartDatafeedAction: the job must be open, then the extractor must be creatable (its indices
        exist, the job's fields are mapped), then the datafeed must not run already. The lookback runs at once."""
        datafeed = self.get(df_id)
        if "timeout" in params:
            parse_time(params["timeout"], "timeout")
        clock = self.cluster.now_ms()
        start = parse_date_param(params["start"], "start", clock) if "start" in params else 0
        end = parse_date_param(params["end"], "end", clock) if "end" in params else None
        if end is not None and end <= start:
            raise ValidationFailed(["start [%d] must be earlier than end [%d]" % (start, end)])
        job_id = datafeed["job_id"]
        job_rt = self.cluster.jobs.runtime[job_id]
        if job_rt.state not in ("opened", "opening"):
            raise conflict("cannot start datafeed [%s] because job [%s] is %s" % (df_id, job_id, job_rt.state))
        names = self.extractable(df_id, datafeed, self.cluster.jobs.configs[job_id])
        if not names:  # DatafeedNodeSelector: what the extractor did not already refuse
            reason = ("cannot start datafeed [%s] because index [%s] does not exist, is closed, or is still "
                      "initializing." % (df_id, ",".join(datafeed["indices"])))
            raise conflict("No node found to start datafeed [%s], allocation explanation [%s]" % (df_id, reason))
        rt = self.runtime[df_id]
        if rt.state != "stopped":
            raise conflict("cannot start datafeed [%s] because it has already been started" % df_id)
        rt.state = "started" if job_rt.node is not None else "starting"
        rt.end_ms = end
        # a restart goes on from just after the latest record the job has seen (ES start datafeed API docs)
        latest = self.cluster.jobs.runtime[job_id].counts.get("latest_record_timestamp")
        rt.searched_to = max(start, latest + 1) if latest is not None else start
        rt.lookback_done = False
        rt.due_ms = None
        rt.stops_at = time.monotonic() + self.cluster.settings.datafeed_lookback_ms / 1000.0 if end is not None else None
        self.catch_up(df_id)
        return {"started": True, "node": job_rt.node or ""}

    def extractable(self, df_id, datafeed, job):
        """The concrete indices a datafeed reads, once ES's extractor factory could be created for it
        (ScrollDataExtractorFactory, TimeBasedExtractedFields): a missing concrete index is a 404, the job's time
        field and every other input field must have a mapping (or be a script or runtime field), and the time
        field must be aggregatable. Aggregated datafeeds skip the field checks, as ES does."""
        options = datafeed["indices_options"]
        try:
            names = self.cluster.indices.resolve(",".join(datafeed["indices"]), options.get("ignore_unavailable", False),
                                                 options.get("allow_no_indices", True))
        except IndexNotFound as exc:
            raise ResourceNotFound("datafeed [%s] cannot retrieve data because index [%s] does not exist"
                                   % (df_id, exc.index))
        if datafeed.get("aggregations") is not None:
            return names
        mapped = self.cluster.indices.mapped_fields(names)
        for field, mapping in (datafeed.get("runtime_mappings") or {}).items():
            kind = (mapping or {}).get("type", "keyword")
            mapped[field] = {kind: kind in AGGREGATABLE}
        scripted = set(datafeed.get("script_fields") or {})
        time_field = job["data_description"]["time_field"]
        for field in [time_field] + sorted(input_fields(job) - {time_field}):
            if field in scripted:
                continue
            if not mapped.get(field):
                raise bad_request("[%s] cannot retrieve field [%s] because it has no mappings" % (df_id, field))
            if field == time_field and not all(mapped[field].values()):
                raise bad_request("[%s] cannot retrieve time field [%s] because it is not aggregatable" % (df_id, field))
        return names

    def catch_up(self, df_id):
        """Search what the datafeed has not read yet (up to ``end``, or in real time up to now minus query_delay, in
        steps of ``frequency``) and feed it to its job, once the job has a node (ES DatafeedJob)."""
        rt, datafeed = self.runtime[df_id], self.configs[df_id]
        jobs = self.cluster.jobs
        job = jobs.configs[datafeed["job_id"]]
        if rt.state not in ("started", "starting") or jobs.runtime[job["job_id"]].node is None:
            return
        rt.state = "started"
        if rt.end_ms is not None:
            upto = rt.end_ms
        else:
            delay = _query_delay_ms(datafeed)
            upto = self.cluster.now_ms() - delay
            if rt.searched_to and rt.lookback_done:
                step = _frequency_ms(datafeed, job)
                upto = rt.searched_to + (upto - rt.searched_to) // step * step
        rt.lookback_done = True
        if upto > rt.searched_to:
            records = self.records(df_id, datafeed, job, rt.searched_to, upto)
            rt.search_count += 1
            rt.searched_to = upto
        else:
            records = None
        # a bounded datafeed has searched all it will; a real-time one searches next once a whole step has passed
        rt.due_ms = (float("inf") if rt.end_ms is not None
                     else rt.searched_to + _frequency_ms(datafeed, job) + delay if rt.searched_to else None)
        if records:
            size = sum(len(json.dumps(r)) + 1 for r in records)
            jobs.process(job, records, size, "epoch_ms")

    def records(self, df_id, datafeed, job, start, end, limit=None):
        """The rows a datafeed extracts from [start, end): the time field in epoch ms and the job's other input
        fields that the document has, sorted by time (ES ScrollDataExtractor, ExtractedFields)."""
        indices = self.cluster.indices
        names = self.extractable(df_id, datafeed, job)
        time_field = job["data_description"]["time_field"]
        fields = sorted(input_fields(job) - {time_field})
        rows = []
        scripts = dict((name, _script_value(field)) for name, field in (datafeed.get("script_fields") or {}).items())
        for name, source in indices.documents(names):
            mappings = flat_fields(indices.indices[name].properties)
            stamp = epoch_of(value_at(source, time_field), (mappings.get(time_field) or {}).get("format"))
            if stamp is None or stamp < start or stamp >= end or not matches(datafeed.get("query"), source, mappings):
                continue
            row = {time_field: stamp}
            for field in fields:
                value = scripts[field](source) if field in scripts else value_at(source, field)
                if value is not None:
                    row[field] = value
            rows.append(row)
        rows.sort(key=lambda row: row[time_field])
        return rows[:limit] if limit is not None else rows

    def preview(self, df_id, params, body):
        """``_preview`` of a stored datafeed, or of ``datafeed_config`` (and ``job_config``) given inline, as
        PreviewDatafeedAction.Request.Builder checks them: the rows of its first search (scroll_size of them)."""
        body = body or {}
        clock = self.cluster.now_ms()
        start = params.get("start", body.get("start"))
        end = params.get("end", body.get("end"))
        start = parse_date_param(start, "start", clock) if start is not None else 0
        end = parse_date_param(end, "end", clock) if end is not None else clock
        if end <= start:
            raise ValidationFailed(["start [%d] must be earlier than end [%d]" % (start, end)])
        datafeed, job = self._preview_config(df_id, body)
        return self.records(datafeed["datafeed_id"], datafeed, job, start, end, limit=datafeed["scroll_size"])

    def _preview_config(self, df_id, body):
        inline, job_node = body.get("datafeed_config"), body.get("job_config")
        if df_id is not None:
            if inline is not None or job_node is not None:
                raise IllegalArgument("[datafeed_id] cannot be supplied when either [job_config] or [datafeed_config] "
                                      "is present")
            datafeed = self.get(df_id)
            return datafeed, self.cluster.jobs.get(datafeed["job_id"])
        if job_node is not None:
            if inline is None and job_node.get("datafeed_config") is None:
                raise IllegalArgument("[datafeed_config] must be present when a [job_config.datafeed_config] is not "
                                      "present")
            if inline is not None and job_node.get("datafeed_config") is not None:
                raise IllegalArgument("[datafeed_config] must not be present when a [job_config.datafeed_config] is "
                                      "present")
            cfg = jobs_config.parse_put_body("preview_job_id", job_node)
            inline = cfg.pop("datafeed_config", None) or inline
            jobs_config.apply_server_defaults(cfg, self.cluster.cluster_settings.max_model_memory_limit_mb())
            job = dict(cfg, job_id="preview_job_id")
        elif inline is None:
            raise IllegalArgument("[datafeed_config] must be present when a [job_config.datafeed_config] is not present")
        else:
            job = None
        parsed = dfs.parse_config(inline)
        if job is None:
            if parsed.get("job_id") is None:
                raise IllegalArgument("[datafeed_config.job_id] must be set or a [job_config] must be provided")
            job = self.cluster.jobs.get(parsed["job_id"])
        parsed.pop("datafeed_id", None)
        return dfs.build("preview_id", parsed, job, {}), job

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


def check_read(datafeed, principal):
    """ES TransportPutDatafeedAction: with security on, whoever creates a datafeed must hold ``read`` on its
    indices (a has-privileges check); otherwise a 403 lists each index with its missing privilege. Users hold
    privileges as one set here, so ``read`` (or ``all``, or superuser) stands for read on every index."""
    if principal is None or principal.allowed(["read", "all"]):
        return
    denied = json.dumps(dict((index, {"read": False}) for index in datafeed["indices"]), separators=(",", ":"))
    raise SecurityException("Cannot create datafeed [%s] because user %s lacks permissions on the indices: %s"
                            % (datafeed["datafeed_id"], principal.name, denied), status=403)


def input_fields(job):
    """Job.allInputFields: the analysis fields and the time field, without ``mlcategory`` (a TreeSet: sorted)."""
    out = set(jobs_config.analysis_fields(job["analysis_config"]))
    out.add(job["data_description"]["time_field"])
    out.discard("mlcategory")
    out.discard("")
    return out


def _script_value(field):
    """A script field's value for a document, for the one script shape the emulator evaluates:
    ``doc['<field>'].value`` (a copy of a field). Any other script gives no value (docs/emulator.md)."""
    found = re.match(r"""\s*doc\[['"]([^'"]+)['"]\]\.value\s*;?\s*\Z""", field["script"].get("source") or "")
    if found is None:
        return lambda source: None
    return lambda source: value_at(source, found.group(1))


def _query_delay_ms(datafeed):
    delay = datafeed.get("query_delay")
    return delay.nanos // 10 ** 6 if delay is not None else dfs.default_query_delay_ms(datafeed["job_id"])


def _frequency_ms(datafeed, job):
    """DatafeedConfig.defaultFrequency: 1m for a bucket span up to 2m, half the span up to 20m, 10m up to 12h, else
    1h (aggregated datafeeds round it to their histogram interval, which the emulator does not evaluate)."""
    if datafeed.get("frequency") is not None:
        return max(1, datafeed["frequency"].nanos // 10 ** 6)
    span_s = job["analysis_config"]["bucket_span"].nanos // 10 ** 9
    if span_s <= 120:
        return 60000
    if span_s <= 1200:
        return span_s // 2 * 1000
    if span_s <= 43200:
        return 600000
    return 3600000
