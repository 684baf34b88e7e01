"""Generate the demo raw data and its truth: ``make data`` runs this; the code is the ``demo_data`` package beside it.

Tests and benchmarks import ``Generator``, ``GeneratorConfig`` and ``generate``
from here (scripts/ is on their path, as pyproject's pytest ``pythonpath`` sets).
"""

from demo_data import CHUNK_CONTACTS, Generator, GeneratorConfig, Truth, chunks, generate, write
from demo_data.cli import main

__all__ = ["CHUNK_CONTACTS", "Generator", "GeneratorConfig", "Truth", "chunks", "generate", "main", "write"]

if __name__ == "__main__":
    main()
