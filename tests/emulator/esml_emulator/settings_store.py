"""Cluster settings (``PUT``/``GET /_cluster/settings``), only those machine learning reads (ES MachineLearning's
settings, EnableAssignmentDecider): persistent and transient values, transient first, else the emulator's own
defaults (``/_emulator/settings``)."""

from __future__ import annotations

from .errors import IllegalArgument
from .values import MIB, parse_bytes, parse_time


def _int_between(low, high):
    def parse(key, value):
        try:
            number = int(str(value))
        except ValueError:
            raise IllegalArgument("Failed to parse value [%s] for setting [%s]" % (value, key))
        if number < low:
            raise IllegalArgument("Failed to parse value [%s] for setting [%s] must be >= %d" % (value, key, low))
        if number > high:
            raise IllegalArgument("Failed to parse value [%s] for setting [%s] must be <= %d" % (value, key, high))
        return str(number)
    return parse


def _bytes(key, value):
    parse_bytes(value, key)
    return str(value)


def _time(key, value):
    if str(value) != "-1":
        parse_time(str(value), key)
    return str(value)


def _allocation(key, value):
    if str(value).lower() not in ("all", "none"):
        # EnableAssignmentDecider.Allocation.fromString
        raise IllegalArgument("Illegal value [%s] for [%s]" % (str(value).upper(), key))
    return str(value).lower()


# key -> parser (ES MachineLearning.MAX_OPEN_JOBS_PER_NODE 1..512, MAX_LAZY_ML_NODES 0..3, MAX_MODEL_MEMORY_LIMIT,
# EnableAssignmentDecider.CLUSTER_TASKS_ALLOCATION_ENABLE_SETTING, the idle-job auto-close timeout)
KNOWN = {
    "xpack.ml.max_model_memory_limit": _bytes,
    "xpack.ml.max_open_jobs": _int_between(1, 512),
    "xpack.ml.max_lazy_ml_nodes": _int_between(0, 3),
    "xpack.ml.idle_job_auto_close_timeout": _time,
    "cluster.persistent_tasks.allocation.enable": _allocation,
}


def _nested(flat):
    out = {}
    for key, value in sorted(flat.items()):
        node = out
        parts = key.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return out


def _flatten(value, prefix=""):
    if not isinstance(value, dict):
        return {prefix[:-1]: value}
    out = {}
    for key, inner in value.items():
        out.update(_flatten(inner, prefix + key + "."))
    return out


class SettingsStore:
    def __init__(self, cluster):
        self.cluster = cluster
        self.scopes = {"persistent": {}, "transient": {}}

    def put(self, body):
        body = body or {}
        if not any(body.get(scope) for scope in self.scopes):
            raise IllegalArgument("no settings to update")
        changed = {}
        for scope, store in self.scopes.items():
            updates = _flatten(body.get(scope) or {})
            for key, value in updates.items():
                if key not in KNOWN:
                    raise IllegalArgument("%s setting [%s], not recognized" % (scope, key))
                if value is not None:
                    KNOWN[key](key, value)
            for key, value in updates.items():
                if value is None:
                    store.pop(key, None)
                else:
                    store[key] = KNOWN[key](key, value)
            changed[scope] = dict((k, store[k]) for k in updates if k in store)
        self.cluster.jobs.assign_waiting()
        return {"acknowledged": True, "persistent": _nested(changed["persistent"]),
                "transient": _nested(changed["transient"])}

    def get(self, params):
        flat = params.get("flat_settings", False)
        out = dict((scope, dict(store) if flat else _nested(store)) for scope, store in self.scopes.items())
        if params.get("include_defaults", False):
            defaults = dict((key, self.value(key)) for key in KNOWN if all(key not in s for s in self.scopes.values()))
            out["defaults"] = defaults if flat else _nested(defaults)
        return out

    def value(self, key):
        """The setting in force: transient, else persistent, else the emulator's default for it."""
        for scope in ("transient", "persistent"):
            if key in self.scopes[scope]:
                return self.scopes[scope][key]
        knobs = self.cluster.settings
        return {"xpack.ml.max_model_memory_limit": "%dmb" % knobs.max_model_memory_limit_mb,
                "xpack.ml.max_open_jobs": str(knobs.max_open_jobs),
                "xpack.ml.max_lazy_ml_nodes": "0",
                "xpack.ml.idle_job_auto_close_timeout": "48h",
                "cluster.persistent_tasks.allocation.enable": "all"}[key]

    # -- what the stores read --------------------------------------------------------------------------------

    def max_model_memory_limit_mb(self):
        """0 when unset (no limit)."""
        return parse_bytes(self.value("xpack.ml.max_model_memory_limit"), "xpack.ml.max_model_memory_limit") // MIB

    def max_open_jobs(self):
        return int(self.value("xpack.ml.max_open_jobs"))

    def max_lazy_ml_nodes(self):
        return int(self.value("xpack.ml.max_lazy_ml_nodes"))

    def assignment_enabled(self):
        return self.value("cluster.persistent_tasks.allocation.enable") == "all"

    def idle_timeout_ms(self):
        """None when -1 (auto-close off)."""
        text = self.value("xpack.ml.idle_job_auto_close_timeout")
        return None if text == "-1" else parse_time(text, "xpack.ml.idle_job_auto_close_timeout") // 10 ** 6
