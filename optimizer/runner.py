"""Run many tasks: skip finished ones, fan the rest out, store each result as it finishes.

Backends:

* a local pool of long-lived worker processes (``workers``, default the core count). Each
  task gets a wall-clock limit in seconds, counted from the moment its worker starts it (a
  fresh worker first imports the solver stack, which the limit does not cover); a worker that
  overruns it is killed (SIGKILL, so a solver stuck in native code stops too), the task is
  recorded ``no_solution`` and a fresh worker takes its place;
* a Dask distributed cluster (``dask=ADDRESS``; ``distributed`` is imported only then). Each
  task with a limit runs in a child process of the Dask worker, killed when it overruns the
  limit counted from the child's acknowledgement (its start-up is not charged either).
"""

from __future__ import annotations

import contextlib
import importlib
import multiprocessing
import os
import pickle
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection, wait
from typing import Any

from .errors import InputError
from .result import Result
from .solver import Status
from .store import ResultStore
from .tasks import Task, crash_line, execute

OnDone = Callable[["TaskOutcome"], None]


@dataclass
class TaskOutcome:
    """What became of one task.

    Attributes:
        result: the result contract (``Result.to_dict()``) or None when the task failed.
        error: why the task failed (bad input, crash), else None.
        seconds: wall-clock seconds the task took (0 when taken from the store).
        cached: True when the result was read from the results folder, not solved now.
        killed: True when the task overran its wall-clock limit and its process was killed.
        crashed: True when ``error`` is an unexpected failure (an exception that is not one of
            inflopt's own errors, a dead worker), not a clear message about the input.
        traceback: the full traceback of a crash, for the JSON output and logs only.
    """

    task: Task
    result: dict[str, Any] | None
    error: str | None = None
    seconds: float = 0.0
    cached: bool = False
    killed: bool = False
    crashed: bool = False
    traceback: str | None = None

    @property
    def status(self) -> str:
        """``optimal`` / ``feasible`` / ``infeasible`` / ``no_solution``, or ``error``."""
        return str(self.result["status"]) if self.result else "error"

    @property
    def solved(self) -> bool:
        """True when a verified portfolio exists."""
        return self.status in (Status.OPTIMAL, Status.FEASIBLE)

    @property
    def reason(self) -> str | None:
        """Why the task has no answer: its error, or the kill reason; None otherwise."""
        if self.error:
            return self.error
        if self.killed and self.result and self.result.get("diagnosis"):
            return str(self.result["diagnosis"][0])
        return None

    def error_lines(self) -> list[str]:
        """The failure as lines for standard error (no traceback); empty when it did not fail.

        A crash is one line ``task LABEL failed: Type: message``; inflopt's own errors give
        one line ``task LABEL: PROBLEM`` per problem (file, row or key, what is wrong); a task
        killed at its wall-clock limit (now or in the stored run) one ``task LABEL: stopped: …``.
        """
        label = self.task.label
        if self.killed and self.result and self.result.get("diagnosis"):
            return [f"task {label}: {self.result['diagnosis'][0]}"]
        if not self.error:
            return []
        if self.crashed:
            return [f"task {label} failed: {self.error.splitlines()[0]}"]
        return [f"task {label}: {line}" for line in self.error.splitlines() if line.strip()]


def killed_result(task: Task, limit: float) -> dict[str, Any]:
    """The result contract of a task stopped at its wall-clock limit (``limit`` in seconds)."""
    data = task.data
    result = Result(
        scenario=str(data.get("name", task.source)),
        strategy=task.strategy,
        status=Status.NO_SOLUTION,
        goal=str(data.get("goal", "maximize_value")),
        solver=str(data.get("solver", {}).get("name", "highs")).lower(),
        currency=str(data.get("currency", "USD")),
        diagnosis=[f"stopped: the task ran past its wall-clock limit of {limit:g} s"],
    )
    result.solve_seconds = limit
    return result.to_dict()


def _report_to_outcome(task: Task, report: dict[str, Any]) -> TaskOutcome:
    """Wrap a worker report (see :func:`optimizer.tasks.execute`)."""
    return TaskOutcome(
        task=task,
        result=report.get("result"),
        error=report.get("error"),
        seconds=float(report.get("seconds", 0.0)),
        killed=bool(report.get("killed", False)),
        crashed=bool(report.get("crashed", False)),
        traceback=report.get("traceback"),
    )


def _killed_report(task: Task, limit: float) -> dict[str, Any]:
    return {
        "key": task.key,
        "result": killed_result(task, limit),
        "error": None,
        "seconds": limit,
        "killed": True,
    }


# ---------------------------------------------------------------- local process pool


# Modules a worker imports before it takes a task, so a fresh worker's first task is not
# charged for them (the solve path imports PuLP, HiGHS and SciPy lazily).
WARM_MODULES: tuple[str, ...] = (
    "optimizer.tasks",
    "optimizer.engine",
    "optimizer.model",
    "optimizer.fastpath",
    "optimizer.fullpath",
)
STARTUP_SECONDS = 60.0  # a worker that has not started its task this long after it was sent
STARTED = "started"  # a worker's acknowledgement that it begins the task it received


def _context() -> multiprocessing.context.BaseContext:
    """forkserver (modules preloaded once, cheap fresh workers) where available, else spawn."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["optimizer.tasks", "optimizer.engine"])
        return context
    return multiprocessing.get_context("spawn")


def _warm_up() -> None:
    """Import :data:`WARM_MODULES` (start-up work that no task's limit should pay for)."""
    for name in WARM_MODULES:
        importlib.import_module(name)


def _worker_main(conn: Connection) -> None:
    """Worker process: warm up, then receive tasks, acknowledge each (:data:`STARTED`) and send
    its report, until told to stop (None) or orphaned."""
    _warm_up()
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        conn.send(STARTED)
        conn.send(execute(task))


class _Worker:
    """One pool process with its pipe and the task it is running (if any)."""

    def __init__(self, context: multiprocessing.context.BaseContext) -> None:
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_worker_main, args=(child,), daemon=True)
        self.process.start()
        child.close()
        self.task: Task | None = None
        self.started = False
        self.limit: float | None = None
        self.deadline = float("inf")

    def start(self, task: Task, limit: float | None) -> None:
        """Send ``task``; it must finish within ``limit`` seconds (None = no limit) of the
        worker's acknowledgement, which must come within :data:`STARTUP_SECONDS` plus ``limit``
        (a worker stuck in start-up is stopped too)."""
        self.task, self.limit, self.started = task, limit, False
        self.deadline = time.monotonic() + limit + STARTUP_SECONDS if limit else float("inf")
        self.conn.send(task)

    def acknowledged(self) -> None:
        """The worker began the task: its wall-clock limit counts from now."""
        self.started = True
        if self.limit:
            self.deadline = time.monotonic() + self.limit

    def kill(self) -> None:
        """Stop the process at once (SIGKILL) and reap it."""
        self.process.kill()
        self.process.join()
        self.conn.close()

    def close(self) -> None:
        """Ask an idle process to exit, then make sure it did."""
        with contextlib.suppress(OSError):
            self.conn.send(None)
        self.process.join(timeout=2)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()


def run_local(tasks: list[Task], workers: int, limit: float | None) -> Iterator[TaskOutcome]:
    """Run ``tasks`` on ``workers`` processes; yield outcomes in finishing order.

    ``limit`` is each task's wall-clock limit in seconds (None = none). Overrunning workers
    are killed and replaced; a worker that dies mid-task yields an ``error`` outcome.
    """
    context = _context()
    queue = list(reversed(tasks))
    pool: list[_Worker] = []
    try:
        while queue or any(w.task for w in pool):
            pool = [w for w in pool if w.process.is_alive() or w.task is not None]
            while queue and len(pool) < workers:
                pool.append(_Worker(context))
            for worker in pool:
                if worker.task is None and queue:
                    worker.start(queue.pop(), limit)
            busy = [w for w in pool if w.task is not None]
            timeout = max(0.0, min(w.deadline for w in busy) - time.monotonic())
            ready = wait([w.conn for w in busy], None if timeout == float("inf") else timeout)
            for worker in busy:
                outcome = _collect(worker, ready, limit)
                if outcome is not None:
                    yield outcome
    finally:
        for worker in pool:
            worker.kill() if worker.task is not None else worker.close()


def _collect(worker: _Worker, ready: list[Any], limit: float | None) -> TaskOutcome | None:
    """The outcome of ``worker``'s task if it finished, died or overran; else None."""
    task = worker.task
    assert task is not None
    if worker.conn in ready:
        try:
            report = worker.conn.recv()
            if report == STARTED:
                worker.acknowledged()
                return None
        except (EOFError, OSError):
            worker.kill()
            code = worker.process.exitcode
            report = {
                "key": task.key,
                "result": None,
                "seconds": 0.0,
                "error": f"worker process died (exit code {code})",
                "crashed": True,
            }
        worker.task = None
        return _report_to_outcome(task, report)
    if limit is not None and time.monotonic() >= worker.deadline:
        worker.kill()
        worker.task = None
        if not worker.started:
            return _report_to_outcome(task, _stuck_report(task, limit + STARTUP_SECONDS))
        return _report_to_outcome(task, _killed_report(task, limit))
    return None


def _stuck_report(task: Task, waited: float) -> dict[str, Any]:
    """A worker that never began ``task``: a crash (not stored, so a re-run tries again)."""
    return {
        "key": task.key,
        "result": None,
        "seconds": waited,
        "error": f"worker process did not start the task within {waited:g} s",
        "crashed": True,
    }


# ---------------------------------------------------------------- one task, one child process


def _child_once(task: Task, conn: Connection) -> None:
    _warm_up()
    conn.send(STARTED)
    conn.send(execute(task))
    conn.close()


def execute_limited(task: Task, limit: float | None) -> dict[str, Any]:
    """Run one task in a child process killed ``limit`` seconds after it began the task (its
    start-up, up to :data:`STARTUP_SECONDS`, is not counted); inline when ``limit`` is None.

    Used on Dask workers. Daemonic processes (Dask's default) may not fork multiprocessing
    children, so there the child is a fresh interpreter (slower start, same behaviour).
    """
    if limit is None:
        return execute(task)
    if multiprocessing.current_process().daemon:
        return _execute_subprocess(task, limit)
    context = _context()
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child_once, args=(task, sender), daemon=True)
    process.start()
    sender.close()
    try:
        if not receiver.poll(STARTUP_SECONDS):
            return _stuck_report(task, STARTUP_SECONDS)
        receiver.recv()  # STARTED: the limit counts from here
        if receiver.poll(limit):
            return receiver.recv()
        return _killed_report(task, limit)
    except EOFError:
        return {
            "key": task.key,
            "result": None,
            "seconds": 0.0,
            "error": f"task process died (exit code {process.exitcode})",
            "crashed": True,
        }
    finally:
        if process.is_alive():
            process.kill()
        process.join()
        receiver.close()


ACK = b"+"  # the first byte a fresh-interpreter child writes: it has started, warmed up


def _execute_subprocess(task: Task, limit: float) -> dict[str, Any]:
    """:func:`execute_limited` through ``python -m optimizer.runner`` (pickles on stdin/out;
    the child writes :data:`ACK` first, once warmed up, and the limit counts from then)."""
    command = [sys.executable, "-m", "optimizer.runner"]
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors
        )
        output = _Output(process)
        assert process.stdin is not None
        with contextlib.suppress(BrokenPipeError):  # a child that failed at once: see below
            try:
                process.stdin.write(pickle.dumps(task))
            finally:
                process.stdin.close()
        output.woken.wait(STARTUP_SECONDS)  # its acknowledgement, or its end
        finished = output.wait(limit if output.started else 0.0)
        if not finished:
            process.kill()
        process.wait()
        output.wait(None)
        if not finished:
            return (
                _killed_report(task, limit)
                if output.started
                else _stuck_report(task, STARTUP_SECONDS)
            )
        errors.seek(0)
        stderr = errors.read()
    if process.returncode != 0:
        message = stderr.decode(errors="replace")[-2000:]
        last = [line for line in message.splitlines() if line.strip()][-1:] or ["no message"]
        error = f"task process failed (exit code {process.returncode}): {last[0].strip()}"
        return {
            "key": task.key,
            "result": None,
            "seconds": 0.0,
            "error": error,
            "crashed": True,
            "traceback": message,
        }
    return pickle.loads(output.data)


class _Output:
    """The standard output of a child of :func:`_execute_subprocess`, read on a thread: its
    :data:`ACK` sets ``started``, the rest (the pickled report) is ``data``; ``woken`` is set
    at the acknowledgement, or at the end of an output that never had one."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.woken = threading.Event()
        self.started = False
        self.data = b""
        self._stream = process.stdout
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        assert self._stream is not None
        first = self._stream.read(len(ACK))
        self.started = first == ACK
        if self.started:
            self.woken.set()
        else:
            self.data = first
        self.data += self._stream.read()
        self.woken.set()

    def wait(self, seconds: float | None) -> bool:
        """Wait up to ``seconds`` (None: no limit) for the output to end; True when it did."""
        self._thread.join(seconds)
        return not self._thread.is_alive()


# ---------------------------------------------------------------- Dask


def import_distributed() -> Any:
    """The ``distributed`` module, or an InputError saying how to install it."""
    try:
        import distributed
    except ImportError:
        raise InputError.single(
            "cli", "--dask", "needs the dask extra: pip install 'inflopt[dask]'"
        ) from None
    return distributed


def run_dask(tasks: list[Task], address: Any, limit: float | None) -> Iterator[TaskOutcome]:
    """Run ``tasks`` on the Dask cluster at ``address`` (a string, a cluster or a Client)."""
    distributed = import_distributed()
    owned = not isinstance(address, distributed.Client)
    try:
        client = distributed.Client(address, timeout="20s") if owned else address
    except (OSError, TimeoutError, ValueError) as exc:  # ValueError: not an address at all
        raise InputError.single(
            "cli", "--dask", f"cannot reach a Dask scheduler at {address}: {exc}"
        ) from None
    try:
        futures = {client.submit(execute_limited, task, limit, pure=False): task for task in tasks}
        for future in distributed.as_completed(futures):
            task = futures[future]
            try:
                report = future.result()
            except Exception as exc:  # a lost worker or a serialisation failure
                error = f"dask: {crash_line(exc)}"
                report = {"key": task.key, "result": None, "error": error, "crashed": True}
            yield _report_to_outcome(task, report)
    finally:
        if owned:
            client.close()


# ---------------------------------------------------------------- the front door


def _reusable(record: dict[str, Any] | None, limit: float | None) -> bool:
    """A stored record counts as done unless it was killed under a shorter limit than now."""
    if record is None:
        return False
    if not record.get("killed"):
        return True
    stored = record.get("wall_limit")
    return limit is not None and stored is not None and float(stored) >= limit


def _record(outcome: TaskOutcome, limit: float | None) -> dict[str, Any]:
    task = outcome.task
    return {
        "key": task.key,
        "task": {"source": task.source, "strategy": task.strategy, "params": task.params},
        "killed": outcome.killed,
        "wall_limit": limit,
        "wall_seconds": round(outcome.seconds, 4),
        "result": outcome.result,
    }


def default_workers() -> int:
    """Worker processes when none are asked for: the core count."""
    return os.cpu_count() or 1


def run_tasks(
    tasks: Iterable[Task],
    *,
    workers: int | None = None,
    limit: float | None = None,
    store: ResultStore | None = None,
    dask: Any = None,
    progress: bool = False,
    on_done: OnDone | None = None,
) -> list[TaskOutcome]:
    """Run every task once; return outcomes in the order of ``tasks``.

    Tasks already in ``store`` are not solved again (``cached=True``); tasks with equal keys
    are solved once. Each new result is written to ``store`` as soon as it arrives, before
    ``on_done`` is called, so an interruption loses at most the tasks still running.
    ``limit`` is the wall-clock limit per task in seconds.
    """
    tasks = list(tasks)
    done: dict[str, TaskOutcome] = {}
    pending: list[Task] = []
    seen: set[str] = set()
    for task in tasks:
        if task.key in seen:
            continue
        seen.add(task.key)
        record = store.load(task.key) if store else None
        if record is not None and _reusable(record, limit):
            done[task.key] = TaskOutcome(
                task, record["result"], cached=True, killed=bool(record.get("killed"))
            )
        else:
            pending.append(task)
    if pending:
        stream = (
            run_dask(pending, dask, limit)
            if dask is not None
            else run_local(pending, min(workers or default_workers(), len(pending)), limit)
        )
        with _progress(progress, len(seen), len(seen) - len(pending)) as advance:
            for outcome in stream:
                if store is not None and outcome.result is not None:
                    store.save(_record(outcome, limit))
                done[outcome.task.key] = outcome
                advance(outcome)
                if on_done is not None:
                    on_done(outcome)
    return [_relabel(done[task.key], task) for task in tasks]


def _relabel(outcome: TaskOutcome, task: Task) -> TaskOutcome:
    """The outcome attached to ``task`` (equal keys may come from differently named tasks)."""
    if outcome.task is task:
        return outcome
    return replace(outcome, task=task)


class _progress:
    """A rich progress bar on stderr (a no-op when ``enabled`` is False)."""

    def __init__(self, enabled: bool, total: int, completed: int) -> None:
        self.enabled, self.total, self.completed = enabled, total, completed

    def __enter__(self) -> Callable[[TaskOutcome], None]:
        if not self.enabled:
            return lambda outcome: None
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True, emoji=False),
            transient=True,
        )
        self.bar.start()
        self.id = self.bar.add_task("solving", total=self.total, completed=self.completed)

        def advance(outcome: TaskOutcome) -> None:
            label = f"{outcome.task.label}: {outcome.status}"
            self.bar.update(self.id, advance=1, description=label)

        return advance

    def __exit__(self, *exc: object) -> None:
        if self.enabled:
            self.bar.stop()


def _main() -> None:
    """``python -m optimizer.runner``: run one pickled task from stdin, pickle the report out.

    Standard output carries the pickle alone: whatever else would be printed there (by Python
    or by a solver's C code) goes to standard error instead.
    """
    task = pickle.loads(sys.stdin.buffer.read())
    with os.fdopen(os.dup(1), "wb") as report:
        os.dup2(2, 1)
        _warm_up()
        report.write(ACK)
        report.flush()
        report.write(pickle.dumps(execute(task)))


if __name__ == "__main__":
    _main()
