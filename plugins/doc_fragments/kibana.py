# -*- coding: utf-8 -*-
# Copyright (c) 2026, mlops.elasticsearch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Kibana connection options shared by the modules that talk to Kibana."""

from __future__ import annotations


class ModuleDocFragment(object):

    DOCUMENTATION = r"""
options:
  kibana_url:
    description:
      - Kibana's URL, with its base path if it is served under one (for example V(https://example.com/kibana)).
      - A trailing C(/s/<space>) is accepted and taken off, since the modules choose the space of each request.
      - If not set, the value of the E(KIBANA_URL) environment variable is used, then E(KIBANA_ENDPOINT) (the
        names Elastic's own tools read).
      - Mutually exclusive with O(kibana_cloud_id).
    type: str
  kibana_cloud_id:
    description:
      - The Cloud ID of an Elastic Cloud deployment; its Kibana URL is derived from it.
    type: str
  kibana_username:
    description:
      - User name for basic authentication with Kibana (Kibana checks it with Elasticsearch); requires
        O(kibana_password).
      - If not set, the value of the E(KIBANA_USERNAME) environment variable is used.
    type: str
  kibana_password:
    description:
      - Password for O(kibana_username).
      - If not set, the value of the E(KIBANA_PASSWORD) environment variable is used.
    type: str
  kibana_api_key:
    description:
      - "An Elasticsearch API key in its encoded form, sent to Kibana as C(Authorization: ApiKey ...)."
      - If not set, the value of the E(KIBANA_API_KEY) environment variable is used.
    type: str
  kibana_bearer_token:
    description:
      - "A bearer token, sent to Kibana as C(Authorization: Bearer ...)."
    type: str
  kibana_validate_certs:
    description: Whether to verify Kibana's TLS certificate. Turning this off is insecure and warns.
    type: bool
    default: true
  kibana_ca_path:
    description: A PEM file of the CA certificates to trust for Kibana's certificate, instead of the system's.
    type: path
  kibana_request_timeout:
    description: Seconds to wait for a response to one request to Kibana.
    type: float
    default: 30
  kibana_retries:
    description:
      - How many times a request to Kibana is retried, with exponential backoff and honouring C(Retry-After), on
        connection errors and on HTTP 429, 502, 503 and 504; writes only when Kibana provably did not act on them.
    type: int
    default: 3
notes:
  - Every request to Kibana carries C(kbn-xsrf), and the version header of its route
    (C(elastic-api-version), V(2023-10-31) for public routes, V(1) for internal ones, which also get
    C(x-elastic-internal-origin) so that a Kibana with C(server.restrictInternalApis) answers them).
  - Set the Kibana connection once with C(module_defaults) and the action group C(group/mlops.elasticsearch.kibana).
  - O(kibana_username), O(kibana_api_key) and O(kibana_bearer_token) are mutually exclusive. Credentials given to
    the task win over the environment, which then only completes them.
  - The credentials need the C(all) privilege of Kibana's Machine Learning feature in the spaces the jobs move
    between (the C(kibana_admin) role or a superuser have it everywhere).
"""
