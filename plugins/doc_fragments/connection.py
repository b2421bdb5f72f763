# -*- coding: utf-8 -*-
# Copyright (c) 2026, mlops.elasticsearch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The connection options shared by every module of the collection."""

from __future__ import annotations


class ModuleDocFragment(object):

    DOCUMENTATION = r"""
options:
  hosts:
    description:
      - Elasticsearch URLs, tried in order; the next one is used when a host cannot be reached.
      - A URL without a scheme is taken as C(http://).
      - If not set, the value of the E(ELASTICSEARCH_HOSTS) environment variable (a comma-separated list) is used;
        if that is not set, E(ELASTICSEARCH_URL), then E(ELASTICSEARCH_ENDPOINTS) (the names Elastic's own tools
        read, also comma-separated); and if none is set, V(http://localhost:9200).
      - Mutually exclusive with O(cloud_id).
    type: list
    elements: str
  cloud_id:
    description:
      - The Cloud ID of an Elastic Cloud deployment; its Elasticsearch URL is derived from it.
      - If not set, the value of the E(ELASTICSEARCH_CLOUD_ID) environment variable is used.
    type: str
  username:
    description:
      - User name for basic authentication; requires O(password).
      - If not set, the value of the E(ELASTICSEARCH_USERNAME) environment variable is used.
    type: str
  password:
    description:
      - Password for basic authentication.
      - If not set, the value of the E(ELASTICSEARCH_PASSWORD) environment variable is used.
    type: str
  api_key:
    description:
      - "An API key, sent as C(Authorization: ApiKey ...)."
      - Either the encoded key that Elasticsearch returns (C(encoded)), or, together with O(api_key_id), the key
        itself (C(api_key)).
      - If not set, the value of the E(ELASTICSEARCH_API_KEY) environment variable is used.
    type: str
  api_key_id:
    description:
      - The id of the API key given in O(api_key), when O(api_key) is not the encoded form.
      - If not set, the value of the E(ELASTICSEARCH_API_KEY_ID) environment variable is used.
    type: str
  bearer_token:
    description:
      - "A bearer token (for example an OAuth2 or service-account token), sent as C(Authorization: Bearer ...)."
      - If not set, the value of the E(ELASTICSEARCH_BEARER_TOKEN) environment variable is used.
    type: str
  validate_certs:
    description:
      - Whether to verify the cluster's TLS certificate. Turning this off is insecure and warns.
      - If not set, the value of the E(ELASTICSEARCH_VALIDATE_CERTS) environment variable is used.
    type: bool
    default: true
  ca_path:
    description:
      - A PEM file of the CA certificates to trust for the cluster's certificate, instead of the system's.
      - If not set, the value of the E(ELASTICSEARCH_CA_PATH) environment variable is used.
      - Mutually exclusive with O(ca_data).
    type: path
  ca_data:
    description:
      - The CA certificates to trust, as PEM text rather than a file (for example from a vault). The modules write
        it to a private temporary file for the TLS layer and remove it when they exit.
      - If not set, the value of the E(ELASTICSEARCH_CA_DATA) environment variable is used.
      - Mutually exclusive with O(ca_path).
    type: str
  ca_fingerprint:
    description:
      - The SHA-256 fingerprint of the certificate the cluster presents (64 hex digits, colons allowed), as
        C(openssl x509 -noout -fingerprint -sha256) prints it and as Elasticsearch prints it at first start.
      - When set, the connection is accepted when, and only when, the server's certificate has this fingerprint;
        the CA chain is not checked, so a self-signed cluster can be reached without its CA file.
      - If not set, the value of the E(ELASTICSEARCH_CA_FINGERPRINT) environment variable is used.
    type: str
  client_cert:
    description:
      - A PEM client certificate for TLS client authentication; requires O(client_key).
      - If not set, the value of the E(ELASTICSEARCH_CLIENT_CERT) environment variable is used.
    type: path
  client_key:
    description:
      - The PEM private key of O(client_cert).
      - If not set, the value of the E(ELASTICSEARCH_CLIENT_KEY) environment variable is used.
    type: path
  request_timeout:
    description:
      - Seconds to wait for a response to one HTTP request. Calls that ask Elasticsearch to wait (open, close, stop)
        wait at least as long as the timeout they pass.
      - If not set, the value of the E(ELASTICSEARCH_REQUEST_TIMEOUT) environment variable is used.
    type: float
    default: 30
  retries:
    description:
      - How many times a request is retried, with exponential backoff and honouring C(Retry-After), on connection
        errors and on HTTP 429, 502, 503 and 504.
      - Calls that could act twice (create, open, start, delete) are retried only when Elasticsearch provably did
        not act on them (no connection was made, or it answered 429 or 503).
      - If not set, the value of the E(ELASTICSEARCH_RETRIES) environment variable is used.
    type: int
    default: 3
  es_secondary_authorization:
    description:
      - Credentials whose access a datafeed records, sent in Elasticsearch's C(es-secondary-authorization) header on
        the calls that record it (a datafeed's create, update and preview, and a job's create that carries its
        C(datafeed_config)), and on no other call.
      - Elasticsearch runs a datafeed with the roles of whoever last created or updated it. With this option, a
        pipeline key that has C(manage_ml) alone writes datafeeds that run as the reader key given here, and an
        update does not narrow what the datafeed can read.
      - An Authorization value (V(ApiKey <encoded>), V(Bearer <token>), V(Basic <base64>)), or an encoded API key
        alone.
      - If not set, the value of the E(ELASTICSEARCH_SECONDARY_AUTHORIZATION) environment variable is used.
    type: str
  upgrade_mode_wait:
    description:
      - Seconds to keep trying, every 5 seconds, a request that Elasticsearch refuses because machine learning is in
        upgrade mode (HTTP 429, C(... action while upgrade mode is enabled)). Such a request was refused before it
        ran, so trying it again is safe for every kind of call.
      - V(0) fails at once with a message that says upgrade mode is on and how to end it
        (M(mlops.elasticsearch.ml_upgrade_mode)).
    type: float
    default: 0
requirements:
  - requests >= 2.25 (on the host that runs the module)
notes:
  - Set the connection once for all modules of this collection with C(module_defaults) and the action group
    C(group/mlops.elasticsearch.elasticsearch).
  - >-
    O(username), O(api_key) and O(bearer_token) are mutually exclusive. Credentials given to the task (or by
    C(module_defaults)) win over the environment; the environment then only completes them (a password for a
    username), and credentials of another kind it exports are ignored.
"""
