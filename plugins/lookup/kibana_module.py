# -*- coding: utf-8 -*-
# Copyright (c) 2026, mlops.elasticsearch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: kibana_module
version_added: 0.2.0
short_description: Read a Kibana ML module's directory (manifest.json and its ml/ files)
description:
  - Reads C(manifest.json) of a Kibana machine learning module directory and every job and datafeed file it names
    (under C(ml/), as Kibana lays modules out), for P(mlops.elasticsearch.from_kibana_module#filter).
  - Relative paths are searched like the C(file) lookup's (the play's and role's C(files) directories).
author:
  - mlops.elasticsearch maintainers (@mlops-elasticsearch)
options:
  _terms:
    description: Module directories.
    type: list
    elements: path
    required: true
seealso:
  - plugin: mlops.elasticsearch.from_kibana_module
    plugin_type: filter
"""

EXAMPLES = r"""
- name: The nginx module's jobs as role input
  ansible.builtin.set_fact:
    nginx_jobs: "{{ lookup('mlops.elasticsearch.kibana_module', 'modules/nginx_ecs')
                    | mlops.elasticsearch.from_kibana_module(index_pattern='logs-nginx.access-*') }}"
"""

RETURN = r"""
_raw:
  description: One C({manifest, files}) per directory; C(files) maps each file the manifest names to its JSON.
  type: list
  elements: dict
"""

import json
import os

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        out = []
        for term in terms:
            directory = self.find_file_in_search_path(variables, "files", term) or term
            if not os.path.isdir(directory):
                raise AnsibleLookupError("kibana_module: %s is not a directory" % term)
            manifest = _read(os.path.join(directory, "manifest.json"))
            files = {}
            for entry in list(manifest.get("jobs") or []) + list(manifest.get("datafeeds") or []):
                name = entry.get("file") if isinstance(entry, dict) else None
                if name and name not in files:
                    files[name] = _read(os.path.join(directory, "ml", name))
            out.append({"manifest": manifest, "files": files})
        return out


def _read(path):
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError) as exc:
        raise AnsibleLookupError("kibana_module: cannot read %s: %s" % (path, exc))
