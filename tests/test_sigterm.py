"""SIGTERM (a job scheduler, ``kill``) ends a batch as Ctrl-C does: its pool workers stop with
it instead of running on, orphaned, until their tasks end."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from optimizer.synthetic import write_instance

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")


def _descendants(pid: int) -> set[int]:
    """Every live process below ``pid`` (children, grandchildren…), from /proc."""
    parent_of: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parent_of[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parent_of.items() if parent in frontier}
        found |= frontier
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has ended


def test_sigterm_stops_a_batch_and_its_workers(tmp_path):
    scenario = write_instance(tmp_path / "hard", 1_000, "adversarial", seed=0)  # ~45 s a solve
    command = [
        sys.executable, str(ROOT / "cli.py"), "batch", str(scenario), "--strategies", "base",
        "--workers", "1", "--results", str(tmp_path / "out"),
    ]  # fmt: skip
    log = (tmp_path / "stderr.txt").open("w")  # not a pipe: orphans would hold it open
    batch = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log)
    try:
        workers: set[int] = set()
        started = time.monotonic()
        while time.monotonic() - started < 60 and batch.poll() is None:
            workers = _descendants(batch.pid)
            if len(workers) >= 2:  # the fork server and the worker solving the task
                break
            time.sleep(0.2)
        assert batch.poll() is None, (tmp_path / "stderr.txt").read_text()
        assert len(workers) >= 2, "the batch never started its worker"
        time.sleep(2.0)  # the worker is inside the solve now
        batch.send_signal(signal.SIGTERM)
        batch.wait(timeout=30)
        err = (tmp_path / "stderr.txt").read_text()
        assert batch.returncode == 128 + signal.SIGTERM, err
        assert "terminated" in err
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_alive(pid) for pid in workers):
            time.sleep(0.2)
        assert not any(_alive(pid) for pid in workers)
    finally:
        log.close()
        for pid in workers:  # whatever is left: not for the next test to compete with
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        if batch.poll() is None:
            batch.kill()


@pytest.mark.parametrize("path", ["fast", "full"])
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_during_a_solve_ends_it_cleanly_and_at_once(tmp_path, sig, path):
    """Ctrl-C or SIGTERM while HiGHS solves on its own thread: exit 130 / 143 within seconds,
    not a C++ abort ("terminate called without an active exception", exit 134) when the
    process ends with the solver thread still running, nor a wait for the greedy's thread."""
    scenario = write_instance(tmp_path / "hard", 1_000, "adversarial", seed=0)  # ~45 s a solve
    command = [sys.executable, str(ROOT / "cli.py"), "solve", str(scenario)]
    if path == "full":
        command.append("--exact-full")
    log = (tmp_path / "stderr.txt").open("w")
    solving = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=log,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # as in a terminal
    )
    try:
        time.sleep(5.0)  # loaded; inside the solve
        assert solving.poll() is None, (tmp_path / "stderr.txt").read_text()
        solving.send_signal(sig)
        sent = time.monotonic()
        solving.wait(timeout=30)
        waited = time.monotonic() - sent
    finally:
        log.close()
        if solving.poll() is None:
            solving.kill()
    err = (tmp_path / "stderr.txt").read_text()
    word = "terminated" if sig == signal.SIGTERM else "interrupted"
    assert solving.returncode == 128 + sig, err
    assert err.strip() == word
    assert waited < 10.0, f"took {waited:.1f} s to stop"
