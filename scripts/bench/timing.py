"""What the PyTorch/numpy peers share: the median of repeated runs, as
benches/common/mod.rs times geotraj (a warm-up run, then at least
`min_runs`, at most 20, within about `budget` seconds)."""

import time


def median_time(f, budget=2.0, min_runs=2, sync=None):
    """Seconds per call of `f`; `sync` (e.g. torch.cuda.synchronize) runs
    after each call so that asynchronous devices are timed whole."""

    def run():
        f()
        if sync is not None:
            sync()

    run()
    t, start = [], time.perf_counter()
    while len(t) < min_runs or (time.perf_counter() - start < budget and len(t) < 20):
        s = time.perf_counter()
        run()
        t.append(time.perf_counter() - s)
    return sorted(t)[len(t) // 2]
