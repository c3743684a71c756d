"""A ranking runs with a bounded BLAS thread pool (``BLAS_THREADS``), however many cores OpenBLAS found.

The ranker's matrices are small (a few hundred rows by at most a few hundred signals): a second
BLAS thread saves little and, on a shared or loaded machine, OpenBLAS's threads spin while they
wait for work. A 50-service ranking cost 219 ms of CPU with one thread but 784 ms of CPU (2.4 s
wall) with OpenBLAS's default two threads at load 12. The limit is process-wide (BLAS has no
per-thread setting), so it is taken while any ranking runs and restored when the last one ends;
rankings in several worker threads share it. Without ``threadpoolctl`` (a dependency of
scikit-learn) nothing is limited.

threadpoolctl (3.x) lets only one thread, the first to set a limit, change OpenBLAS's pool and
silently ignores the others; the bot ranks in ``asyncio.to_thread`` workers, a different thread
each time. So every change here is made under this module's lock with the control handed to the
calling thread and released again (``_as_controller``).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

BLAS_THREADS = 1

_lock = threading.Lock()
_active = 0
_restore: Any = None
_controller: Any = None


def _get_controller() -> Any:
    """Return a cached ``ThreadpoolController`` (scanning the loaded libraries costs a few ms), or None."""
    global _controller
    if _controller is None:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:  # pragma: no cover - scikit-learn brings it
            _controller = False
        else:
            _controller = ThreadpoolController()
    return _controller or None


def _as_controller(change: Any) -> Any:
    """Run ``change()`` (a limit or a restore) as the thread that controls OpenBLAS, then release control."""
    release = _release_control()
    release()
    try:
        return change()
    finally:
        release()


def _release_control() -> Any:
    """Return a callable that forgets which thread controls OpenBLAS (a no-op before threadpoolctl 3.6)."""
    try:
        from threadpoolctl import OpenBLASController
    except ImportError:  # pragma: no cover
        return lambda: None
    clear = getattr(OpenBLASController, "clear_controlling_thread", None)
    return (lambda: clear(force=True)) if clear is not None else (lambda: None)


@contextmanager
def bounded_blas(threads: int = BLAS_THREADS) -> Iterator[None]:
    """Hold BLAS to ``threads`` threads inside the block; the first entrant sets it, the last one restores it."""
    global _active, _restore
    with _lock:
        if _active == 0:
            controller = _get_controller()
            _restore = (_as_controller(lambda: controller.limit(limits=threads, user_api="blas"))
                        if controller is not None else None)
        _active += 1
    try:
        yield
    finally:
        with _lock:
            _active -= 1
            if _active == 0 and _restore is not None:
                _as_controller(_restore.restore_original_limits)
                _restore = None
