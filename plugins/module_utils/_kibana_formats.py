# -*- coding: utf-8 -*-
# Copyright (c) 2026, mlops.elasticsearch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Kibana's job formats as the role's input: a Kibana ML module (its manifest and job and datafeed files) and a
Kibana job export (``[{job, datafeed}]``), turned into the role's ``anomaly_detection_jobs`` list.

Pure data transforms, used by the filter plugins ``from_kibana_module`` and ``from_kibana_export``. The module
rules follow Kibana's module setup (``x-pack/platform/plugins/shared/ml/server/models/data_recognizer/
data_recognizer.ts``, ``DataRecognizer.getModule``/``setup``); the export shape follows Kibana's job export and
import (``components/import_export_jobs``: ``jobForCloning`` per job, one object when one job is exported).

FOR INTERNAL COLLECTION USE ONLY: the interfaces here may change in any release.
Python versions supported: 3.9 and later.
"""

from __future__ import annotations

import copy
import re

INDEX_PATTERN_NAME = "INDEX_PATTERN_NAME"
INDEX_PATTERN_ID = "INDEX_PATTERN_ID"
# datafeed override keys whose objects replace the module's instead of merging into them (Kibana's overwriteObjects)
REPLACED_DATAFEED_KEYS = ("query", "aggregations", "aggs", "script_fields")


class FormatError(ValueError):
    """Input that is not what Kibana writes, or options that do not fit it; the message names where."""


def prefix_datafeed_id(datafeed_id, prefix):
    """Kibana's prefixDatafeedId: the prefix goes after ``datafeed-``, which is added when missing."""
    if datafeed_id.startswith("datafeed-"):
        return "datafeed-%s%s" % (prefix, datafeed_id[len("datafeed-"):])
    return "datafeed-%s%s" % (prefix, datafeed_id)


def merge(target, update):
    """Kibana's override merge (lodash ``merge``, then its arrays replaced whole): objects merge key by key, arrays
    and other values replace."""
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)
    return target


def _check_prefix(prefix):
    """A prefix must keep ids valid: lowercase letters, digits, hyphens, underscores, dots, not starting with one of
    the last three (ES MlStrings)."""
    prefix = prefix or ""
    if prefix and not re.match(r"[a-z0-9][a-z0-9_.-]*\Z", prefix):
        raise FormatError("prefix %r would make invalid job ids: use lowercase letters, digits, hyphens, underscores "
                          "or dots, starting with a letter or digit" % prefix)
    return prefix


def _as_list(value, what):
    if value is None:
        return []
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list) and all(isinstance(v, dict) for v in value):
        return value
    raise FormatError("%s must be an object or a list of objects (Kibana's format), got %s" % (what, type(value).__name__))


def _split_patterns(index_pattern):
    return [p.strip() for p in str(index_pattern).split(",") if p.strip()]


def _module_parts(module):
    """(manifest, jobs [(id, config)], datafeeds [(id, job_id, config)]) of a file-based module (``{"manifest": ...,
    "files": {file: content}}``, as the ``kibana_module`` lookup reads a module's directory) or of a module whose
    manifest holds the configs (``jobs[].config``, as integration packages carry them)."""
    if not isinstance(module, dict):
        raise FormatError("the module must be an object: its manifest (with jobs[].config), or {manifest, files}")
    manifest = module.get("manifest", module)
    files = module.get("files") or {}
    if not isinstance(manifest, dict) or not isinstance(manifest.get("jobs"), list):
        raise FormatError("the module's manifest has no jobs list: is this a Kibana ML module's manifest.json?")
    name = manifest.get("id", "module")
    jobs, datafeeds = [], []
    for index, job in enumerate(manifest["jobs"]):
        where = "module %s: jobs[%d]" % (name, index)
        if not isinstance(job, dict) or not job.get("id"):
            raise FormatError("%s has no id" % where)
        jobs.append((job["id"], copy.deepcopy(_config(job, files, where))))
    for index, feed in enumerate(manifest.get("datafeeds") or []):
        where = "module %s: datafeeds[%d]" % (name, index)
        if not isinstance(feed, dict) or not feed.get("id") or not feed.get("job_id"):
            raise FormatError("%s needs id and job_id" % where)
        datafeeds.append((feed["id"], feed["job_id"], copy.deepcopy(_config(feed, files, where))))
    return manifest, jobs, datafeeds


def _config(entry, files, where):
    if "config" in entry:
        config = entry["config"]
    elif "file" in entry:
        if entry["file"] not in files:
            raise FormatError("%s names file %s, which is not among the module's files (%s)"
                              % (where, entry["file"], ", ".join(sorted(files)) or "none"))
        config = files[entry["file"]]
    else:
        raise FormatError("%s has neither config nor file" % where)
    if not isinstance(config, dict):
        raise FormatError("%s: its config is not a JSON object" % where)
    return config


def from_module(module, index_pattern=None, prefix="", query=None, groups=None, job_overrides=None,
                datafeed_overrides=None, data_view_id=None, dedicated_index=False, state=None):
    """The role's job list for a Kibana ML module, set up as Kibana's module setup would set it up."""
    prefix = _check_prefix(prefix)
    manifest, jobs, datafeeds = _module_parts(module)
    name = manifest.get("id", "module")
    jobs = [(prefix + job_id, config) for job_id, config in jobs]
    by_job = dict(jobs)
    feeds = []
    for feed_id, job_id, config in datafeeds:
        config["job_id"] = prefix + job_id  # the module's job, whatever job_id its file says
        if config["job_id"] not in by_job:
            raise FormatError("module %s: datafeed %s is for job %s, which the module does not have"
                              % (name, feed_id, job_id))
        feeds.append((prefix_datafeed_id(feed_id, prefix), config))
    _override_jobs(name, jobs, job_overrides, prefix)
    _override_datafeeds(name, feeds, datafeed_overrides, prefix)
    pattern = index_pattern if index_pattern not in (None, "") else manifest.get("defaultIndexPattern")
    if not pattern:
        raise FormatError("module %s has no defaultIndexPattern: give index_pattern, the indices its datafeeds read"
                          % name)
    for feed_id, config in feeds:
        indices = config.pop("indexes", None)
        indices = config.get("indices") if indices is None else indices
        replaced = []
        for index in indices or []:
            replaced.extend(_split_patterns(pattern) if index == INDEX_PATTERN_NAME else [index])
        config["indices"] = replaced
        if query is not None:
            config["query"] = copy.deepcopy(query)
        if "aggs" in config:  # the alias ES also takes; one name, so that a re-run compares like with like
            config["aggregations"] = config.pop("aggs")
    for job_id, config in jobs:
        for url in (config.get("custom_settings") or {}).get("custom_urls") or []:
            value = url.get("url_value", "") if isinstance(url, dict) else ""
            if INDEX_PATTERN_ID in value:
                if not data_view_id:
                    raise FormatError("module %s: job %s has custom URLs that need a Kibana data view: give "
                                      "data_view_id, the id of the data view for %s" % (name, job_id, pattern))
                url["url_value"] = value.replace(INDEX_PATTERN_ID, data_view_id)
        if groups is not None:
            config["groups"] = list(groups)
        if dedicated_index:
            config["results_index_name"] = job_id
        config.pop("job_id", None)
    out = []
    feed_of = dict((config["job_id"], (feed_id, config)) for feed_id, config in feeds)
    for job_id, config in jobs:
        entry = {"job_id": job_id, "config": config}
        if state is not None:
            entry["state"] = state
        if job_id in feed_of:
            feed_id, feed_config = feed_of[job_id]
            feed_config = dict((k, v) for k, v in feed_config.items() if k != "job_id")
            entry["datafeed"] = {"datafeed_id": feed_id, "config": feed_config}
        out.append(entry)
    return out


def _override_jobs(name, jobs, overrides, prefix):
    """Kibana's applyJobConfigOverrides: an override without job_id goes to every job, one with it to that job."""
    by_id = dict(jobs)
    items = _as_list(overrides, "job_overrides")
    for item in [o for o in items if o.get("job_id") is None]:
        for _job_id, config in jobs:
            merge(config, item)
    for item in [o for o in items if o.get("job_id") is not None]:
        item = dict(item)
        target = prefix + str(item.pop("job_id"))
        if target not in by_id:
            raise FormatError("job_overrides: job %s is not a job of module %s (its jobs: %s)"
                              % (target, name, ", ".join(sorted(by_id))))
        merge(by_id[target], item)


def _override_datafeeds(name, feeds, overrides, prefix):
    """Kibana's applyDatafeedConfigOverrides: an override naming neither datafeed_id nor job_id goes to every
    datafeed, others to the datafeed ``prefix_datafeed_id(datafeed_id or job_id)``; query, aggregations and
    script_fields replace the module's rather than merge into them."""
    by_id = dict(feeds)
    for item in _as_list(overrides, "datafeed_overrides"):
        item = dict(item)
        named = item.pop("datafeed_id", None)
        job_id = item.pop("job_id", None)
        if named is None and job_id is None:
            targets = [config for _feed_id, config in feeds]
        else:
            feed_id = prefix_datafeed_id(str(named if named is not None else job_id), prefix)
            if feed_id not in by_id:
                raise FormatError("datafeed_overrides: datafeed %s is not a datafeed of module %s (its datafeeds: %s)"
                                  % (feed_id, name, ", ".join(sorted(by_id))))
            targets = [by_id[feed_id]]
        for config in targets:
            merge(config, item)
            for key in REPLACED_DATAFEED_KEYS:
                if isinstance(item.get(key), dict):
                    config[key] = copy.deepcopy(item[key])


# -- Kibana's job export ---------------------------------------------------------------------------------------

def _export_items(data):
    """(job, datafeed or None) pairs of an export: Kibana's ``[{job, datafeed}]`` (one object when it exported one
    job), or jobs as GET returns them (``{"jobs": [...]}`` or a list), their datafeed in ``datafeed_config``."""
    if isinstance(data, dict) and isinstance(data.get("jobs"), list):
        data = data["jobs"]
    items = data if isinstance(data, list) else [data]
    out = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise FormatError("export[%d] is not an object" % index)
        if "job" in item:
            job = copy.deepcopy(item["job"])
            feed = copy.deepcopy(item.get("datafeed"))
        else:
            job, feed = copy.deepcopy(item), None
        if not isinstance(job, dict) or not job.get("job_id"):
            raise FormatError("export[%d] has no job with a job_id: is this a Kibana anomaly detection job export?"
                              % index)
        nested = job.pop("datafeed_config", None)
        if feed is None:
            feed = nested
        if job.get("job_type") not in (None, "anomaly_detector"):
            raise FormatError("export[%d] (%s) is a %s job, not an anomaly detection job" % (index, job["job_id"],
                                                                                             job["job_type"]))
        out.append((job, feed))
    return out


def from_export(data, prefix="", groups=None, rename=None, state=None):
    """The role's job list for a Kibana job export: ids renamed (``rename``: old id to new) and prefixed, groups
    added, each datafeed's id following its job's as Kibana's import renames it (``datafeed-<job id>``)."""
    prefix = _check_prefix(prefix)
    rename = rename or {}
    if not isinstance(rename, dict):
        raise FormatError("rename must be a mapping of exported job ids to new ones")
    items = _export_items(data)
    known = set(job["job_id"] for job, _feed in items)
    unknown = sorted(set(rename) - known)
    if unknown:
        raise FormatError("rename names %s, which the export does not have (its jobs: %s)"
                          % (", ".join(unknown), ", ".join(sorted(known))))
    out, seen = [], set()
    for job, feed in items:
        old = job.pop("job_id")
        new = prefix + str(rename.get(old, old))
        if new in seen:
            raise FormatError("two exported jobs would both be %s; rename one" % new)
        seen.add(new)
        if groups:
            job["groups"] = list(job.get("groups") or []) + [g for g in groups if g not in (job.get("groups") or [])]
        entry = {"job_id": new}
        calendars = job.pop("calendars", None)  # Kibana adds the job's calendars to what it shows and exports
        entry["config"] = job
        if calendars:
            entry["calendars"] = list(calendars)
        if state is not None:
            entry["state"] = state
        if feed:
            feed = dict(feed)
            feed_id = feed.pop("datafeed_id", None)
            feed.pop("job_id", None)
            if "indexes" in feed and "indices" not in feed:
                feed["indices"] = feed.pop("indexes")
            if new != old or not feed_id:
                feed_id = "datafeed-%s" % new
            entry["datafeed"] = {"datafeed_id": feed_id, "config": feed}
        out.append(entry)
    return out


def filter_ids(job_config):
    """The filters a job's custom rules name in their scope (what Kibana's import checks)."""
    out = []
    for detector in ((job_config or {}).get("analysis_config") or {}).get("detectors") or []:
        for rule in (detector or {}).get("custom_rules") or []:
            for scope in ((rule or {}).get("scope") or {}).values():
                if isinstance(scope, dict) and scope.get("filter_id") and scope["filter_id"] not in out:
                    out.append(scope["filter_id"])
    return out
