"""Plain, typed Python used by the dbt project: UDFs and model logic.

Nothing here imports dbt, so every function can be unit-tested on its own and
reused on another engine. ``dbt_plugin`` is the one bridge: it registers the
UDFs on dbt-duckdb's connection.

Importing the package turns off numpy's huge-page advice (numpy's own switch,
the environment variable NUMPY_MADVISE_HUGEPAGE, still decides when it is set):
numpy asks Linux for transparent huge pages for every large array, and where
the kernel's THP defrag setting is `madvise` (a common default, and the
machines the benchmarks ran on) each first touch of such an array can wait for memory
to be compacted. At 1,000,000 contacts the retrain (ml_recommender_runs) took
112.9 s with the advice and 82.9 s without, its system time 57.1 s against
27.4 s (docs/operations.md, "Where the time goes").
"""

import os

try:  # numpy's own setter (numpy/__init__.py calls it with NUMPY_MADVISE_HUGEPAGE); another numpy keeps its default
    from numpy._core.multiarray import _set_madvise_hugepage
except ImportError:
    _set_madvise_hugepage = None

if _set_madvise_hugepage is not None and "NUMPY_MADVISE_HUGEPAGE" not in os.environ:
    _set_madvise_hugepage(False)
