#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, mlops.elasticsearch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: ml_job_spaces
short_description: Put anomaly detection jobs in the Kibana spaces that should show them
version_added: 0.2.0
description:
  - Kibana shows a machine learning job in the spaces its ML saved object is in. This module sets those spaces,
    exactly (O(spaces)), or by adding and removing some (O(spaces_to_add), O(spaces_to_remove)); for one job, a
    list of jobs, or per job (O(jobs)).
  - A job made through the Elasticsearch API has no saved object until Kibana's ML saved-object sync runs (when
    Kibana starts, then hourly), so Kibana shows it in no space. With O(sync_missing) the module runs that sync
    first for such a job. The sync is cluster-wide, so it first runs simulated, and when it would also delete the saved
    objects of deleted jobs, or remove the ids of deleted datafeeds (a clean-up of other jobs), the module stops
    before any write unless O(allow_cleanup=true). Saved objects it makes for other jobs go into every space, as
    Kibana's own hourly task makes them.
  - Reads use Kibana's internal C(GET /internal/ml/saved_objects/jobs_spaces) route, the only one that lists a job's
    spaces. Writes use the public C(POST /api/ml/saved_objects/update_jobs_spaces) route of Kibana 9.3 and later;
    on an earlier Kibana, which answers 404 there, its internal C(/internal/ml/saved_objects/update_jobs_spaces)
    route. The sync is public (C(GET /api/ml/saved_objects/sync)).
  - Kibana finds a job only through a space it is in, so each change is sent through one of the job's present
    spaces; jobs that move alike are changed in one request.
  - A job cannot be in no space (Kibana refuses it); delete the job with M(mlops.elasticsearch.ml_anomaly_job)
    instead.
author:
  - mlops.elasticsearch maintainers (@mlops-elasticsearch)
extends_documentation_fragment:
  - mlops.elasticsearch.kibana
  - mlops.elasticsearch.attributes
attributes:
  check_mode:
    support: full
    details:
      - Reads the jobs' spaces and Kibana's spaces and, for a job without a saved object, runs the sync simulated
        (C(simulate=true), which changes nothing); returns the plan in RV(actions) without sending any write.
  diff_mode:
    support: full
    details: Each job's sorted spaces before and after (V(null) for a job without a saved object).
options:
  job_id:
    description:
      - The job, or a list of jobs, whose spaces O(spaces), O(spaces_to_add) or O(spaces_to_remove) set.
      - Mutually exclusive with O(jobs).
    type: list
    elements: str
  jobs:
    description:
      - Jobs each with their own spaces, set in one task (one read, one request per group of jobs that move alike).
      - Mutually exclusive with O(job_id), O(spaces), O(spaces_to_add) and O(spaces_to_remove).
    type: list
    elements: dict
    suboptions:
      job_id:
        description: The job.
        type: str
        required: true
      spaces:
        description: Its spaces, exactly, as O(spaces) takes them.
        type: list
        elements: str
        required: true
  spaces:
    description:
      - The spaces the jobs are in, exactly; the jobs are added to the others and removed from the rest.
      - V(*) means every space, present and future, and stands alone (as Kibana writes it).
    type: list
    elements: str
  spaces_to_add:
    description:
      - Spaces to add the jobs to, keeping the others. Adding V(*) leaves the jobs in every space, and only there.
    type: list
    elements: str
  spaces_to_remove:
    description: Spaces to remove the jobs from, keeping the others; a job must stay in at least one.
    type: list
    elements: str
  sync_missing:
    description:
      - Whether to run Kibana's ML saved-object sync for a job that has no saved object yet. With V(false), such a
        job fails the task, naming M(mlops.elasticsearch.ml_saved_objects_sync).
    type: bool
    default: true
  allow_cleanup:
    description:
      - Whether the sync O(sync_missing) runs may also clean up after other jobs (delete the saved objects of
        deleted jobs, remove the ids of deleted datafeeds). With V(false) the task stops, before any write, when it
        would.
    type: bool
    default: false
  created_job_ids:
    description:
      - Jobs that the same run creates before this task. In check mode nothing is created, so such a job is not in
        Elasticsearch yet; named here, it is planned as the sync would find it, rather than refused as unknown.
        The role P(mlops.elasticsearch.anomaly_detection#role) passes its jobs here.
    type: list
    elements: str
    default: []
notes:
  - Kibana's spaces must exist; a space the task names that Kibana does not have fails the task before any write.
seealso:
  - module: mlops.elasticsearch.ml_saved_objects_sync
  - module: mlops.elasticsearch.ml_anomaly_job_info
  - name: Kibana's machine learning APIs
    description: The sync API (public) and how saved objects follow jobs.
    link: https://www.elastic.co/docs/api/doc/kibana/group/endpoint-ml
"""

EXAMPLES = r"""
- name: Show the job in the security space only
  mlops.elasticsearch.ml_job_spaces:
    kibana_url: https://kibana.example.com:5601
    kibana_api_key: "{{ vault_kibana_api_key }}"
    job_id: auth-failures
    spaces: [security]

- name: Also show two jobs to the operations team
  mlops.elasticsearch.ml_job_spaces:
    job_id: [web-latency, web-errors]
    spaces_to_add: [ops]

- name: Each job in its own spaces, in one task
  mlops.elasticsearch.ml_job_spaces:
    jobs:
      - {job_id: auth-failures, spaces: [security]}
      - {job_id: web-latency, spaces: [ops, default]}
      - {job_id: capacity, spaces: ["*"]}
"""

RETURN = r"""
jobs:
  description: Each job's Kibana spaces, sorted, after the task (in check mode, as they are now).
  returned: always
  type: dict
  sample: {auth-failures: [security], capacity: ["*"]}
sync:
  description:
    - Kibana's sync answer (C(savedObjectsCreated), C(savedObjectsDeleted), C(datafeedsAdded), C(datafeedsRemoved),
      each by job type and job id); in check mode the simulated one.
  returned: when a job had no saved object
  type: dict
  sample: {savedObjectsCreated: {anomaly-detector: {auth-failures: {success: true}}}, savedObjectsDeleted: {},
           datafeedsAdded: {}, datafeedsRemoved: {}}
actions:
  description: The requests the task sent (or, in check mode, would send), in order.
  returned: always
  type: list
  elements: dict
  sample:
    - action: update_jobs_spaces
      method: POST
      path: api/ml/saved_objects/update_jobs_spaces
      note: jobs auth-failures, through space default
changes:
  description: Each job whose spaces change (C(path) is its id), with its C(current) and C(desired) spaces.
  returned: always
  type: list
  elements: dict
  sample: [{path: auth-failures, current: ["*"], desired: [security]}]
"""

from ansible_collections.mlops.elasticsearch.plugins.module_utils._module import kibana_module, run_kibana_planner
from ansible_collections.mlops.elasticsearch.plugins.module_utils._options import JOB_SPACES_EXCLUSIVE, job_spaces_spec
from ansible_collections.mlops.elasticsearch.plugins.module_utils._job_spaces import run


def main():
    module = kibana_module(job_spaces_spec(), mutually_exclusive_more=JOB_SPACES_EXCLUSIVE)
    result = run_kibana_planner(module, run)
    (module.fail_json if result.get("failed") else module.exit_json)(**result)


if __name__ == "__main__":
    main()
