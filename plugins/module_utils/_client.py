# -*- coding: utf-8 -*-
# Copyright (c) 2026, mlops.elasticsearch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Elasticsearch HTTP client: hosts and failover, auth, TLS, retries, and ES errors as one exception.

FOR INTERNAL COLLECTION USE ONLY: the interfaces here may change in any release.
Python versions supported: 3.9 and later (where ``requests`` runs the modules).
"""

from __future__ import annotations

import atexit
import base64
import ipaddress
import json
import math
import os
import re
import tempfile
import time
import traceback
import warnings

from ansible.module_utils.basic import env_fallback
from ansible.module_utils.six.moves.urllib.parse import quote, urlencode, urlsplit, urlunsplit

try:
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.exceptions import (ConnectTimeoutError, InsecureRequestWarning, MaxRetryError, NewConnectionError,
                                    ReadTimeoutError)
    from urllib3.exceptions import SSLError as Urllib3SSLError
    from urllib3.util.retry import Retry
except ImportError:
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = traceback.format_exc()
    Retry = HTTPAdapter = object  # lets the subclasses below be defined; never instantiated without requests
else:
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None

DEFAULT_HOST = "http://localhost:9200"
# Statuses urllib3 retries (429 is judged by its cause in EsClient.request, which needs the body).
RETRY_STATUSES = frozenset((502, 503, 504))
# A status that means the server refused the request before doing anything: safe to resend any call.
REJECTED_STATUSES = frozenset((503,))
# The 429s that pass: a full thread pool queue, a tripped circuit breaker. Any other 429 is ES's answer for this
# request, such as "no ML nodes with sufficient capacity" (a status_exception), and waiting does not change it.
TRANSIENT_429 = frozenset(("es_rejected_execution_exception", "circuit_breaking_exception"))
# ES MlUpgradeModeActionFilter's 429: "Cannot perform <action> action while upgrade mode is enabled"
UPGRADE_MODE_WORDS = "while upgrade mode is enabled"
UPGRADE_MODE_POLL = 5.0  # seconds between tries while waiting for upgrade mode to end (upgrade_mode_wait)
RETRY_AFTER_MAX = 30.0


def connection_argument_spec():
    """The connection options every module takes (documented once in the ``connection`` doc fragment)."""
    return dict(
        hosts=dict(type="list", elements="str", fallback=(_hosts_fallback, [])),
        cloud_id=dict(type="str", fallback=(env_fallback, ["ELASTICSEARCH_CLOUD_ID"])),
        # credentials: their environment variables are applied by resolve_credentials(), after parsing, so that
        # credentials given to a task win over others exported in the environment
        username=dict(type="str"),
        password=dict(type="str", no_log=True),
        api_key=dict(type="str", no_log=True),
        api_key_id=dict(type="str"),
        bearer_token=dict(type="str", no_log=True),
        validate_certs=dict(type="bool", default=True, fallback=(_bool_env, ["ELASTICSEARCH_VALIDATE_CERTS"])),
        ca_path=dict(type="path", fallback=(env_fallback, ["ELASTICSEARCH_CA_PATH"])),
        ca_data=dict(type="str", fallback=(env_fallback, ["ELASTICSEARCH_CA_DATA"])),
        ca_fingerprint=dict(type="str", fallback=(env_fallback, ["ELASTICSEARCH_CA_FINGERPRINT"])),
        client_cert=dict(type="path", fallback=(env_fallback, ["ELASTICSEARCH_CLIENT_CERT"])),
        client_key=dict(type="path", no_log=False, fallback=(env_fallback, ["ELASTICSEARCH_CLIENT_KEY"])),
        request_timeout=dict(type="float", default=30.0, fallback=(env_fallback, ["ELASTICSEARCH_REQUEST_TIMEOUT"])),
        retries=dict(type="int", default=3, fallback=(env_fallback, ["ELASTICSEARCH_RETRIES"])),
        upgrade_mode_wait=dict(type="float", default=0.0),
        es_secondary_authorization=dict(type="str", no_log=True,
                                        fallback=(env_fallback, ["ELASTICSEARCH_SECONDARY_AUTHORIZATION"])),
    )


CONNECTION_MUTUALLY_EXCLUSIVE = [
    ("hosts", "cloud_id"),
    ("ca_path", "ca_data"),
    ("username", "api_key"),
    ("username", "bearer_token"),
    ("api_key", "bearer_token"),
]
CONNECTION_REQUIRED_TOGETHER = [("client_cert", "client_key")]
CONNECTION_REQUIRED_BY = {}
CREDENTIAL_ENV = {"username": "ELASTICSEARCH_USERNAME", "password": "ELASTICSEARCH_PASSWORD",
                  "api_key": "ELASTICSEARCH_API_KEY", "api_key_id": "ELASTICSEARCH_API_KEY_ID",
                  "bearer_token": "ELASTICSEARCH_BEARER_TOKEN"}
_KINDS = (("basic", ("username", "password")), ("api_key", ("api_key", "api_key_id")), ("bearer", ("bearer_token",)))


def resolve_credentials(params, environ):
    """Fill credentials from ELASTICSEARCH_* variables, in place; return the secrets taken from there.

    Precedence is task option > module_defaults > environment, across kinds too: when a task (or its
    module_defaults) gives one kind of credential, the environment only completes that kind (a password
    for a username, an id for an API key) and other kinds it exports are ignored. With none given, the
    environment may supply one kind. Raises ElasticsearchError when the result is incomplete or ambiguous.
    """
    given = [kind for kind, keys in _KINDS if params.get(keys[0])]
    from_env = {}
    if given:
        keys = dict(_KINDS)[given[0]]
        for key in keys[1:]:
            if params.get(key) is None and environ.get(CREDENTIAL_ENV[key]):
                from_env[key] = environ[CREDENTIAL_ENV[key]]
    else:
        offered = [kind for kind, keys in _KINDS if environ.get(CREDENTIAL_ENV[keys[0]])]
        if len(offered) > 1:
            raise ElasticsearchError("the environment sets credentials of several kinds (%s); set only one of "
                                     "ELASTICSEARCH_USERNAME/ELASTICSEARCH_PASSWORD, ELASTICSEARCH_API_KEY and "
                                     "ELASTICSEARCH_BEARER_TOKEN, or give the credentials to the task"
                                     % ", ".join(offered))
        if offered:
            for key in dict(_KINDS)[offered[0]]:
                if params.get(key) is None and environ.get(CREDENTIAL_ENV[key]):
                    from_env[key] = environ[CREDENTIAL_ENV[key]]
    params.update(from_env)
    if params.get("username") and params.get("password") is None:
        raise ElasticsearchError("username is set but no password: give password, or export ELASTICSEARCH_PASSWORD")
    if params.get("password") is not None and not params.get("username"):
        raise ElasticsearchError("password is set but no username: give username, or export ELASTICSEARCH_USERNAME")
    if params.get("api_key_id") and not params.get("api_key"):
        raise ElasticsearchError("api_key_id is set but no api_key: give api_key, or export ELASTICSEARCH_API_KEY")
    return [from_env[k] for k in ("password", "api_key", "bearer_token") if k in from_env]


def _hosts_fallback():
    """ELASTICSEARCH_HOSTS, else ELASTICSEARCH_URL (the name Elastic's own tools read), else ELASTICSEARCH_ENDPOINTS;
    each a comma-separated list."""
    value = env_fallback("ELASTICSEARCH_HOSTS", "ELASTICSEARCH_URL", "ELASTICSEARCH_ENDPOINTS")
    return [h.strip() for h in value.split(",") if h.strip()]


def _bool_env(name):
    value = env_fallback(name)
    return value.strip().lower() not in ("0", "false", "no", "off")


class ElasticsearchError(Exception):
    """Any failure talking to Elasticsearch, in words a user can act on; never carries a secret.

    ``status`` is the HTTP status (None when no response came back), ``error_type`` and ``reason``
    the root cause ES reported, ``body`` the decoded error envelope.
    """

    def __init__(self, message, method=None, path=None, status=None, error_type=None, reason=None, body=None,
                 uncertain=False, settle_seconds=0.0):
        super(ElasticsearchError, self).__init__(message)
        self.uncertain = uncertain  # the request was sent, but whether it took effect is unknown
        # with ``uncertain``: how long the request may still be in flight on the server (a read that timed out);
        # 0 when the server ended the exchange (a broken connection), so what is read back is final
        self.settle_seconds = settle_seconds
        self.message = message
        self.method = method
        self.path = path
        self.status = status
        self.error_type = error_type
        self.reason = reason
        self.body = body

    def __str__(self):
        return self.message

    @classmethod
    def from_response(cls, method, path, status, body, auth_kind):
        """ES's error envelope (``{"error": {...}, "status": N}``) -> one readable message."""
        error = body.get("error") if isinstance(body, dict) else None
        top_type, top_reason, root_type, root_reason = None, None, None, None
        if isinstance(error, dict):
            top_type, top_reason = error.get("type"), error.get("reason")
            roots = error.get("root_cause") or []
            if roots and isinstance(roots[0], dict):
                root_type, root_reason = roots[0].get("type"), roots[0].get("reason")
        elif isinstance(error, str):
            top_reason = error
        root_type = root_type or top_type
        root_reason = root_reason or top_reason
        where = "%s %s" % (method, path.lstrip("/"))
        if root_type:
            message = "%s: %d %s: %s" % (where, status, root_type, root_reason)
        elif root_reason:
            message = "%s: %d %s" % (where, status, root_reason)
        else:
            message = "%s: %d %s" % (where, status, (json.dumps(body)[:300] if body else "no response body"))
        if top_type and (top_type, top_reason) != (root_type, root_reason):
            message += " (while handling %s: %s)" % (top_type, top_reason)
        causes = _causes(error, (root_type, root_reason), (top_type, top_reason))
        if causes:
            message += "; caused by " + "; caused by ".join("%s: %s" % cause for cause in causes)
        if status == 401:
            message += ". Elasticsearch did not accept the credentials (%s); check them, or their environment " \
                       "variables ELASTICSEARCH_USERNAME/ELASTICSEARCH_PASSWORD, ELASTICSEARCH_API_KEY, " \
                       "ELASTICSEARCH_BEARER_TOKEN" % _auth_words(auth_kind)
            if auth_kind == "basic":
                message += ". An Elasticsearch Serverless project accepts API keys only: give api_key instead of " \
                           "username and password"
        elif status == 410 and root_type == "api_not_available_exception":
            message += ". This is an Elasticsearch Serverless project, which keeps this API internal: what needs it " \
                       "(model snapshots, upgrade mode, cluster settings, posting data) cannot be done there"
        elif status == 429 and UPGRADE_MODE_WORDS in (root_reason or ""):
            message += ". Machine learning is in upgrade mode (set for a cluster upgrade or a restore): jobs, " \
                       "datafeeds and their state cannot change until it is turned off. Wait for the upgrade to finish " \
                       "(upgrade_mode_wait waits up to that many seconds), or turn it off with " \
                       "mlops.elasticsearch.ml_upgrade_mode (enabled: false)"
        elif status == 403:
            privilege = _privilege_needed(method, root_reason or "")
            message += ". The credentials (%s) lack the cluster privilege %s; grant it (or the " \
                       "machine_learning_admin role) to that user or API key" % (_auth_words(auth_kind), privilege)
        return cls(message, method=method, path=path, status=status, error_type=root_type, reason=root_reason, body=body)

    def to_fail_json(self):
        """Keyword arguments for ``module.fail_json``."""
        out = dict(msg=self.message)
        if self.status is not None:
            out["status"] = self.status
        if self.error_type is not None:
            out["error"] = dict(type=self.error_type, reason=self.reason)
        return out


def _causes(error, *shown):
    """The ``caused_by`` chain of an ES error (its root reason is often only there), less what is shown already."""
    out = []
    node = error.get("caused_by") if isinstance(error, dict) else None
    while isinstance(node, dict) and len(out) < 5:
        cause = (node.get("type"), node.get("reason"))
        if cause not in shown and cause not in out and cause[1]:
            out.append(cause)
        node = node.get("caused_by")
    return out


def _auth_words(kind):
    return {"basic": "basic auth", "api_key": "an API key", "bearer": "a bearer token"}.get(kind, "none were given")


def _privilege_needed(method, reason):
    """ES names the granting privileges: "... granted by the cluster privileges [manage_ml,manage,all]"."""
    marker = "cluster privileges ["
    if marker in reason:
        first = reason.split(marker, 1)[1].split("]", 1)[0].split(",")[0].strip()
        if first:
            return first
    return "monitor_ml" if method in ("GET", "HEAD") else "manage_ml"


def decode_cloud_id(cloud_id):
    """``name:base64(host[:port]$es_uuid$kibana_uuid)`` -> ``https://es_uuid.host:port``."""
    try:
        encoded = cloud_id.split(":", 1)[1] if ":" in cloud_id else cloud_id
        decoded = base64.b64decode(encoded + "=" * (-len(encoded) % 4)).decode("utf-8")
        parent, es_uuid = decoded.split("$")[:2]
    except (ValueError, IndexError, UnicodeDecodeError):
        raise ElasticsearchError("cloud_id is not a valid Elastic Cloud id: expected 'name:base64(host$es_uuid$kibana_uuid)'")
    port = 443
    if ":" in parent:
        parent, port_text = parent.rsplit(":", 1)
        try:
            port = int(port_text)
        except ValueError:
            raise ElasticsearchError("cloud_id is not a valid Elastic Cloud id: bad port %r" % port_text)
    if not parent or not es_uuid:
        raise ElasticsearchError("cloud_id is not a valid Elastic Cloud id: the host or Elasticsearch id is empty")
    return "https://%s.%s:%d" % (es_uuid, parent, port)


def redact_url(url):
    """A URL fit to print: no user info, no query."""
    parts = urlsplit(url)
    netloc = parts.hostname or ""
    if ":" in netloc:
        netloc = "[%s]" % netloc
    if parts.port:
        netloc += ":%d" % parts.port
    return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))


def _is_loopback(host):
    if host in ("localhost",) or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _BoundedRetry(Retry):
    """urllib3's Retry with a ceiling on ``Retry-After`` and a hook that reports each retry."""

    on_retry = None

    def new(self, **kw):
        fresh = super(_BoundedRetry, self).new(**kw)
        fresh.on_retry = self.on_retry
        return fresh

    def get_retry_after(self, response):
        value = super(_BoundedRetry, self).get_retry_after(response)
        return None if value is None else min(value, RETRY_AFTER_MAX)

    def increment(self, method=None, url=None, response=None, error=None, _pool=None, _stacktrace=None):
        if isinstance(error, Urllib3SSLError):
            raise MaxRetryError(_pool, url, error)  # a certificate that fails verification fails the same way again
        fresh = super(_BoundedRetry, self).increment(method, url, response, error, _pool, _stacktrace)
        if self.on_retry is not None:  # only now is it certain that the request is sent again
            self.on_retry(method, url, response.status if response is not None else None, error)
        return fresh


class EsClient(object):
    """One connection to a cluster: ``request()`` is the single choke point for every HTTP call.

    Retries use urllib3's ``Retry`` on the session adapters, with exponential backoff and
    ``Retry-After``. Two policies, chosen per call by the ML API layer:

    - ``idempotent=True`` (reads, ``_update``, ``_close``, ``_stop``, ``_reset``): repeating the call
      reaches the same end state, so connection and read errors and 429/502/503/504 are retried;
    - ``idempotent=False`` (create, ``_open``, ``_start``, delete, ``_data``): a second copy could act
      twice or answer a misleading conflict, so only failures where ES provably did nothing are
      retried: the connection could not be made, or ES answered 429/503.

    Failover moves to the next host only when a request never reached the current one, and the
    client then stays on the host that answered.

    ``WORDS`` are the names its messages use for the service and its options: the Kibana client
    (``_kibana.py``) is this client with its own.
    """

    WORDS = dict(service="Elasticsearch", hosts="hosts", hosts_hint="hosts (or ELASTICSEARCH_HOSTS / cloud_id)",
                 validate_certs="validate_certs", ca_hint="ca_path (or ca_data)", ca_path="ca_path",
                 client_cert="client_cert", client_key="client_key", request_timeout="request_timeout",
                 retries="retries", example="https://es.example.com:9200", target="the cluster")

    def __init__(self, hosts=None, cloud_id=None, username=None, password=None, api_key=None, api_key_id=None,
                 bearer_token=None, validate_certs=True, ca_path=None, client_cert=None, client_key=None,
                 request_timeout=30.0, retries=3, backoff_factor=0.5, warn=None, sleep=time.sleep, ca_data=None,
                 ca_fingerprint=None, upgrade_mode_wait=0.0, clock=time.monotonic, es_secondary_authorization=None):
        self._warn = warn or (lambda message: None)
        self._sleep = sleep
        self._clock = clock
        if isinstance(upgrade_mode_wait, bool) or not isinstance(upgrade_mode_wait, (int, float)) \
                or not math.isfinite(upgrade_mode_wait) or upgrade_mode_wait < 0:
            raise ElasticsearchError("upgrade_mode_wait must be a number of seconds, 0 or more, got %r"
                                     % (upgrade_mode_wait,))
        self.upgrade_mode_wait = float(upgrade_mode_wait)
        # the Authorization value whose access a datafeed records, sent on the calls that record it (see request)
        self._secondary = _secondary_header(es_secondary_authorization)
        self.retry_log = []
        self.deprecations = []  # Elasticsearch's deprecation warnings, once each (see _note_deprecations)
        words = self.WORDS
        self.request_timeout = _positive(words["request_timeout"], request_timeout)
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
            raise ElasticsearchError("%s must be a whole number of 0 or more, got %r" % (words["retries"], retries))
        self.retries = retries
        self.backoff_factor = backoff_factor
        for name, path in (("ca_path", ca_path), ("client_cert", client_cert), ("client_key", client_key)):
            if path and not os.path.isfile(path):
                raise ElasticsearchError("%s %s is not a file that exists here; give the path of the PEM file on the "
                                         "host that runs the module" % (words[name], path))
        if cloud_id:
            hosts = [decode_cloud_id(cloud_id)]
        urls = []
        for host in hosts or [DEFAULT_HOST]:
            url, url_user, url_password = self._parse_host(host)
            urls.append(url)
            if url_user and not (username or api_key or bearer_token):
                username, password = url_user, url_password
        self.hosts = urls
        self._current = 0
        self._headers = {"Accept": "application/json"}
        self._set_auth(username, password, api_key, api_key_id, bearer_token)
        self._fingerprint = _fingerprint(ca_fingerprint) if ca_fingerprint else None
        if ca_data:
            ca_path = self._ca_file(ca_data)
        self._verify = ca_path if ca_path else bool(validate_certs)
        if self._fingerprint:
            self._verify = False  # the pin replaces the CA check: the certificate itself must be the one named
        else:
            self._warn_if_exposed(validate_certs, ca_path)
        self._cert = (client_cert, client_key) if client_cert else None
        self._sessions = {
            True: self._session(_BoundedRetry(total=retries, connect=retries, read=retries, status=retries,
                                              status_forcelist=RETRY_STATUSES, allowed_methods=None,
                                              backoff_factor=backoff_factor, raise_on_status=False,
                                              respect_retry_after_header=True)),
            False: self._session(_BoundedRetry(total=retries, connect=retries, read=0, other=0, status=retries,
                                               status_forcelist=REJECTED_STATUSES, allowed_methods=None,
                                               backoff_factor=backoff_factor, raise_on_status=False,
                                               respect_retry_after_header=True)),
        }

    @staticmethod
    def _ca_file(ca_data):
        """``ca_data`` (PEM text, from a vault) in a private file for the TLS layer, removed when the module exits."""
        if "-----BEGIN CERTIFICATE-----" not in ca_data:
            raise ElasticsearchError("ca_data is not a PEM certificate: give the CA's PEM text, from "
                                     "-----BEGIN CERTIFICATE----- to -----END CERTIFICATE-----")
        handle, path = tempfile.mkstemp(prefix="mlops-ca-", suffix=".pem")
        with os.fdopen(handle, "w") as stream:
            stream.write(ca_data)
        atexit.register(_remove, path)
        return path

    def _set_auth(self, username, password, api_key, api_key_id, bearer_token):
        """One kind of credentials (their conflicts were refused with the options): basic, API key or bearer."""
        self._auth = None
        self.auth_kind = None
        if username:
            self._auth = (username, password or "")
            self.auth_kind = "basic"
        elif api_key:
            token = api_key
            if api_key_id:
                token = base64.b64encode(("%s:%s" % (api_key_id, api_key)).encode("utf-8")).decode("ascii")
            self._headers["Authorization"] = "ApiKey " + token
            self.auth_kind = "api_key"
        elif bearer_token:
            self._headers["Authorization"] = "Bearer " + bearer_token
            self.auth_kind = "bearer"

    def _warn_if_exposed(self, validate_certs, ca_path):
        """Say so when the connection can be impersonated, or sends credentials in clear text off this host."""
        if not validate_certs and not ca_path and any(u.startswith("https://") for u in self.hosts):
            self._warn("%s is false: the TLS certificate of %s is not verified, so anyone on the network path can "
                       "impersonate it; set %s instead" % (self.WORDS["validate_certs"], self.WORDS["target"],
                                                           self.WORDS["ca_path"]))
        if self.auth_kind:
            for url in self.hosts:
                parts = urlsplit(url)
                if parts.scheme == "http" and not _is_loopback(parts.hostname or ""):
                    self._warn("credentials are sent in clear text over http:// to %s; use https://"
                               % redact_url(url))

    @classmethod
    def from_params(cls, params, warn=None):
        """Build a client from module params (the options of ``connection_argument_spec()``)."""
        keys = connection_argument_spec().keys()
        return cls(warn=warn, **dict((k, params.get(k)) for k in keys if params.get(k) is not None))

    @classmethod
    def _parse_host(cls, host):
        text = host.strip()
        if "://" not in text:
            text = "http://" + text
        example = "an http(s) URL such as %s" % cls.WORDS["example"]
        try:
            parts = urlsplit(text)
            port = parts.port
        except ValueError as exc:  # a port out of range or not a number, a bad IPv6 literal
            raise ElasticsearchError("%s entry %r is not %s (%s)" % (cls.WORDS["hosts"], _shown_host(text), example, exc))
        if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in text):
            raise ElasticsearchError("%s entry %r is not %s" % (cls.WORDS["hosts"], _shown_host(text), example))
        netloc = parts.hostname if ":" not in parts.hostname else "[%s]" % parts.hostname
        if port:
            netloc += ":%d" % port
        url = urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))
        return url, parts.username, parts.password

    def _session(self, retry):
        session = requests.Session()
        retry.on_retry = self._record_retry
        # connections kept per host: the bulk path writes up to 64 jobs at once (its parallelism)
        adapter = _PinningAdapter(self._fingerprint, max_retries=retry, pool_maxsize=64)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        session.headers.update(self._headers)
        session.auth = self._auth
        session.verify = self._verify
        session.cert = self._cert
        session.trust_env = False
        return session

    def _record_retry(self, method, url, status, error):
        what = "HTTP %s" % status if status is not None else type(error).__name__ if error else "error"
        path = urlsplit(url or "").path
        self.retry_log.append(dict(method=method, path=path, reason=what))

    def retry_summary(self):
        """A warning for the user when requests had to be retried (they succeeded, but something is strained)."""
        if not self.retry_log:
            return None
        retried = ", ".join("%s %s (%s)" % (r["method"], r["path"], r["reason"]) for r in self.retry_log[:5])
        more = " and %d more" % (len(self.retry_log) - 5) if len(self.retry_log) > 5 else ""
        return "Elasticsearch requests were retried %d time(s): %s%s" % (len(self.retry_log), retried, more)

    @property
    def url(self):
        return self.hosts[self._current]

    def request(self, method, path, params=None, body=None, idempotent=True, timeout=None, ndjson=False,
                ok_statuses=None, not_found_ok=False, secondary=False, headers=None):
        """Send one request; return the decoded JSON body, or None for an allowed 404. ``secondary``: a call whose
        caller's access Elasticsearch records (a datafeed's create, update and preview) carries
        ``es-secondary-authorization`` when es_secondary_authorization is set.

        Raises ElasticsearchError for any other status, or when no host could be reached.
        """
        query = _encode_params(params)
        headers = dict(headers or {})
        if secondary and self._secondary:
            headers["es-secondary-authorization"] = self._secondary
        data = None
        if body is not None:
            if ndjson:
                data = "".join(json.dumps(doc, separators=(",", ":")) + "\n" for doc in body).encode("utf-8")
                headers["Content-Type"] = "application/x-ndjson"
            else:
                data = _json_bytes(method, path, body)
                headers["Content-Type"] = "application/json"
        wait = self.request_timeout if timeout is None else max(float(timeout), self.request_timeout)
        attempt = 0
        upgrade_deadline = self._clock() + self.upgrade_mode_wait
        while True:
            response = self._send(method, path, query, data, headers, idempotent, wait)
            if response.status_code == 429 and _in_upgrade_mode(response) and self._clock() < upgrade_deadline:
                # refused before it ran (ES MlUpgradeModeActionFilter), so sending it again is safe at any kind
                self.retry_log.append(dict(method=method, path=urlsplit(response.url or "").path,
                                           reason="HTTP 429, ML upgrade mode"))
                self._sleep(min(UPGRADE_MODE_POLL, max(0.0, upgrade_deadline - self._clock())))
                continue
            if response.status_code != 429 or attempt >= self.retries or not _transient_429(response):
                return self._decode(method, path, response, ok_statuses, not_found_ok)
            self._record_retry(method, response.url, 429, None)
            self._sleep(_retry_after(response, self.backoff_factor * (2 ** attempt)))
            attempt += 1

    def _send(self, method, path, query, data, headers, idempotent, wait):
        """One request to the first host that takes it (failing over only when it never reached a host)."""
        session = self._sessions[bool(idempotent)]
        tried = []
        start = self._current
        for offset in range(len(self.hosts)):
            index = (start + offset) % len(self.hosts)
            base = self.hosts[index]
            url = base + path + ("?" + query if query else "")
            try:
                with warnings.catch_warnings():
                    # validate_certs=false already warned once, in words; urllib3 would repeat it per request
                    warnings.simplefilter("ignore", InsecureRequestWarning)
                    response = session.request(method, url, data=data, headers=headers, timeout=wait)
            except requests.exceptions.SSLError as exc:
                trust = ("ca_fingerprint is the SHA-256 fingerprint of the certificate the cluster presents"
                         if self._fingerprint else "%s names the CA that signed the certificate of %s"
                         % (self.WORDS["ca_hint"], self.WORDS["target"]))
                raise ElasticsearchError(
                    "%s %s: TLS connection to %s failed (%s). Check that %s, and client_cert/client_key if the "
                    "cluster requires them" % (method, path.lstrip("/"), redact_url(base), _short_reason(exc), trust),
                    method=method, path=path)
            except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
                if _never_sent(exc):
                    tried.append("%s (%s)" % (redact_url(base), _short_reason(exc)))
                    continue  # fail over: the request did not reach this host
                if isinstance(exc, requests.exceptions.ReadTimeout) or isinstance(_reason(exc), ReadTimeoutError):
                    raise ElasticsearchError(
                        "%s %s: no response from %s within %ss (%s); the request may or may not have been applied"
                        % (method, path.lstrip("/"), redact_url(base), _seconds(wait), self.WORDS["request_timeout"]),
                        method=method, path=path, uncertain=True, settle_seconds=self.request_timeout)
                raise ElasticsearchError(
                    "%s %s: the connection to %s broke before a response came back (%s); the request may or may "
                    "not have been applied" % (method, path.lstrip("/"), redact_url(base), _short_reason(exc)),
                    method=method, path=path, uncertain=True)
            if index != self._current:
                self._current = index
            return response
        raise ElasticsearchError(
            "%s %s: could not connect to any %s host: %s. Check %s and that %s is running and reachable from where the "
            "module runs" % (method, path.lstrip("/"), self.WORDS["service"], "; ".join(tried), self.WORDS["hosts_hint"],
                             self.WORDS["target"]), method=method, path=path)

    def _note_deprecations(self, response):
        """Elasticsearch's deprecation warnings (``Warning: 299 Elasticsearch-<version> "<text>"``), each kept once."""
        for text in _WARNING.findall(response.headers.get("Warning") or ""):
            text = text.replace('\\"', '"').replace("\\\\", "\\")
            if text not in self.deprecations:
                self.deprecations.append(text)

    def _decode(self, method, path, response, ok_statuses, not_found_ok):
        try:
            body = response.json() if response.content else None
        except ValueError:
            body = {"error": response.text[:500]}
        self._note_deprecations(response)
        if (200 <= response.status_code < 300) if ok_statuses is None else response.status_code in ok_statuses:
            return body
        if response.status_code == 404 and not_found_ok:
            return None
        raise ElasticsearchError.from_response(method, path, response.status_code, body, self.auth_kind)


# a Warning header's value (several are joined with commas): 299, the agent, then the text in quotes
_WARNING = re.compile(r'299 Elasticsearch-\S+ "((?:[^"\\]|\\.)*)"')


class _PinningAdapter(HTTPAdapter):
    """An adapter that, with a fingerprint, accepts the server's certificate only when its SHA-256 is that one
    (urllib3's assert_fingerprint), as Elastic's clients do with ssl_assert_fingerprint."""

    def __init__(self, fingerprint, **kwargs):
        self._pin = fingerprint
        super(_PinningAdapter, self).__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs):
        if self._pin:
            kwargs["assert_fingerprint"] = self._pin
        return super(_PinningAdapter, self).init_poolmanager(*args, **kwargs)


def _secondary_header(value):
    """An es-secondary-authorization value: ``ApiKey <encoded>``, ``Bearer <token>`` or ``Basic <base64>`` as given,
    or an encoded API key alone (as ``api_key`` takes it), which is sent as ``ApiKey <it>``."""
    if not value:
        return None
    text = str(value).strip()
    if re.match(r"(ApiKey|Bearer|Basic) \S+\Z", text):
        return text
    if re.match(r"[A-Za-z0-9+/=_-]+\Z", text):
        return "ApiKey " + text
    raise ElasticsearchError("es_secondary_authorization must be an Authorization value (ApiKey <encoded key>, "
                             "Bearer <token> or Basic <base64>) or an encoded API key")


def _fingerprint(value):
    """A SHA-256 fingerprint as 64 hex digits, colons and case as the user likes them."""
    digits = re.sub(r"[:\s]", "", str(value)).lower()
    if not re.match(r"[0-9a-f]{64}\Z", digits):
        raise ElasticsearchError("ca_fingerprint must be the SHA-256 fingerprint of the cluster's certificate: 64 "
                                 "hex digits, with or without colons, got %d characters" % len(digits))
    return digits


def _remove(path):
    try:
        os.remove(path)
    except OSError:
        pass


def _positive(name, value):
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if isinstance(value, bool) or not math.isfinite(number) or number <= 0:
        raise ElasticsearchError("%s must be a number of seconds above 0, got %r" % (name, value))
    return number


def _shown_host(text):
    """A hosts entry as it may be printed: without user info (a password may be in it)."""
    if "@" in text:
        scheme, _sep, rest = text.partition("://")
        text = "%s://%s" % (scheme, rest.rsplit("@", 1)[1])
    return text


def _json_bytes(method, path, body):
    try:
        return json.dumps(body, separators=(",", ":"), allow_nan=False).encode("utf-8")
    except ValueError:
        raise ElasticsearchError("%s %s: the request body holds NaN or Infinity, which JSON cannot carry; give a "
                                 "finite number" % (method, path.lstrip("/")), method=method, path=path)


def _transient_429(response):
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return True  # not ES's envelope (a proxy's): nothing says it is final
    if not isinstance(error, dict):
        return True
    roots = error.get("root_cause") or []
    types = set([error.get("type")] + [r.get("type") for r in roots if isinstance(r, dict)])
    return bool(types & TRANSIENT_429)


def _in_upgrade_mode(response):
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return False
    return isinstance(error, dict) and UPGRADE_MODE_WORDS in str(error.get("reason") or "")


def _retry_after(response, backoff):
    value = response.headers.get("Retry-After")
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return backoff
    return min(max(seconds, 0.0), RETRY_AFTER_MAX) if math.isfinite(seconds) else backoff


def _encode_params(params):
    if not params:
        return ""
    pairs = []
    for key in sorted(params):
        value = params[key]
        if value is None:
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, (list, tuple)):
            value = ",".join(str(v) for v in value)
        pairs.append((key, str(value)))
    return urlencode(pairs)


def path_of(*segments):
    """Join path segments, each URL-quoted (ids may hold characters that must not split the path)."""
    return "/" + "/".join(quote(str(s), safe=",*") for s in segments)


def _reason(exc):
    """The urllib3 error under a requests exception (unwrapping MaxRetryError)."""
    reason = exc.args[0] if exc.args else exc
    if isinstance(reason, MaxRetryError) and reason.reason is not None:
        reason = reason.reason
    return reason


def _never_sent(exc):
    """True when the request provably never reached the host: the connection itself failed."""
    return isinstance(exc, requests.exceptions.ConnectTimeout) or \
        isinstance(_reason(exc), (NewConnectionError, ConnectTimeoutError))


def _short_reason(exc):
    text = str(_reason(exc))
    for marker in ("Failed to establish a new connection: ", "Connection aborted.', "):
        if marker in text:
            text = text.split(marker, 1)[1]
    return text.strip("()'\" ")[:200]


def _seconds(value):
    return ("%g" % value)
