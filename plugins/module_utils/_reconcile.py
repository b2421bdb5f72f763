# -*- coding: utf-8 -*-
# Copyright (c) 2026, mlops.elasticsearch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The reconcile engine: every planner's three steps, and the plan of ordered actions they share.

A planner (one per kind of object) is four functions, called in this order by ``converge``:

- ``declare(params, warn)``: the input, checked and converted; bad input is refused here, before any request.
- ``read(api, declared, check_mode)``: the current state, one snapshot (only what the plan will need is read).
- ``plan(current, declared)``: pure; returns a ``Plan`` of actions that also carries the normalised
  ``before`` and the predicted ``after`` (the diff), the ``changes`` and the predicted run ``state``.
- ``report(plan, current, declared, check_mode)``: the object the result returns, from the snapshot and,
  after a real run, from the responses of the actions.

``Plan.run`` executes the actions in order, or, in check mode, nothing: check mode and the real run share
one plan, so the prediction is the run minus its requests. ``_filter.py`` is the shortest planner to copy.

FOR INTERNAL COLLECTION USE ONLY: the interfaces here may change in any release.
Python versions supported: 3.9 and later.
"""

from __future__ import annotations

from collections import namedtuple

from ansible_collections.mlops.elasticsearch.plugins.module_utils._client import ElasticsearchError
from ansible_collections.mlops.elasticsearch.plugins.module_utils._ml_api import request_line

Planner = namedtuple("Planner", "declare read plan report preflight")
Planner.__new__.__defaults__ = (None,)  # preflight: only planners whose writes Elasticsearch can check ahead


class Facts(object):
    """Named values: a planner's declaration, or its snapshot of the server."""

    def __init__(self, **values):
        self.__dict__.update(values)


def converge(api, planner, params, check_mode=False, diff_mode=False, warn=None, checks=None):
    """Declare, read, plan, then run the plan (nothing in check mode); the module's result."""
    declared = planner.declare(params, warn or (lambda message: None))
    current = planner.read(api, declared, check_mode)
    return apply(api, planner, declared, current, check_mode, diff_mode, checks)


def apply(api, planner, declared, current, check_mode=False, diff_mode=False, checks=None):
    """Plan from what was read, check it (``checks``, a _preflight.Preflight, for planners that have a preflight),
    run the plan (nothing in check mode), and report: the second half of converge, for a planner whose caller needs
    the declaration and the snapshot afterwards (a job's declared datafeed)."""
    plan = planner.plan(current, declared)
    if planner.preflight is not None and checks is not None and checks.enabled and plan:
        planner.preflight(api, plan, current, declared, checks)
    actions = plan.run(api, check_mode)
    result = {"changed": bool(plan), "actions": plan.waited + actions}
    if plan.changes is not None:
        result["changes"] = [c.as_dict() for c in plan.changes]
    if plan.notes:
        result["notes"] = list(plan.notes)
    result.update(planner.report(plan, current, declared, check_mode))
    if checks is not None and checks.report:
        result["preflight"] = list(checks.report)
    if diff_mode:
        after = plan.after
        if "state" in after and result.get("state") not in (None, after["state"]):
            after = dict(after, state=result["state"])  # the server's answer to the run (a lazy open waits in opening)
        result["diff"] = {"before": plan.before, "after": after}
    return result


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

    The HTTP method, path and query parameters reported in ``actions`` are those ``MlApi`` sends for the
    arguments (``request_line``); ``body_arg`` names the argument shown as the body. ``note`` says what else
    the server does as part of it (a close that stops a datafeed); ``leaves`` is a short description of the
    state after this step, used when a later step fails. ``shown_as`` names the endpoint a wait polls.

    Steps that could act twice carry ``verify``: when the response was lost, or the call lost a race
    to another run (``tolerate`` recognises such errors), the engine reads whether the step's end
    state holds. If it does, the step counts as done (an object ``verify`` returns is its result); if
    the response was lost and it does not, the request provably had no effect and is sent once more.
    Nothing is applied twice.
    """

    def __init__(self, name, kwargs, api_method=None, body_arg=None, note=None, leaves=None, shown_as=None,
                 verify=None, tolerate=None, loses=None, puts_back=None, restorable=True, api_class=None):
        self.name = name
        self.api_class = api_class  # the API whose method this is, for as_dict (None: MlApi)
        self.api_method = api_method or name
        self.kwargs = dict(kwargs)
        self.body_arg = body_arg
        self.note = note
        self.leaves = leaves
        self.shown_as = shown_as or (self.api_method, self.kwargs)
        self.verify = verify  # verify(api) -> truthy: does the state this step aims at hold now?
        self.tolerate = tolerate  # tolerate(exc) -> bool: an error that may only mean someone else did it first
        # what this step removes that a later step of the plan puts back (a datafeed deleted with its job): when
        # the plan fails in between, the failure carries it, so that nothing lives only in this run's memory
        self.loses = loses  # (details for the failure result, words saying how to put it back)
        self.puts_back = puts_back  # the name of the step whose ``loses`` this one puts back
        self.restorable = restorable  # False: when this step fails there is nothing left to restore (a new job)
        self.result = None
        self.done = False

    def call(self, api):
        self.result = getattr(api, self.api_method)(**self.kwargs)
        return self.result

    def as_dict(self):
        method, path, params, _body = request_line(*self.shown_as, api_class=self.api_class)
        out = {"action": self.name, "method": method, "path": path}
        if params:
            out["params"] = params
        if self.body_arg:
            out["body"] = self.kwargs[self.body_arg]
        if self.note:
            out["note"] = self.note
        return out


class Plan(object):
    """Ordered actions for one object, and what the planner predicted: ``before``/``after`` (the diff),
    ``changes``, the run ``state`` after it, ``start_state`` (how the object was found, for a failure's
    message), ``waited`` (what reading waited for, reported before the actions) and ``notes``.

    ``restore`` holds compensating steps: when a step fails after ``restore_after`` was done (a close
    before an update), they bring the run state back as it was, so that running the same task again
    finishes the change."""

    def __init__(self, subject, start_state="absent"):
        self.subject = subject
        self.actions = []
        self.restore_after = None
        self.restore = []
        self.restored_to = "running as it was"  # what the restore steps leave, in the failure's message
        self.start_state = start_state
        self.before = {}
        self.after = {}
        self.changes = []
        self.state = None
        self.waited = []
        self.notes = []

    def add(self, action):
        self.actions.append(action)
        return action

    def __bool__(self):
        return bool(self.actions)

    __nonzero__ = __bool__

    def names(self):
        return [a.name for a in self.actions]

    def results(self, *names):
        """The responses of the named actions that ran, in order."""
        return [a.result for a in self.actions if a.done and a.name in names]

    def run(self, api, check_mode):
        """Execute every action in order (nothing in check mode); return the reported actions."""
        done = []
        for action in self.actions:
            if check_mode:
                continue
            try:
                self._call(api, action)
            except ElasticsearchError as exc:
                self._fail(api, action, done, exc)
            action.done = True
            done.append(action)
        return [a.as_dict() for a in self.actions]

    @classmethod
    def _call(cls, api, action):
        """Call one action; a lost response or a lost race is settled (see Action). Raises when it failed,
        the error of the resend included, so that every failure takes the same way out (restore, message)."""
        try:
            action.call(api)
        except ElasticsearchError as exc:
            settled = cls._settle(api, action, exc)
            if settled is None:
                raise
            action.note = "; ".join(n for n in (action.note, settled) if n)

    @staticmethod
    def _settle(api, action, exc):
        """Whether a failed step's end state was reached anyway; a note saying how, or None.

        A request whose response timed out may still be in flight on the server. Its end state is polled for
        ``exc.settle_seconds`` (the time the request was already given) before the step is judged not applied and
        sent again, so that a first copy arriving late cannot undo what the run does next. A copy held by the
        server for longer than that can still land: docs/troubleshooting.md says so.
        """
        raced = action.tolerate is not None and action.tolerate(exc)
        if action.verify is None or not (exc.uncertain or raced):
            return None
        try:
            if exc.uncertain and exc.settle_seconds:
                reached = api.settle(check=lambda: action.verify(api), seconds=exc.settle_seconds)
            else:
                reached = action.verify(api)
        except ElasticsearchError:
            return None
        if reached:
            if isinstance(reached, dict):
                action.result = reached  # the object read back stands for the lost response
            if exc.uncertain:
                return "its response was lost; read back, it had taken effect"
            return "someone else had done it (%s: %s); read back, it holds" % (exc.error_type, exc.reason)
        if exc.uncertain:
            action.call(api)  # not applied in the time it was given: only now is a second copy safe to send
            return "its response was lost; read back, it had not taken effect, so it was sent again"
        return None

    def _fail(self, api, action, done, exc):
        if not done:
            raise exc  # nothing changed yet: Elasticsearch's own error says it all
        restored, restore_error = [], None
        names = [a.name for a in done]
        if self.restore_after in names and action.restorable:
            for step in self.restore:
                try:
                    self._call(api, step)
                except ElasticsearchError as error:
                    restore_error = error
                    break
                restored.append(step.name)
        message = "%s. Done before it failed: %s." % (exc, ", ".join(a.name for a in done))
        if restored and restore_error is None:
            message += " To leave %s %s, these were done: %s. Run the task again to finish." % (
                self.subject, self.restored_to, ", ".join(restored))
        else:
            left = done[-1].leaves or self.start_state
            if restore_error is not None:
                message += " Restoring its run state failed too (%s)." % restore_error
            message += " %s is left %s; run the task again to finish." % (self.subject, left)
        details = {}
        for step in done:
            if step.loses and not any(later.puts_back == step.name for later in done):
                details.update(step.loses[0])
                message += " " + step.loses[1]
        failure = StepFailed(message, actions=[a.as_dict() for a in done], failed_action=action.as_dict(),
                             restored=restored, status=exc.status, **details)
        failure.error_type, failure.reason = exc.error_type, exc.reason  # the cause, for grouping many failures
        raise failure


def is_conflict(exc, words):
    """An error that only says the end state is already there (409 "already been opened", ...)."""
    return exc.status == 409 and words in (exc.reason or "")


def is_already_exists(exc):
    return exc.error_type == "resource_already_exists_exception"


def is_missing(exc):
    return exc.status == 404
