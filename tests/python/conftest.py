"""Shared fixtures: generate demo data and run dbt against it in a temp folder."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import pickle
import shutil
import subprocess
import sys
import traceback
import warnings
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from filelock import FileLock
from generate_demo_data import GeneratorConfig, generate

PROJECT_DIR = Path(__file__).resolve().parents[2]
DBT = Path(sys.executable).parent / "dbt"
# Small enough to build in seconds, large enough that every RFM segment and
# every kind of dirt appears.
E2E_CONTACTS = 2_000
E2E_END_DATE = "2026-06-01"


@dataclass
class Build:
    """A dbt build of the project on one raw folder, into its own DuckDB file."""

    raw_dir: Path
    db_path: Path
    work_dir: Path
    result: subprocess.CompletedProcess
    # what the rebuild's change returned about the rows it planted (see rebuild)
    planted: object = None

    def query(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.db_path), read_only=True) as con:
            return con.execute(sql).fetchall()

    def scalar(self, sql: str):
        return self.query(sql)[0][0]


# dbt reads the warehouse and saved models at these paths relative to its working directory, the build's
# own folder: the profile is then the same for every build, so dbt's partial parsing can reuse a parse.
# Tables audit_row_counts accounts for that are the project's own files, not raw contract
# tables (the API's exposure log, models/staging/api): the demo generator writes none of them.
OWN_FILE_TABLES = frozenset({"api_exposures"})


def contract_rows(rows: list) -> list:
    """audit_row_counts rows (table first, raw rows second) of the raw contract tables.

    The project's own files are accounted for too; the demo writes none, so they must hold no row."""
    own = {row[0]: row for row in rows if row[0] in OWN_FILE_TABLES}
    assert set(own) == OWN_FILE_TABLES, "audit_row_counts lacks an own-file table"
    assert all(row[1] == 0 for row in own.values()), own
    return [row for row in rows if row[0] not in OWN_FILE_TABLES]


# A shell's EXPOSURE_DIR (say, the one `make serve` writes to) must not reach the suite's builds;
# a test that wants an exposure log sets it (monkeypatch) after this.
os.environ.pop("EXPOSURE_DIR", None)

# run_dbt runs dbt in the test's own process (dbt's documented dbtRunner), not a new one: each dbt process
# spends seconds of CPU importing dbt, pandas, scikit-learn and xgboost before it does anything, and the suite
# makes about 80 dbt calls. DBT_IN_PROCESS=0 runs each call as its own `dbt` process, as the suite once did.
IN_PROCESS = os.environ.get("DBT_IN_PROCESS", "1") != "0"
RELATIVE_DUCKDB_PATH = "warehouse.duckdb"
RELATIVE_MODEL_DIR = "models"
# One parse of the project per (project, vars), the partial_parse.msgpack a build wrote: see run_dbt. Kept in
# memory and in a folder every pytest-xdist worker reads (shared_parses), so a parse one worker made serves all.
_PARSES: dict[tuple[str, str], bytes] = {}
_PARSE_DIR: list[Path] = []


def _parse_file(key: tuple[str, str]) -> Path | None:
    return _PARSE_DIR[0] / f"{hashlib.sha256(repr(key).encode()).hexdigest()}.msgpack" if _PARSE_DIR else None


def _saved_parse(key: tuple[str, str]) -> bytes | None:
    if key not in _PARSES and (path := _parse_file(key)) is not None and path.exists():
        _PARSES[key] = path.read_bytes()
    return _PARSES.get(key)


def _save_parse(key: tuple[str, str], parse: bytes) -> None:
    _PARSES[key] = parse
    if (path := _parse_file(key)) is not None and not path.exists():
        partial = path.with_name(f"{path.name}.{os.getpid()}")
        partial.write_bytes(parse)
        partial.replace(path)  # whole or absent: another worker never reads half a file


@pytest.fixture(scope="session", autouse=True)
def shared_parses(tmp_path_factory) -> None:
    """The folder of saved parses: the run's shared temp root under pytest-xdist, this session's own without."""
    if "PYTEST_XDIST_WORKER" in os.environ:
        folder = tmp_path_factory.getbasetemp().parent / "parses"
        folder.mkdir(exist_ok=True)
    else:
        folder = tmp_path_factory.mktemp("parses")
    _PARSE_DIR[:] = [folder]


def dbt_env(raw_dir: Path, work_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of every dbt (or make) run in the suite: the project's profile, a raw folder, a work folder."""
    return {
        # the API's exposure log: the work folder's own (none) unless a test sets one
        "EXPOSURE_DIR": str(work_dir / "exposures"),
        # a shell's AS_OF_DATE would pin "today" in every test: only a test that passes it sets it
        **{name: value for name, value in os.environ.items() if name != "AS_OF_DATE"},
        "RAW_DATA_DIR": str(raw_dir),
        "DUCKDB_PATH": str(work_dir / "warehouse.duckdb"),
        "DBT_PROFILES_DIR": str(PROJECT_DIR),
        "DBT_PROJECT_DIR": str(PROJECT_DIR),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
        "MODEL_DIR": str(work_dir / "models"),
        **extra,
    }


def run_dbt(
    args: list[str], raw_dir: Path, work_dir: Path, dbt_vars: dict | None = None, env: dict[str, str] | None = None
) -> Build:
    """Run a dbt command with the project's profile, isolated in work_dir (the suite's one dbt runner).

    dbt runs in work_dir, with the warehouse (work_dir/warehouse.duckdb) and saved models (work_dir/models)
    given relative to it. A parse depends on the project files, the vars and the profile, and the profile
    now reads the same in every folder, so a build in a new folder starts from the parse an earlier build of
    the same project with the same vars wrote (dbt's own partial parsing: it still re-reads every file and
    re-parses what changed). Saves the parse, a few seconds of CPU, in each of the suite's dbt runs.
    env: more environment variables for this run.
    """
    work_dir.mkdir(parents=True, exist_ok=True)
    db_path = work_dir / "warehouse.duckdb"
    env = dbt_env(raw_dir, work_dir, DUCKDB_PATH=RELATIVE_DUCKDB_PATH, MODEL_DIR=RELATIVE_MODEL_DIR, **(env or {}))
    target = work_dir / "target"
    parse_key = (str(PROJECT_DIR), json.dumps(dbt_vars or {}, sort_keys=True))
    if not (target / "partial_parse.msgpack").exists() and (parse := _saved_parse(parse_key)) is not None:
        target.mkdir(parents=True, exist_ok=True)
        (target / "partial_parse.msgpack").write_bytes(parse)
    cmd = [
        str(DBT),
        *args,
        "--target-path",
        str(target),
        "--log-path",
        str(work_dir / "logs"),
        "--vars",
        json.dumps(dbt_vars or {}),
    ]
    if IN_PROCESS:
        result = _invoke_in_process(cmd, work_dir, env)
    else:
        result = subprocess.run(cmd, cwd=work_dir, env=env, capture_output=True, text=True, check=False)
    if parse_key not in _PARSES and (target / "partial_parse.msgpack").exists():
        _save_parse(parse_key, (target / "partial_parse.msgpack").read_bytes())
    return Build(raw_dir=raw_dir, db_path=db_path, work_dir=work_dir, result=result)


def _invoke_in_process(cmd: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    """cmd run by dbtRunner in this process, with env as the whole environment and cwd as the working folder.

    Returns what subprocess.run would: dbt's console log and whatever else was printed as stdout; what was
    printed to stderr, the warnings raised and the exception (if any) as stderr (checks that nothing personal
    reaches the output read both); dbt's exit code (0 done, 1 a node failed, 2 dbt itself failed). A
    pytest-xdist worker runs one test at a time, so swapping the process's environment and folder for the
    call is safe. dbt-duckdb keeps its database open between invocations (it closes it only at exit): it is
    closed here, so the test can read the warehouse and the next call opens its own.
    """
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    from dbt.cli.main import dbtRunner
    from dbt_common.events.functions import capture_stdout_logs, stop_capture_stdout_logs

    saved_env, saved_cwd = dict(os.environ), Path.cwd()
    out, err = io.StringIO(), io.StringIO()
    os.environ.clear()
    os.environ.update(env)
    os.chdir(cwd)
    capture_stdout_logs(out)
    try:
        with (
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(err),
            warnings.catch_warnings(record=True) as warned,
        ):
            warnings.simplefilter("default")
            res = dbtRunner().invoke(cmd[1:])
    finally:
        stop_capture_stdout_logs()
        with DuckDBConnectionManager._LOCK:
            if DuckDBConnectionManager._ENV is not None:
                DuckDBConnectionManager._ENV.close()
                DuckDBConnectionManager._ENV = None
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
    stderr = err.getvalue() + "".join(
        warnings.formatwarning(w.message, w.category, w.filename, w.lineno) for w in warned
    )
    if res.exception:
        stderr += "".join(traceback.format_exception(res.exception))
    return subprocess.CompletedProcess(cmd, 0 if res.success else 2 if res.exception else 1, out.getvalue(), stderr)


def assert_ok(build: Build) -> Build:
    assert build.result.returncode == 0, build.result.stdout[-6000:] + build.result.stderr[-3000:]
    return build


def made_once(tmp_path_factory, name: str, make):
    """What make(folder) returns, made once per test run even when pytest-xdist runs the suite in workers.

    Each xdist worker is a process with its own session fixtures, so a session build would run once per
    worker. The first worker to ask makes it in a folder of the run's shared temp root, under a file lock,
    and leaves it pickled there; the others wait on the lock and read it. Without xdist: a plain mktemp.
    What is made must then only be read (tests that change a build copy it: warehouse_copy, rebuild).
    """
    if "PYTEST_XDIST_WORKER" not in os.environ:
        return make(tmp_path_factory.mktemp(name))
    root = tmp_path_factory.getbasetemp().parent / name
    made = root / "made.pickle"
    with FileLock(f"{root}.lock"):
        if made.exists():
            return pickle.loads(made.read_bytes())
        if root.exists():  # an earlier worker failed half way: start again
            shutil.rmtree(root)
        root.mkdir()
        value = make(root)
        made.write_bytes(pickle.dumps(value))
        return value


@pytest.fixture(scope="session")
def demo_data(tmp_path_factory) -> tuple[Path, Path, dict]:
    """Raw data and truth from the generator, shared by every end-to-end test."""

    def make(root: Path) -> tuple[Path, Path, dict]:
        raw, truth_dir = root / "raw", root / "truth"
        cfg = GeneratorConfig(contacts=E2E_CONTACTS, days=365, products=200, seed=7, end_date=E2E_END_DATE)
        generate(cfg, raw, truth_dir)
        return raw, truth_dir, json.loads((truth_dir / "truth.json").read_text())

    return made_once(tmp_path_factory, "demo", make)


@pytest.fixture(scope="session")
def built(demo_data, tmp_path_factory) -> Build:
    """The whole project built (seeds, models, data and unit tests) on the demo data as of its end date.

    `dbt build` alone (the default selector, `make build`) leaves unit tests out:
    they check the project's logic, so CI runs them here on data whose types we control.
    """
    raw, _, _ = demo_data

    def make(work: Path) -> Build:
        return assert_ok(run_dbt(["build", "--select", "fqn:*"], raw, work, {"as_of_date": E2E_END_DATE}))

    return made_once(tmp_path_factory, "build", make)


@pytest.fixture(scope="session")
def warehouse_copy(built, tmp_path_factory):
    """Factory: a new work folder holding a copy of the session build's warehouse and saved models.

    For tests that run dbt again on what a full build left (score only, a retrain, an export refresh)
    without changing the session build other tests read.
    """

    def copy(name: str = "copy") -> Path:
        work = tmp_path_factory.mktemp(name)
        shutil.copy(built.db_path, work / "warehouse.duckdb")
        shutil.copytree(built.work_dir / "models", work / "models")
        return work

    return copy


# What a rebuild runs unless told otherwise: every seed, model and data test, as `make build` does. The unit
# tests check the project's logic on their own fixtures, whatever the raw data: the session build runs them.
BUILD = ("build", "--exclude-resource-type", "unit_test")


@pytest.fixture(scope="session")
def rebuild(demo_data, tmp_path_factory):
    """Factory for the suite's rebuilds: the demo raw data copied, changed by the caller, built in a new folder.

    rebuild("consent", plant) copies the raw folder to <tmp>/consent*/raw, calls plant(raw) and runs BUILD as
    of the demo's end date into <tmp>/consent*/work; the Build, holding what plant returned as .planted,
    is returned once dbt passed (check=False returns it either way). args, dbt_vars, raw_name (the copy's
    folder name), env (extra environment such as EXPORT_DIR, a function of the root folder) and work (build
    into an existing folder, e.g. a warehouse_copy) vary it.
    """

    def rebuild_(
        name: str,
        change=None,
        *,
        args=BUILD,
        dbt_vars: dict | None = None,
        raw_name: str = "raw",
        work: Path | None = None,
        env=None,
        check: bool = True,
    ) -> Build:
        root = tmp_path_factory.mktemp(name)
        raw = copy_raw(demo_data[0], root / raw_name)
        planted = change(raw) if change is not None else None
        with pytest.MonkeyPatch.context() as mp:
            for key, value in (env(root) if env else {}).items():
                mp.setenv(key, str(value))
            dbt_vars = {"as_of_date": E2E_END_DATE} if dbt_vars is None else dbt_vars
            done = run_dbt(list(args), raw, work or root / "work", dbt_vars)
        done.planted = planted
        return assert_ok(done) if check else done

    return rebuild_


def consent_rows_build(tmp_path_factory, rebuild, plant_consent, plant_esp_leavers) -> Build:
    """One build of the demo data with the consent module's hostile rows and the ESP-profile module's leavers.

    test_consent_end_to_end and test_esp_profiles_end_to_end each plant rows for their own people into the same
    raw tables (email_subscriptions, crm_contacts; email_events for consent), and each reads only its own
    people, so one build serves both (a full build saved). Each module passes both planting functions, so
    whichever asks first makes the same build.
    """

    def plant(raw: Path) -> None:
        plant_consent(raw)
        plant_esp_leavers(raw)

    return made_once(tmp_path_factory, "consent_rows", lambda _: rebuild("consent_rows", plant))


def first_exported_person(built: Build, truth_dir: Path):
    """The first planted person (truth order) the session build exports to Mailchimp: the activation scan's."""
    people = pd.read_parquet(truth_dir / "people.parquet")
    members = {r[0] for r in built.query("select email_address from exports.sync_mailchimp__members")}
    return people[people["email"].isin(members)].iloc[0]


def first_served_people(built: Build) -> list[tuple]:
    """The first two personalised people the API serves: email, contact, external and customer id, first name,
    first recommendation. The API's hot swap erases the first; the second must stay served."""
    return built.query(
        """
        select p.email, p.contact_id, x.external_id, p.customer_id, p.first_name, p.rec_1_product_id
        from main.fct_customer_personalization as p
        inner join main.dim_customer_external_ids as x on p.customer_id = x.customer_id and x.is_active
        where not p.is_global_holdout and p.first_name is not null
        order by p.customer_id
        limit 2
        """
    )


@pytest.fixture(scope="session")
def erasure_request_build(built, demo_data, rebuild, tmp_path_factory) -> Build:
    """The demo data rebuilt with erasure requests (the var erasure_email_sha256s) for two people.

    Two tests need a build of the same raw data in which one person asked to be erased: the activation test
    scans every mart and export for its person, the API test hot-swaps to it and checks its person now gets
    the fallback. Each checks only its own person, so one build erasing both serves both (a full build saved).
    The API's second served person must stay in it: that test checks they are still found.
    """
    _, truth_dir, _ = demo_data
    activation_email = first_exported_person(built, truth_dir)["email"]
    (api_email, *_), still_served = first_served_people(built)
    assert still_served[0] not in (activation_email, api_email), "the person who must stay served is erased"
    shas = [hashlib.sha256(email.encode()).hexdigest() for email in (activation_email, api_email)]
    return made_once(
        tmp_path_factory,
        "erasure_request",
        lambda _: rebuild("erasure_request", dbt_vars={"as_of_date": E2E_END_DATE, "erasure_email_sha256s": shas}),
    )


def copy_raw(raw: Path, dest: Path) -> Path:
    shutil.copytree(raw, dest)
    return dest


def read_raw_table(raw: Path, table: str):
    """A raw table as the demo wrote it (Parquet with its types, or CSV as text), and its path."""
    path = raw / f"{table}.parquet"
    if path.exists():
        return pd.read_parquet(path), path
    path = raw / f"{table}.csv"
    return pd.read_csv(path, dtype=str, keep_default_na=False), path


def write_raw_table(frame, path: Path) -> None:
    """Write a raw table back in the format it was read from."""
    if path.suffix == ".parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False)


def raw_timestamp(frame, column: str, value):
    """A Timestamp in the column's own type: native timestamps stay native, text becomes ISO text."""
    return value if str(frame[column].dtype).startswith("datetime") else value.isoformat()
