"""python_udfs/dbt_io.py: the dbt Python models read refs and keep artifacts the same way on every engine.

DuckDB is real; Spark/Databricks and Snowpark objects are duck-typed fakes with
the methods those engines give a dbt Python model, so no pyspark or snowpark is needed.
"""

import importlib.util
import io
import os
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd
import pytest

import python_udfs.dbt_io as dbt_io
from python_udfs.dbt_io import (
    ARROW_CONF,
    ArtifactStore,
    LocalFolderStore,
    SnowflakeStageStore,
    artifact_store,
    is_snowpark_session,
    rows_with_keys,
    to_engine,
    to_pandas,
    to_pandas_batches,
    to_rows,
)
from python_udfs.registry import (
    current_model,
    load_artifact,
    raise_if_no_registry,
    registry_frame,
    registry_row,
    save_artifact,
)

ROOT = Path(__file__).resolve().parents[2]
FRAME = pd.DataFrame({"customer_id": ["c1", "c2"], "order_count": [3, 0]})
WINDOW = ("2026-05-01 00:00:00", "2026-06-01 00:00:00")


# --- duck-typed fakes of what Spark/Databricks and Snowpark hand a dbt Python model


class FakeRow(tuple):
    """pyspark.sql.Row and snowflake.snowpark.Row are tuple subclasses."""


class FakeConf:
    def __init__(self):
        self.values = {}

    def set(self, key, value):
        self.values[key] = value


class FakeSparkSession:
    def __init__(self):
        self.conf = FakeConf()

    def createDataFrame(self, frame):  # noqa: N802 (Spark's name)
        return frame


class FakeSparkDataFrame:
    def __init__(self, frame, spark):
        self.frame, self.sparkSession = frame, spark

    def toPandas(self):  # noqa: N802 (Spark's name)
        assert self.sparkSession.conf.values.get(ARROW_CONF) == "true", "toPandas should go through Arrow"
        return self.frame.copy()

    def collect(self):
        return [FakeRow(row) for row in self.frame.itertuples(index=False)]


class FakeStageFiles:
    """session.file of Snowpark: put_stream / get_stream on full stage paths."""

    def __init__(self):
        self.files: dict[str, bytes] = {}
        self.puts: list[dict] = []

    def put_stream(self, input_stream, stage_location, *, parallel=4, auto_compress=True,
                   source_compression="AUTO_DETECT", overwrite=False):  # fmt: skip
        self.puts.append({"location": stage_location, "auto_compress": auto_compress, "overwrite": overwrite})
        if stage_location in self.files and not overwrite:
            raise RuntimeError("file exists")
        name = stage_location + (".gz" if auto_compress else "")
        self.files[name] = input_stream.read()

    def get_stream(self, stage_location, *, parallel=10, decompress=False):
        if stage_location not in self.files:
            raise RuntimeError(f"{stage_location} does not exist or not authorized")
        return io.BytesIO(self.files[stage_location])


class FakeResult:
    def __init__(self, rows):
        self.rows = rows

    def collect(self):
        return self.rows


class FakeSnowparkSession:
    def __init__(self):
        self.file = FakeStageFiles()

    def write_pandas(self, *args, **kwargs):
        raise AssertionError("not used")

    def sql(self, query):
        # LIST '@db.schema.stage/prefix': rows named <stage>/<path> (no @, no database or schema), by prefix
        prefix = re.fullmatch(r"list '(@[^']+)'", query).group(1)
        names = [name for name in self.file.files if name.startswith(prefix)]
        return FakeResult([FakeRow((name.split(".", 2)[-1], len(self.file.files[name]))) for name in names])


class FakeSnowparkDataFrame:
    def __init__(self, frame):
        self.frame = frame

    def to_pandas(self):
        # Snowflake names unquoted identifiers in upper case
        return self.frame.rename(columns=str.upper)

    def collect(self):
        return [FakeRow(row) for row in self.frame.itertuples(index=False)]


# --- reading refs


def test_a_duckdb_relation_is_read_through_arrow_as_before():
    relation = duckdb.connect().sql("select 'c1' as customer_id, 3 as order_count, timestamp '2026-11-30' as at")
    pd.testing.assert_frame_equal(to_pandas(relation), relation.to_arrow_table().to_pandas())
    assert to_rows(relation) == relation.fetchall() == [("c1", 3, datetime(2026, 11, 30))]


def test_decimals_read_as_doubles_are_the_floats_of_the_decimals_and_nothing_else_changes():
    con = duckdb.connect()
    # money-like values, extremes of DECIMAL(18,2) below 2^53 cents, negatives, nulls; a column name with a quote
    con.execute("""
        create table t as
        select
            'c' || i as "customer id",
            cast((cast(hash(i) % 2000000000000 as bigint) - 1000000000000) / 100.0 as decimal(18, 2)) as monetary_value,
            cast(case when i % 7 = 0 then null else (hash(i * 3) % 1000000) / 1000.0 end as decimal(12, 3)) as "a""b",
            i as order_count
        from range(200000) as r(i)
        union all
        select 'edge', 90071992547409.91, -0.005, 1
    """)  # fmt: skip
    relation = con.table("t")
    as_doubles = dbt_io.decimals_as_double(relation)
    assert as_doubles.columns == relation.columns
    assert [str(kind) for kind in as_doubles.types] == ["VARCHAR", "DOUBLE", "DOUBLE", "BIGINT"]
    decimals, doubles = to_pandas(relation), to_pandas(as_doubles)
    for name in ("monetary_value", 'a"b'):
        assert decimals[name].dtype == object  # Python Decimals, what feature_matrix converted one by one
        assert (decimals[name].astype(float).isna() == doubles[name].isna()).all()
        known = decimals[name].notna()
        assert (decimals[name][known].astype(float).to_numpy() == doubles[name][known].to_numpy()).all()
    pd.testing.assert_frame_equal(decimals[["customer id", "order_count"]], doubles[["customer id", "order_count"]])
    plain = con.sql("select 1 as x")
    assert dbt_io.decimals_as_double(plain) is plain
    assert dbt_io.decimals_as_double(FRAME) is FRAME  # not a DuckDB relation: unchanged


def test_repeated_ids_can_be_read_as_categoricals_on_every_engine():
    relation = duckdb.connect().sql("select 'c' || (range % 3) as customer_id, range as n from range(10)")
    whole = to_pandas(relation)
    for out in (to_pandas(relation, categorical=("customer_id",)),
                to_pandas(FakeSparkDataFrame(whole, FakeSparkSession()), categorical=("customer_id",))):  # fmt: skip
        assert isinstance(out["customer_id"].dtype, pd.CategoricalDtype)
        assert sorted(out["customer_id"].cat.categories) == ["c0", "c1", "c2"]
        assert out["customer_id"].astype(str).tolist() == whole["customer_id"].tolist()
        assert out["n"].tolist() == whole["n"].tolist()


def test_categoricals_read_in_parts_with_different_values_are_the_rows_as_read(monkeypatch):
    # several parts (DuckDB hands out batches of about 120,000 rows), each with values the others lack, and nulls:
    # the dictionaries of the parts are unified, every row keeps its value
    monkeypatch.setattr(dbt_io, "CATEGORICAL_READ_ROWS", 100_000)
    relation = duckdb.connect().sql(
        "select 'c' || (range % 7919) as customer_id, 'p' || (range // 150000) as product_id,"
        " case when range % 3 = 0 then 'o' || (range // 2) end as order_id, range as n from range(600000)"
    )
    whole = to_pandas(relation)
    out = to_pandas(relation, categorical=("customer_id", "product_id", "order_id"))
    for name in ("customer_id", "product_id", "order_id"):
        assert isinstance(out[name].dtype, pd.CategoricalDtype)
        assert out[name].cat.categories.is_unique
        pd.testing.assert_series_equal(out[name].astype(whole[name].dtype), whole[name])
    assert sorted(out["product_id"].cat.categories) == [f"p{i}" for i in range(4)]
    assert out["n"].tolist() == whole["n"].tolist()


def test_duckdb_sorts_the_rows_it_reads_when_asked_nulls_last_as_the_recommender_sorts_them():
    relation = duckdb.connect().sql(
        "select * from (values ('b', 'p2', 2, null), ('a', 'p9', 1, 'o1'), ('b', 'p10', 3, 'o2'), ('a', 'p9', 1, null),"
        " ('é', 'p1', 0, 'o3')) as rows (customer_id, product_id, n, order_id)"
    )
    order = ("customer_id", "product_id", "n", "order_id")
    out = to_pandas(relation, categorical=("customer_id", "product_id", "order_id"), order_by=order)
    assert out.astype(object).where(out.notna(), None).values.tolist() == [
        ["a", "p9", 1, "o1"], ["a", "p9", 1, None], ["b", "p10", 3, "o2"], ["b", "p2", 2, None], ["é", "p1", 0, "o3"]
    ]  # fmt: skip
    # the order the recommender would put them in: code point order, nulls last (so in_order finds them sorted)
    expected = out.astype(object).sort_values(list(order), kind="stable", na_position="last")
    assert expected.index.tolist() == list(range(5))
    assert to_pandas(relation, order_by=order)["n"].tolist() == [1, 1, 3, 2, 0]


def test_a_duckdb_relation_is_read_in_batches_of_at_most_the_size_asked():
    con = duckdb.connect()
    relation = con.sql("select range as n, 'c' || range as customer_id from range(2500)")
    batches = list(to_pandas_batches(relation, 1000))
    assert len(batches) >= 3
    assert all(len(b) <= 1000 for b in batches)
    together = pd.concat(batches, ignore_index=True).sort_values("n", ignore_index=True)
    pd.testing.assert_frame_equal(together, to_pandas(relation).sort_values("n", ignore_index=True))
    # no rows: one empty frame, with the columns
    (empty,) = to_pandas_batches(con.sql("select 1 as n, 'c' as customer_id where false"), 1000)
    assert empty.empty
    assert list(empty.columns) == ["n", "customer_id"]
    # Spark and Snowpark: one frame
    (whole,) = to_pandas_batches(FakeSparkDataFrame(FRAME, FakeSparkSession()), 1)
    pd.testing.assert_frame_equal(whole, FRAME)


def test_a_spark_dataframe_is_read_with_arrow():
    spark = FakeSparkSession()
    pd.testing.assert_frame_equal(to_pandas(FakeSparkDataFrame(FRAME, spark)), FRAME)
    assert spark.conf.values == {ARROW_CONF: "true"}


def test_a_snowpark_dataframe_comes_back_with_lower_case_names():
    frame = FRAME.assign(**{"MixedCase": [1, 2]})
    out = to_pandas(FakeSnowparkDataFrame(frame))
    assert list(out.columns) == ["customer_id", "order_count", "mixedcase"]
    # a quoted mixed-case name stays as Snowflake holds it
    quoted = FakeSnowparkDataFrame(frame)
    quoted.to_pandas = lambda: frame.rename(columns={"customer_id": "CUSTOMER_ID"})
    assert list(to_pandas(quoted).columns) == ["customer_id", "order_count", "MixedCase"]


@pytest.mark.parametrize("relation", [FakeSparkDataFrame(FRAME, FakeSparkSession()), FakeSnowparkDataFrame(FRAME)])
def test_rows_of_spark_and_snowpark_are_plain_tuples(relation):
    rows = to_rows(relation)
    assert rows == [("c1", 3), ("c2", 0)]
    assert all(type(row) is tuple for row in rows)


def test_an_unknown_object_says_what_it_expected():
    with pytest.raises(TypeError, match="DuckDB relation"):
        to_pandas(object())
    with pytest.raises(TypeError, match="fetchall"):
        to_rows(object())


# --- returning frames


def test_only_snowflake_gets_upper_case_column_names():
    assert is_snowpark_session(FakeSnowparkSession())
    assert not is_snowpark_session(FakeSparkSession())
    assert not is_snowpark_session(duckdb.connect())
    assert list(to_engine(FRAME, FakeSnowparkSession()).columns) == ["CUSTOMER_ID", "ORDER_COUNT"]
    assert to_engine(FRAME, duckdb.connect()) is FRAME
    assert to_engine(FRAME, FakeSparkSession()) is FRAME


# --- artifact stores


def test_a_folder_store_keeps_files_where_model_dir_always_had_them(tmp_path):
    store = artifact_store(str(tmp_path / "models"))
    assert isinstance(store, LocalFolderStore)
    assert isinstance(store, ArtifactStore)
    assert not store.exists("propensity-abc.joblib")
    saved = store.save_bytes("propensity-abc.joblib", b"model")
    assert saved == tmp_path / "models" / "propensity-abc.joblib"
    assert saved.read_bytes() == b"model"
    assert store.exists("propensity-abc.joblib")
    assert store.load_bytes("propensity-abc.joblib") == b"model"
    assert store.recorded_path(saved) == "propensity-abc.joblib"
    assert artifact_store(store) is store


def test_a_joblib_file_is_byte_identical_to_a_direct_dump(tmp_path):
    import joblib

    payload = {"model": {"weights": list(range(1000))}, "reference": FRAME}
    path = save_artifact(tmp_path, "clv-1", payload)
    joblib.dump(payload, tmp_path / "direct.joblib")
    assert path.read_bytes() == (tmp_path / "direct.joblib").read_bytes()


def test_a_databricks_dbfs_uri_is_the_drivers_fuse_path():
    assert artifact_store("dbfs:/mnt/models").folder == Path("/dbfs/mnt/models")
    assert artifact_store("/Volumes/main/crm/models").folder == Path("/Volumes/main/crm/models")


def test_a_stage_store_writes_uncompressed_files_through_the_session():
    session = FakeSnowparkSession()
    store = artifact_store("@analytics.ml.models/email/", session)
    assert isinstance(store, SnowflakeStageStore)
    assert isinstance(store, ArtifactStore)
    assert not store.exists("churn-1.joblib")
    assert store.save_bytes("churn-1.joblib", b"v1") == "churn-1.joblib"
    store.save_bytes("churn-1.joblib", b"v2")  # a retrain of the same version overwrites
    assert session.file.puts[-1] == {
        "location": "@analytics.ml.models/email/churn-1.joblib", "auto_compress": False, "overwrite": True,
    }  # fmt: skip
    assert store.load_bytes("churn-1.joblib") == b"v2"
    assert store.exists("churn-1.joblib")
    assert not store.exists("churn-1.job")  # LIST matches prefixes; exists wants the whole name


def test_a_stage_needs_the_snowpark_session():
    with pytest.raises(ValueError, match="Snowpark session"):
        artifact_store("@analytics.ml.models", duckdb.connect())
    with pytest.raises(ValueError, match="MODEL_DIR"):
        artifact_store(None)


def _row(version, path, trained_at, store, failed=None):
    return registry_row("recommendations", version, {"ndcg@10": 0.3}, {"top_n": 10}, ["purchase"], {}, WINDOW,
                        path, trained_at, WINDOW[1], store, failed)  # fmt: skip


def test_the_registry_saves_records_and_loads_through_a_stage():
    store = artifact_store("@analytics.ml.models", FakeSnowparkSession())
    good = save_artifact(store, "recommendations-aaa", {"model": {"weights": [1, 2]}})
    worse = save_artifact(store, "recommendations-bbb", {"model": "worse"})
    registry = registry_frame([
        _row("recommendations-aaa", good, "2026-06-01 06:00:00", store),
        _row("recommendations-bbb", worse, "2026-06-08 06:00:00", store, "below popularity"),
    ])  # fmt: skip
    assert registry["artifact_path"].tolist() == ["recommendations-aaa.joblib", "recommendations-bbb.joblib"]
    run, saved = current_model(registry, "recommendations", store)
    assert run["current"]["model_version"] == "recommendations-aaa"
    assert saved == {"model": {"weights": [1, 2]}}
    # a row written to a folder with an absolute path finds the file of the same name on the stage
    assert load_artifact({"artifact_path": "/old/models/recommendations-bbb.joblib"}, store) == {"model": "worse"}


def test_a_missing_registry_is_recognised_on_spark_too():
    spark_error = Exception("[TABLE_OR_VIEW_NOT_FOUND] The table or view `ml`.`ml_recommender_runs` cannot be found.")
    with pytest.raises(RuntimeError, match="not in this warehouse yet"):
        raise_if_no_registry(spark_error)
    raise_if_no_registry(Exception("something else"))  # returns; the caller re-raises


# --- the models themselves


MODELS = sorted(ROOT.glob("models/*/*/*.py"))


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.stem)
def test_no_model_calls_an_engine_specific_reader(path):
    source = path.read_text()
    assert not re.search(r"\.(to_arrow_table|fetchall|df|toPandas|collect)\(", source), path.name
    assert "to_engine(" in source, f"{path.name} should return to_engine(frame, session)"


class FakeDbt:
    def __init__(self, refs, config):
        self.refs, self.config = refs, FakeConfig(config)

    def ref(self, name):
        return self.refs[name]


class FakeConfig(dict):
    def __call__(self, **kwargs):
        pass


def _cutoffs_model():
    path = ROOT / "models/intermediate/ml/int_training_cutoffs_planned.py"
    spec = importlib.util.spec_from_file_location("int_training_cutoffs_planned", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.model


def test_a_model_gives_the_same_frame_on_every_engine():
    model = _cutoffs_model()
    config = {"horizon_days": "30", "min_feature_days": "90", "target_rows": "200", "max_rows": "600000",
              "max_snapshots": "24"}  # fmt: skip
    con = duckdb.connect()
    history = con.sql("select timestamp '2026-11-30' as as_of_at, timestamp '2025-01-10' as first_order_at, "
                      "1000::bigint as customers")  # fmt: skip
    frame = history.to_arrow_table().to_pandas()
    on_duckdb = model(FakeDbt({"int_training_history_measured": history}, config), con)
    spark = FakeSparkSession()
    on_spark = model(FakeDbt({"int_training_history_measured": FakeSparkDataFrame(frame, spark)}, config), spark)
    on_snowflake = model(
        FakeDbt({"int_training_history_measured": FakeSnowparkDataFrame(frame)}, config), FakeSnowparkSession()
    )
    assert len(on_duckdb) > 1
    pd.testing.assert_frame_equal(on_spark, on_duckdb)
    assert list(on_snowflake.columns) == [name.upper() for name in on_duckdb.columns]
    pd.testing.assert_frame_equal(on_snowflake.rename(columns=str.lower), on_duckdb)


def test_duckdb_keeps_the_rows_whose_keys_are_chosen_and_other_engines_choose_as_they_read():
    con = duckdb.connect()
    relation = con.sql(
        "select * from (values ('a', timestamp '2026-01-01', 1), ('a', timestamp '2026-02-01', 2),"
        " ('b', timestamp '2026-01-01', 3), ('b', timestamp '2026-01-01', 4), (null, timestamp '2026-01-01', 5))"
        " as rows (customer_id, cutoff_at, n)"
    )
    keys = pd.DataFrame(
        {"customer_id": ["a", "b", "b", "c"], "cutoff_at": pd.to_datetime(["2026-02-01", "2026-01-01"] * 2)}
    )
    chosen = rows_with_keys(con, relation, keys)
    # each matching row once (b's key is chosen twice), nothing for a key without rows, null keys never match
    assert sorted(n for (n,) in chosen.project("n").fetchall()) == [2, 3, 4]
    assert chosen.columns == ["customer_id", "cutoff_at", "n"]
    assert rows_with_keys(con, pd.DataFrame({"customer_id": ["a"]}), keys) is None


@pytest.mark.parametrize(("setting", "advised"), [(None, False), ("1", True), ("0", False)])
def test_importing_the_package_turns_numpys_huge_page_advice_off_unless_numpy_is_told(setting, advised):
    """python_udfs/__init__.py: off by default; NUMPY_MADVISE_HUGEPAGE, numpy's own switch, wins when set."""
    env = {key: value for key, value in os.environ.items() if key != "NUMPY_MADVISE_HUGEPAGE"}
    if setting is not None:
        env["NUMPY_MADVISE_HUGEPAGE"] = setting
    code = "import numpy, python_udfs; print(numpy._core.multiarray._get_madvise_hugepage())"
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=root, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == str(advised)
