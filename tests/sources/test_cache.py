"""The cache of loaded sources: a hit is exactly what parsing gives, and anything that could
change the result misses."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from salesperf.sources import cache, load
from salesperf.sources.load import load_source
from salesperf.sources.models import FileInfo, LoadedSource, Rejection
from salesperf.spec.models import SourceSpec
from tests.properties import examples

COLUMNS = {"date": "Date", "rep": "Rep", "customer": "Customer", "amount": "Amount"}
MESSY = (
    "Date,Rep,Customer,Amount\n"
    '2024-01-03,R1,Acme,"1,200.50"\n'
    "2024-01-04, R2 ,,¥300\n"  # spaces trimmed; no customer; a currency mark
    "not a date,R1,Acme,5\n"  # rejected: bad-date
    "2024-01-05,R3,Zürich AG,abc\n"  # rejected: bad-number
    "2024-01-06,R1,北京公司,(12.00)\n"
    "2024-01-07,,Acme,7\n"  # no rep
) + "".join(f"2024-01-{day},R1,Acme,1\n" for day in range(10, 30))  # too many bad dates stop
FEBRUARY = "Date,Rep,Customer,Amount\n2024-02-01,R2,Acme,10\n2024-02-02,R4,New Co,-\n"


@pytest.fixture
def cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private cache folder that takes sources of any size."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("SALESPERF_CACHE", str(folder))
    monkeypatch.setattr(cache, "MIN_BYTES", 0)
    return folder


def _load(tmp_path: Path, path: str = "orders-*.csv", **options: object) -> LoadedSource:
    source = SourceSpec(path=path, columns=COLUMNS, **options)
    fields = ["rep", "customer", "amount"]
    return load_source("orders", source, tmp_path, fields, ["amount"], shown_base=tmp_path)


def _same(hit: LoadedSource, parsed: LoadedSource) -> None:
    pd.testing.assert_frame_equal(hit.frame, parsed.frame)
    assert (hit.name, hit.files, hit.rejected, hit.warnings) == (
        parsed.name,
        parsed.files,
        parsed.rejected,
        parsed.warnings,
    )
    assert sorted(hit.text_codes) == sorted(parsed.text_codes)
    for field in parsed.text_codes:
        (got, got_values), (want, want_values) = hit.codes(field), parsed.codes(field)
        np.testing.assert_array_equal(got, want)
        assert list(got_values) == list(want_values)


def _no_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: object) -> None:
        raise AssertionError("parsed although the cache holds this source")

    monkeypatch.setattr(load, "_parse", refuse)


def test_a_hit_returns_exactly_what_parsing_gave(
    tmp_path: Path, cached: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "orders-01.csv").write_text(MESSY, encoding="utf-8")
    (tmp_path / "orders-02.csv").write_text(FEBRUARY, encoding="utf-8")
    parsed = _load(tmp_path)
    assert [r.reason for r in parsed.rejected] == ["bad-date", "bad-number"]
    assert len(list(cached.glob("*.npz"))) == 1
    assert oct(cached.stat().st_mode & 0o777) == "0o700"  # sales data: owner only
    _no_parse(monkeypatch)
    hit = _load(tmp_path)
    _same(hit, parsed)
    # Downstream stages group by the loader's codes: they must survive the round trip.
    codes, values = hit.codes("rep")
    assert list(values) == ["R1", "R2", "R4"] and codes.tolist()[:4] == [0, 1, 0, -1]
    assert codes.tolist()[-2:] == [1, 2]  # the second file's R2 and R4


def test_changed_file_settings_or_names_miss(
    tmp_path: Path, cached: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "orders-01.csv"
    data.write_text(MESSY, encoding="utf-8")
    first = _load(tmp_path)
    # One byte changed: a miss, and the new value is what is returned.
    data.write_text(MESSY.replace("(12.00)", "(13.00)"), encoding="utf-8")
    second = _load(tmp_path)
    assert second.frame["amount"].tolist()[2] == -13.0 != first.frame["amount"].tolist()[2]
    # Another setting that reaches the loader: a miss too (here, an extra missing marker).
    third = _load(tmp_path, missing_values=["Acme"])
    assert third.frame["customer"].isna().sum() == 1 + 22
    # Another source name over the same files is the same load, under its own name.
    source = SourceSpec(path="orders-*.csv", columns=COLUMNS)
    other = load_source("sales", source, tmp_path, ["rep", "customer", "amount"], ["amount"])
    assert other.name == "sales"
    assert len(list(cached.glob("*.npz"))) == 4  # the last one is shown from another base


def test_damaged_entry_is_dropped_and_the_source_parsed(tmp_path: Path, cached: Path) -> None:
    (tmp_path / "orders-01.csv").write_text(MESSY, encoding="utf-8")
    parsed = _load(tmp_path)
    (entry,) = cached.glob("*.npz")
    entry.write_bytes(b"PK\x03\x04 not really a zip")
    again = _load(tmp_path)
    _same(again, parsed)
    assert entry.exists() and entry.stat().st_size > 100  # parsed, then stored afresh


def test_off_unwritable_and_small_sources_are_not_cached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "orders-01.csv").write_text(MESSY, encoding="utf-8")
    folder = tmp_path / "cache"
    monkeypatch.setenv("SALESPERF_CACHE", str(folder))
    _load(tmp_path)  # far below MIN_BYTES
    assert not folder.exists()
    monkeypatch.setattr(cache, "MIN_BYTES", 0)
    monkeypatch.setenv("SALESPERF_CACHE", "off")
    assert cache.cache_dir() is None
    _load(tmp_path)
    assert not folder.exists()
    # A cache folder that cannot be created (a file is in the way): the load still works.
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    monkeypatch.setenv("SALESPERF_CACHE", str(blocker / "cache"))
    assert len(_load(tmp_path).frame) == 24


def test_default_folder_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("SALESPERF_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache.cache_dir() == tmp_path / "salesperf"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache.cache_dir() == Path.home() / ".cache" / "salesperf"


def test_least_recently_used_entries_are_evicted(
    tmp_path: Path, cached: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for month in ("01", "02", "03"):
        (tmp_path / f"orders-{month}.csv").write_text(MESSY, encoding="utf-8")
    _load(tmp_path, path="orders-01.csv")
    _load(tmp_path, path="orders-02.csv")
    (older, newer) = sorted(cached.glob("*.npz"), key=lambda p: p.stat().st_mtime)
    os.utime(older, (1, 1))
    os.utime(newer, (2, 2))
    _load(tmp_path, path="orders-01.csv")  # a hit: now the most recently used
    one = older.stat().st_size
    monkeypatch.setattr(cache, "MAX_TOTAL_BYTES", 2 * one + one // 2)
    _load(tmp_path, path="orders-03.csv")  # three entries do not fit: the oldest goes
    assert older.exists() and not newer.exists()
    assert len(list(cached.glob("*.npz"))) == 2


def test_a_file_changed_while_it_was_read_is_not_stored(
    tmp_path: Path, cached: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "orders-01.csv"
    data.write_text(MESSY, encoding="utf-8")
    real = load._parse

    def rewrite_then_parse(*args: object) -> LoadedSource:
        data.write_text(MESSY + "2024-01-08,R1,Acme,1\n", encoding="utf-8")
        return real(*args)

    monkeypatch.setattr(load, "_parse", rewrite_then_parse)
    assert len(_load(tmp_path).frame) == 25
    assert not list(cached.glob("*.npz"))


texts = st.one_of(st.none(), st.text(max_size=12))


@settings(max_examples=examples(60), deadline=None)
@given(
    rows=st.lists(
        st.tuples(texts, st.floats(allow_nan=True), st.integers(0, 10**6), texts),
        max_size=20,
    )
)
def test_encoding_round_trips_any_values(rows: list[tuple]) -> None:
    """Unicode (surrogates included), missing text, NaN, NaT and both file codes survive."""
    text = pd.array([r[0] for r in rows], dtype="string")
    dates = pd.to_datetime([r[2] for r in rows], unit="D", origin="2000-01-01")
    if rows:
        dates = dates.where([r[3] is not None for r in rows])
    files = [
        FileInfo("a.csv", "csv", "utf-8", ",", None, 1, "0" * 64, "%Y-%m-%d"),
        FileInfo("b.xlsx", "xlsx", None, None, "Sheet1", 2, "1" * 64, None),
    ]
    frame = pd.DataFrame(
        {
            "date": dates,
            "rep": text,
            "amount": [r[1] for r in rows],
            "_file": pd.Categorical.from_codes(
                [i % 2 for i in range(len(rows))], categories=["a.csv", "b.xlsx"]
            ),
            "_row": np.arange(2, len(rows) + 2, dtype=np.int64),
        }
    )
    loaded = LoadedSource(
        "s", frame, files, [Rejection("a.csv", 9, "bad-date", "Date", "\udcff?")], ["note ✓"]
    )
    back = cache._decode(cache._encode(loaded), "s")
    pd.testing.assert_frame_equal(back.frame, frame)
    assert (back.files, back.rejected, back.warnings) == (files, loaded.rejected, ["note ✓"])


# --- trust: the cache is as trusted as its folder, and each entry checks its own digest ---------


def test_an_edited_entry_is_not_served(tmp_path: Path, cached: Path) -> None:
    """The forgery of issue 20: amounts x10 in an entry, header untouched."""
    (tmp_path / "orders-01.csv").write_text(MESSY, encoding="utf-8")
    parsed = _load(tmp_path)
    (entry,) = cached.glob("*.npz")
    with np.load(entry, allow_pickle=False) as stored:
        arrays = dict(stored.items())
    column = next(
        name for name, values in arrays.items() if values.dtype == np.float64 and len(values) > 2
    )
    arrays[column] = arrays[column] * 10
    with entry.open("wb") as handle:
        np.savez(handle, allow_pickle=False, **arrays)
    again = _load(tmp_path)
    _same(again, parsed)
    assert again.frame["amount"].sum() == parsed.frame["amount"].sum()


def test_an_entry_copied_under_another_key_is_not_served(tmp_path: Path, cached: Path) -> None:
    (tmp_path / "orders-01.csv").write_text(MESSY, encoding="utf-8")
    (tmp_path / "orders-02.csv").write_text(FEBRUARY, encoding="utf-8")
    january = _load(tmp_path, path="orders-01.csv")
    (first,) = cached.glob("*.npz")
    february = _load(tmp_path, path="orders-02.csv")
    (second,) = set(cached.glob("*.npz")) - {first}
    second.write_bytes(first.read_bytes())  # February's key now holds January's rows
    again = _load(tmp_path, path="orders-02.csv")
    _same(again, february)
    assert len(again.frame) != len(january.frame)


@pytest.mark.parametrize("mode", [0o777, 0o770, 0o702])
def test_a_folder_others_can_write_is_refused(tmp_path: Path, cached: Path, mode: int) -> None:
    (tmp_path / "orders-01.csv").write_text(MESSY, encoding="utf-8")
    cached.mkdir()
    cached.chmod(mode)
    with pytest.raises(cache.CacheError) as exc:
        _load(tmp_path)
    message = str(exc.value)
    assert f"can write to it (mode {mode:o})" in message
    assert "chmod 700" in message and "SALESPERF_CACHE=off" in message
    assert not list(cached.iterdir())
    cached.chmod(0o700)
    assert len(_load(tmp_path).frame) == 24


def test_a_folder_of_another_user_is_refused(
    tmp_path: Path, cached: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "orders-01.csv").write_text(MESSY, encoding="utf-8")
    cached.mkdir(mode=0o700)
    owner = cached.stat().st_uid
    monkeypatch.setattr(cache.os, "geteuid", lambda: owner + 1)
    with pytest.raises(cache.CacheError, match=f"belongs to user id {owner}"):
        _load(tmp_path)


def test_a_forgeable_cache_is_exit_2_on_the_command_line(tmp_path: Path, cached: Path) -> None:
    from typer.testing import CliRunner

    from salesperf.cli import app

    mini = Path(__file__).parents[1] / "fixtures" / "mini"
    cached.mkdir()
    cached.chmod(0o777)
    result = CliRunner().invoke(app, ["progress", str(mini / "kpi.yaml")])
    assert result.exit_code == 2, result.output
    assert "The load cache folder cannot be trusted" in result.output
    assert "Traceback" not in result.output
