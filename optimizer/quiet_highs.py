"""HiGHS objects that print nothing, so stdout stays ours (JSON results, pickled reports).

From highspy 1.16 the first ``Highs()`` of a process writes a two-line banner straight to file
descriptor 1, from C++, before any option can be set; later ones are silent. A JSON result
printed by ``inflopt solve --format json`` would then no longer parse, and a child process that
sends its report as a pickle on stdout would send garbage. :func:`swallow_banner` builds that
first object with descriptor 1 pointed at ``/dev/null``; every HiGHS use here (direct or
through PuLP) calls it first.
"""

from __future__ import annotations

import os
import sys
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import highspy


_lock = threading.Lock()
_swallowed = False


def swallow_banner() -> None:
    """Build (and drop) this process's first ``Highs`` with stdout sent to ``/dev/null``."""
    global _swallowed
    with _lock:
        if _swallowed:
            return
        import highspy

        if sys.stdout is not None:
            sys.stdout.flush()
        try:
            saved: int | None = os.dup(1)
        except OSError:  # no stdout at all: nothing to protect
            saved = None
        try:
            if saved is not None:
                null = os.open(os.devnull, os.O_WRONLY)
                os.dup2(null, 1)
                os.close(null)
            highspy.Highs()
        finally:
            if saved is not None:
                os.dup2(saved, 1)
                os.close(saved)
        _swallowed = True


def new_highs() -> highspy.Highs:
    """A ``Highs`` with its output switched off."""
    import highspy

    swallow_banner()
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    return h
