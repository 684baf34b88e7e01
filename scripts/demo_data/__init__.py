"""Deterministic demo-data generator for the raw contract (shared/raw-contract.md).

It simulates a shop with an email programme and plants a known truth that the
tests check the models against:

* people of four latent archetypes (highly engaged buyers, engaged browsers,
  infrequent buyers, inactive) whose engagement drives purchases and who drop
  out at a random time, so that recency and engagement predict purchases;
* per-person category preferences, complementary products (buyers of a main
  item tend to buy its accessories next) and consumables that are re-bought;
* time zones that shift the hour people open emails, and privacy-proxy opens a
  few seconds after delivery;
* anonymous browsing that is linked to an email by a signup event and then to a
  CRM record, second devices linked by logging in, one email shared by two CRM
  records (one person), guest buyers and orders under contact ids the CRM lacks;
* a past A/B test with a known lift and a second test with a planted sample
  ratio mismatch;
* every kind of dirt the contract lists, always on extra rows, so that the
  number of people is known exactly.

Raw tables go to ``--out`` (the project's RAW_DATA_DIR); the ground truth goes to
``--truth-out``, which only tests read.

One module per source (``people`` with the CRM, ``shop``, ``web``, ``email``,
``experiments``) draws from the one random stream of a ``Context`` in the order
``Generator.run`` fixes; ``dirt.plant`` adds every kind of dirt.
``scripts/generate_demo_data.py`` is the command line (``make data``).

Large runs stream: ``generate`` builds ``chunk_contacts`` contacts at a time
(``chunks``), each chunk with its own random stream and ids that follow the
previous chunk's, and writes each before building the next, as one Parquet part
per table (``<table>/part-00000.parquet``...). The catalogue, the campaigns and
the once-only dirt (the shared-email record, the assignment naming nobody)
come from the first chunk; the truth adds the chunks up. A run that fits in one
chunk is exactly the one-frame run: same seed, same bytes.
"""

from .context import GeneratorConfig, Truth
from .generator import CHUNK_CONTACTS, Generator, chunks, generate, write

__all__ = ["CHUNK_CONTACTS", "Generator", "GeneratorConfig", "Truth", "chunks", "generate", "write"]
