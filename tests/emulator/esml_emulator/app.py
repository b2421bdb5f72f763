"""The HTTP face of the emulator: routes from the REST spec, parameters, security, faults, request log."""

from __future__ import annotations

import base64
import fnmatch
import json
import os
import socket
import threading
import time

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from . import preflight, xjson
from .cluster import Cluster
from .errors import (EsException, IllegalArgument, ParseException, RejectedExecution, SecurityException,
                     StatusException, Unavailable, XContentParseException)
from .values import parse_bool, parse_time

SPEC_DIR = os.path.join(os.path.dirname(__file__), "rest-api-spec")
GLOBAL_PARAMS = {"pretty", "human", "error_trace"}
BUILD_HASH = "e1b1d2a97c5d7c5ef3d4a0ba1e3f5d2c8b8c3e51"  # the emulator's build, in Warning headers

# Transport action names and the cluster privileges that grant them (a 403 names the privileges that grant the action).
MONITOR = ["monitor_ml", "manage_ml", "monitor", "manage", "all"]
MANAGE = ["manage_ml", "manage", "all"]
CLUSTER_MONITOR = ["monitor", "manage", "all"]


class Call:
    """One request as its handler sees it: the path's arguments, the typed parameters, the body, who sent it,
    and the cluster's stores."""

    def __init__(self, cluster, request, args, params, principal):
        self.cluster = cluster
        self.request = request
        self.args = args
        self.params = params
        self.principal = principal
        self.allow = params.get("allow_no_match", True)
        self.warnings = []  # deprecation warnings, sent as Warning headers (ES HeaderWarning)

    def deprecated(self, text):
        if text not in self.warnings:
            self.warnings.append(text)

    def body(self, required=False):
        return _body(self.request, required)

    def object_body(self):
        body = self.body(required=True)
        if not isinstance(body, dict):
            raise ParseException("request body must be a JSON object")
        return body

    def required_body(self):
        """Endpoints whose spec declares a required body (the REST spec's body.required)."""
        body = self.body()
        if body is None:
            raise ParseException("request body or source parameter is required")
        if not isinstance(body, dict):
            raise ParseException("request body must be a JSON object")
        return body

    def records(self):
        """``_data``'s body: JSON objects one after another (ES TransportPostDataAction)."""
        data = self.request.get_data(cache=True)
        if not data.strip():
            raise ParseException("request body is required")
        try:
            return xjson.loads_many(data.decode("utf-8")), len(data)
        except UnicodeDecodeError:
            raise ParseException("request body is not valid UTF-8")


def _root(call):
    return {"name": "emulator-ml-0", "cluster_name": "emulator", "cluster_uuid": "emulator-cluster-uuid",
            "version": {"number": call.cluster.settings.version, "build_flavor": call.cluster.settings.flavor,
                        "build_type": "emulator",
                        "lucene_version": "10.2.2", "minimum_wire_compatibility_version": "8.19.0",
                        "minimum_index_compatibility_version": "8.0.0"},
            "tagline": "You Know, for Search"}


POST_DATA_DEPRECATION = ("Posting data directly to anomaly detection jobs is deprecated, in a future major version it "
                         "will be compulsory to use a datafeed")  # ES RestPostDataAction
FLUSH_DEPRECATION = ("Forcing any buffered data to be processed is deprecated, in a future major version it will be "
                     "compulsory to use a datafeed")  # ES RestFlushJobAction
IGNORE_THROTTLED_DEPRECATION = ("[ignore_throttled] parameter is deprecated because frozen indices have been "
                                "deprecated. Consider cold or frozen tiers in place of frozen indices.")  # IndicesOptions


def _post_data(call):
    """ES RestPostDataAction: deprecated (a Warning on every call) and answered with 202 Accepted."""
    records, size = call.records()
    call.deprecated(POST_DATA_DEPRECATION)
    return Reply(call.cluster.jobs.post_data(call.args["job_id"], records, size), 202)


def _flush(call):
    call.deprecated(FLUSH_DEPRECATION)
    return call.cluster.jobs.flush_job(call.args["job_id"], dict(call.body() or {}, **call.params))


def _put_job(call):
    if "ignore_throttled" in call.params:  # the datafeed_config's indices options, as a parameter
        call.deprecated(IGNORE_THROTTLED_DEPRECATION)
    return call.cluster.jobs.put_job(call.args["job_id"], call.object_body(), call.params, call.principal)


def _put_datafeed(call):
    if "ignore_throttled" in call.params:
        call.deprecated(IGNORE_THROTTLED_DEPRECATION)
    return call.cluster.datafeeds.put_datafeed(call.args["datafeed_id"], call.object_body(), call.params, call.principal)


def _update_datafeed(call):
    if "ignore_throttled" in call.params:
        call.deprecated(IGNORE_THROTTLED_DEPRECATION)
    return call.cluster.datafeeds.update_datafeed(call.args["datafeed_id"], call.object_body(), call.params,
                                                  call.principal)


class Reply:
    """A handler's answer with a status other than 200, or without a body (HEAD)."""

    def __init__(self, payload, status=200):
        self.payload = payload
        self.status = status


def _index_doc(call):
    result, status = call.cluster.indices.index_doc(call.args["index"], call.args.get("id"), call.object_body(),
                                                    call.params)
    return Reply(result, status)


def _bulk(call):
    lines, _size = call.records()
    return call.cluster.indices.bulk(call.args.get("index"), lines, call.params)


def _exists(call):
    return Reply(None, 200 if call.cluster.indices.exists(call.args["index"]) else 404)


# Index privileges (ES IndexPrivilege) for the index layer; a user holds them like cluster privileges here.
INDEX_READ = ["read", "view_index_metadata", "manage", "all"]
INDEX_WRITE = ["write", "index", "create", "create_doc", "all"]
INDEX_ADMIN = ["create_index", "manage", "all"]
INDEX_ALIASES = ["manage", "all"]

# The route table: endpoint (its methods and paths come from the REST spec) -> the transport action and the
# privileges that grant it, and the handler. Every endpoint of the vendored spec is served, plus _data.
ROUTES = {
    "info": ("cluster:monitor/main", CLUSTER_MONITOR, _root),
    "ml.info": ("cluster:monitor/xpack/ml/info/get", MONITOR, lambda c: c.cluster.ml_info()),
    "tasks.get": ("cluster:monitor/task/get", CLUSTER_MONITOR,
                  lambda c: c.cluster.tasks.get_task(c.args["task_id"], c.params)),
    "ml.put_job": ("cluster:admin/xpack/ml/job/put", MANAGE, _put_job),
    "ml.get_jobs": ("cluster:monitor/xpack/ml/job/get", MONITOR,
                    lambda c: c.cluster.jobs.get_jobs(c.args.get("job_id"), c.allow,
                                                      c.params.get("exclude_generated", False))),
    "ml.get_job_stats": ("cluster:monitor/xpack/ml/job/stats/get", MONITOR,
                         lambda c: c.cluster.jobs.job_stats(c.args.get("job_id"), c.allow)),
    "ml.update_job": ("cluster:admin/xpack/ml/job/update", MANAGE,
                      lambda c: c.cluster.jobs.update_job(c.args["job_id"], c.object_body())),
    "ml.open_job": ("cluster:admin/xpack/ml/job/open", MANAGE,
                    lambda c: c.cluster.jobs.open_job(c.args["job_id"], c.params)),
    "ml.close_job": ("cluster:admin/xpack/ml/job/close", MANAGE,
                     lambda c: c.cluster.jobs.close_job(c.args["job_id"], c.params)),
    "ml.delete_job": ("cluster:admin/xpack/ml/job/delete", MANAGE,
                      lambda c: c.cluster.jobs.delete_job(c.args["job_id"], c.params)),
    "ml.reset_job": ("cluster:admin/xpack/ml/job/reset", MANAGE,
                     lambda c: c.cluster.jobs.reset_job(c.args["job_id"], c.params)),
    "ml.post_data": ("cluster:admin/xpack/ml/job/data/post", MANAGE, _post_data),
    "ml.put_datafeed": ("cluster:admin/xpack/ml/datafeeds/put", MANAGE, _put_datafeed),
    "ml.get_datafeeds": ("cluster:monitor/xpack/ml/datafeeds/get", MONITOR,
                         lambda c: c.cluster.datafeeds.get_datafeeds(c.args.get("datafeed_id"), c.allow,
                                                                     c.params.get("exclude_generated", False))),
    "ml.get_datafeed_stats": ("cluster:monitor/xpack/ml/datafeeds/stats/get", MONITOR,
                              lambda c: c.cluster.datafeeds.datafeed_stats(c.args.get("datafeed_id"), c.allow)),
    "ml.update_datafeed": ("cluster:admin/xpack/ml/datafeeds/update", MANAGE, _update_datafeed),
    "ml.start_datafeed": ("cluster:admin/xpack/ml/datafeed/start", MANAGE,
                          lambda c: c.cluster.datafeeds.start_datafeed(c.args["datafeed_id"], c.params)),
    "ml.stop_datafeed": ("cluster:admin/xpack/ml/datafeed/stop", MANAGE,
                         lambda c: c.cluster.datafeeds.stop_datafeed(c.args["datafeed_id"], c.params)),
    "ml.delete_datafeed": ("cluster:admin/xpack/ml/datafeeds/delete", MANAGE,
                           lambda c: c.cluster.datafeeds.delete_datafeed(c.args["datafeed_id"], c.params)),
    "ml.put_calendar": ("cluster:admin/xpack/ml/calendars/put", MANAGE,
                        lambda c: c.cluster.calendars.put_calendar(c.args["calendar_id"], c.body())),
    "ml.get_calendars": ("cluster:monitor/xpack/ml/calendars/get", MONITOR,
                         lambda c: c.cluster.calendars.get_calendars(c.args.get("calendar_id"), c.params, c.body())),
    "ml.delete_calendar": ("cluster:admin/xpack/ml/calendars/delete", MANAGE,
                           lambda c: c.cluster.calendars.delete_calendar(c.args["calendar_id"])),
    "ml.put_calendar_job": ("cluster:admin/xpack/ml/calendars/jobs/update", MANAGE,
                            lambda c: c.cluster.calendars.put_calendar_job(c.args["calendar_id"], c.args["job_id"])),
    "ml.delete_calendar_job": ("cluster:admin/xpack/ml/calendars/jobs/update", MANAGE,
                               lambda c: c.cluster.calendars.delete_calendar_job(c.args["calendar_id"],
                                                                                 c.args["job_id"])),
    "ml.post_calendar_events": ("cluster:admin/xpack/ml/calendars/events/post", MANAGE,
                                lambda c: c.cluster.calendars.post_events(c.args["calendar_id"], c.required_body())),
    "ml.get_calendar_events": ("cluster:monitor/xpack/ml/calendars/events/get", MONITOR,
                               lambda c: c.cluster.calendars.get_events(c.args["calendar_id"], c.params)),
    "ml.delete_calendar_event": ("cluster:admin/xpack/ml/calendars/events/delete", MANAGE,
                                 lambda c: c.cluster.calendars.delete_event(c.args["calendar_id"], c.args["event_id"])),
    "ml.put_filter": ("cluster:admin/xpack/ml/filters/put", MANAGE,
                      lambda c: c.cluster.filters.put_filter(c.args["filter_id"], c.required_body())),
    "ml.get_filters": ("cluster:admin/xpack/ml/filters/get", MANAGE,
                       lambda c: c.cluster.filters.get_filters(c.args.get("filter_id"), c.params)),
    "ml.update_filter": ("cluster:admin/xpack/ml/filters/update", MANAGE,
                         lambda c: c.cluster.filters.update_filter(c.args["filter_id"], c.required_body())),
    "ml.delete_filter": ("cluster:admin/xpack/ml/filters/delete", MANAGE,
                         lambda c: c.cluster.filters.delete_filter(c.args["filter_id"])),
    "ml.preview_datafeed": ("cluster:admin/xpack/ml/datafeeds/preview", MANAGE,
                            lambda c: c.cluster.datafeeds.preview(c.args.get("datafeed_id"), c.params, c.body())),
    "ml.flush_job": ("cluster:admin/xpack/ml/job/flush", MANAGE, _flush),
    "ml.validate": ("cluster:admin/xpack/ml/job/validate", MANAGE, lambda c: preflight.validate_job(c.object_body())),
    "ml.validate_detector": ("cluster:admin/xpack/ml/job/validate/detector", MANAGE,
                             lambda c: preflight.validate_detector(c.object_body())),
    "ml.estimate_model_memory": ("cluster:admin/xpack/ml/job/estimate_model_memory", MANAGE,
                                 lambda c: preflight.estimate(c.object_body())),
    "ml.get_model_snapshots": ("cluster:monitor/xpack/ml/job/model_snapshots/get", MONITOR,
                               lambda c: c.cluster.snapshots.get(c.args["job_id"], c.args.get("snapshot_id"), c.params,
                                                                 c.body())),
    "ml.update_model_snapshot": ("cluster:admin/xpack/ml/job/model_snapshots/update", MANAGE,
                                 lambda c: c.cluster.snapshots.update(c.args["job_id"], c.args["snapshot_id"],
                                                                      c.body())),
    "ml.delete_model_snapshot": ("cluster:admin/xpack/ml/job/model_snapshots/delete", MANAGE,
                                 lambda c: c.cluster.snapshots.delete(c.args["job_id"], c.args["snapshot_id"])),
    "ml.revert_model_snapshot": ("cluster:admin/xpack/ml/job/model_snapshots/revert", MANAGE,
                                 lambda c: c.cluster.snapshots.revert(c.args["job_id"], c.args["snapshot_id"], c.params,
                                                                      c.body())),
    "ml.upgrade_job_snapshot": ("cluster:admin/xpack/ml/job/model_snapshots/upgrade", MANAGE,
                                lambda c: c.cluster.snapshots.upgrade(c.args["job_id"], c.args["snapshot_id"], c.params)),
    "ml.get_model_snapshot_upgrade_stats": ("cluster:monitor/xpack/ml/job/model_snapshots/upgrade/stats/get", MONITOR,
                                            lambda c: c.cluster.snapshots.upgrade_stats(c.args["job_id"],
                                                                                        c.args["snapshot_id"])),
    "ml.set_upgrade_mode": ("cluster:admin/xpack/ml/upgrade_mode", MANAGE, lambda c: c.cluster.set_upgrade_mode(c.params)),
    "cluster.put_settings": ("cluster:admin/settings/update", ["manage", "all"],
                             lambda c: c.cluster.cluster_settings.put(c.object_body())),
    "cluster.get_settings": ("cluster:monitor/settings", ["monitor", "manage", "all"],
                             lambda c: c.cluster.cluster_settings.get(c.params)),
    "indices.create": ("indices:admin/create", INDEX_ADMIN,
                       lambda c: c.cluster.indices.create(c.args["index"], c.body())),
    "indices.exists": ("indices:admin/get", INDEX_READ, _exists),
    "indices.get": ("indices:admin/get", INDEX_READ, lambda c: c.cluster.indices.get(c.args["index"], c.params)),
    "indices.delete": ("indices:admin/delete", ["delete_index", "manage", "all"],
                       lambda c: c.cluster.indices.delete(c.args["index"])),
    "indices.get_mapping": ("indices:admin/mappings/get", INDEX_READ,
                            lambda c: c.cluster.indices.get_mapping(c.args.get("index"), c.params)),
    "indices.refresh": ("indices:admin/refresh", INDEX_READ + ["maintenance"],
                        lambda c: c.cluster.indices.refresh(c.args.get("index"))),
    "indices.put_alias": ("indices:admin/aliases", INDEX_ALIASES,
                          lambda c: c.cluster.indices.put_alias(c.args["index"], c.args["name"])),
    "indices.update_aliases": ("indices:admin/aliases", INDEX_ALIASES,
                               lambda c: c.cluster.indices.update_aliases(c.object_body())),
    "index": ("indices:data/write/index", INDEX_WRITE, _index_doc),
    "bulk": ("indices:data/write/bulk", INDEX_WRITE, _bulk),
    "field_caps": ("indices:data/read/field_caps", INDEX_READ,
                   lambda c: c.cluster.indices.field_caps(c.args.get("index"), c.params, c.body())),
}

# ES MlUpgradeModeActionFilter: the actions that reach ML's internal indices, refused (429) in upgrade mode. Of its
# list, those the emulator serves; reading and the snapshot upgrade itself are allowed.
UPGRADE_MODE_REFUSED = frozenset((
    "cluster:admin/xpack/ml/job/put", "cluster:admin/xpack/ml/job/update", "cluster:admin/xpack/ml/job/delete",
    "cluster:admin/xpack/ml/job/open", "cluster:admin/xpack/ml/job/flush", "cluster:admin/xpack/ml/job/close",
    "cluster:admin/xpack/ml/job/data/post",
    "cluster:admin/xpack/ml/job/model_snapshots/revert", "cluster:admin/xpack/ml/job/model_snapshots/update",
    "cluster:admin/xpack/ml/job/model_snapshots/delete",
    "cluster:admin/xpack/ml/datafeeds/put", "cluster:admin/xpack/ml/datafeeds/update",
    "cluster:admin/xpack/ml/datafeeds/delete", "cluster:admin/xpack/ml/datafeed/start",
    "cluster:admin/xpack/ml/datafeed/stop",
    "cluster:admin/xpack/ml/filters/put", "cluster:admin/xpack/ml/filters/update", "cluster:admin/xpack/ml/filters/delete",
    "cluster:admin/xpack/ml/calendars/put", "cluster:admin/xpack/ml/calendars/jobs/update",
    "cluster:admin/xpack/ml/calendars/events/post", "cluster:admin/xpack/ml/calendars/delete",
    "cluster:admin/xpack/ml/calendars/events/delete",
))

# Endpoints that Elasticsearch Serverless keeps internal (the REST spec's `@availability serverless
# visibility=private` in elastic/elasticsearch-specification, or no serverless availability at all): with the
# serverless flavor they answer 410 api_not_available_exception.
SERVERLESS_INTERNAL = frozenset((
    "ml.info", "ml.validate", "ml.validate_detector", "ml.post_data", "ml.set_upgrade_mode",
    "ml.get_model_snapshots", "ml.update_model_snapshot", "ml.delete_model_snapshot", "ml.revert_model_snapshot",
    "ml.upgrade_job_snapshot", "ml.get_model_snapshot_upgrade_stats", "cluster.get_settings", "cluster.put_settings",
))

# Endpoints that take a POST and change nothing: the read latency applies to them, as to every GET and HEAD.
READ_ONLY_ENDPOINTS = frozenset((
    "ml.validate", "ml.validate_detector", "ml.estimate_model_memory", "ml.preview_datafeed", "field_caps",
    "ml.get_jobs", "ml.get_job_stats", "ml.get_datafeeds", "ml.get_datafeed_stats", "ml.get_calendars",
    "ml.get_calendar_events", "ml.get_filters", "ml.get_model_snapshots", "ml.info",
))

# Keys the open/close/start/stop endpoints also take in the body (ES Rest*JobAction handlers).
BODY_PARAMS = {
    "ml.open_job": ("job_id", "timeout"),
    "ml.close_job": ("job_id", "allow_no_match", "force", "timeout"),
    "ml.start_datafeed": ("datafeed_id", "start", "end", "timeout"),
    "ml.stop_datafeed": ("datafeed_id", "allow_no_match", "force", "timeout", "close_job"),
}


def load_spec():
    specs = {}
    for name in sorted(os.listdir(SPEC_DIR)):
        if name.endswith(".json"):
            with open(os.path.join(SPEC_DIR, name), encoding="utf-8") as handle:
                specs.update(json.load(handle))
    # Read by the server although the 9.1 spec file omits it (README beside the spec files).
    specs["ml.open_job"]["params"] = dict(specs["ml.open_job"].get("params", {}),
                                          timeout={"type": "time", "default": "30m"})
    specs["ml.post_data"] = {"url": {"paths": [{"path": "/_ml/anomaly_detectors/{job_id}/_data", "methods": ["POST"]}]},
                             "params": {"reset_start": {"type": "string"}, "reset_end": {"type": "string"}},
                             "body": {"required": True}}
    return specs


class Principal:
    def __init__(self, name, privileges, roles=None, api_key=None):
        self.name = name
        self.privileges = set(privileges)
        self.roles = roles or (["superuser"] if "superuser" in self.privileges else [name])
        self.api_key = api_key

    def allowed(self, granted_by):
        return bool(self.privileges & set(granted_by)) or "superuser" in self.privileges

    def authorization(self):
        if self.api_key:
            return {"api_key": {"id": self.api_key, "name": self.name}}
        return {"roles": list(self.roles)}


class Security:
    """Users (basic), API keys (``ApiKey base64(id:key)``) and bearer tokens, each with cluster privileges."""

    def __init__(self, users=None, api_keys=None, tokens=None):
        self.users = users or {}  # name -> (password, privileges)
        self.api_keys = api_keys or {}  # id -> (key, privileges)
        self.tokens = tokens or {}  # token -> privileges

    @property
    def enabled(self):
        return bool(self.users or self.api_keys or self.tokens)

    def authenticate(self, header, path):
        if not header:
            raise _unauthenticated("missing authentication credentials for REST request [%s]" % path)
        scheme, _sep, value = header.partition(" ")
        scheme = scheme.lower()
        if scheme == "basic":
            try:
                name, _sep, password = base64.b64decode(value).decode("utf-8").partition(":")
            except (ValueError, UnicodeDecodeError):
                raise _unauthenticated("unable to authenticate with provided credentials and anonymous access is not "
                                       "allowed for this request")
            user = self.users.get(name)
            if user is None or user[0] != password:
                raise _unauthenticated("unable to authenticate user [%s] for REST request [%s]" % (name, path))
            return Principal(name, user[1])
        if scheme == "apikey":
            try:
                key_id, _sep, key = base64.b64decode(value).decode("utf-8").partition(":")
            except (ValueError, UnicodeDecodeError):
                key_id, key = None, None
            entry = self.api_keys.get(key_id)
            if entry is None or entry[0] != key:
                raise _unauthenticated("unable to authenticate with provided credentials and anonymous access is not "
                                       "allowed for this request")
            return Principal("api-key-user", entry[1], api_key=key_id)
        if scheme == "bearer":
            privileges = self.tokens.get(value)
            if privileges is None:
                raise _unauthenticated("unable to authenticate with provided credentials and anonymous access is not "
                                       "allowed for this request")
            return Principal("token-user", privileges)
        raise _unauthenticated("unable to authenticate with provided credentials and anonymous access is not allowed "
                               "for this request")


def _unauthenticated(reason):
    header = {"WWW-Authenticate": ['Basic realm="security", charset="UTF-8"', 'Bearer realm="security"', "ApiKey"]}
    exc = SecurityException(reason, status=401, headers=header, extra={"header": header})
    return exc


class Fault:
    def __init__(self, spec):
        self.method = spec.get("method", "*").upper()
        self.path = spec.get("path", "*")
        self.remaining = int(spec.get("count", 1))
        self.status = spec.get("status")
        self.retry_after = spec.get("retry_after")
        self.drop = bool(spec.get("drop", False))
        self.delay_ms = int(spec.get("delay_ms", 0))
        self.after = bool(spec.get("after", False))
        self.warning = spec.get("warning")  # a deprecation warning added to the answer, as ES adds its own
        self.spec = spec

    def matches(self, method, path):
        return self.remaining > 0 and self.method in ("*", method) and fnmatch.fnmatchcase(path, self.path)


class Emulator:
    """The WSGI application."""

    def __init__(self, security=None, verbose=False):
        self.cluster = Cluster()
        self.security = security or Security()
        self.verbose = verbose
        self.specs = load_spec()
        self.url_map, self.endpoint_params = self._routes()
        self.log = []
        self.faults = []
        self.meta_lock = threading.Lock()
        self._flavor = "default"
        self._latency = (0, 0)

    @property
    def flavor(self):
        return self._flavor

    @flavor.setter
    def flavor(self, value):
        """The flavor the emulator starts with (``--flavor``), and returns to on /_emulator/reset."""
        self._flavor = value
        self.cluster.settings.flavor = value

    def set_latency(self, read_ms, write_ms):
        """The latency the emulator starts with (``--read-latency-ms``, ``--write-latency-ms``), kept on reset."""
        self._latency = (read_ms, write_ms)
        self.cluster.settings.read_latency_ms, self.cluster.settings.write_latency_ms = read_ms, write_ms

    def _routes(self):
        rules, params = [], {}
        for name, spec in self.specs.items():
            if name not in ROUTES:
                continue
            params[name] = set(spec.get("params", {})) | GLOBAL_PARAMS
            for path in spec["url"]["paths"]:
                rule = path["path"].replace("{", "<").replace("}", ">")
                rules.append(Rule(rule, endpoint=name, methods=path["methods"]))
        rules.append(Rule("/", endpoint="info", methods=["GET"]))
        params["info"] = set(GLOBAL_PARAMS)
        return Map(rules, strict_slashes=False, merge_slashes=False), params

    def _reads_only(self, request):
        """A GET or HEAD, or a POST to an endpoint that changes nothing (a validation, an estimate, a preview, a
        search-like read): what the read latency applies to."""
        if request.method in ("GET", "HEAD"):
            return True
        try:
            endpoint, _args = self.url_map.bind_to_environ(request.environ).match()
        except HTTPException:
            return False
        return endpoint in READ_ONLY_ENDPOINTS

    # -- WSGI ------------------------------------------------------------------------------------------------

    def __call__(self, environ, start_response):
        request = Request(environ)
        if request.path.startswith("/_emulator"):
            return self._control(request)(environ, start_response)
        latency = (self.cluster.settings.read_latency_ms if self._reads_only(request)
                   else self.cluster.settings.write_latency_ms)
        if latency:
            time.sleep(latency / 1000.0)  # a real cluster's time per request, outside the cluster's lock
        fault = self._take_fault(request.method, request.path)
        if fault is not None and fault.delay_ms:
            time.sleep(fault.delay_ms / 1000.0)
        if fault is not None and not fault.after and (fault.drop or fault.status):
            if fault.drop:
                self._record(request, None)
                return self._drop(environ, start_response)
            response = self._fault_response(fault)
        else:
            response = self._dispatch(request)
            if fault is not None and fault.warning:
                response.headers.add("Warning", '299 Elasticsearch-%s-%s "%s"' % (
                    self.cluster.settings.version, BUILD_HASH, str(fault.warning).replace('"', '\\"')))
            if fault is not None and fault.after and fault.drop:
                self._record(request, response.status_code, dropped=True)
                return self._drop(environ, start_response)
        self._record(request, response.status_code)
        return response(environ, start_response)

    def _take_fault(self, method, path):
        with self.meta_lock:
            for fault in self.faults:
                if fault.matches(method, path):
                    fault.remaining -= 1
                    return fault
        return None

    @staticmethod
    def _drop(environ, start_response):
        sock = environ.get("werkzeug.socket")
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        start_response("500 Dropped", [("Content-Length", "0")])
        return []

    def _fault_response(self, fault):
        status = int(fault.status)
        if status == 429:
            exc = RejectedExecution("rejected execution of coordinating operation [emulated fault]")
        elif status == 503:
            exc = Unavailable("[.ml-config] emulated fault: no shard available")
        else:
            exc = StatusException("emulated fault", status=status)
        response = self._error(exc)
        if fault.retry_after is not None:
            response.headers["Retry-After"] = str(fault.retry_after)
        return response

    def _record(self, request, status, dropped=False):
        entry = {"method": request.method, "path": request.path, "query": request.args.to_dict(flat=True),
                 "status": status, "time": time.time()}
        auth = request.headers.get("Authorization")
        entry["auth"] = auth.split(" ", 1)[0].lower() if auth else None
        if dropped or status is None:
            entry["dropped"] = True
        data = request.get_data(cache=True)
        if data and len(data) < 65536:
            try:
                entry["body"] = json.loads(data)
            except ValueError:
                entry["body"] = None
        with self.meta_lock:
            self.log.append(entry)

    # -- responses -------------------------------------------------------------------------------------------

    @staticmethod
    def _json(payload, status=200, pretty=False):
        text = json.dumps(payload, indent=2 if pretty else None, separators=None if pretty else (",", ":"))
        response = Response(text + ("\n" if pretty else ""), status=status, content_type="application/json")
        response.headers["X-elastic-product"] = "Elasticsearch"
        return response

    @staticmethod
    def _empty(status):
        response = Response(b"", status=status, content_type="application/json")
        response.headers["X-elastic-product"] = "Elasticsearch"
        return response

    def _error(self, exc):
        response = self._json(exc.envelope(), status=exc.status)
        for key, value in exc.headers.items():
            for item in value if isinstance(value, list) else [value]:
                response.headers.add(key, item)
        return response

    # -- ES API ----------------------------------------------------------------------------------------------

    def _dispatch(self, request):
        adapter = self.url_map.bind_to_environ(request.environ)
        try:
            endpoint, args = adapter.match()
        except MethodNotAllowed as exc:
            declared = set(exc.valid_methods or [])
            if "GET" in declared:
                declared.discard("HEAD")  # werkzeug adds HEAD to GET routes; ES lists what the handler declares
            allowed = ",".join(sorted(declared))
            body = {"error": "Incorrect HTTP method for uri [%s] and method [%s], allowed: [%s]"
                             % (request.full_path.rstrip("?"), request.method, allowed), "status": 405}
            return self._json(body, status=405)
        except NotFound:
            return self._error(IllegalArgument("no handler found for uri [%s] and method [%s]"
                                               % (request.full_path.rstrip("?"), request.method)))
        if request.method == "HEAD" and endpoint == "indices.get":
            endpoint = "indices.exists"  # werkzeug answers HEAD on every GET route; ES routes it to its own handler
        pretty = "pretty" in request.args
        if self.cluster.settings.flavor == "serverless" and endpoint in SERVERLESS_INTERNAL:
            # ES RestController, before the handler and its authentication: an internal API exists but is refused
            exc = StatusException("Request for uri [%s] with method [%s] exists but is not available when running in "
                                  "serverless mode" % (request.full_path.rstrip("?"), request.method), status=410)
            exc.type = "api_not_available_exception"
            return self._error(exc)
        try:
            principal = None
            if self.security.enabled:
                header = request.headers.get("Authorization") or ""
                if self.cluster.settings.flavor == "serverless" and header.lower().startswith("basic "):
                    # Serverless projects take API keys; no realm there authenticates a user name and password
                    raise _unauthenticated("unable to authenticate with provided credentials and anonymous access is "
                                           "not allowed for this request")
                principal = self.security.authenticate(request.headers.get("Authorization"), request.path)
                action, granted_by, _handler = ROUTES[endpoint]
                if not principal.allowed(granted_by):
                    who = ("API key id [%s] of user [%s]" % (principal.api_key, principal.name) if principal.api_key
                           else "user [%s] with effective roles [%s]" % (principal.name, ",".join(principal.roles)))
                    raise SecurityException("action [%s] is unauthorized for %s, this action is granted by the cluster "
                                            "privileges [%s]" % (action, who, ",".join(granted_by)), status=403)
                principal = self._secondary(request) or principal
            params = self._params(request, endpoint)
            with self.cluster.lock:
                if self.cluster.upgrade_mode and ROUTES[endpoint][0] in UPGRADE_MODE_REFUSED:
                    raise StatusException("Cannot perform %s action while upgrade mode is enabled" % ROUTES[endpoint][0],
                                          status=429)
                self.cluster.tick()
                call = Call(self.cluster, request, args, params, principal)
                payload = ROUTES[endpoint][2](call)
            if not isinstance(payload, Reply):
                payload = Reply(payload)
            if payload.payload is None:
                response = self._empty(payload.status)
            else:
                response = self._json(payload.payload, status=payload.status, pretty=pretty)
            for text in call.warnings:  # ES HeaderWarning: 299, the agent, the text quoted
                response.headers.add("Warning", '299 Elasticsearch-%s-%s "%s"' % (
                    self.cluster.settings.version, BUILD_HASH, text.replace("\\", "\\\\").replace('"', '\\"')))
            return response
        except EsException as exc:
            return self._error(exc)

    def _secondary(self, request):
        """ES SecondaryAuthenticator: ``es-secondary-authorization`` credentials, once the primary user may make the
        call, are whose access a datafeed records (its ``authorization``); credentials that fail are a 401."""
        header = request.headers.get("es-secondary-authorization")
        if not header:
            return None
        try:
            return self.security.authenticate(header, request.path)
        except SecurityException as exc:
            raise SecurityException("Failed to authenticate secondary user", status=exc.status, cause=exc)

    def _params(self, request, endpoint):
        allowed = self.endpoint_params[endpoint]
        unknown = [k for k in request.args if k not in allowed]
        if unknown:
            noun = "parameter" if len(unknown) == 1 else "parameters"
            raise IllegalArgument("request [%s] contains unrecognized %s: %s"
                                  % (request.path, noun, ", ".join("[%s]" % k for k in unknown)))
        spec = self.specs.get(endpoint, {}).get("params", {})
        params = {}
        for key, value in request.args.items():
            params[key] = self._typed(key, value, spec.get(key, {}).get("type"))
        if endpoint in BODY_PARAMS:
            body = _body(request, required=False)
            if body is not None:
                if not isinstance(body, dict):
                    raise ParseException("request body must be an object")
                for key, value in body.items():
                    if key not in BODY_PARAMS[endpoint]:
                        parser = endpoint.split(".")[1]
                        raise XContentParseException(body.key_pos[key], "[%s] unknown field [%s]" % (parser, key))
                    if key in ("job_id", "datafeed_id"):
                        continue
                    kind = spec.get(key, {}).get("type")
                    params[key] = self._typed(key, value, kind) if isinstance(value, str) else value
        return params

    @staticmethod
    def _typed(key, value, kind):
        if kind == "boolean":
            return parse_bool(value)
        if kind == "time":
            parse_time(value, key)
            return value
        if kind == "list":
            return [v for v in value.split(",") if v]
        if kind in ("int", "number"):
            try:
                return int(value)
            except ValueError:
                raise IllegalArgument("Failed to parse int parameter [%s] with value [%s]" % (key, value))
        return value

    # -- test control ----------------------------------------------------------------------------------------

    def _control(self, request):
        path = request.path[len("/_emulator"):]
        method = request.method
        try:
            body = json.loads(request.get_data() or b"null")
        except ValueError:
            return self._json({"error": "control body is not JSON"}, status=400)
        with self.meta_lock:
            if path == "/requests" and method == "GET":
                return self._json(list(self.log))
            if path == "/requests" and method == "DELETE":
                self.log.clear()
                return self._json({"acknowledged": True})
            if path == "/faults" and method == "POST":
                specs = body if isinstance(body, list) else [body]
                self.faults.extend(Fault(s) for s in specs)
                return self._json({"acknowledged": True, "faults": [f.spec for f in self.faults]})
            if path == "/faults" and method == "GET":
                return self._json([dict(f.spec, remaining=f.remaining) for f in self.faults])
            if path == "/faults" and method == "DELETE":
                self.faults.clear()
                return self._json({"acknowledged": True})
            if path == "/reset" and method == "POST":
                self.cluster.reset()
                self.cluster.settings.__init__()
                self.cluster.settings.flavor = self._flavor
                self.cluster.settings.read_latency_ms, self.cluster.settings.write_latency_ms = self._latency
                self.log.clear()
                self.faults.clear()
                return self._json({"acknowledged": True})
        if path == "/settings" and method == "GET":
            return self._json(self.cluster.settings.as_dict())
        if path == "/settings" and method == "PUT":
            try:
                with self.cluster.lock:
                    self.cluster.settings.update(body or {})
            except EsException as exc:
                return self._error(exc)
            return self._json(self.cluster.settings.as_dict())
        if path == "/maintenance" and method == "POST":
            with self.cluster.lock:
                self.cluster.tick()
                return self._json(self.cluster.maintenance())
        if path == "/clock" and method == "POST":
            try:
                with self.cluster.lock:
                    millis = parse_time(str((body or {}).get("advance", "0s")), "advance") // 10 ** 6
                    return self._json(self.cluster.advance(millis))
            except EsException as exc:
                return self._error(exc)
        if path.startswith("/jobs/") and path.endswith("/_runtime") and method == "POST":
            job_id = path[len("/jobs/"):-len("/_runtime")]
            try:
                with self.cluster.lock:
                    return self._json(self.cluster.jobs.set_runtime(job_id, body or {}))
            except EsException as exc:
                return self._error(exc)
        if path.startswith("/jobs/") and path.endswith("/_snapshots") and method == "POST":
            job_id = path[len("/jobs/"):-len("/_snapshots")]
            try:
                with self.cluster.lock:
                    return self._json(self.cluster.snapshots.seed(job_id, body or {}))
            except EsException as exc:
                return self._error(exc)
        return self._json({"error": "unknown emulator control [%s %s]" % (method, path)}, status=404)


def _body(request, required=True):
    data = request.get_data(cache=True)
    if not data or not data.strip():
        if required:
            raise ParseException("request body is required")
        return None
    ctype = (request.mimetype or "").lower()
    if ctype not in ("application/json", "application/x-ndjson", "application/vnd.elasticsearch+json",
                     "application/vnd.elasticsearch+x-ndjson"):
        raise _content_type_error(request.headers.get("Content-Type"))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ParseException("request body is not valid UTF-8")
    return xjson.loads(text)


def _content_type_error(ctype):
    """ES answers an unsupported Content-Type with 406 and a bare error string."""
    exc = StatusException("Content-Type header [%s] is not supported" % ctype, status=406)
    exc.envelope = lambda: {"error": "Content-Type header [%s] is not supported" % ctype, "status": 406}
    return exc
