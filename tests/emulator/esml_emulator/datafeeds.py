"""Datafeed configs: strict parsing, defaults, create and update rules (ES DatafeedConfig)."""

from __future__ import annotations

from . import datafeed_aggs
from . import objparse as op
from .errors import IllegalArgument, ParsingException, StatusException, bad_request
from .query import QueryError
from .query import check as check_query
from .jobs import TimeSpan, _time
from .values import invalid_id_message, parse_time, valid_id

_MASK48 = (1 << 48) - 1
_MASK64 = (1 << 64) - 1


def _java_hash(text):
    """java.lang.String.hashCode (UTF-16 code units, 32-bit wrap)."""
    value = 0
    for unit in _utf16_units(text):
        value = (31 * value + unit) & 0xFFFFFFFF
    return value - (1 << 32) if value >= 1 << 31 else value


def _utf16_units(text):
    data = text.encode("utf-16-be")
    return [int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data), 2)]


class _JavaRandom:
    """java.util.Random's 48-bit LCG, enough for nextLong()."""

    def __init__(self, seed):
        self.seed = (seed ^ 0x5DEECE66D) & _MASK48

    def _next(self, bits):
        self.seed = (self.seed * 0x5DEECE66D + 0xB) & _MASK48
        value = self.seed >> (48 - bits)
        return value - (1 << bits) if value >= 1 << (bits - 1) else value

    def next_long(self):
        return ((self._next(32) << 32) + self._next(32)) & _MASK64


def default_query_delay_ms(job_id):
    """DatafeedConfig.Builder.defaultRandomQueryDelay: Random(jobId.hashCode()).longs(60000, 120000).findFirst()
    (RandomSupport.boundedNextLong), so the delay is stable for a job id (ES DatafeedConfig)."""
    rng = _JavaRandom(_java_hash(job_id))
    origin, bound = 60000, 120000
    n = bound - origin
    m = n - 1
    r = rng.next_long()
    u = r >> 1
    while True:
        r = u % n
        if u + m - r < (1 << 63):
            break
        u = rng.next_long() >> 1
    return r + origin


WILDCARD_STATES = ("open", "closed", "hidden")


def expand_wildcards(values):
    """IndicesOptions.WildcardStates: ``all`` and ``none`` or states; kept, and rendered, as the states in ES's
    order (open, closed, hidden), so ``[all]`` reads back as the three states."""
    if isinstance(values, str):
        values = values.split(",")
    states = set()
    for value in values:
        value = str(value).strip().lower()
        if value == "all":
            states.update(WILDCARD_STATES)
        elif value == "none":
            continue
        elif value in WILDCARD_STATES:
            states.add(value)
        else:
            raise IllegalArgument("No valid expand wildcard value [%s]" % value)
    return [state for state in WILDCARD_STATES if state in states]


def _query(query):
    """ES QueryProvider.fromXContent: the query parsed strictly; what the parser refuses is wrapped as 'Datafeed
    query is not parsable' (a 400), the parser's own words and position below it."""
    try:
        check_query(query)
    except QueryError as exc:
        cause = ParsingException(exc.reason, 1, exc.col)
        raise StatusException("Datafeed query is not parsable", status=400, cause=cause)
    return query


def _indices_options(node, _ctx):
    parsed = op.parse_object("indices_options", node, {
        "expand_wildcards": op.Field(op.STRING_ARRAY, lambda v, c: expand_wildcards(op.string_list(v, c))),
        "ignore_unavailable": op.Field(op.BOOLEAN, op.to_bool),
        "allow_no_indices": op.Field(op.BOOLEAN, op.to_bool),
        "ignore_throttled": op.Field(op.BOOLEAN, op.to_bool),
    })
    return parsed


def _chunking(node, _ctx):
    parsed = op.parse_object("chunking_config", node, {
        "mode": op.Field(op.STRING), "time_span": op.Field(op.STRING, _time("time_span"))})
    mode = (parsed.get("mode") or "").lower()
    if mode not in ("auto", "manual", "off"):
        raise IllegalArgument("No enum constant for chunking_config mode [%s]" % parsed.get("mode"))
    out = {"mode": mode}
    span = parsed.get("time_span")
    # ES ChunkingConfig's constructor: a time span for manual mode only, and then a positive one
    if mode == "manual" and span is None:
        raise IllegalArgument("when chunk mode is manual time_span is required")
    if mode == "manual" and span.nanos <= 0:
        raise IllegalArgument("chunk time_span has to be positive")
    if mode != "manual" and span is not None:
        raise IllegalArgument("chunk time_span may only be set when mode is manual")
    if span is not None:
        out["time_span"] = span.text
    return out


def _delayed_data(node, _ctx):
    parsed = op.parse_object("delayed_data_check_config", node, {
        "enabled": op.Field(op.BOOLEAN, op.to_bool), "check_window": op.Field(op.STRING, _time("check_window"))})
    out = {"enabled": parsed.get("enabled", True)}
    if parsed.get("check_window") is not None:
        out["check_window"] = parsed["check_window"].text
    return out


_COMMON = {
    "job_id": op.Field(op.STRING),
    "query_delay": op.Field(op.STRING, _time("query_delay")),
    "frequency": op.Field(op.STRING, _time("frequency")),
    "indices": op.Field(op.STRING_ARRAY, op.string_list),
    "indexes": op.Field(op.STRING_ARRAY, op.string_list),
    "query": op.Field(op.OBJECT, lambda v, c: _query(op.raw(v, c))),
    "aggregations": op.Field(op.OBJECT, lambda v, c: datafeed_aggs.parse(op.raw(v, c))),
    "aggs": op.Field(op.OBJECT, lambda v, c: datafeed_aggs.parse(op.raw(v, c))),
    "script_fields": op.Field(op.OBJECT, op.raw),
    "runtime_mappings": op.Field(op.OBJECT, op.raw),
    "scroll_size": op.Field(op.NUMBER, op.to_int),
    "chunking_config": op.Field(op.OBJECT, _chunking),
    "delayed_data_check_config": op.Field(op.OBJECT, _delayed_data),
    "max_empty_searches": op.Field(op.NUMBER, op.to_int),
    "indices_options": op.Field(op.OBJECT, _indices_options),
}
CONFIG_FIELDS = dict(_COMMON, datafeed_id=op.Field(op.STRING))
UPDATE_FIELDS = dict(_COMMON)

DEFAULT_INDICES_OPTIONS = {"expand_wildcards": ["open"], "ignore_unavailable": False, "allow_no_indices": True,
                           "ignore_throttled": True}


def parse_config(node, parser_name="datafeed_config"):
    parsed = op.parse_object(parser_name, node, CONFIG_FIELDS)
    return _merge_aliases(parsed)


def parse_update(node):
    parsed = op.parse_object("datafeed_update", node, UPDATE_FIELDS)
    return _merge_aliases(parsed)


def _merge_aliases(parsed):
    if "aggs" in parsed and "aggregations" in parsed:
        raise IllegalArgument("Found two aggregation definitions: [aggs] and [aggregations]")
    if "aggs" in parsed:
        parsed["aggregations"] = parsed.pop("aggs")
    if "indexes" in parsed:
        parsed["indices"] = parsed.pop("indexes")
    return parsed


def indices_options_from_params(params):
    """Query params on put/update override individual indices_options flags (ES rest-api-spec ml.*.json, DatafeedConfig)."""
    out = {}
    for key in ("ignore_unavailable", "allow_no_indices", "ignore_throttled"):
        if key in params:
            out[key] = params[key]
    if "expand_wildcards" in params:
        out["expand_wildcards"] = expand_wildcards(params["expand_wildcards"])
    return out


def _histogram_interval_ms(aggs):
    try:
        return datafeed_aggs.validate(aggs)[1]
    except Exception:  # pylint: disable=broad-except  # an invalid one is refused elsewhere, with its own words
        return None


def build(datafeed_id, cfg, job, params):
    """DatafeedConfig.Builder.build plus the job checks of ES TransportPutDatafeedAction; returns the stored datafeed."""
    if not valid_id(datafeed_id):
        raise IllegalArgument(invalid_id_message("datafeed_id", datafeed_id))
    indices = cfg.get("indices")
    if not indices or any(i == "" for i in indices):
        raise bad_request("Invalid indices value '[%s]' in datafeed configuration" % ", ".join(indices or []))
    if cfg.get("scroll_size") is not None and cfg["scroll_size"] < 0:
        raise bad_request("Invalid scroll_size value '%d' in datafeed configuration" % cfg["scroll_size"])
    mes = cfg.get("max_empty_searches")
    if mes is not None and (mes == 0 or mes < -1):
        raise bad_request("Invalid max_empty_searches value '%d' in datafeed configuration" % mes)
    aggs = cfg.get("aggregations")
    if aggs is not None:
        if cfg.get("script_fields"):
            raise bad_request("script_fields cannot be used in combination with aggregations")
        datafeed_aggs.validate(aggs)
    stored = {"datafeed_id": datafeed_id, "job_id": job["job_id"]}
    for key in ("query_delay", "frequency"):
        if cfg.get(key) is not None:
            stored[key] = cfg[key]
    stored["indices"] = list(indices)
    options = dict(DEFAULT_INDICES_OPTIONS)
    options.update(cfg.get("indices_options") or {})
    options.update(indices_options_from_params(params))
    stored["indices_options"] = options
    stored["query"] = cfg.get("query") if cfg.get("query") is not None else {"match_all": {"boost": 1.0}}
    for field, definition in (cfg.get("runtime_mappings") or {}).items():  # ES RuntimeMappingsValidator
        if not isinstance(definition, dict):
            # ES names the class of the field's name, not of its definition: always a String
            raise bad_request("Expected map for runtime field [%s] definition but got a String" % field)
        if definition.get("type") is None:
            raise bad_request("No type specified for runtime field [%s]" % field)
    for key in ("aggregations", "runtime_mappings", "max_empty_searches"):
        if cfg.get(key) is not None:
            stored[key] = cfg[key]
    if cfg.get("script_fields") is not None:
        stored["script_fields"] = _script_fields(cfg["script_fields"])
    stored["scroll_size"] = cfg["scroll_size"] if cfg.get("scroll_size") is not None else 1000
    stored["chunking_config"] = cfg["chunking_config"] if cfg.get("chunking_config") is not None else \
        default_chunking(aggs)
    stored["delayed_data_check_config"] = cfg.get("delayed_data_check_config") or {"enabled": True}
    validate_against_job(stored, job)
    return stored


def default_chunking(aggs):
    """DatafeedConfig.defaultChunkingConfig: auto without aggregations; with them, manual over 1,000 histogram
    intervals (composite aggregations: off)."""
    if aggs is None:
        return {"mode": "auto"}
    if any(isinstance(agg, dict) and "composite" in agg for agg in aggs.values()):
        return {"mode": "off"}
    interval = _histogram_interval_ms(aggs)
    if not interval:
        return {"mode": "auto"}
    return {"mode": "manual", "time_span": "%dms" % (1000 * interval)}


def _script_fields(fields):
    """SearchSourceBuilder.ScriptField as ES prints it back: the script as an object with its lang
    (painless by default) and ignore_failure (false by default), which users rarely write (ES DatafeedConfig; the
    Terraform provider's datafeed normalisation, elastic/terraform-provider-elasticstack's datafeed resource, applies the same defaults)."""
    out = {}
    for name, field in fields.items():
        if not isinstance(field, dict) or "script" not in field:
            raise IllegalArgument("[script_field] script doesn't support values of type: %s" % type(field).__name__)
        script = field["script"]
        if isinstance(script, str):
            script = {"source": script}
        script = dict(script)
        if "inline" in script and "source" not in script:
            script["source"] = script.pop("inline")
        rendered = {"source": script.get("source"), "lang": script.get("lang", "painless")}
        if script.get("options"):
            rendered["options"] = script["options"]
        if script.get("params"):
            rendered["params"] = script["params"]
        out[name] = {"script": rendered, "ignore_failure": bool(field.get("ignore_failure", False))}
    return out


def validate_against_job(datafeed, job):
    """DatafeedJobValidator: no latency; with aggregations, a summary count field and an interval that fits the
    bucket span; an enabled delayed-data check's window between one and 10,000 bucket spans."""
    ac = job["analysis_config"]
    span_ms = ac["bucket_span"].nanos // 10 ** 6
    if ac.get("latency") is not None and ac["latency"].nanos > 0:
        raise bad_request("A job configured with datafeed cannot support latency")
    if datafeed.get("aggregations") is not None:
        if not ac.get("summary_count_field_name"):
            raise bad_request("A job configured with a datafeed with aggregations must set summary_count_field_name; "
                              "use doc_count or suitable alternative")
        datafeed_aggs.validate_against_job(datafeed, span_ms)
    time_field = job["data_description"]["time_field"]
    if time_field in (datafeed.get("runtime_mappings") or {}):
        raise bad_request("data_description.time_field [%s] cannot be a runtime field" % time_field)
    check = datafeed.get("delayed_data_check_config") or {}
    if check.get("enabled", True) and check.get("check_window") is not None:
        window_ms = parse_time(check["check_window"], "check_window") // 10 ** 6
        if window_ms < span_ms:
            raise bad_request("delayed_data_check_config: check_window [%s] must be greater than the bucket_span [%s]"
                              % (check["check_window"], ac["bucket_span"].text))
        if window_ms > 10000 * span_ms:
            raise bad_request("delayed_data_check_config: check_window [%s] must be less than 10,000x the bucket_span "
                              "[%s]" % (check["check_window"], ac["bucket_span"].text))


def apply_update(datafeed, update, job, params):
    if update.get("job_id") is not None and update["job_id"] != datafeed["job_id"]:
        raise bad_request("Datafeed's job_id cannot be changed.")
    merged = dict(datafeed)
    for key in ("query_delay", "frequency", "indices", "query", "aggregations", "script_fields", "runtime_mappings",
                "scroll_size", "chunking_config", "delayed_data_check_config"):
        if update.get(key) is not None:
            merged[key] = update[key]
    if "max_empty_searches" in update:
        if update["max_empty_searches"] == -1:
            merged.pop("max_empty_searches", None)
        else:
            merged["max_empty_searches"] = update["max_empty_searches"]
    options = dict(merged["indices_options"])
    options.update(update.get("indices_options") or {})
    options.update(indices_options_from_params(params))
    merged["indices_options"] = options
    cfg = {k: v for k, v in merged.items() if k not in ("datafeed_id", "job_id")}
    rebuilt = build(datafeed["datafeed_id"], cfg, job, {})
    return rebuilt


def _render_time(value):
    return value.text if isinstance(value, TimeSpan) else value


def render(datafeed, exclude_generated=False, authorization=None):
    """GET output in DatafeedConfig's order, as the create datafeeds API docs' example response shows it (datafeed_id, job_id,
    authorization, query_delay, chunking_config, indices_options, query, indices, scroll_size,
    delayed_data_check_config, runtime_mappings); ``exclude_generated`` drops query_delay, chunking_config
    and authorization (datafeeds_crud.yml, YAML REST tests)."""
    out = {"datafeed_id": datafeed["datafeed_id"], "job_id": datafeed["job_id"]}
    delay = datafeed.get("query_delay")
    default_delay = "%dms" % default_query_delay_ms(datafeed["job_id"])
    if not exclude_generated:
        if authorization:
            out["authorization"] = authorization
        out["query_delay"] = _render_time(delay) if delay is not None else default_delay
        out["chunking_config"] = datafeed["chunking_config"]
        out["indices_options"] = dict(datafeed["indices_options"])
    else:  # an export keeps what was set, and drops the random and derived defaults (ES DatafeedConfig.toXContent)
        if delay is not None and delay.nanos // 10 ** 6 != default_query_delay_ms(datafeed["job_id"]):
            out["query_delay"] = _render_time(delay)
        if datafeed["chunking_config"] != default_chunking(datafeed.get("aggregations")):
            out["chunking_config"] = datafeed["chunking_config"]
        if datafeed["indices_options"] != DEFAULT_INDICES_OPTIONS:
            out["indices_options"] = dict(datafeed["indices_options"])
    if datafeed.get("frequency") is not None:
        out["frequency"] = _render_time(datafeed["frequency"])
    out["query"] = datafeed["query"]
    out["indices"] = list(datafeed["indices"])
    for key in ("aggregations", "script_fields"):
        if datafeed.get(key) is not None:
            out[key] = datafeed[key]
    out["scroll_size"] = datafeed["scroll_size"]
    out["delayed_data_check_config"] = datafeed["delayed_data_check_config"]
    for key in ("max_empty_searches", "runtime_mappings"):
        if datafeed.get(key) is not None:
            out[key] = datafeed[key]
    return out
