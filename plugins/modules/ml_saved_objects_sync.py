#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, mlops.elasticsearch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: ml_saved_objects_sync
short_description: Run Kibana's machine learning saved-object sync
version_added: 0.2.0
description:
  - Kibana keeps a saved object for each machine learning job, which says in which spaces Kibana shows it. Its
    sync (C(GET /api/ml/saved_objects/sync), a public API) makes the saved objects of jobs that lack one, deletes
    those of jobs that no longer exist, and adds or removes the datafeed id a saved object holds. Kibana runs it
    when it starts; this module runs it now, for example right after creating jobs through the Elasticsearch API.
  - The sync first runs simulated (C(simulate=true), which changes nothing); when it would do nothing, the task is
    not changed and nothing else is sent.
  - To put jobs in particular spaces, use M(mlops.elasticsearch.ml_job_spaces), which runs this sync itself for
    the jobs that need it.
author:
  - mlops.elasticsearch maintainers (@mlops-elasticsearch)
extends_documentation_fragment:
  - mlops.elasticsearch.kibana
  - mlops.elasticsearch.attributes
attributes:
  check_mode:
    support: full
    details: Runs only the simulated sync, and reports what the sync would do.
  diff_mode:
    support: full
    details:
      - The jobs the sync would act on, by what it would do (C(jobs_without_saved_object),
        C(saved_objects_of_deleted_jobs), C(datafeed_ids_to_add), C(datafeed_ids_to_remove)); after, none.
options:
  space:
    description:
      - The Kibana space the sync runs in (sent as C(/s/<space>/api/...)). It matters only with
        O(add_to_all_spaces=false), when the saved objects the sync makes go into this space.
      - When not set, the space of a O(kibana_url) ending in C(/s/<space>), else the default space.
    type: str
  add_to_all_spaces:
    description:
      - Whether the saved objects the sync makes go into every space (V(true)) or into O(space) only (V(false)).
      - When not set, the parameter is not sent, and Kibana's own default applies (every space, on current Kibana).
    type: bool
seealso:
  - module: mlops.elasticsearch.ml_job_spaces
  - name: Sync machine learning saved objects API
    description: Kibana's documentation of the sync this module runs.
    link: https://www.elastic.co/docs/api/doc/kibana/operation/operation-mlsync
"""

EXAMPLES = r"""
- name: Make Kibana show the jobs just created through Elasticsearch
  mlops.elasticsearch.ml_saved_objects_sync:
    kibana_url: https://kibana.example.com:5601
    kibana_api_key: "{{ vault_kibana_api_key }}"

- name: In a CI audit, report what the sync would do, without doing it
  mlops.elasticsearch.ml_saved_objects_sync:
  check_mode: true
  register: pending
"""

RETURN = r"""
sync:
  description:
    - Kibana's answer, C(savedObjectsCreated), C(savedObjectsDeleted), C(datafeedsAdded) and C(datafeedsRemoved),
      each by job type and job id with C(success); in check mode, or when nothing was to do, the simulated answer.
  returned: always
  type: dict
  sample: {savedObjectsCreated: {anomaly-detector: {web-latency: {success: true}}}, savedObjectsDeleted: {},
           datafeedsAdded: {}, datafeedsRemoved: {}}
actions:
  description: The sync request, when it was (or in check mode would be) sent.
  returned: always
  type: list
  elements: dict
  sample: [{action: sync, method: GET, path: api/ml/saved_objects/sync, note: create the saved object of web-latency}]
changes:
  description: What the sync changes (C(path)), with the jobs concerned (C(current)); C(desired) is empty.
  returned: always
  type: list
  elements: dict
  sample: [{path: jobs_without_saved_object, current: [web-latency], desired: []}]
"""

from ansible_collections.mlops.elasticsearch.plugins.module_utils._module import kibana_module, run_kibana_planner
from ansible_collections.mlops.elasticsearch.plugins.module_utils._options import saved_objects_sync_spec
from ansible_collections.mlops.elasticsearch.plugins.module_utils._job_spaces import run_sync


def main():
    module = kibana_module(saved_objects_sync_spec())
    result = run_kibana_planner(module, run_sync)
    (module.fail_json if result.get("failed") else module.exit_json)(**result)


if __name__ == "__main__":
    main()
