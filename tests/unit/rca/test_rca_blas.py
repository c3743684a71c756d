"""A ranking runs with a bounded BLAS thread pool, where the product ranks, and restores it afterwards."""

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from engine.rca import blas, ranker, service
from engine.rca.types import RcaInput, Series

threadpoolctl = pytest.importorskip("threadpoolctl")


def _blas_threads() -> list[int]:
    return [i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]


def _input() -> RcaInput:
    rng = np.random.default_rng(3)
    t = 1_700_000_000 + 60.0 * np.arange(200)
    cols = {f"s{i}_latency": 10 + rng.normal(0, 1, 200) for i in range(4)}
    cols["s1_latency"][180:] += 20
    return RcaInput({n: Series(t, v) for n, v in cols.items()}, float(t[180]))


@pytest.fixture
def two_threads():
    """Give BLAS two threads for the test, so the bound is visible on any machine."""
    if not _blas_threads():
        pytest.skip("no BLAS library found by threadpoolctl")
    with threadpoolctl.threadpool_limits(2, user_api="blas"):
        if max(_blas_threads()) < 2:
            pytest.skip("this BLAS runs one thread only")
        yield


def test_the_rank_the_service_calls_holds_blas_to_the_bound(two_threads, monkeypatch):
    seen: list[list[int]] = []
    real = ranker.analyse

    def spy(*args, **kwargs):
        seen.append(_blas_threads())
        return real(*args, **kwargs)

    monkeypatch.setattr(ranker, "analyse", spy)

    async def twice():
        # As RcaService.analyse ranks: in a worker thread; twice, as two clicks may land on two threads
        # (threadpoolctl ignores a thread other than the first one that set a limit).
        first = await asyncio.to_thread(service.rank, _input())
        with ThreadPoolExecutor(1) as other:
            second = await asyncio.get_running_loop().run_in_executor(other, service.rank, _input())
        return first, second

    first, second = asyncio.run(twice())
    assert first and second and len(seen) == 2
    assert all(threads == [blas.BLAS_THREADS] * len(threads) for threads in seen)
    assert max(_blas_threads()) == 2  # restored once the ranking ended


def test_overlapping_rankings_keep_the_bound_until_the_last_one_ends(two_threads):
    inside, release = threading.Event(), threading.Event()

    def hold():
        with blas.bounded_blas():
            inside.set()
            release.wait(5)

    worker = threading.Thread(target=hold)
    worker.start()
    inside.wait(5)
    with blas.bounded_blas():
        pass  # a second ranking ends first: the first one keeps its bound
    assert max(_blas_threads()) == blas.BLAS_THREADS
    release.set()
    worker.join(5)
    assert max(_blas_threads()) == 2
