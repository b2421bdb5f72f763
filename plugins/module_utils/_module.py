# -*- coding: utf-8 -*-
# Copyright (c) 2026, mlops.elasticsearch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What every module's main() does around its own work: the AnsibleModule, the client, errors as results.

The helpers return values; main() alone calls exit_json and fail_json (STYLE.md).

FOR INTERNAL COLLECTION USE ONLY: the interfaces here may change in any release.
Python versions supported: 3.9 and later.
"""

from __future__ import annotations

import os

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.mlops.elasticsearch.plugins.module_utils._client import (
    CONNECTION_MUTUALLY_EXCLUSIVE, CONNECTION_REQUIRED_BY, CONNECTION_REQUIRED_TOGETHER, HAS_REQUESTS,
    REQUESTS_IMPORT_ERROR, ElasticsearchError, EsClient, connection_argument_spec, resolve_credentials)
from ansible_collections.mlops.elasticsearch.plugins.module_utils._options import ConfigError
from ansible_collections.mlops.elasticsearch.plugins.module_utils._ml_api import MlApi
from ansible_collections.mlops.elasticsearch.plugins.module_utils._reconcile import ReconcileError


def elasticsearch_module(options, kibana=False, **kwargs):
    """An AnsibleModule with the module's ``options`` and the shared connection options and constraints; with
    ``kibana``, the Kibana connection options too (a module that also asks Kibana when one is given)."""
    spec = connection_argument_spec()
    exclusive = list(CONNECTION_MUTUALLY_EXCLUSIVE)
    if kibana:
        from ansible_collections.mlops.elasticsearch.plugins.module_utils._kibana import (
            KIBANA_MUTUALLY_EXCLUSIVE, kibana_argument_spec)
        spec.update(kibana_argument_spec())
        exclusive += KIBANA_MUTUALLY_EXCLUSIVE
    spec.update(options)
    return AnsibleModule(argument_spec=spec, supports_check_mode=True,
                         mutually_exclusive=exclusive,
                         required_together=CONNECTION_REQUIRED_TOGETHER, required_by=CONNECTION_REQUIRED_BY, **kwargs)


def kibana_module(options, mutually_exclusive_more=(), **kwargs):
    """An AnsibleModule with the module's ``options`` and the Kibana connection options (no Elasticsearch ones)."""
    from ansible_collections.mlops.elasticsearch.plugins.module_utils._kibana import (
        KIBANA_MUTUALLY_EXCLUSIVE, kibana_argument_spec)
    spec = kibana_argument_spec()
    spec.update(options)
    return AnsibleModule(argument_spec=spec, supports_check_mode=True,
                         mutually_exclusive=KIBANA_MUTUALLY_EXCLUSIVE + list(mutually_exclusive_more), **kwargs)


def kibana_api(module):
    """A KibanaApi from the module's kibana_* params; the secrets taken from the environment are masked."""
    from ansible_collections.mlops.elasticsearch.plugins.module_utils._kibana import (
        KibanaApi, KibanaClient, resolve_kibana_credentials)
    for secret in resolve_kibana_credentials(module.params, os.environ):
        module.no_log_values.add(secret)
    return KibanaApi(KibanaClient.from_params(module.params, warn=module.warn))


def run_kibana_planner(module, run):
    """A Kibana planner's ``run`` (``_job_spaces.run``, ...), as run_planner does it for Elasticsearch ones."""
    return run_with_kibana(module, lambda api: run(api, module.params, check_mode=module.check_mode,
                                                   diff_mode=module._diff, warn=module.warn))


def run_with_kibana(module, work):
    """Call ``work(kibana_api)``; its result, or on a failure the fail_json arguments (with ``failed``)."""
    if not HAS_REQUESTS:
        return dict(failed=True, msg=missing_required_lib("requests"), exception=REQUESTS_IMPORT_ERROR)
    api = None
    try:
        api = kibana_api(module)
        return work(api)
    except (ElasticsearchError, ReconcileError) as exc:
        return dict(exc.to_fail_json(), failed=True)
    except ConfigError as exc:
        return dict(failed=True, msg=str(exc))
    finally:
        if api is not None and api.client.retry_summary():
            module.warn(api.client.retry_summary().replace("Elasticsearch requests", "Kibana requests"))


def run_planner(module, run):
    """A planner's ``run`` (``_filter.run``, ...) with the module's params, check mode, diff mode and warnings."""
    return run_with_api(module, lambda api: run(api, module.params, check_mode=module.check_mode, diff_mode=module._diff,
                                                warn=module.warn))


def run_with_api(module, work):
    """Call ``work(api)``; its result, or on a failure the fail_json arguments (with ``failed``). main() ends with
    ``(module.fail_json if result.get("failed") else module.exit_json)(**result)``."""
    if not HAS_REQUESTS:
        return dict(failed=True, msg=missing_required_lib("requests"), exception=REQUESTS_IMPORT_ERROR)
    client = None
    try:
        for secret in resolve_credentials(module.params, os.environ):
            module.no_log_values.add(secret)  # masked wherever Ansible prints, like a no_log option
        client = EsClient.from_params(module.params, warn=module.warn)
        return work(MlApi(client))
    except (ElasticsearchError, ReconcileError) as exc:
        return dict(exc.to_fail_json(), failed=True)
    except ConfigError as exc:
        return dict(failed=True, msg=str(exc))
    finally:
        if client is not None:
            if client.retry_summary():
                module.warn(client.retry_summary())
            for text in client.deprecations:
                # Elasticsearch's own deprecation, passed on as it said it: it names no version to remove it in,
                # so none is given (the task result shows it as a deprecation to be removed in a future release)
                module.deprecate("Elasticsearch: %s" % text)  # pylint: disable=ansible-deprecated-no-version
