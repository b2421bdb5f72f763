# -*- coding: utf-8 -*-
# Copyright (c) 2026, mlops.elasticsearch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The reconcile engine: a plan of ordered actions, executed for real or, in check mode, only reported.

A planner (one per kind of object) reads the current state, compares it with what was declared
and adds actions to a Plan. ``Plan.run`` then either calls each action's API method in order, or,
in check mode, calls nothing and returns the same list: check mode and the real run share one
plan, so the prediction is the run minus its requests.

FOR INTERNAL COLLECTION USE ONLY: the interfaces here may change in any release.
Python versions supported: 3.9 and later.
"""

from __future__ import annotations

from ansible_collections.mlops.elasticsearch.plugins.module_utils._client import ElasticsearchError


class ReconcileError(Exception):
    """A declared state that cannot be reached as asked; the message says why and what to do."""

    def __init__(self, message, **details):
        super(ReconcileError, self).__init__(message)
        self.message = message
        self.details = details

    def __str__(self):
        return self.message

    def to_fail_json(self):
        out = dict(msg=self.message)
        out.update(self.details)
        return out


class StepFailed(ReconcileError):
    """An action of a multi-step plan failed; the message says what was done and where things stand."""


class Action(object):
    """One step: an MlApi method with its arguments, how to report it, and what state it leaves.

    ``method``/``path`` describe the HTTP call for the ``actions`` result; ``note`` says what else the
    server does as part of it (a close that stops a datafeed); ``leaves`` is a short description of
    the state after this step, used when a later step fails.
    """

    def __init__(self, name, api_method, method, path, kwargs=None, body_arg=None, note=None, leaves=None,
                 on_result=None):
        self.name = name
        self.api_method = api_method
        self.method = method
        self.path = path
        self.kwargs = dict(kwargs or {})
        self.body_arg = body_arg
        self.note = note
        self.leaves = leaves
        self.on_result = on_result
        self.result = None

    def as_dict(self):
        out = {"action": self.name, "method": self.method, "path": self.path}
        params = dict((k, v) for k, v in self.kwargs.items()
                      if v is not None and k != self.body_arg and k not in ("job_id", "datafeed_id", "task_id"))
        if params:
            out["params"] = params
        if self.body_arg:
            out["body"] = self.kwargs[self.body_arg]
        if self.note:
            out["note"] = self.note
        return out


class Plan(object):
    def __init__(self, subject):
        self.subject = subject
        self.actions = []

    def add(self, action):
        self.actions.append(action)
        return action

    def __bool__(self):
        return bool(self.actions)

    __nonzero__ = __bool__

    def names(self):
        return [a.name for a in self.actions]

    def run(self, api, check_mode, start_state):
        """Execute every action in order (nothing in check mode); return the reported actions."""
        done = []
        for action in self.actions:
            if check_mode:
                continue
            try:
                action.result = getattr(api, action.api_method)(**action.kwargs)
            except ElasticsearchError as exc:
                if not done:
                    raise  # nothing changed yet: Elasticsearch's own error says it all
                raise StepFailed(self._failure_message(action, done, exc, start_state),
                                 actions=[a.as_dict() for a in done], failed_action=action.as_dict(),
                                 status=exc.status)
            if action.on_result is not None:
                action.on_result(action.result)
            done.append(action)
        return [a.as_dict() for a in self.actions]

    def _failure_message(self, action, done, exc, start_state):
        left = done[-1].leaves or start_state
        return ("%s. Done before it failed: %s. %s is left %s; run the task again to finish."
                % (exc, ", ".join(a.name for a in done), self.subject, left))
