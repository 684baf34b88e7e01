"""What the dbt Python models ask of the warehouse, the same code on DuckDB, Databricks and Snowflake.

The models (models/*/*/*.py) stay thin: read refs into pandas, call python_udfs,
return a frame. Each engine hands a model something different, so this module
decides by what the object can do (duck typing), never by importing pyspark or
snowflake.snowpark, which DuckDB users do not install:

- to_pandas(dbt.ref("x")): a ref as a pandas DataFrame. A DuckDB relation goes
  through Arrow (.to_arrow_table().to_pandas(), what the models always did); a
  Snowpark DataFrame through .to_pandas(), its unquoted (upper-case) column names
  back in lower case; a Spark/Databricks DataFrame through .toPandas() with Arrow.
  categorical=(...) reads the named columns as categoricals (ids repeated over
  millions of rows: the recommender's events); order_by=(...) has DuckDB sort
  the rows as it reads them (other engines return any order).
- rows_with_keys(session, dbt.ref("x"), keys): on DuckDB, the rows of a ref whose key columns match a row
  of a (small) frame, chosen in the warehouse; None elsewhere.
- to_pandas_batches(dbt.ref("x"), rows): a large ref as pandas DataFrames of at
  most `rows` rows each, so a model holds one batch at a time: a DuckDB relation
  through its Arrow record batch reader (to_arrow_reader); other engines as one frame (to_pandas),
  the memory of their driver being theirs to size. At least one frame, empty
  when the ref has no rows, so a caller always sees the columns.
- decimals_as_double(relation): on DuckDB, the relation with its DECIMAL columns as DOUBLE, for reads whose
  numbers only become floats (the predictive models' features); other engines' relations unchanged.
- to_rows(dbt.ref("x")): a small ref as a list of tuples (DuckDB .fetchall(),
  Spark and Snowpark .collect()).

  The models call dbt.ref themselves: dbt finds a Python model's refs (and the
  config keys it may read, dbt.config.get("...")) by parsing the model's own
  source, so a helper that called dbt.ref(name) for them would hide the edge
  from the DAG and fail at run time.
- to_engine: the frame a model returns, as the engine should store it. Snowflake
  upper-cases its column names, since dbt-snowflake writes a pandas frame with
  quoted identifiers and lower-case names would become case-sensitive columns
  the SQL models could not name. Other engines get the frame unchanged.
- artifact_store: where trained models are saved (the model registry,
  python_udfs/registry.py). A folder (MODEL_DIR on DuckDB; on Databricks a
  /Volumes/... or /dbfs/... path, a local path on the driver) or a Snowflake
  stage, ``@db.schema.stage/path``, through the Snowpark session's file API.

Configuration (docs/engines.md): the models pass the value of their config
``model_dir`` (env var MODEL_DIR, default data/models) and their ``session``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Protocol, runtime_checkable

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

ARROW_CONF = "spark.sql.execution.arrow.pyspark.enabled"
# rows dictionary-encoded at a time by to_pandas(..., categorical=...)
CATEGORICAL_READ_ROWS = 4_000_000


# --- reading refs


def to_pandas(relation, categorical: tuple[str, ...] = (), order_by: tuple[str, ...] = ()) -> pd.DataFrame:
    """A relation of any supported engine as a pandas DataFrame.

    categorical: columns to read as pandas categoricals (each distinct value held once, rows as integer codes),
    for ids repeated over millions of rows: on DuckDB they are dictionary-encoded in Arrow, so the strings are
    never one Python or pandas value per row.
    order_by: columns (ascending, nulls last) DuckDB sorts the rows by as it reads them, for a caller that puts
    them in that order anyway and checks it (the recommender's in_order): DuckDB sorts in parallel and can
    spill, a pandas sort does neither. Other engines return their rows in any order.
    """
    if hasattr(relation, "to_arrow_table"):  # DuckDB relation
        if order_by:
            relation = relation.order(", ".join(f'"{name}" asc nulls last' for name in order_by))
        if not categorical:
            return relation.to_arrow_table().to_pandas()
        # the rows batch by batch, each batch's categorical columns dictionary-encoded in Arrow as it comes: only
        # one batch of the strings is ever held (25 M rows of events: 4.6 GB read whole and encoded, about 1 GB so).
        # to_pandas unifies the parts' dictionaries into one categorical per column. No query of the warehouse
        # besides the read itself (not a distinct() per column), so nothing of it waits in DuckDB's buffer, which
        # the nodes built beside this one share
        reader = relation.to_arrow_reader(CATEGORICAL_READ_ROWS)
        parts, pending = [], []

        def encode() -> None:  # the pending batches as one table, each categorical column dictionary-encoded
            table = pa.Table.from_batches(pending, schema=reader.schema).combine_chunks()
            pending.clear()
            for name in categorical:
                position = table.schema.get_field_index(name)
                table = table.set_column(position, name, pc.dictionary_encode(table.column(position)))
            parts.append(table)

        for batch in reader:  # DuckDB yields batches of about 120,000 rows whatever size is asked
            pending.append(batch)
            if sum(b.num_rows for b in pending) >= CATEGORICAL_READ_ROWS:
                encode()
        if pending or not parts:
            encode()
        table = pa.concat_tables(parts)
        parts.clear()  # self_destruct: each column's Arrow memory is freed as soon as pandas has it
        return table.to_pandas(self_destruct=True, split_blocks=True)
    if hasattr(relation, "to_pandas"):  # Snowpark DataFrame
        frame = relation.to_pandas()
        frame = frame.rename(columns={name: _unquoted_lower(name) for name in frame.columns})
    elif hasattr(relation, "toPandas"):  # Spark / Databricks DataFrame
        spark = getattr(relation, "sparkSession", None)
        if spark is not None:
            spark.conf.set(ARROW_CONF, "true")
        frame = relation.toPandas()
    else:
        frame = None
    if frame is not None:
        return frame.astype(dict.fromkeys(categorical, "category"))
    raise TypeError(
        f"cannot read a {type(relation).__name__} into pandas: expected a DuckDB relation (to_arrow_table), "
        "a Snowpark DataFrame (to_pandas) or a Spark DataFrame (toPandas)"
    )


def to_pandas_batches(relation, rows: int) -> Iterator[pd.DataFrame]:
    """A relation of any supported engine as pandas DataFrames of at most `rows` rows (see the module docstring)."""
    if not hasattr(relation, "to_arrow_reader"):  # Spark, Snowpark: one frame
        yield to_pandas(relation)
        return
    reader = relation.to_arrow_reader(rows)
    seen = False
    for batch in reader:
        if batch.num_rows:
            seen = True
            yield batch.to_pandas()
    if not seen:
        yield reader.schema.empty_table().to_pandas()


def customers_only(session, relation, customer_ids) -> object:
    """A DuckDB relation with a customer_id column, cut to these customers (its own columns, in order)."""
    ids = pd.Series(customer_ids, dtype=object).astype(pd.ArrowDtype(pa.string()))  # strings, even when empty
    return rows_with_keys(session, relation, pd.DataFrame({"customer_id": ids}))


def rows_with_keys(session, relation, keys: pd.DataFrame):
    """A DuckDB relation cut to the rows whose values in the columns of keys are a row of keys (a semi-join: the
    relation's own columns, each row at most once per row of the relation); None on other engines."""
    if not hasattr(relation, "to_arrow_reader") or not hasattr(session, "from_arrow"):
        return None
    chosen = session.from_arrow(pa.Table.from_pandas(keys, preserve_index=False))
    return relation.join(chosen, ", ".join(f'"{name}"' for name in keys.columns), how="semi")


def decimals_as_double(relation) -> object:
    """A DuckDB relation with its DECIMAL columns cast to DOUBLE (the same columns, in order); any other
    relation unchanged. For the models' feature reads: read as Python Decimal objects and converted to floats
    one by one (feature_matrix), 1.29 M customers' money columns took about 2 s of each read at 1,000,000
    contacts. The values are the same: DuckDB divides the decimal's integer by its power of ten, both exact
    below 2^53, so the quotient is the double nearest the decimal, which float(Decimal) also gives."""
    if not (hasattr(relation, "to_arrow_reader") and hasattr(relation, "types") and hasattr(relation, "project")):
        return relation
    names = list(relation.columns)
    decimal = [str(kind).upper().startswith("DECIMAL") for kind in relation.types]
    if not any(decimal):
        return relation
    quoted = ['"' + name.replace('"', '""') + '"' for name in names]
    return relation.project(", ".join(
        f"cast({name} as double) as {name}" if is_decimal else name
        for name, is_decimal in zip(quoted, decimal, strict=True)
    ))  # fmt: skip


def to_rows(relation) -> list[tuple]:
    """The rows of a (small) relation of any supported engine, as tuples of Python values."""
    if hasattr(relation, "fetchall"):  # DuckDB relation
        return relation.fetchall()
    if hasattr(relation, "collect"):  # Spark and Snowpark DataFrames: Row is a tuple
        return [tuple(row) for row in relation.collect()]
    raise TypeError(
        f"cannot read rows from a {type(relation).__name__}: expected a DuckDB relation (fetchall) or a Spark or "
        "Snowpark DataFrame (collect)"
    )


def _unquoted_lower(name):
    """An upper-case name (Snowflake's form of an unquoted identifier) in lower case; a mixed-case one unchanged."""
    return name.lower() if isinstance(name, str) and name == name.upper() else name


# --- returning frames


def is_snowpark_session(session) -> bool:
    """True for a Snowpark Session (it writes pandas frames and has a stage file API); False for DuckDB and Spark."""
    return hasattr(session, "write_pandas") and hasattr(getattr(session, "file", None), "put_stream")


def to_engine(frame: pd.DataFrame, session) -> pd.DataFrame:
    """The frame a model returns, named as its engine stores it: upper-case column names on Snowflake."""
    if is_snowpark_session(session):
        return frame.rename(columns=lambda name: name.upper() if isinstance(name, str) else name)
    return frame


# --- model artifacts


@runtime_checkable
class ArtifactStore(Protocol):
    """Where trained models are kept: bytes by key (a file name such as ``<version>.joblib``)."""

    location: str

    def save_bytes(self, key: str, data: bytes) -> str:
        """Store data under key; returns what the registry records (see recorded_path)."""

    def load_bytes(self, key: str) -> bytes:
        """The bytes stored under key."""

    def exists(self, key: str) -> bool:
        """Whether something is stored under key."""

    def recorded_path(self, saved) -> str:
        """The artifact_path the registry records for what save_bytes returned."""

    def key_of(self, recorded: str) -> str:
        """The key to load for a registry row's artifact_path."""


class LocalFolderStore:
    """A folder on the machine that runs the model: MODEL_DIR on DuckDB, a /Volumes or /dbfs path on Databricks.

    Files are ``<folder>/<key>``; the registry records them relative to the folder, so the folder can move.
    An absolute key (a row written before paths were relative) is used as it is while that file exists,
    else the file of the same name in the folder.
    """

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self.location = str(folder)

    def path(self, key: str | Path) -> Path:
        return self.folder / key

    def save_bytes(self, key: str, data: bytes) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.path(key)
        path.write_bytes(data)
        return path

    def load_bytes(self, key: str) -> bytes:
        return self.path(key).read_bytes()

    def exists(self, key: str) -> bool:
        return self.path(key).exists()

    def recorded_path(self, saved: str | Path) -> str:
        path, folder = Path(saved).absolute(), self.folder.absolute()
        try:
            return path.relative_to(folder).as_posix()
        except ValueError:
            return str(path)

    def key_of(self, recorded: str | Path) -> str:
        stored = Path(recorded)
        if not stored.is_absolute() or stored.exists():
            return str(stored)
        return stored.name


class SnowflakeStageStore:
    """A Snowflake stage path, ``@db.schema.stage/path``, read and written through the Snowpark session.

    Files are uploaded uncompressed (auto_compress off, so the name stays ``<key>``) and overwritten on a retrain
    of the same version. The registry records the key alone, relative to the stage path like a folder's files.
    """

    def __init__(self, location: str, session):
        if not location.startswith("@"):
            raise ValueError(f"a stage location starts with @: {location!r}")
        if not is_snowpark_session(session):
            raise ValueError(
                f"model_dir {location!r} is a Snowflake stage: it needs the Snowpark session the dbt Python model "
                f"receives, got {type(session).__name__}"
            )
        self.location = location.rstrip("/")
        self.session = session

    def _at(self, key: str) -> str:
        return f"{self.location}/{key}"

    def save_bytes(self, key: str, data: bytes) -> str:
        from io import BytesIO

        self.session.file.put_stream(BytesIO(data), self._at(key), auto_compress=False, overwrite=True)
        return key

    def load_bytes(self, key: str) -> bytes:
        with self.session.file.get_stream(self._at(key)) as stream:
            return stream.read()

    def exists(self, key: str) -> bool:
        # LIST names files <stage name>/<path> without the @ or the database and schema
        rows = self.session.sql(f"list '{self._at(key)}'").collect()
        return any(str(row[0]).endswith("/" + key) or str(row[0]) == key for row in rows)

    def recorded_path(self, saved: str) -> str:
        return str(saved)

    def key_of(self, recorded: str) -> str:
        # a row written to a folder with an absolute path: the file of the same name on the stage
        return recorded.rsplit("/", 1)[-1] if recorded.startswith("/") else recorded


def artifact_store(location, session=None) -> ArtifactStore:
    """The store a model_dir value names: a stage (``@...``, needs the Snowpark session) or a folder.

    ``dbfs:/path`` is read as the driver's FUSE path /dbfs/path. A store passes through unchanged.
    """
    if isinstance(location, ArtifactStore):
        return location
    if location is None or str(location) == "":
        raise ValueError("model_dir is not set: the models need a folder or a stage for their artifacts (MODEL_DIR)")
    if isinstance(location, str) and location.startswith("@"):
        return SnowflakeStageStore(location, session)
    if isinstance(location, str) and location.startswith("dbfs:/"):
        return LocalFolderStore("/dbfs/" + location.removeprefix("dbfs:").lstrip("/"))
    return LocalFolderStore(location)
