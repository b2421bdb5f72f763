# -*- coding: utf-8 -*-
# Copyright (c) 2026, mlops.elasticsearch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Kibana spaces of anomaly detection jobs (ml_job_spaces), and Kibana's ML saved-object sync
(ml_saved_objects_sync): two planners with the engine's four steps, over KibanaApi.

Requests of ml_job_spaces: it reads the jobs' spaces (1) and Kibana's spaces (1); when a job has no saved object
yet, a simulated sync (1, a GET that changes nothing); then at most one sync and one update per space the jobs are
moved through.

FOR INTERNAL COLLECTION USE ONLY: the interfaces here may change in any release.
Python versions supported: 3.9 and later.
"""

from __future__ import annotations

from ansible_collections.mlops.elasticsearch.plugins.module_utils._compare import Change
from ansible_collections.mlops.elasticsearch.plugins.module_utils._kibana import AD, ALL_SPACES, KibanaApi
from ansible_collections.mlops.elasticsearch.plugins.module_utils._options import ConfigError, validate_id
from ansible_collections.mlops.elasticsearch.plugins.module_utils._reconcile import (
    Action, Facts, Plan, Planner, ReconcileError, converge)

SYNC_KEYS = (("savedObjectsCreated", "jobs_without_saved_object"), ("savedObjectsDeleted", "saved_objects_of_deleted_jobs"),
             ("datafeedsAdded", "datafeed_ids_to_add"), ("datafeedsRemoved", "datafeed_ids_to_remove"))
CLEANUP = ("savedObjectsDeleted", "datafeedsRemoved")


# -- ml_job_spaces ----------------------------------------------------------------------------------------------

def declare(params, warn):
    """One entry per job: ``(job_id, spaces)`` exact, or ``(job_id, None, to_add, to_remove)``."""
    entries = []
    if params.get("jobs"):
        for index, item in enumerate(params["jobs"]):
            where = "jobs[%d]" % index
            if not isinstance(item, dict) or not item.get("job_id"):
                raise ConfigError("%s needs a job_id" % where)
            unknown = sorted(set(item) - set(("job_id", "spaces")))
            if unknown:
                raise ConfigError("%s: unknown key(s) %s; each entry takes job_id and spaces" % (where, ", ".join(unknown)))
            if not isinstance(item.get("spaces"), list):
                raise ConfigError("%s (job %s) needs spaces, a list of Kibana space ids" % (where, item["job_id"]))
            entries.append((str(item["job_id"]), _exact("%s.spaces" % where, item["spaces"]), None, None))
    else:
        job_ids = params.get("job_id") or []
        if not job_ids:
            raise ConfigError("give job_id (one job or a list), or jobs")
        if params.get("spaces") is not None:
            spaces = _exact("spaces", params["spaces"])
            entries = [(job_id, spaces, None, None) for job_id in job_ids]
        else:
            add = _names("spaces_to_add", params.get("spaces_to_add") or [])
            remove = _names("spaces_to_remove", params.get("spaces_to_remove") or [])
            if not add and not remove:
                raise ConfigError("give spaces, or spaces_to_add and/or spaces_to_remove")
            both = sorted(set(add) & set(remove))
            if both:
                raise ConfigError("spaces_to_add and spaces_to_remove both name %s" % ", ".join(both))
            entries = [(job_id, None, add, remove) for job_id in job_ids]
    seen = set()
    for entry in entries:
        validate_id("job_id", entry[0])
        if entry[0] in seen:
            raise ConfigError("job %s is listed twice" % entry[0])
        seen.add(entry[0])
    return Facts(entries=entries, sync_missing=params.get("sync_missing", True),
                 allow_cleanup=bool(params.get("allow_cleanup")), created=set(params.get("created_job_ids") or []))


def read(api, declared, check_mode):
    jobs = api.get_jobs_spaces()
    named = set(s for e in declared.entries for s in (e[1] or []) + (e[2] or []) + (e[3] or [])) - set([ALL_SPACES])
    spaces = [s.get("id") for s in api.get_spaces() or []] if named else None
    missing = [e[0] for e in declared.entries if e[0] not in jobs]
    simulated = api.sync(simulate=True) if missing and declared.sync_missing else None
    return Facts(jobs=jobs, spaces=spaces, missing=missing, simulated=simulated)


def plan(current, declared):
    out = Plan("Kibana's view of job(s) %s" % ", ".join(e[0] for e in declared.entries), start_state="as it was")
    if current.spaces is not None:
        unknown = sorted(set(s for e in declared.entries for s in (e[1] or []) + (e[2] or [])
                             if s != ALL_SPACES) - set(current.spaces))
        if unknown:
            raise ReconcileError("Kibana has no space %s (it has: %s); create it first (Kibana's spaces API), or fix "
                                 "the name" % (", ".join(unknown), ", ".join(sorted(current.spaces))))
    if current.missing:
        _plan_sync(out, current, declared)
    groups = {}
    for job_id, spaces, add, remove in declared.entries:
        have = current.jobs.get(job_id)
        want = _after(have or [], spaces, add, remove, job_id)
        out.before[job_id] = _shown(have)
        out.after[job_id] = _shown(want)
        if have is not None and set(have) == set(want):
            continue
        out.changes.append(Change(job_id, _shown(have), _shown(want), True))
        if have is None:
            # a new object is in every space (the public sync's default) or, on a Kibana that defaults otherwise, in
            # the default space the sync was sent through: removing both reaches the same end from either
            through, to_add, to_remove = "default", sorted(set(want)), sorted(set([ALL_SPACES, "default"]) - set(want))
        else:
            through = "default" if (ALL_SPACES in have or "default" in have) else sorted(have)[0]
            to_add, to_remove = sorted(set(want) - set(have)), sorted(set(have) - set(want))
        groups.setdefault((through, tuple(to_add), tuple(to_remove)), []).append(job_id)
    for (through, to_add, to_remove), job_ids in sorted(groups.items()):
        out.add(Action("update_jobs_spaces", {"job_ids": job_ids, "spaces_to_add": list(to_add),
                                              "spaces_to_remove": list(to_remove), "space": through},
                       api_class=KibanaApi, leaves="with %s moved" % ", ".join(job_ids),
                       note="jobs %s, through space %s" % (", ".join(job_ids), through)))
    return out


def _plan_sync(out, current, declared):
    if not declared.sync_missing:
        raise ReconcileError("job(s) %s have no Kibana saved object yet, so Kibana does not show them in any space; "
                             "set sync_missing: true, or run mlops.elasticsearch.ml_saved_objects_sync first"
                             % ", ".join(current.missing))
    created = (current.simulated.get("savedObjectsCreated") or {}).get(AD) or {}
    # a job the same run creates first (the role in check mode) is planned as if Elasticsearch had it already
    absent = [j for j in current.missing if j not in created and j not in declared.created]
    if absent:
        raise ReconcileError("job(s) %s are not anomaly detection jobs of the Elasticsearch cluster this Kibana uses, "
                             "so its sync would make no saved object for them: create them first "
                             "(mlops.elasticsearch.ml_anomaly_job), or check that kibana_url is the Kibana of that "
                             "cluster" % ", ".join(absent))
    cleanup = _listed(current.simulated, CLEANUP)
    if cleanup and not declared.allow_cleanup:
        raise ReconcileError("Kibana's sync, which makes the missing saved objects of %s, would also clean up: %s. "
                             "That is a change to other jobs this task was not asked for: run "
                             "mlops.elasticsearch.ml_saved_objects_sync to do it, or set allow_cleanup: true"
                             % (", ".join(current.missing), "; ".join(cleanup)))
    others = sorted(set(created) - set(current.missing))
    note = "makes the saved objects of %s" % ", ".join(current.missing)
    if others:
        note += "; Kibana's sync also makes those of %s, in every space, as its hourly task would" % ", ".join(others)
    out.add(Action("sync", {"simulate": False}, api_class=KibanaApi, note=note,
                   leaves="with the missing saved objects made, in every space"))


def _after(have, spaces, add, remove, job_id):
    if spaces is not None:
        return list(spaces)
    if ALL_SPACES in add:
        return [ALL_SPACES]  # every space, as Kibana writes it: the other spaces are left
    want = [s for s in have if s not in remove] + [s for s in add if s not in have]
    if not want:
        raise ReconcileError("job %s would be in no Kibana space (it is in %s); Kibana refuses that (\"Cannot remove "
                             "job from all spaces\"): add it to another space in the same task, or delete the job"
                             % (job_id, ", ".join(have) or "none"))
    return want


def _exact(name, spaces):
    spaces = _names(name, spaces)
    if not spaces:
        raise ConfigError("%s is empty: a job is in at least one Kibana space (use %s for every space)"
                          % (name, ALL_SPACES))
    return spaces


def _names(name, spaces):
    out = []
    for space in spaces:
        if not isinstance(space, str) or not space.strip():
            raise ConfigError("%s: %r is not a Kibana space id" % (name, space))
        if space not in out:
            out.append(space)
    if ALL_SPACES in out and len(out) > 1:
        raise ConfigError("%s: %s means every space and stands alone; give it without %s"
                          % (name, ALL_SPACES, ", ".join(s for s in out if s != ALL_SPACES)))
    return out


def _shown(spaces):
    return None if spaces is None else sorted(spaces)


def report(done, current, declared, check_mode):
    jobs = dict((e[0], _shown(current.jobs.get(e[0]))) for e in declared.entries)
    if not check_mode and done:
        jobs = dict(done.after)
    out = {"jobs": jobs}
    if current.simulated is not None:
        out["sync"] = done.results("sync")[0] if (not check_mode and done.results("sync")) else current.simulated
    return out


PLANNER = Planner(declare, read, plan, report)


def run(api, params, check_mode=False, diff_mode=False, warn=None):
    """What ml_job_spaces does; returns the module result."""
    return converge(api, PLANNER, params, check_mode, diff_mode, warn)


# -- ml_saved_objects_sync --------------------------------------------------------------------------------------

def declare_sync(params, warn):
    return Facts(space=params.get("space"), add_to_all_spaces=params.get("add_to_all_spaces"))


def read_sync(api, declared, check_mode):
    space = declared.space or getattr(api.client, "space", None)  # else the space a kibana_url's /s/<space> names
    return Facts(space=space, simulated=api.sync(simulate=True, space=space,
                                                 add_to_all_spaces=declared.add_to_all_spaces))


def plan_sync(current, declared):
    out = Plan("Kibana's ML saved objects", start_state="as they were")
    out.before = dict((name, sorted((current.simulated.get(key) or {}).get(AD) or {})) for key, name in SYNC_KEYS)
    out.after = dict((name, []) for _key, name in SYNC_KEYS)
    if any(out.before.values()):
        out.add(Action("sync", {"simulate": False, "space": current.space,
                                "add_to_all_spaces": declared.add_to_all_spaces},
                       api_class=KibanaApi, note="; ".join(_listed(current.simulated, [k for k, _n in SYNC_KEYS]))))
        out.changes = [Change(name, out.before[name], [], True) for _key, name in SYNC_KEYS if out.before[name]]
    return out


def report_sync(done, current, declared, check_mode):
    answer = current.simulated if check_mode or not done else done.results("sync")[0]
    return {"sync": answer}


SYNC_PLANNER = Planner(declare_sync, read_sync, plan_sync, report_sync)


def run_sync(api, params, check_mode=False, diff_mode=False, warn=None):
    """What ml_saved_objects_sync does; returns the module result."""
    return converge(api, SYNC_PLANNER, params, check_mode, diff_mode, warn)


def _listed(answer, keys):
    words = {"savedObjectsCreated": "create the saved object of", "savedObjectsDeleted":
             "delete the saved object of the deleted job", "datafeedsAdded": "add the datafeed id to",
             "datafeedsRemoved": "remove the deleted datafeed's id from"}
    return ["%s %s" % (words[key], ", ".join(sorted((answer.get(key) or {}).get(AD) or {})))
            for key in keys if (answer.get(key) or {}).get(AD)]
