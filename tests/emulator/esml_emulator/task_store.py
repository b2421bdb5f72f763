"""Tasks: the deletes and resets that run in the background, and ``GET _tasks/<id>`` (ES TaskManager, TaskResult)."""

from __future__ import annotations

import time

from .errors import IllegalArgument, ResourceNotFound, StatusException
from .node import NODE_ID, now_ms
from .values import parse_time


class Task:
    def __init__(self, number, action, description, job_id, kind, duration_ms, cancellable, reads=0):
        self.id = "%s:%d" % (NODE_ID, number)
        self.number = number
        self.action = action
        self.description = description
        self.job_id = job_id
        self.kind = kind
        self.start_ms = now_ms()
        self.due = time.monotonic() + duration_ms / 1000.0
        self.reads_left = reads or None  # see Settings.task_held_for_reads
        if self.reads_left:
            self.due = float("inf")
        self.cancellable = cancellable
        self.completed = False
        self.response = None

    def render(self):
        task = {"node": NODE_ID, "id": self.number, "type": "transport", "action": self.action,
                "description": self.description, "start_time_in_millis": self.start_ms,
                "running_time_in_nanos": max(0, now_ms() - self.start_ms) * 10 ** 6,
                "cancellable": self.cancellable, "headers": {}}
        if self.cancellable:
            task["cancelled"] = False
        out = {"completed": self.completed, "task": task}
        if self.completed:
            out["response"] = self.response
        return out


class TaskStore:
    def __init__(self, cluster):
        self.cluster = cluster
        self.tasks = {}
        self.counter = 1000

    def new(self, action, description, job_id, kind, cancellable):
        settings = self.cluster.settings
        self.counter += 1
        task = Task(self.counter, action, description, job_id, kind, settings.task_duration_ms, cancellable,
                    settings.task_held_for_reads)
        self.tasks[task.id] = task
        return task

    def __getitem__(self, task_id):
        return self.tasks[task_id]

    def due(self, clock):
        """Tasks whose time has come, marked completed; the stores apply what each one does."""
        out = []
        for task in list(self.tasks.values()):
            if not task.completed and task.due <= clock:
                task.completed = True
                task.response = {"acknowledged": True}
                out.append(task)
        return out

    def count_read(self, task_id):
        """A read of a job that a held task blocks brings the task one read closer to its end."""
        task = self.tasks.get(task_id)
        if task is not None and task.reads_left:
            task.reads_left -= 1
            if not task.reads_left:
                task.due = time.monotonic()

    def get_task(self, task_id, params):
        if ":" not in task_id:
            raise IllegalArgument("malformed task id %s" % task_id)
        task = self.tasks.get(task_id)
        if task is None:
            raise ResourceNotFound("task [%s] isn't running and hasn't stored its results" % task_id)
        if params.get("wait_for_completion") and not task.completed:
            timeout = parse_time(params.get("timeout", "30s"), "timeout") / 10 ** 9
            if task.due - time.monotonic() > timeout:
                raise StatusException("Timed out waiting for completion of task [%s]" % task_id, status=408)
            self.cluster.wait_for(task)
        return task.render()
