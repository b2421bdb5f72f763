# -*- coding: utf-8 -*-
# Copyright (c) 2026, mlops.elasticsearch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Kibana: its connection options, its client (the Elasticsearch client with Kibana's headers and error envelope)
and the ML saved-object and spaces endpoints the modules use.

Kibana keeps, for each anomaly detection job, a saved object (type ``ml-job``, id ``anomaly-detector-<job_id>``)
that says which spaces show the job. Reading those spaces is only possible through an internal route
(``/internal/ml/saved_objects/jobs_spaces``); changing them has a public route from Kibana 9.3
(``/api/ml/saved_objects/update_jobs_spaces``), which is tried first, and an internal one before that.

FOR INTERNAL COLLECTION USE ONLY: the interfaces here may change in any release.
Python versions supported: 3.9 and later.
"""

from __future__ import annotations

import base64
import re

from ansible.module_utils.basic import env_fallback
from ansible.module_utils.six.moves.urllib.parse import urlsplit, urlunsplit

from ansible_collections.mlops.elasticsearch.plugins.module_utils._client import (
    ElasticsearchError, EsClient, path_of)

AD = "anomaly-detector"
PUBLIC_VERSION = "2023-10-31"
INTERNAL_VERSION = "1"
# Kibana's internal routes answer only callers that say where they come from when server.restrictInternalApis is on
INTERNAL_HEADERS = {"elastic-api-version": INTERNAL_VERSION, "x-elastic-internal-origin": "mlops.elasticsearch"}
PUBLIC_HEADERS = {"elastic-api-version": PUBLIC_VERSION}
ALL_SPACES = "*"


def kibana_argument_spec():
    """The Kibana connection options (documented once in the ``kibana`` doc fragment)."""
    return dict(
        kibana_url=dict(type="str", fallback=(env_fallback, ["KIBANA_URL", "KIBANA_ENDPOINT"])),
        kibana_cloud_id=dict(type="str"),
        # credentials: their environment variables are applied by resolve_kibana_credentials(), after parsing
        kibana_username=dict(type="str"),
        kibana_password=dict(type="str", no_log=True),
        kibana_api_key=dict(type="str", no_log=True),
        kibana_bearer_token=dict(type="str", no_log=True),
        kibana_validate_certs=dict(type="bool", default=True),
        kibana_ca_path=dict(type="path"),
        kibana_request_timeout=dict(type="float", default=30.0),
        kibana_retries=dict(type="int", default=3),
    )


KIBANA_MUTUALLY_EXCLUSIVE = [
    ("kibana_url", "kibana_cloud_id"),
    ("kibana_username", "kibana_api_key"),
    ("kibana_username", "kibana_bearer_token"),
    ("kibana_api_key", "kibana_bearer_token"),
]
KIBANA_CREDENTIAL_ENV = {"kibana_username": "KIBANA_USERNAME", "kibana_password": "KIBANA_PASSWORD",
                         "kibana_api_key": "KIBANA_API_KEY"}


def kibana_given(params):
    """Whether the task names a Kibana (the info module and the role do Kibana's part only then)."""
    return bool(params.get("kibana_url") or params.get("kibana_cloud_id"))


def resolve_kibana_credentials(params, environ):
    """Fill Kibana credentials from KIBANA_USERNAME/KIBANA_PASSWORD or KIBANA_API_KEY, in place, with the precedence
    of the Elasticsearch ones: credentials given to the task win, and the environment only completes their kind.
    Returns the secrets taken from the environment."""
    taken = {}
    if params.get("kibana_username"):
        if params.get("kibana_password") is None and environ.get("KIBANA_PASSWORD"):
            taken["kibana_password"] = environ["KIBANA_PASSWORD"]
    elif not (params.get("kibana_api_key") or params.get("kibana_bearer_token")):
        if environ.get("KIBANA_USERNAME") and environ.get("KIBANA_API_KEY"):
            raise ElasticsearchError("the environment sets both KIBANA_USERNAME and KIBANA_API_KEY; set only one, or "
                                     "give the Kibana credentials to the task")
        if environ.get("KIBANA_USERNAME"):
            taken["kibana_username"] = environ["KIBANA_USERNAME"]
            if params.get("kibana_password") is None and environ.get("KIBANA_PASSWORD"):
                taken["kibana_password"] = environ["KIBANA_PASSWORD"]
        elif environ.get("KIBANA_API_KEY"):
            taken["kibana_api_key"] = environ["KIBANA_API_KEY"]
    params.update(taken)
    if params.get("kibana_username") and params.get("kibana_password") is None:
        raise ElasticsearchError("kibana_username is set but no kibana_password: give kibana_password, or export "
                                 "KIBANA_PASSWORD")
    if params.get("kibana_password") is not None and not params.get("kibana_username"):
        raise ElasticsearchError("kibana_password is set but no kibana_username: give kibana_username, or export "
                                 "KIBANA_USERNAME")
    return [taken[k] for k in ("kibana_password", "kibana_api_key") if k in taken]


def decode_kibana_cloud_id(cloud_id):
    """``name:base64(host[:port]$es_uuid$kibana_uuid)`` -> ``https://kibana_uuid.host:port``."""
    try:
        encoded = cloud_id.split(":", 1)[1] if ":" in cloud_id else cloud_id
        parts = base64.b64decode(encoded + "=" * (-len(encoded) % 4)).decode("utf-8").split("$")
    except (ValueError, UnicodeDecodeError):
        parts = []
    if len(parts) < 3 or not parts[0] or not parts[2]:
        raise ElasticsearchError("kibana_cloud_id is not an Elastic Cloud id with a Kibana in it: expected "
                                 "'name:base64(host$es_uuid$kibana_uuid)'")
    host, port = parts[0], "443"
    if re.search(r":\d+\Z", host):
        host, port = host.rsplit(":", 1)
    return "https://%s.%s:%s" % (parts[2], host, port)


def split_space(url):
    """A Kibana URL (with its base path, if any) and the space a trailing ``/s/<space>`` names (or None)."""
    parts = urlsplit(url.strip())
    match = re.match(r"(.*?)/s/([^/]+)/?\Z", parts.path)
    if not match:
        return url.strip(), None
    return urlunsplit((parts.scheme, parts.netloc, match.group(1), parts.query, parts.fragment)), match.group(2)


class KibanaClient(EsClient):
    """The Elasticsearch client pointed at Kibana: the same hosts, auth, TLS and retry code, with ``kbn-xsrf`` on
    every request and Kibana's error envelope (``{"statusCode", "error", "message"}``) turned into the same
    ElasticsearchError, its messages naming Kibana and the kibana_* options."""

    WORDS = dict(service="Kibana", hosts="kibana_url", hosts_hint="kibana_url (or KIBANA_URL / kibana_cloud_id)",
                 validate_certs="kibana_validate_certs", ca_hint="kibana_ca_path", ca_path="kibana_ca_path",
                 client_cert="kibana_client_cert", client_key="kibana_client_key",
                 request_timeout="kibana_request_timeout", retries="kibana_retries",
                 example="https://kibana.example.com:5601", target="Kibana")

    def __init__(self, url, space=None, **options):
        super(KibanaClient, self).__init__(hosts=[url], **options)
        self.space = space  # the space a kibana_url ending in /s/<space> names
        self._headers["kbn-xsrf"] = "true"
        for session in self._sessions.values():
            session.headers["kbn-xsrf"] = "true"

    @classmethod
    def from_params(cls, params, warn=None):
        if params.get("kibana_cloud_id"):
            url, space = decode_kibana_cloud_id(params["kibana_cloud_id"]), None
        elif params.get("kibana_url"):
            url, space = split_space(params["kibana_url"])
        else:
            raise ElasticsearchError("no Kibana to talk to: give kibana_url (or export KIBANA_URL), or kibana_cloud_id")
        options = dict(username=params.get("kibana_username"), password=params.get("kibana_password"),
                       api_key=params.get("kibana_api_key"), bearer_token=params.get("kibana_bearer_token"),
                       validate_certs=params.get("kibana_validate_certs") is not False, ca_path=params.get("kibana_ca_path"),
                       request_timeout=params.get("kibana_request_timeout") or 30.0,
                       retries=params.get("kibana_retries") if params.get("kibana_retries") is not None else 3)
        return cls(url, space=space, warn=warn, **options)

    def _decode(self, method, path, response, ok_statuses, not_found_ok):
        try:
            body = response.json() if response.content else None
        except ValueError:
            body = {"message": response.text[:500]}
        if 200 <= response.status_code < 300:
            return body
        if response.status_code == 404 and not_found_ok:
            return None
        raise kibana_error(method, path, response.status_code, body, self.auth_kind)


def kibana_error(method, path, status, body, auth_kind):
    """Kibana's error envelope -> one readable ElasticsearchError."""
    phrase = body.get("error") if isinstance(body, dict) else None
    reason = body.get("message") if isinstance(body, dict) else None
    message = "Kibana: %s %s: %d %s" % (method, path.lstrip("/"), status, phrase or "")
    if reason and reason != phrase:
        message += ": %s" % reason
    if status == 401:
        message += ". Kibana did not accept the credentials (%s); check kibana_username/kibana_password, " \
                   "kibana_api_key or kibana_bearer_token, or their environment variables KIBANA_USERNAME/" \
                   "KIBANA_PASSWORD and KIBANA_API_KEY" % {"basic": "basic auth", "api_key": "an API key",
                                                           "bearer": "a bearer token"}.get(auth_kind, "none were given")
    elif status == 403:
        message += ". The credentials lack Kibana's Machine Learning feature privilege (all) in that space"
    return ElasticsearchError(message.rstrip(": "), method=method, path=path, status=status, error_type=phrase,
                              reason=reason, body=body)


class KibanaApi(object):
    """The Kibana endpoints the modules use; each method returns the decoded JSON answer."""

    def __init__(self, client):
        self.client = client
        self._update_route = "public"  # until this Kibana says it has none (before 9.3)

    def _space_path(self, space, *segments):
        prefix = ("s", space) if space and space != "default" else ()
        return path_of(*(prefix + segments))

    def get_spaces(self):
        """GET /api/spaces/space: every space the credentials can see."""
        return self.client.request("GET", "/api/spaces/space")

    def get_jobs_spaces(self):
        """The spaces of every job that has a saved object: ``{job_id: [spaces]}`` (internal route)."""
        answer = self.client.request("GET", "/internal/ml/saved_objects/jobs_spaces", headers=INTERNAL_HEADERS)
        return dict((answer or {}).get(AD) or {})

    def sync(self, simulate=False, space=None, add_to_all_spaces=None):
        """Kibana's ML saved-object sync; with ``simulate``, only what it would do. Fails when Kibana reports that
        an object could not be created, deleted or changed."""
        params = {"simulate": "true"} if simulate else {}
        if add_to_all_spaces is not None:
            params["addToAllSpaces"] = "true" if add_to_all_spaces else "false"
        path = self._space_path(space, "api", "ml", "saved_objects", "sync")
        answer = self.client.request("GET", path, params=params or None, headers=PUBLIC_HEADERS,
                                     idempotent=bool(simulate))
        if answer is not None:
            failed = ["%s %s (%s)" % (what, job_id, _error_text(entry.get("error")))
                      for what, entries in sorted(answer.items()) if isinstance(entries, dict)
                      for job_id, entry in sorted((entries.get(AD) or {}).items()) if not entry.get("success")]
            if failed:
                raise ElasticsearchError("Kibana: the saved-object sync failed for: %s" % "; ".join(failed),
                                         method="GET", path=path)
        return answer

    def update_jobs_spaces(self, job_ids, spaces_to_add, spaces_to_remove, space=None):
        """Add the jobs to and remove them from spaces, through the request's ``space`` (Kibana finds only jobs
        that are in it). The public route first; before Kibana 9.3 it answers 404, and the internal one is used."""
        body = {"jobType": AD, "jobIds": list(job_ids), "spacesToAdd": list(spaces_to_add),
                "spacesToRemove": list(spaces_to_remove)}
        answer = None
        if self._update_route == "public":
            path = self._space_path(space, "api", "ml", "saved_objects", "update_jobs_spaces")
            answer = self.client.request("POST", path, body=body, headers=PUBLIC_HEADERS, not_found_ok=True)
            if answer is None and _is_client(self.client):
                self._update_route = "internal"
        if self._update_route == "internal":
            path = self._space_path(space, "internal", "ml", "saved_objects", "update_jobs_spaces")
            answer = self.client.request("POST", path, body=body, headers=INTERNAL_HEADERS)
        failed = ["%s (%s)" % (job_id, _error_text(entry.get("error")))
                  for job_id, entry in sorted((answer or {}).items())
                  if isinstance(entry, dict) and not entry.get("success")]
        if failed:
            raise ElasticsearchError("Kibana could not change the spaces of job %s" % "; ".join(failed),
                                     method="POST", path=path, reason="; ".join(failed))
        return answer


def _is_client(client):
    """A client that sends (not the recorder ``request_line`` uses to show a step)."""
    return isinstance(client, EsClient)


def _error_text(error):
    if isinstance(error, dict):
        return str(error.get("message") or error.get("error") or error)
    return str(error or "no reason given")
