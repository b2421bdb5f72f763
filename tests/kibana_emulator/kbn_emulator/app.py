"""The Kibana emulator's WSGI application: spaces, ML job saved objects, Kibana's auth and error envelope.

Each behaviour follows Kibana's own sources; the docstrings name the file (paths in the elastic/kibana repository,
under ``x-pack/platform/plugins/shared/ml/server`` unless given in full) and say the rule in this project's words.
What is left out is listed in docs/emulator.md, "The Kibana emulator".
"""

from __future__ import annotations

import base64
import json
import re
import threading

import requests
from werkzeug.wrappers import Request, Response

AD = "anomaly-detector"
PUBLIC_VERSION = "2023-10-31"
INTERNAL_VERSION = "1"
# the first release with the public update_jobs_spaces route (routes/saved_objects.ts: availability since 9.3.0)
PUBLIC_UPDATE_SINCE = (9, 3, 0)
SPACE_PREFIX = re.compile(r"/s/([^/]+)(/.*)\Z")


class KibanaError(Exception):
    """An error in Kibana's envelope: ``{"statusCode", "error", "message"}`` (hapi's Boom payload)."""

    PHRASES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 409: "Conflict",
               500: "Internal Server Error"}

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message

    def payload(self):
        return {"statusCode": self.status, "error": self.PHRASES.get(self.status, "Error"), "message": self.message}


def bad_request_from_saved_objects(reason):
    """SavedObjectsErrorHelpers.createBadRequestError: the reason, then Boom's phrase."""
    return KibanaError(400, "%s: Bad Request" % reason).payload()


class Credentials:
    """Who may call. Kibana authenticates a request by asking Elasticsearch about its credentials, so the emulator
    is started with the same users, API keys and tokens as the Elasticsearch emulator it points at."""

    def __init__(self, users=None, api_keys=None, tokens=None):
        self.users = users or {}  # name -> password
        self.api_keys = api_keys or {}  # id -> key
        self.tokens = set(tokens or ())

    @property
    def enabled(self):
        return bool(self.users or self.api_keys or self.tokens)

    def accepts(self, header):
        scheme, _sep, value = (header or "").partition(" ")
        try:
            decoded = base64.b64decode(value).decode("utf-8") if scheme.lower() in ("basic", "apikey") else ""
        except (ValueError, UnicodeDecodeError):
            return False
        name, _sep, secret = decoded.partition(":")
        if scheme.lower() == "basic":
            return name in self.users and self.users[name] == secret
        if scheme.lower() == "apikey":
            return name in self.api_keys and self.api_keys[name] == secret
        return scheme.lower() == "bearer" and value in self.tokens


class KibanaEmulator:
    """The WSGI application. ``es_url`` is the Elasticsearch (emulator) Kibana reads its jobs from, as its internal
    user (``es_auth``: an Authorization header value, or None)."""

    def __init__(self, es_url, es_auth=None, credentials=None, version="9.3.0", base_path="",
                 restrict_internal_apis=False):
        self.es_url = es_url.rstrip("/")
        self.es_auth = es_auth
        self.credentials = credentials or Credentials()
        self.version = version
        self.base_path = base_path.rstrip("/")
        self.restrict_internal_apis = restrict_internal_apis
        self.lock = threading.Lock()
        self.log = []
        self._es = requests.Session()
        self._es.trust_env = False
        self.reset()

    def reset(self):
        with self.lock:
            self.spaces = {"default": {"id": "default", "name": "Default", "description": "This is your default space!",
                                       "color": "#00bfb3", "disabledFeatures": [], "_reserved": True}}
            self.jobs = {}  # job_id -> {"datafeed_id": str or None, "namespaces": [..]}: the ml-job saved objects
            self.log = []

    @property
    def version_tuple(self):
        return tuple(int(p) for p in re.findall(r"\d+", self.version)[:3])

    # -- WSGI ------------------------------------------------------------------------------------------------------

    def __call__(self, environ, start_response):
        request = Request(environ)
        if request.path.startswith("/_emulator/"):
            return self._control(request)(environ, start_response)
        try:
            status, body = self._dispatch(request)
        except KibanaError as exc:
            status, body = exc.status, exc.payload()
        with self.lock:
            self.log.append({"method": request.method, "path": request.path, "status": status,
                             "query": request.query_string.decode("latin-1")})
        if status == 204:
            return Response(status=204)(environ, start_response)
        return Response(json.dumps(body), status=status, content_type="application/json")(environ, start_response)

    def _control(self, request):
        if request.path == "/_emulator/requests":
            if request.method == "DELETE":
                with self.lock:
                    self.log = []
                return Response(status=204)
            with self.lock:
                return Response(json.dumps(self.log), content_type="application/json")
        if request.path == "/_emulator/reset" and request.method == "POST":
            self.reset()
            return Response(status=204)
        if request.path == "/_emulator/saved_objects" and request.method == "GET":
            with self.lock:
                return Response(json.dumps(self.jobs), content_type="application/json")
        return Response(json.dumps({"statusCode": 404, "error": "Not Found", "message": "Not Found"}), status=404,
                        content_type="application/json")

    def _dispatch(self, request):
        path = request.path
        if self.base_path:
            if not (path == self.base_path or path.startswith(self.base_path + "/")):
                raise KibanaError(404, "Not Found")
            path = path[len(self.base_path):] or "/"
        self._authenticate(request)
        space = "default"
        match = SPACE_PREFIX.match(path)
        if match:
            space, path = match.group(1), match.group(2)
            if space not in self.spaces:
                # the spaces plugin resolves /s/<id> before any route runs
                raise KibanaError(404, "Saved object [space/%s] not found" % space)
        xsrf = request.headers.get("kbn-xsrf") or request.headers.get("kbn-version")
        if request.method not in ("GET", "HEAD") and not xsrf:
            # core's http server (lifecycle_handlers.ts, createXsrfPostAuthHandler): writes need kbn-xsrf
            raise KibanaError(400, "Request must contain a kbn-xsrf header.")
        route = ROUTES.get((request.method, path))
        if route is None:
            match = re.match(r"/api/spaces/space/([^/]+)\Z", path)
            if match and request.method in ("GET", "PUT", "DELETE"):
                return getattr(self, "_space_" + request.method.lower())(request, match.group(1))
            raise KibanaError(404, "Not Found")
        handler, access = route
        if access == "internal":
            self._internal(request, path)
        elif handler == "_update_jobs_spaces_public" and self.version_tuple < PUBLIC_UPDATE_SINCE:
            raise KibanaError(404, "Not Found")
        return getattr(self, handler)(request, space)

    def _authenticate(self, request):
        if self.credentials.enabled and not self.credentials.accepts(request.headers.get("Authorization")):
            raise KibanaError(401, "Unauthorized")

    def _internal(self, request, path):
        """Internal routes (core's versioned router): a version header is required, and with
        server.restrictInternalApis an internal origin header too."""
        if self.restrict_internal_apis and not request.headers.get("x-elastic-internal-origin"):
            raise KibanaError(400, "uri [%s] with method [%s] exists but is not available with the current "
                                   "configuration" % (path, request.method.lower()))
        if request.headers.get("elastic-api-version") != INTERNAL_VERSION:
            raise KibanaError(400, "Please specify a version via elastic-api-version header. Available versions: 1")

    # -- Elasticsearch, as Kibana's internal user -----------------------------------------------------------------

    def _es_get(self, path):
        headers = {"Authorization": self.es_auth} if self.es_auth else {}
        try:
            response = self._es.get(self.es_url + path, headers=headers, timeout=30)
        except requests.RequestException:
            return None
        # util.ts mlFunctionsFactory: an Elasticsearch API that fails counts as absent (null), so nothing is synced
        return response.json() if response.status_code == 200 else None

    def _status(self):
        """checks.ts checkStatus: every anomaly detection job and datafeed, next to every ml-job saved object."""
        jobs = self._es_get("/_ml/anomaly_detectors")
        feeds = self._es_get("/_ml/datafeeds")
        job_ids = [j["job_id"] for j in jobs["jobs"]] if jobs is not None else []
        feed_of = dict((d["job_id"], d["datafeed_id"]) for d in (feeds or {}).get("datafeeds", []))
        return job_ids, feed_of, jobs is not None, feeds is not None

    # -- ML saved objects ---------------------------------------------------------------------------------------

    def _sync(self, request, space):
        """sync.ts syncSavedObjects: create the saved objects of jobs that lack one, delete those of jobs that are
        gone, and add or remove the datafeed id a saved object holds. With ``simulate`` nothing changes and the
        answer says what would. The public route defaults addToAllSpaces to true (routes/saved_objects.ts): created
        objects are in every space (``*``); with false, in the space of the request."""
        simulate = _query_bool(request, "simulate")
        add_all = _query_bool(request, "addToAllSpaces")
        add_all = True if add_all is None else add_all
        result = {"savedObjectsCreated": {}, "savedObjectsDeleted": {}, "datafeedsAdded": {}, "datafeedsRemoved": {}}
        job_ids, feed_of, jobs_read, feeds_read = self._status()
        with self.lock:
            for job_id in job_ids:
                if job_id not in self.jobs:
                    result["savedObjectsCreated"].setdefault(AD, {})[job_id] = {"success": True}
                    if not simulate:
                        self.jobs[job_id] = {"datafeed_id": feed_of.get(job_id),
                                             "namespaces": ["*"] if add_all else [space]}
            existing = set(job_ids)
            for job_id in sorted(self.jobs):
                if jobs_read and job_id not in existing:
                    result["savedObjectsDeleted"].setdefault(AD, {})[job_id] = {"success": True}
                    if not simulate:
                        del self.jobs[job_id]
            if feeds_read:
                for job_id, entry in sorted(self.jobs.items()):
                    if job_id in result["savedObjectsCreated"].get(AD, {}):
                        continue
                    feed = feed_of.get(job_id)
                    if feed is not None and entry["datafeed_id"] != feed:
                        result["datafeedsAdded"].setdefault(AD, {})[job_id] = {"success": True}
                        if not simulate:
                            entry["datafeed_id"] = feed
                    elif feed is None and entry["datafeed_id"] is not None and job_id in existing:
                        result["datafeedsRemoved"].setdefault(AD, {})[job_id] = {"success": True}
                        if not simulate:
                            entry["datafeed_id"] = None
        return 200, result

    def _jobs_spaces(self, request, space):
        """checks.ts jobsSpaces: each job that exists, with the spaces of its saved object, grouped by job type; a
        job without a saved object is not listed."""
        job_ids, _feeds, _jobs_read, _feeds_read = self._status()
        with self.lock:
            listed = dict((j, list(self.jobs[j]["namespaces"])) for j in job_ids if j in self.jobs)
        return 200, ({AD: listed} if listed else {})

    def _update_jobs_spaces_public(self, request, space):
        return self._update_jobs_spaces(request, space)

    def _update_jobs_spaces(self, request, space):
        """service.ts updateJobsSpaces, over core's updateObjectsSpaces (update_objects_spaces.ts): only jobs whose
        saved object is in the request's space are found; the others answer "No known job with id". Spaces are added
        and removed as getNewSpacesArray does; an object left in no space is deleted."""
        body = _json_body(request)
        job_type = body.get("jobType")
        if job_type not in (AD, "data-frame-analytics"):
            raise KibanaError(400, "[request body.jobType]: types that failed validation:\n"
                                   "- [request body.jobType.0]: expected value to equal [anomaly-detector]\n"
                                   "- [request body.jobType.1]: expected value to equal [data-frame-analytics]")
        lists = {}
        for key in ("jobIds", "spacesToAdd", "spacesToRemove"):
            value = body.get(key)
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                got = "undefined" if value is None else type(value).__name__
                raise KibanaError(400, "[request body.%s]: expected value of type [array] but got [%s]" % (key, got))
            lists[key] = value
        job_ids, to_add, to_remove = lists["jobIds"], lists["spacesToAdd"], lists["spacesToRemove"]
        if not job_ids or (not to_add and not to_remove):
            return 200, {}
        with self.lock:
            if not to_add:
                for job_id in job_ids:
                    current = self.jobs.get(job_id, {}).get("namespaces", [])
                    if current and all(s in to_remove for s in current):
                        raise KibanaError(400, "Cannot remove job '%s' from all spaces" % job_id)
            results = {}
            found = []
            for job_id in job_ids:
                entry = self.jobs.get(job_id)
                if job_type != AD or entry is None or not (space in entry["namespaces"] or "*" in entry["namespaces"]):
                    results[job_id] = {"success": False, "type": job_type, "error": "No known job with id '%s'" % job_id}
                else:
                    found.append(job_id)
            if found and set(to_add) & set(to_remove):
                error = bad_request_from_saved_objects("spacesToAdd and spacesToRemove cannot contain any of the "
                                                       "same strings")
                for job_id in found:
                    results[job_id] = {"success": False, "type": job_type, "error": error}
                return 200, results
            for job_id in found:
                self.jobs[job_id]["namespaces"] = _new_spaces(self.jobs[job_id]["namespaces"], to_add, to_remove)
                if not self.jobs[job_id]["namespaces"]:
                    del self.jobs[job_id]
                results[job_id] = {"success": True, "type": job_type}
        return 200, results

    # -- spaces (x-pack/platform/plugins/shared/spaces/server/routes/api/external) --------------------------------

    def _spaces_list(self, request, space):
        with self.lock:
            return 200, [dict(s) for s in self.spaces.values()]

    def _space_get(self, request, space_id):
        with self.lock:
            if space_id not in self.spaces:
                raise KibanaError(404, "Saved object [space/%s] not found" % space_id)
            return 200, dict(self.spaces[space_id])

    def _space_create(self, request, space):
        body = _json_body(request)
        for key in ("id", "name"):
            if not isinstance(body.get(key), str):
                raise KibanaError(400, "[request body.%s]: expected value of type [string] but got [%s]"
                                  % (key, "undefined" if body.get(key) is None else type(body.get(key)).__name__))
        with self.lock:
            if body["id"] in self.spaces:
                raise KibanaError(409, "A space with the identifier %s already exists." % body["id"])
            entry = {"id": body["id"], "name": body["name"], "disabledFeatures": body.get("disabledFeatures", [])}
            for key in ("description", "color", "initials", "imageUrl", "solution"):
                if key in body:
                    entry[key] = body[key]
            self.spaces[body["id"]] = entry
            return 200, dict(entry)

    def _space_put(self, request, space_id):
        body = _json_body(request)
        with self.lock:
            if space_id not in self.spaces:
                raise KibanaError(404, "Saved object [space/%s] not found" % space_id)
            self.spaces[space_id].update((k, v) for k, v in body.items() if k != "id")
            return 200, dict(self.spaces[space_id])

    def _space_delete(self, request, space_id):
        """Deleting a space deletes the objects in it; a shared object only leaves that space."""
        with self.lock:
            if space_id not in self.spaces:
                raise KibanaError(404, "Saved object [space/%s] not found" % space_id)
            if self.spaces[space_id].get("_reserved"):
                raise KibanaError(400, "This Space cannot be deleted because it is reserved.")
            del self.spaces[space_id]
            for job_id in list(self.jobs):
                spaces = [s for s in self.jobs[job_id]["namespaces"] if s != space_id]
                if spaces:
                    self.jobs[job_id]["namespaces"] = spaces
                else:
                    del self.jobs[job_id]
        return 204, None

    def _kibana_status(self, request, space):
        return 200, {"name": "kibana-emulator", "version": {"number": self.version, "build_flavor": "traditional"},
                     "status": {"overall": {"level": "available"}}}


def _new_spaces(existing, to_add, to_remove):
    """update_objects_spaces.ts getNewSpacesArray: existing spaces less those removed, then the added ones that were
    not there, in the order given."""
    added = [s for s in dict.fromkeys(to_add) if s not in existing]
    return [s for s in existing if s not in to_remove] + added


def _query_bool(request, name):
    value = request.args.get(name)
    if value is None:
        return None
    if value not in ("true", "false"):
        raise KibanaError(400, "[request query.%s]: expected value of type [boolean] but got [string]" % name)
    return value == "true"


def _json_body(request):
    try:
        body = json.loads(request.get_data(as_text=True) or "null")
    except ValueError:
        raise KibanaError(400, "Invalid request payload JSON format")
    if not isinstance(body, dict):
        raise KibanaError(400, "[request body]: expected a plain object value, but found [%s] instead."
                          % ("null" if body is None else type(body).__name__))
    return body


ROUTES = {
    ("GET", "/api/status"): ("_kibana_status", "public"),
    ("GET", "/api/spaces/space"): ("_spaces_list", "public"),
    ("POST", "/api/spaces/space"): ("_space_create", "public"),
    ("GET", "/api/ml/saved_objects/sync"): ("_sync", "public"),
    ("POST", "/api/ml/saved_objects/update_jobs_spaces"): ("_update_jobs_spaces_public", "public"),
    ("GET", "/internal/ml/saved_objects/jobs_spaces"): ("_jobs_spaces", "internal"),
    ("POST", "/internal/ml/saved_objects/update_jobs_spaces"): ("_update_jobs_spaces", "internal"),
}
