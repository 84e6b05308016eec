"""Loading sales exports: every awkward file we have met, reproduced in a few lines.

Each test writes a tiny file to tmp_path and checks either the exact loaded values or the
exact error (file, row, column, code). Two of them reproduce the quirks of the real files
in /work/shared/data (Northwind orders.csv, Kaggle sales_data_sample.csv) without reading
them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from salesperf.errors import DataError, Location, SalesperfError
from salesperf.sources import LoadedSource, load_roster, load_source, read_header
from salesperf.spec.models import OrgSpec, SourceSpec
from tests.properties import examples

FIXTURES = Path(__file__).parents[1] / "fixtures" / "data"
Loader = Callable[..., LoadedSource]


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


@pytest.fixture
def put(tmp_path: Path) -> Callable[[str, str | bytes], Path]:
    """put("a.csv", text_or_bytes): text is written as UTF-8 with its line endings kept."""

    def _put(name: str, content: str | bytes) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        data = content.encode("utf-8") if isinstance(content, str) else content
        path.write_bytes(data)
        return path

    return _put


@pytest.fixture
def load(tmp_path: Path, put: Callable[[str, str | bytes], Path]) -> Loader:
    """load(name, content, {field: header}, numeric=[...], fields=None, **spec options)."""

    def _load(
        name: str,
        content: str | bytes | None,
        columns: dict[str, str],
        numeric: tuple[str, ...] | list[str] = (),
        fields: list[str] | None = None,
        **options: object,
    ) -> LoadedSource:
        if content is not None:
            put(name, content)
        source = SourceSpec(path=name, columns=columns, **options)
        return load_source("orders", source, tmp_path, fields, numeric, shown_base=tmp_path)

    return _load


def reasons(loaded: LoadedSource) -> list[tuple[int, str, str | None, str | None]]:
    return [(r.row, r.reason, r.column, r.value) for r in loaded.rejected]


def only_finding(exc: pytest.ExceptionInfo[DataError]):
    assert len(exc.value.findings) == 1, exc.value
    return exc.value.findings[0]


# --- clean files and the frame contract ---------------------------------------------------


def test_clean_csv_gives_typed_frame_with_file_and_row(load: Loader) -> None:
    loaded = load(
        "orders.csv",
        "Order Date,Rep,Amount,Territory,Unused\n"
        "2017-03-01,Ann,100.5,NA,x\n"
        "2017-03-02, Bob ,,EMEA,y\n",
        {"date": "Order Date", "rep": "Rep", "amount": "Amount", "territory": "Territory"},
        numeric=["amount"],
    )
    frame = loaded.frame
    assert list(frame.columns) == ["date", "rep", "amount", "territory", "_file", "_row"]
    assert frame["date"].dtype == "datetime64[ns]"
    assert frame["amount"].dtype == "float64"
    assert frame["rep"].dtype == "string"
    assert frame["rep"].tolist() == ["Ann", "Bob"]  # surrounding spaces stripped
    assert frame["amount"].iloc[0] == 100.5 and np.isnan(frame["amount"].iloc[1])  # blank: NaN
    assert frame["territory"].tolist() == ["NA", "EMEA"]  # "NA" is North America, not missing
    assert frame["_row"].tolist() == [2, 3]
    assert frame["_file"].dtype == "category"
    assert frame["_file"].tolist() == ["orders.csv", "orders.csv"]
    assert frame["_file"].cat.codes.tolist() == [0, 0]
    info = loaded.files[0]
    assert (info.path, info.format, info.encoding, info.delimiter) == (
        "orders.csv",
        "csv",
        "utf-8",
        ",",
    )
    assert info.date_format == "%Y-%m-%d" and len(info.sha256) == 64
    assert (loaded.rows_read, loaded.rows_loaded, loaded.rejected) == (2, 2, [])


def test_fields_selects_columns_and_date_is_always_loaded(load: Loader) -> None:
    loaded = load(
        "o.csv",
        "d,r,a\n2017-03-01,Ann,5\n",
        {"date": "d", "rep": "r", "amount": "a"},
        fields=["rep"],
    )
    assert list(loaded.frame.columns) == ["date", "rep", "_file", "_row"]


def test_unmapped_field_is_an_error(load: Loader) -> None:
    with pytest.raises(DataError, match="does not map field"):
        load("o.csv", "d\n2017-03-01\n", {"date": "d"}, fields=["rep"])


# --- the two real files, reproduced ---------------------------------------------------------

NORTHWIND = (
    "orderID,customerID,employeeID,orderDate,requiredDate,shippedDate,shipVia,freight,"
    "shipName,shipAddress,shipCity,shipRegion,shipPostalCode,shipCountry\n"
    "10248,VINET,5,1996-07-04 00:00:00.000,1996-08-01 00:00:00.000,1996-07-16 00:00:00.000,"
    "3,32.38,Vins et alcools Chevalier,59 rue de l'Abbaye,Reims,NULL,51100,France\n"
    "10249,TOMSP,6,1996-07-05 00:00:00.000,1996-08-16 00:00:00.000,1996-07-10 00:00:00.000,"
    "1,11.61,Toms Spezialitäten,Luisenstr. 48,Münster,NULL,44087,Germany\n"
    "10250,HANAR,4,1996-07-08 00:00:00.000,1996-08-05 00:00:00.000,1996-07-12 00:00:00.000,"
    "2,65.83,Hanari Carnes,Rua do Paço, 67,Rio de Janeiro,RJ,05454-876,Brazil\n"
    "10251,VICTE,3,1996-07-08 00:00:00.000,1996-08-05 00:00:00.000,1996-07-15 00:00:00.000,"
    "1,41.34,Victuailles en stock,2, rue du Commerce,Lyon,NULL,69004,France\n"
    "10252,SUPRD,4,1996-07-09 00:00:00.000,1996-08-06 00:00:00.000,NULL,"
    "2,51.30,Suprêmes délices,Boulevard Tirou 255,Charleroi,NULL,B-6000,Belgium\n"
)
NORTHWIND_MAP = {
    "date": "orderDate",
    "rep": "employeeID",
    "customer": "customerID",
    "amount": "freight",
    "city": "shipCity",
}


def test_northwind_unquoted_commas_recovered_when_used_columns_are_unaffected(
    load: Loader,
) -> None:
    # Lines 4 and 5 have 15 fields: "Rua do Paço, 67" and "2, rue du Commerce" are unquoted.
    # The used columns (orderID..freight) lie before any column that could have split.
    loaded = load(
        "orders.csv",
        NORTHWIND,
        NORTHWIND_MAP,
        numeric=["amount"],
        fields=["date", "rep", "customer", "amount"],
    )
    frame = loaded.frame
    assert frame["customer"].tolist() == ["VINET", "TOMSP", "HANAR", "VICTE", "SUPRD"]
    assert frame["rep"].tolist() == ["5", "6", "4", "3", "4"]
    assert frame["amount"].tolist() == [32.38, 11.61, 65.83, 41.34, 51.30]
    assert frame["date"].tolist()[2:4] == [ts("1996-07-08"), ts("1996-07-08")]
    assert frame["_row"].tolist() == [2, 3, 4, 5, 6]
    assert loaded.files[0].date_format == "%Y-%m-%d %H:%M:%S.%f"
    assert loaded.rejected == []
    (warning,) = loaded.warnings
    assert "2 line(s) have 15 fields instead of the header's 14 (first: line 4)" in warning
    assert "all recovered" in warning


def test_northwind_rows_rejected_when_a_used_column_could_have_shifted(load: Loader) -> None:
    # shipCity lies after the split: from the left it reads " 67", from the right it reads
    # "Rio de Janeiro", and the address could be either column: never guessed.
    loaded = load("orders.csv", NORTHWIND, NORTHWIND_MAP, numeric=["amount"])
    assert loaded.frame["city"].tolist() == ["Reims", "Münster", "Charleroi"]
    assert [(r.row, r.reason, r.column) for r in loaded.rejected] == [
        (4, "wrong-field-count", None),
        (5, "wrong-field-count", None),
    ]
    assert loaded.rejected[0].value.startswith("10250,HANAR,4,1996-07-08")
    assert len(loaded.rejected[0].value) <= 60
    assert loaded.rejected_by_reason == {"wrong-field-count": [4, 5]}
    assert (loaded.rows_read, loaded.rows_loaded) == (5, 3)


SALES_SAMPLE = (
    "ORDERNUMBER,SALES,ORDERDATE,CUSTOMERNAME,ADDRESSLINE1,TERRITORY,CONTACTLASTNAME\r\n"
    "10107,2871,2/24/2003 0:00,Land of Toys Inc.,897 Long Airport Avenue,NA,Yu\r\n"
    "10121,2765.9,05/07/2003 00:00,Reims Collectables,59 rue de l'Abbaye,EMEA,Henriot\r\n"
    "10134,3884.34,7/1/2003 0:00,Lyon Souveniers,27 rue du Colonel Pierre Avia,EMEA,Da Cunha\r\n"
    "10145,3746.7,8/25/2003 0:00,Toys4GrownUps.com,78934 Hillside Dr.,NA,Young\r\n"
    "10159,3884.34,12/01/2003 00:00,Baane Mini Imports,Berguvsvägen  8,EMEA,Larsson\r\n"
    "10168,3479.76,10/28/2003 0:00,Euro Shopping Channel,C/ Moralzarzal 86,EMEA,Freyre\r\n"
    "10180,2497.77,11/11/2003 0:00,Corrida Auto Replicas,C/ Araquil 67,EMEA,Sommer Martín\r\n"
)


def test_sales_sample_cp437_crlf_month_first_and_literal_na(load: Loader) -> None:
    # Code page 437 bytes (ä = 0x84, í = 0xA1), CRLF, "m/d/yyyy h:mm" mixed with
    # "mm/dd/yyyy hh:mm": 2/24 and 8/25 and 10/28 prove month-first for the whole file.
    loaded = load(
        "sales.csv",
        SALES_SAMPLE.encode("cp437"),
        {
            "date": "ORDERDATE",
            "amount": "SALES",
            "customer": "CUSTOMERNAME",
            "territory": "TERRITORY",
            "rep": "CONTACTLASTNAME",
            "address": "ADDRESSLINE1",
        },
        numeric=["amount"],
    )
    frame = loaded.frame
    assert frame["date"].tolist() == [
        ts("2003-02-24"),
        ts("2003-05-07"),  # not 5 July
        ts("2003-07-01"),
        ts("2003-08-25"),
        ts("2003-12-01"),  # not 12 January
        ts("2003-10-28"),
        ts("2003-11-11"),
    ]
    assert frame["territory"].tolist() == ["NA", "EMEA", "EMEA", "NA", "EMEA", "EMEA", "EMEA"]
    assert frame["address"].iloc[4] == "Berguvsvägen  8"
    assert frame["rep"].iloc[6] == "Sommer Martín"
    # 2871 + 2765.9 + 3884.34 + 3746.7 + 3884.34 + 3479.76 + 2497.77
    assert frame["amount"].sum() == pytest.approx(23129.81)
    info = loaded.files[0]
    assert (info.encoding, info.date_format) == ("cp437", "%m/%d/%Y %H:%M")
    (warning,) = loaded.warnings
    assert "read it as cp437" in warning and "Berguvsvägen" in warning


# --- encodings --------------------------------------------------------------------------


def test_gbk_csv_from_chinese_excel(load: Loader) -> None:
    text = (
        "订单日期,销售员,金额,客户\r\n"
        '2017/3/1,张伟,"￥1,234.50",北京公司\r\n'
        "2017/3/2,李娜,88,上海\r\n"
    )
    loaded = load(
        "销售.csv",
        text.encode("gbk"),
        {"date": "订单日期", "rep": "销售员", "amount": "金额", "customer": "客户"},
        numeric=["amount"],
    )
    assert loaded.files[0].encoding == "gb18030"
    assert loaded.frame["rep"].tolist() == ["张伟", "李娜"]
    assert loaded.frame["amount"].tolist() == [1234.5, 88.0]
    assert loaded.frame["date"].tolist() == [ts("2017-03-01"), ts("2017-03-02")]
    assert loaded.warnings == []


def test_utf8_bom_semicolons_and_decimal_comma(load: Loader) -> None:
    text = "\ufeffDatum;Betrag;Region\r\n24.02.2003;1.234,50;NA\r\n01.03.2003;12,5;EMEA\r\n"
    loaded = load("de.csv", text, {"date": "Datum", "amount": "Betrag"}, numeric=["amount"])
    info = loaded.files[0]
    assert (info.encoding, info.delimiter, info.date_format) == ("utf-8-sig", ";", "%d.%m.%Y")
    assert loaded.frame["amount"].tolist() == [1234.5, 12.5]
    assert loaded.frame["date"].tolist() == [ts("2003-02-24"), ts("2003-03-01")]
    assert "decimal comma" in loaded.warnings[0]


def test_utf16_tab_text_as_excel_saves_unicode_text(load: Loader) -> None:
    text = "Date\tRep\tAmount\r\n2003-01-01\tJosé\t5\r\n"
    loaded = load("export.txt", text.encode("utf-16"), {"date": "Date", "rep": "Rep"})
    assert (loaded.files[0].encoding, loaded.files[0].delimiter) == ("utf-16", "\t")
    assert loaded.frame["rep"].tolist() == ["José"]


def test_cp1252_fallback_warns_and_explicit_encoding_wins(load: Loader) -> None:
    content = "Date,Customer\n2003-01-01,Café “Müller”\n".encode("cp1252")
    loaded = load("w.csv", content, {"date": "Date", "customer": "Customer"})
    assert loaded.files[0].encoding == "cp1252"
    assert loaded.frame["customer"].tolist() == ["Café “Müller”"]
    assert "read it as cp1252" in loaded.warnings[0]
    explicit = load("w.csv", None, {"date": "Date", "customer": "Customer"}, encoding="cp1252")
    assert explicit.warnings == [] and explicit.files[0].encoding == "cp1252"
    # An explicit but wrong encoding is obeyed: the undecodable row is rejected, not guessed
    # (and with no row left, the source cannot be used).
    with pytest.raises(DataError) as exc:
        load("w.csv", None, {"date": "Date", "customer": "Customer"}, encoding="utf-8")
    finding = exc.value.findings[0]
    assert finding.code == "no-usable-rows" and finding.location.line == 2
    assert "all 1 were rejected (1 encoding; the first on row 2" in finding.message
    assert "set encoding: to the file's encoding" in finding.message


def test_unknown_encoding_name(load: Loader) -> None:
    with pytest.raises(DataError) as exc:
        load("u.csv", "Date\n2003-01-01\n", {"date": "Date"}, encoding="utf-9")
    finding = only_finding(exc)
    assert finding.code == "unknown-encoding"
    assert finding.location == Location("u.csv", None, "encoding")
    assert "unknown encoding 'utf-9' (did you mean 'utf-8'?)" in finding.message


def test_utf8_file_with_one_damaged_line(load: Loader) -> None:
    lines = [f"2017-03-{d:02d},张伟{d}\n".encode() for d in range(1, 20)]
    content = b"Date,Rep\n" + lines[0] + b"2017-03-31,bad\xff name\n" + b"".join(lines[1:])
    loaded = load("mixed.csv", content, {"date": "Date", "rep": "Rep"})
    assert loaded.files[0].encoding == "utf-8"
    assert [(r.row, r.reason) for r in loaded.rejected] == [(3, "encoding")]
    assert loaded.rows_loaded == 19 and loaded.frame["rep"].iloc[1] == "张伟2"
    assert "not valid utf-8" in loaded.warnings[0]


def test_nul_bytes_reject_their_rows_and_trailing_padding_is_ignored(load: Loader) -> None:
    content = b"Date,Amount\n2003-01-01,5\n2003-01-02,6\x00\n2003-01-03,7\n" + b"\x00" * 40
    loaded = load("nul.csv", content, {"date": "Date", "amount": "Amount"}, numeric=["amount"])
    assert loaded.frame["amount"].tolist() == [5.0, 7.0]
    assert reasons(loaded) == [(3, "nul-byte", None, "2003-01-02,6")]
    assert any("40 NUL bytes padding" in w for w in loaded.warnings)


def test_binary_garbage_named_csv(load: Loader) -> None:
    with pytest.raises(DataError) as exc:
        load("garbage.csv", bytes(range(256)) * 4, {"date": "Date"})
    finding = only_finding(exc)
    assert finding.code == "not-text" and finding.location.file == "garbage.csv"
    assert "is not a text CSV file" in finding.message


# --- delimiters, quoting, line structure ---------------------------------------------------


def test_pipe_tab_and_explicit_delimiter(load: Loader, put) -> None:
    pipe = load("p.txt", "Date|Amount|Note\n2003-01-01|1,5|a, b\n", {"date": "Date"})
    assert pipe.files[0].delimiter == "|"
    tsv = load("t.tsv", "Date\tAmount\n2003-01-01\t5\n", {"date": "Date", "a": "Amount"})
    assert tsv.files[0].delimiter == "\t" and tsv.frame["a"].tolist() == ["5"]
    # Commas and semicolons split this file equally well: sniffing picks the comma, the
    # spec's delimiter: overrides it.
    text = "Date;Amount,Net\n2003-01-01;5,4\n"
    assert read_header(put("e.csv", text)) == ["Date;Amount", "Net"]
    explicit = load("e.csv", None, {"date": "Date", "a": "Amount,Net"}, delimiter=";")
    assert explicit.files[0].delimiter == ";" and explicit.frame["a"].tolist() == ["5,4"]


def test_quoted_fields_with_newlines_quotes_and_row_numbers(load: Loader) -> None:
    text = (
        "Date,Note,Amount\n"
        '2003-01-01,"two\nlines, with comma",5\n'
        '2003-01-02,"say ""hi""",6\n'
        "2003-01-03,plain,x\n"
    )
    loaded = load("q.csv", text, {"date": "Date", "note": "Note", "amount": "Amount"}, ["amount"])
    assert loaded.frame["note"].tolist() == ["two\nlines, with comma", 'say "hi"']
    assert loaded.frame["_row"].tolist() == [2, 4]  # the record on line 2 spans two lines
    assert reasons(loaded) == [(5, "bad-number", "Amount", "x")]


def test_irregular_quote_inside_unquoted_field_takes_the_csv_module_lane(load: Loader) -> None:
    text = 'Date,Item,Amount\n2003-01-01,5" screen,5\n\n2003-01-02,"ok",6\n'
    loaded = load("i.csv", text, {"date": "Date", "item": "Item", "amount": "Amount"}, ["amount"])
    assert loaded.frame["item"].tolist() == ['5" screen', "ok"]
    assert loaded.frame["_row"].tolist() == [2, 4]
    assert loaded.frame["amount"].tolist() == [5.0, 6.0]


def test_blank_lines_and_trailing_delimiters_are_skipped_not_rejected(load: Loader) -> None:
    text = 'Date,Amount,\n2003-01-01,5,\n\n,,\n2003-01-02,6,,\n"","",""\n   \n'
    loaded = load("b.csv", text, {"date": "Date", "amount": "Amount"}, ["amount"])
    assert loaded.frame["_row"].tolist() == [2, 5]
    assert (loaded.rows_read, loaded.rejected) == (2, [])


def test_line_ending_variants_and_header_quirks(load: Loader) -> None:
    # Classic Mac CR-only lines; a header with a trailing delimiter the rows lack; "tab".
    mac = load("mac.csv", "Date,Amount\r2003-01-01,5\r2003-01-02,6\r", {"date": "Date"})
    assert mac.frame["_row"].tolist() == [2, 3]
    wide = load("w.csv", "Date,Amount,\n2003-01-01,5\n", {"date": "Date", "a": "Amount"})
    assert (wide.frame["a"].tolist(), wide.rejected) == (["5"], [])
    tab = load("t.csv", "Date\tAmount\n2003-01-01\t5\n", {"date": "Date"}, delimiter="tab")
    assert tab.files[0].delimiter == "\t"
    sheet = load("s.csv", "Date\n2003-01-01\n", {"date": "Date"}, sheet="Orders")
    assert sheet.warnings == ["s.csv: sheet: is ignored for a CSV file"]


def test_missing_date_rows_are_rejected_not_dropped(load: Loader) -> None:
    text = "Date,Amount,Other\n2003-01-01,5,a\n,6,b\nNULL,7,c\n-,8,d\n"
    loaded = load("m.csv", text, {"date": "Date", "amount": "Amount"}, ["amount"])
    assert reasons(loaded) == [
        (3, "missing-date", "Date", None),
        (4, "missing-date", "Date", None),
        (5, "missing-date", "Date", None),
    ]


def test_short_rows(load: Loader) -> None:
    # A row cut short keeps the used columns when they are all present and fit the column;
    # the second half of a line broken in two does not fit, so it is rejected.
    text = "Date,Amount,Note,Extra\n2003-01-01,5,a,x\n2003-01-02,6\n2003-01-03,7,broken\nline,z\n"
    loaded = load("s.csv", text, {"date": "Date", "amount": "Amount"}, ["amount"])
    assert loaded.frame["amount"].tolist() == [5.0, 6.0, 7.0]
    assert [(r.row, r.reason) for r in loaded.rejected] == [(5, "wrong-field-count")]


def test_header_row_skips_a_title_block_and_sep_hint(load: Loader) -> None:
    text = "Sales report\nExported 2017-04-01,by admin\nDate,Amount\n2017-03-01,5\n"
    loaded = load("t.csv", text, {"date": "Date", "amount": "Amount"}, ["amount"], header_row=3)
    assert loaded.frame["_row"].tolist() == [4]
    hinted = load("h.csv", "sep=;\nDate;Amount\n2017-03-01;1,5\n", {"date": "Date", "a": "Amount"})
    assert hinted.files[0].delimiter == ";" and hinted.frame["_row"].tolist() == [3]


def test_header_row_beyond_the_file(load: Loader) -> None:
    with pytest.raises(DataError) as exc:
        load("t.csv", "Date\n2017-03-01\n", {"date": "Date"}, header_row=5)
    assert only_finding(exc).code == "header-row"


# --- headers ---------------------------------------------------------------------------


def test_header_matching_trims_and_ignores_case_but_prefers_exact(load: Loader) -> None:
    text = "\ufeff 订单日期 ,收货地址 ,amount,Amount\n2017-03-01,北京,1,2\n"
    loaded = load(
        "h.csv", text, {"date": "订单日期", "address": "收货地址", "amount": "Amount"}, ["amount"]
    )
    assert loaded.frame["address"].tolist() == ["北京"]
    assert loaded.frame["amount"].tolist() == [2.0]  # exact "Amount", not "amount"


def test_missing_header_lists_the_file_headers_and_suggests(load: Loader) -> None:
    with pytest.raises(DataError) as exc:
        load("h.csv", "Order Date,Sales Rep,Amount\n2017-03-01,A,1\n", {"date": "Order Dat"})
    finding = only_finding(exc)
    assert finding.code == "missing-column"
    assert finding.location == Location("h.csv", 1, "Order Dat")
    assert "(did you mean 'Order Date'?)" in finding.message
    assert "the file has: 'Order Date', 'Sales Rep', 'Amount'" in finding.message


def test_every_missing_header_is_reported_at_once(load: Loader) -> None:
    with pytest.raises(DataError) as exc:
        load("h.csv", "a,b\n1,2\n", {"date": "Date", "rep": "Rep"})
    assert [f.location.key for f in exc.value.findings] == ["Date", "Rep"]


def test_duplicate_headers_are_an_error_only_when_mapped(load: Loader) -> None:
    text = "Date,Amount,Amount\n2003-01-01,5,6\n"
    assert load("d.csv", text, {"date": "Date"}).rows_loaded == 1
    with pytest.raises(DataError) as exc:
        load("d.csv", None, {"date": "Date", "amount": "Amount"})
    finding = only_finding(exc)
    assert finding.code == "ambiguous-column"
    assert "appears 2 times, in columns B (#2) and C (#3)" in finding.message


def test_empty_file_and_header_only(load: Loader) -> None:
    with pytest.raises(DataError) as exc:
        load("e.csv", b"\xef\xbb\xbf\r\n", {"date": "Date"})
    assert only_finding(exc).code == "empty-file"
    # A header and no rows would report 0 sold as if it were true: an error (issue 20 #9).
    with pytest.raises(DataError) as exc:
        load("h.csv", "Date,Amount\r\n", {"date": "Date", "amount": "Amount"}, ["amount"])
    error, note = exc.value.findings
    assert error.code == "no-usable-rows" and error.location == Location("h.csv")
    assert error.message == (
        "source 'orders' has no data rows: the file has a header but no rows below it; export the "
        "data again, or point path: at the file with the rows"
    )
    assert str(note) == "h.csv: has a header but no data rows"


# --- amounts and missing values --------------------------------------------------------

AMOUNTS = [
    ("1234.5", 1234.5),
    ("1,234.50", 1234.5),
    ("¥1,234", 1234.0),
    ("￥1,234", 1234.0),
    ("$1,234.50", 1234.5),
    ("€5", 5.0),
    ("£7.25", 7.25),
    ("USD 1,234", 1234.0),
    ("1,234 EUR", 1234.0),
    ("1,234元", 1234.0),
    ("(1,234.50)", -1234.5),
    ("1,234.50-", -1234.5),
    ("-$3", -3.0),
    ("1 234 567", 1234567.0),
    ("1e3", 1000.0),
    ("-", 0.0),  # Excel's Accounting format shows zero as a dash
    ("$ -", 0.0),
    ("", None),
    ("NULL", None),
    ("#N/A", None),
]


def test_amount_forms(load: Loader) -> None:
    # The forms mix currencies, which is only accepted with a currency column mapped.
    body = "".join(f'2003-01-{i + 1:02d},"{raw}",X\n' for i, (raw, _) in enumerate(AMOUNTS))
    columns = {"date": "Date", "a": "Amount", "currency": "Currency"}
    loaded = load("a.csv", "Date,Amount,Currency\n" + body, columns, ["a"])
    got = loaded.frame["a"].tolist()
    for (raw, expected), value in zip(AMOUNTS, got, strict=True):
        if expected is None:
            assert np.isnan(value), raw
        else:
            assert value == pytest.approx(expected), raw
    assert loaded.rejected == []


amount_texts = st.text(
    alphabet=st.sampled_from(list("0123456789,.-$¥€£ ١²1")), min_size=1, max_size=16
) | st.builds(
    lambda sign, symbol, number, decimals: f"{sign}{symbol}{number:,}{decimals}",
    st.sampled_from(["", "-", "- "]),
    st.sampled_from(["", "$", "¥", "€ ", "£"]),
    st.integers(0, 10**15),
    st.sampled_from(["", ".5", ".05", ".", ".x"]),
)


@settings(max_examples=examples(300), deadline=None)
@given(texts=st.lists(amount_texts, min_size=1, max_size=30))
def test_vectorised_grouped_lane_agrees_with_the_regex(texts: list[str]) -> None:
    """The numpy lane for "1,234.50" takes only texts the regex takes, with the value the
    regex lane gives them (the regex lane's formula, written out here as the oracle)."""
    from salesperf.sources.parse import _GROUPED, _plain_grouped

    fast, values, dotted = _plain_grouped(np.asarray(texts, dtype=object))
    for text, ok, value, dot in zip(texts, fast, values, dotted, strict=True):
        match = _GROUPED.fullmatch(text)
        if not ok:
            assert np.isnan(value)
            continue
        assert match is not None, text
        expected = float(match["num"].replace(",", "")) * (-1 if match["neg"] else 1)
        assert value == expected and np.signbit(value) == np.signbit(expected), text
        assert dot == (match["dec"] is not None), text


def test_vectorised_grouped_lane_takes_the_usual_forms(monkeypatch: pytest.MonkeyPatch) -> None:
    from salesperf.sources import parse
    from salesperf.sources.parse import _plain_grouped

    monkeypatch.setattr(parse, "_TEXT_CHUNK", 3)  # chunks of 3, 3 and 1 texts

    texts = ["1,234.50", "-$1,234", "¥12,345,678.9", "1,23", "1,2345", "$-1,000", "1,000."]
    fast, values, dotted = _plain_grouped(np.asarray(texts, dtype=object))
    assert fast.tolist() == [True, True, True, False, False, False, False]
    assert values[:3].tolist() == [1234.5, -1234.0, 12345678.9]
    assert dotted.tolist() == [True, False, True, False, False, False, False]


def test_bad_numbers_are_rejected_and_decimal_comma_is_not_guessed(load: Loader) -> None:
    # "12,50" could only be a decimal comma, but "7.5" proves a decimal point: bad number.
    text = "Date,Amount\n2003-01-01,12,50\n2003-01-02,7.5\n2003-01-03,abc\n"
    quoted = text.replace("12,50", '"12,50"')
    loaded = load("n.csv", quoted, {"date": "Date", "a": "Amount"}, ["a"])
    assert loaded.frame["a"].tolist() == [7.5]
    assert reasons(loaded) == [
        (2, "bad-number", "Amount", "12,50"),
        (4, "bad-number", "Amount", "abc"),
    ]


def test_missing_markers_and_missing_values_from_the_spec(load: Loader) -> None:
    text = "Date,Territory,Rep\n" + "".join(
        f"2003-01-0{i},{value},r{i}\n"
        for i, value in enumerate(["NA", "NULL", "N/A", "#N/A", "NaN", "null", "", "TBD"], 1)
    )
    loaded = load("m.csv", text, {"date": "Date", "territory": "Territory"})
    assert loaded.frame["territory"].tolist()[:1] == ["NA"]
    assert loaded.frame["territory"].isna().tolist() == [False] + [True] * 6 + [False]
    extended = load("m.csv", None, {"date": "Date", "t": "Territory"}, missing_values=["TBD"])
    assert extended.frame["t"].isna().sum() == 7


# --- dates -----------------------------------------------------------------------------

DATE_FORMS = [
    (["2017-03-01", "2017-03-31"], "2017-03-01", "%Y-%m-%d"),
    (["2017-03-01 00:00:00.000", "2017-03-31 00:00:00.000"], "2017-03-01", None),
    (["2017/3/1", "2017/12/31"], "2017-03-01", "%Y/%m/%d"),
    (["24/02/2003", "1/3/2003"], "2003-02-24", "%d/%m/%Y"),
    (["2/24/2003 0:00", "05/07/2003 13:05"], "2003-02-24", "%m/%d/%Y %H:%M"),
    (["24-02-03", "01-03-03"], "2003-02-24", "%d-%m-%y"),
    (["2017年3月1日", "2017年3月31日"], "2017-03-01", "%Y年%m月%d日"),
    (["43101", "43132"], "2018-01-01", "Excel serial"),  # 1900 system: 43101 = 2018-01-01
    (["24-Feb-2003", "3-Mar-2003"], "2003-02-24", "%d-%b-%Y"),
    (["20170301", "20170331"], "2017-03-01", "%Y%m%d"),
    (["2017-03-01T10:30:00", "2017-03-02T11:00:00"], "2017-03-01 10:30", "%Y-%m-%dT%H:%M:%S"),
]


@pytest.mark.parametrize(("values", "first", "fmt"), DATE_FORMS)
def test_date_forms(load: Loader, values: list[str], first: str, fmt: str | None) -> None:
    text = "Date,N\n" + "".join(f"{v},{i}\n" for i, v in enumerate(values))
    loaded = load("d.csv", text, {"date": "Date"})
    assert loaded.frame["date"].iloc[0] == ts(first)
    assert loaded.rows_loaded == len(values)
    if fmt:
        assert loaded.files[0].date_format == fmt


def test_ambiguous_dates_stop_with_examples_and_the_fix(load: Loader) -> None:
    text = "Order Date,Amount\n05/07/2003 00:00,5\n01/02/2003 00:00,6\n03/04/2003 00:00,7\n"
    with pytest.raises(DataError) as exc:
        load("amb.csv", text, {"date": "Order Date"})
    finding = only_finding(exc)
    assert finding.code == "ambiguous-dates"
    assert finding.location == Location("amb.csv", 2, "Order Date")
    assert "row 2: '05/07/2003 00:00', row 3: '01/02/2003 00:00'" in finding.message
    assert 'date_format: "%m/%d/%Y %H:%M"' in finding.message
    assert 'date_format: "%d/%m/%Y %H:%M"' in finding.message


def test_mixed_day_first_and_month_first_stops(load: Loader) -> None:
    text = "Date\n24/02/2003\n2/24/2003\n13/03/2003\n3/13/2003\n"
    with pytest.raises(DataError) as exc:
        load("mix.csv", text, {"date": "Date"})
    finding = only_finding(exc)
    assert finding.code == "mixed-date-order"
    assert "row 2: '24/02/2003'" in finding.message and "row 3: '2/24/2003'" in finding.message


def test_one_day_first_value_in_a_month_first_file_is_rejected(load: Loader) -> None:
    # 1 of 151 values (0.7%, under the 1% limit) can only be day-first: rejected, reported.
    month_first = [f"{m}/{d}/2003" for m in range(1, 13) for d in range(13, 29)][:150]
    rows = "\n".join([*month_first, "24/02/2003"])
    loaded = load("us.csv", f"Date\n{rows}\n", {"date": "Date"})
    assert loaded.rows_loaded == 150
    assert reasons(loaded) == [(152, "bad-date", "Date", "24/02/2003")]
    assert any("can only be read day-first in a month-first file" in w for w in loaded.warnings)


def test_explicit_date_format_rejects_what_does_not_match(load: Loader) -> None:
    text = "Date\n05/07/2003\n2003-07-05\n1/2/2003\n"
    loaded = load("f.csv", text, {"date": "Date"}, date_format="%m/%d/%Y")
    assert loaded.frame["date"].tolist() == [ts("2003-05-07"), ts("2003-01-02")]
    assert reasons(loaded) == [(3, "bad-date", "Date", "2003-07-05")]
    assert loaded.files[0].date_format == "%m/%d/%Y"
    with pytest.raises(DataError) as exc:
        load("f.csv", None, {"date": "Date"}, date_format="%Y.%m.%d")
    assert only_finding(exc).code == "date-format-mismatch"
    with pytest.raises(DataError) as exc:
        load("f.csv", None, {"date": "Date"}, date_format="%Q")
    assert only_finding(exc).code == "bad-date-format"
    # A date-only format still reads values that carry a time (and keeps the time).
    timed = load(
        "t.csv",
        "Date\n2/24/2003 0:00\n05/07/2003 13:05\n",
        {"date": "Date"},
        date_format="%m/%d/%Y",
    )
    assert timed.frame["date"].tolist() == [ts("2003-02-24"), ts("2003-05-07 13:05")]


def test_a_few_bad_dates_are_rejected_many_stop(load: Loader) -> None:
    # 1 of 30 values (3%) is not a date: rejected. 2 of 10 (20%): the column is wrong.
    rows = [f"2017-03-{d:02d}" for d in range(1, 30)]
    loaded = load("few.csv", "Date\n" + "\n".join(["TBD", *rows]) + "\n", {"date": "Date"})
    assert reasons(loaded) == [(2, "bad-date", "Date", "TBD")]
    with pytest.raises(DataError) as exc:
        load("many.csv", "Date\n" + "\n".join(["TBD", "n/a?", *rows[:8]]) + "\n", {"date": "Date"})
    finding = only_finding(exc)
    assert finding.code == "not-dates" and "missing_values:" in finding.message


def test_ambiguous_file_takes_the_order_its_siblings_prove(load: Loader, put) -> None:
    put("data/orders-01.csv", "Date\n05/07/2003\n01/02/2003\n")
    put("data/orders-02.csv", "Date\n05/17/2003\n01/22/2003\n")
    loaded = load("data/orders-*.csv", None, {"date": "Date"})
    assert loaded.frame["date"].tolist()[:2] == [ts("2003-05-07"), ts("2003-01-02")]
    assert any("like the other files" in w for w in loaded.warnings)


# --- globs -----------------------------------------------------------------------------


def test_glob_concatenates_files_in_name_order(load: Loader, put) -> None:
    put("data/orders-2017-02.csv", "Rep,Date\nBob,2017-02-01\n")
    put("data/orders-2017-01.csv", "Date,Rep\n2017-01-01,Ann\n2017-01-02,Cy\n")
    loaded = load("data/orders-*.csv", None, {"date": "Date", "rep": "Rep"})
    assert loaded.frame["rep"].tolist() == ["Ann", "Cy", "Bob"]
    assert [f.path for f in loaded.files] == ["data/orders-2017-01.csv", "data/orders-2017-02.csv"]
    assert loaded.frame["_file"].cat.codes.tolist() == [0, 0, 1]
    assert loaded.frame["_row"].tolist() == [2, 3, 2]


def test_glob_names_the_file_that_lacks_a_header(load: Loader, put) -> None:
    put("data/a.csv", "Date,Rep\n2017-01-01,Ann\n")
    put("data/b.csv", "Date,Seller\n2017-01-01,Ann\n")
    with pytest.raises(DataError) as exc:
        load("data/*.csv", None, {"date": "Date", "rep": "Rep"})
    finding = only_finding(exc)
    assert finding.location == Location("data/b.csv", 1, "Rep")


def test_file_not_found_and_empty_glob(load: Loader, put) -> None:
    put("orders.csv", "Date\n2017-01-01\n")
    with pytest.raises(DataError) as exc:
        load("order.csv", None, {"date": "Date"})
    assert "(did you mean 'orders.csv'?)" in only_finding(exc).message
    with pytest.raises(DataError, match="no file matches"):
        load("data/*.csv", None, {"date": "Date"})


# --- workbooks -------------------------------------------------------------------------


def xlsx_bytes(
    rows: list[list[object]], *, title: str = "Orders", extra_sheet: bool = True
) -> bytes:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    if extra_sheet:
        workbook.create_sheet("Notes")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def with_cached_value(data: bytes, cell: str, value: str) -> bytes:
    """openpyxl cannot compute formulas: store the result Excel would have cached."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                pattern = rf'(<c r="{cell}"[^>]*>)<f>(.*?)</f><v\s*/>'
                content = re.sub(pattern.encode(), rf"\1<f>\2</f><v>{value}</v>".encode(), content)
            target.writestr(item, content)
    return out.getvalue()


def test_xlsx_title_block_stray_spaces_types_and_formulas(load: Loader) -> None:
    rows = [
        ["销售报表 2018"],
        [],
        ["订单日期", "销售员 ", "金额", "收货地址 "],
        [dt.datetime(2018, 1, 1, 13, 0), "张伟", 1234.5, "北京"],  # a date cell with a time
        [43101, 5, "1,234", "上海"],  # a serial number, a numeric rep id, a number as text
        [dt.date(2018, 1, 3), "王", "=C4*2", None],  # a formula: its cached value is read
        [None, None, None, None],  # an empty row: skipped
        ["2018-01-04", "李", "abc", "x"],  # a date as text, a bad number
    ]
    content = with_cached_value(xlsx_bytes(rows), "C6", "2469")
    loaded = load(
        "cn.xlsx",
        content,
        {"date": "订单日期", "rep": "销售员", "amount": "金额", "address": "收货地址"},
        numeric=["amount"],
        header_row=3,
    )
    frame = loaded.frame
    assert frame["date"].tolist() == [ts("2018-01-01 13:00"), ts("2018-01-01"), ts("2018-01-03")]
    assert frame["rep"].tolist() == ["张伟", "5", "王"]
    assert frame["amount"].tolist() == [1234.5, 1234.0, 2469.0]
    assert frame["address"].tolist()[:2] == ["北京", "上海"] and pd.isna(frame["address"].iloc[2])
    assert frame["_row"].tolist() == [4, 5, 6]
    assert reasons(loaded) == [(8, "bad-number", "金额", "abc")]
    info = loaded.files[0]
    assert (info.format, info.sheet, info.encoding, info.delimiter) == (
        "xlsx",
        "Orders",
        None,
        None,
    )
    assert loaded.rows_read == 4


def test_xlsx_sheet_by_name_and_index(load: Loader) -> None:
    content = xlsx_bytes([["Date"], [dt.date(2018, 1, 1)]], title="Data")
    by_name = load("w.xlsx", content, {"date": "Date"}, sheet="data")  # case-insensitive
    by_index = load("w.xlsx", None, {"date": "Date"}, sheet=0)
    assert by_name.files[0].sheet == by_index.files[0].sheet == "Data"
    with pytest.raises(DataError) as exc:
        load("w.xlsx", None, {"date": "Date"}, sheet="Note")
    finding = only_finding(exc)
    assert finding.code == "unknown-sheet" and finding.location == Location("w.xlsx", None, "sheet")
    assert (
        "(did you mean 'Notes'?)" in finding.message and "0: 'Data', 1: 'Notes'" in finding.message
    )
    with pytest.raises(DataError, match="sheet index 2 is out of range"):
        load("w.xlsx", None, {"date": "Date"}, sheet=2)


def test_xlsx_empty_header_row_and_empty_sheet(load: Loader) -> None:
    content = xlsx_bytes([["Report"], [], ["Date"], [dt.date(2018, 1, 1)]])
    with pytest.raises(DataError) as exc:
        load("w.xlsx", content, {"date": "Date"}, header_row=2)
    finding, hint = exc.value.findings
    assert finding.code == "missing-column"
    assert "is empty" in finding.message and finding.location.line == 2
    # The mapped headers are found a row further down, and the fix says so.
    assert hint.code == "header-row" and hint.location == Location("w.xlsx", 3, "header_row")
    assert "set header_row: 3" in hint.message
    with pytest.raises(DataError) as exc:
        load("w.xlsx", None, {"date": "Date"}, sheet="Notes")
    assert only_finding(exc).code == "empty-file"


def test_legacy_xls_through_calamine(load: Loader) -> None:
    # tests/fixtures/data/legacy.xls was written once with xlwt 1.3.0 (BIFF8): a title row,
    # header on row 3 with a stray space, date cells, a serial number and a number as text.
    content = (FIXTURES / "legacy.xls").read_bytes()
    loaded = load(
        "legacy.xls",
        content,
        {"date": "Order Date", "rep": "Rep", "amount": "Amount", "territory": "Territory"},
        numeric=["amount"],
        header_row=3,
        sheet="Sales",
    )
    assert loaded.files[0].format == "xls"
    assert loaded.frame["date"].tolist() == [ts("2018-01-01"), ts("2018-01-02"), ts("2018-01-03")]
    assert loaded.frame["amount"].tolist() == [1234.5, 1234.0, 7.0]
    assert loaded.frame["territory"].tolist() == ["NA", "EMEA", "APAC"]
    assert loaded.frame["_row"].tolist() == [4, 5, 6]


def test_xlsx_that_is_really_csv_is_read_with_a_warning(load: Loader) -> None:
    loaded = load("export.xlsx", "Date,Amount\n2018-01-01,5\n", {"date": "Date"})
    assert loaded.files[0].format == "csv"
    assert "is a text file, not an .xlsx workbook" in loaded.warnings[0]


def test_broken_and_disguised_workbooks(load: Loader) -> None:
    content = xlsx_bytes([["Date"], [dt.date(2018, 1, 1)]])
    cases = [
        ("truncated.xlsx", content[:3000], "corrupt-workbook", "damaged or truncated .xlsx"),
        ("page.xls", b"<html><body><table><tr><td>Date</td></tr>", "not-tabular", "HTML page"),
        ("bad.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "corrupt-workbook", ".xls"),
        (
            "locked.xlsx",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "EncryptedPackage".encode("utf-16-le"),
            "encrypted-workbook",
            "password-protected",
        ),
        ("archive.csv", _zip({"a.txt": b"x"}), "not-tabular", "zip archive (a.txt)"),
    ]
    for name, data, code, text in cases:
        with pytest.raises(DataError) as exc:
            load(name, data, {"date": "Date"})
        finding = only_finding(exc)
        assert (finding.code, finding.location.file) == (code, name), name
        assert text in finding.message, name


def _zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


# --- read_header and the roster ---------------------------------------------------------


def test_read_header(put) -> None:
    csv_path = put("h.csv", "\ufeffOrder Date , 销售员,,Amount\n1,2,3,4\n")
    assert read_header(csv_path) == ["Order Date", "销售员", "", "Amount"]
    xlsx_path = put("h.xlsx", xlsx_bytes([["title"], ["Date", "Rep "]]))
    assert read_header(xlsx_path, sheet="Orders", header_row=2) == ["Date", "Rep"]
    gbk = put("g.csv", "日期,金额\n".encode("gbk"))
    assert read_header(gbk) == ["日期", "金额"]


def test_load_roster(tmp_path: Path, put) -> None:
    put("team.csv", "Rep,Team,Region\nAnn,North,NA\nBob,South,\n")
    org = OrgSpec(path="team.csv", columns={"rep": "Rep", "team": "Team", "region": "Region"})
    roster = load_roster(org, tmp_path, shown_base=tmp_path)
    assert list(roster.frame.columns) == ["rep", "team", "region", "_file", "_row"]
    assert roster.frame["region"].tolist()[0] == "NA" and pd.isna(roster.frame["region"].iloc[1])
    assert roster.name == "org" and roster.rows_loaded == 2


# --- property: whatever the table, loading either works or fails cleanly ------------------

HEADER_CHARS = st.sampled_from(list("abcxyzABC_ 123") + list("日期销售员金额客户地址"))
VALUE_TEXT = st.text(
    alphabet=st.one_of(
        st.characters(max_codepoint=0x7F, blacklist_categories=("Cs",)),  # incl. , " \n NUL
        st.sampled_from("张伟李娜北京上海公司客户销售额éü€"),
    ),
    max_size=8,
)
DATES = st.dates(dt.date(2000, 1, 1), dt.date(2030, 12, 31)).map(lambda d: d.isoformat())
AMOUNT_TEXT = st.one_of(
    st.floats(-1e6, 1e6, allow_nan=False).map(lambda x: f"{x:.2f}"),
    st.integers(-(10**6), 10**6).map(lambda x: f"{x:,}"),
    st.sampled_from(["", "NULL", "-", "N/A", "(12.50)", "$5", "abc"]),
)


@st.composite
def tables(draw: st.DrawFn) -> tuple[list[str], list[list[str]], str, bool]:
    n_extra = draw(st.integers(0, 2))
    names = draw(
        st.lists(
            st.text(HEADER_CHARS, min_size=1, max_size=6).map(str.strip).filter(bool),
            min_size=2 + n_extra,
            max_size=2 + n_extra,
            unique_by=lambda h: " ".join(h.split()).casefold(),
        )
    )
    n_rows = draw(st.integers(0, 12))
    rows = []
    for _ in range(n_rows):
        date = draw(st.one_of(*[DATES] * 8, st.sampled_from(["", "NULL", "-", "x"])))
        amount = draw(AMOUNT_TEXT)
        rows.append([date, amount, *(draw(VALUE_TEXT) for _ in range(n_extra))])
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]))
    unquoted = draw(st.integers(0, 3)) == 0  # like Northwind: commas inside values not quoted
    return names, rows, encoding, unquoted


def write_table(names: list[str], rows: list[list[str]], unquoted: bool) -> tuple[str, int]:
    """CSV text and how many non-blank data records it holds."""
    if not unquoted:
        buffer = io.StringIO(newline="")
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(names)
        writer.writerows(rows)
        return buffer.getvalue(), sum(1 for row in rows if any(row))
    lines = [",".join(re.sub(r'["\r\n]', "", v) for v in row) for row in rows]
    text = "\r\n".join([",".join(names), *lines]) + "\r\n"
    return text, sum(1 for line in lines if line.replace(",", ""))


@settings(
    max_examples=examples(80),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(table=tables())
def test_property_loads_or_fails_cleanly(tmp_path: Path, table) -> None:
    names, rows, encoding, unquoted = table
    text, written = write_table(names, rows, unquoted)
    (tmp_path / "prop.csv").write_bytes(text.encode(encoding))
    columns = {"date": names[0], "amount": names[1]}
    columns |= {f"extra{i}": name for i, name in enumerate(names[2:])}
    source = SourceSpec(path="prop.csv", columns=columns)
    try:
        loaded = load_source("p", source, tmp_path, None, ["amount"])
    except SalesperfError:
        return
    assert loaded.rows_loaded + len(loaded.rejected) == written == loaded.rows_read
    assert loaded.frame["date"].notna().all()
    assert loaded.frame["_row"].is_monotonic_increasing
    assert len({r.row for r in loaded.rejected}) == len(loaded.rejected)


# --- the decimal separator when nothing decides it (issue 20 #13) -----------------------


def _numbers(texts: list[str], decimal: str | None = None) -> Any:
    from salesperf.sources.parse import clean_text, missing_markers, parse_numbers

    return parse_numbers(clean_text(pd.Series(texts, dtype=object), missing_markers()), decimal)


@pytest.mark.parametrize(
    ("texts", "ambiguous"),
    [
        (["1.234", "2.500", "300", "€ 12.750"], [0, 1, 3]),  # every separated value: x.xxx
        (["1.234", "12.5"], []),  # 12.5 can only be a decimal point
        (["1.234", "0.125"], []),  # so can 0.125 (no thousands group starts with 0)
        (["1.234", "1234.567"], []),  # four digits before the dot: not a thousands group
        (["1.234", "1.234,50"], []),  # a decimal comma is proven
        (["1.234.567", "2.500"], []),  # two dots: thousands (read as a decimal comma)
        (["300", "1,234"], []),  # "1,234" is read as 1234 as before
        (["300", "400"], []),  # no separator at all
    ],
)
def test_amounts_ambiguous_between_decimal_and_thousands(
    texts: list[str], ambiguous: list[int]
) -> None:
    assert _numbers(texts).ambiguous.tolist() == ambiguous


def test_decimal_comma_declared_reads_dots_as_thousands() -> None:
    # 1.234 -> 1234, 1.234,50 -> 1234.5, 12,5 -> 12.5; 12.5 cannot be read with a
    # decimal comma (a bad number, not 125 and not 12.5).
    numbers = _numbers(["1.234", "1.234,50", "12,5", "12.5", "(1.000,00)"], ",")
    assert numbers.values[:3].tolist() == [1234.0, 1234.5, 12.5]
    assert numbers.bad.tolist() == [False, False, False, True, False]
    assert numbers.values[4] == -1000.0
    assert not numbers.decimal_comma and not len(numbers.ambiguous)


def test_decimal_point_declared_never_switches_to_a_comma() -> None:
    # Without decimal: "12,5" alone would make the column decimal-comma (12.5).
    numbers = _numbers(["1.234", "12,5", "1,234.50"], ".")
    assert numbers.values[0] == 1.234 and numbers.values[2] == 1234.5
    assert numbers.bad.tolist() == [False, True, False]
    assert not numbers.decimal_comma and not len(numbers.ambiguous)


# --- formulas whose result was never stored (issue 20 #8) -------------------------------


def test_uncached_formulas_are_found_in_every_written_form() -> None:
    """<f>…</f> with no <v>, with <v />, with <v></v>, and a shared formula <f …/>; a
    formula with a stored result, an empty <v> on a plain cell and a cell without r= are
    not listed."""
    import zipfile as zf

    from salesperf.sources.xlsx_guard import uncached_formulas

    sheet = (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<sheetData><row r="2"><c r="C2"><f>A2*2</f></c><c r="D2"><f>1</f><v /></c>'
        '<c r="E2" t="n"><f>1</f><v></v></c><c r="F2"><f t="shared" si="0"/></c>'
        '<c r="G2"><f>1</f><v>7</v></c><c r="H2"><v></v></c><c><f>1</f></c>'
        "</row></sheetData></worksheet>"
    )
    buffer = io.BytesIO()
    with zf.ZipFile(buffer, "w") as archive:
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
    found = uncached_formulas(buffer.getvalue(), "Sheet1")
    assert found == [(1, 2), (1, 3), (1, 4), (1, 5)]


# --- encodings after UTF-8 and GB18030 (issue 20 #23) -----------------------------------


@pytest.mark.parametrize(
    ("text", "codec", "expected"),
    [
        ("2017-06-01,田中太郎,株式会社サンプル\n2017-06-02,佐藤,トヨタ\n", "shift_jis", "cp932"),
        ("2017-06-01,김민수,서울\n2017-06-02,이영희,부산\n", "euc_kr", "euc_kr"),
        ("2017-06-01,陳大文,台北\n", "big5", None),  # read as GB18030: a known limit
        ("2017-06-01,Renée Müller,José\n", "cp1252", None),
        ("2017-06-01,Berguvsvägen,Ångström\n", "cp437", None),
    ],
)
def test_double_byte_encodings_are_recognised(text: str, codec: str, expected: str | None) -> None:
    from salesperf.sources.detect import decode

    decoded = decode(text.encode(codec), "auto", "x.csv")
    if expected is None:
        assert decoded.encoding not in ("cp932", "euc_kr")
        return
    assert decoded.encoding == expected
    assert decoded.body.decode("utf-8") == text
    assert f"so it was read as {expected}" in decoded.warnings[0]


def test_percentages_alone_are_fractions_and_mixed_with_amounts_are_rejected(load: Loader) -> None:
    """ "5%" among amounts added 0.05 to the revenue (found hunting after issue 20)."""
    rates = load(
        "r.csv",
        "Date,Rate\n2003-01-01,12.5%\n2003-01-02,0\n2003-01-03,5%\n",
        {"date": "Date", "rate": "Rate"},
        ["rate"],
    )
    assert rates.frame["rate"].tolist() == [0.125, 0.0, 0.05] and rates.rejected == []
    body = "Date,Amount\n2003-01-01,100\n2003-01-02,5%\n2003-01-03,1,200.50\n"
    amounts = load(
        "a.csv",
        body.replace("1,200.50", '"1,200.50"'),
        {"date": "Date", "amount": "Amount"},
        ["amount"],
    )
    assert amounts.frame["amount"].tolist() == [100.0, 1200.5]  # 100 + 1,200.50; not + 0.05
    assert [(r.row, r.reason, r.value) for r in amounts.rejected] == [(3, "mixed-percent", "5%")]
    assert "1 value(s) are percentages among plain numbers (rows 3)" in amounts.warnings[0]


# --- a glob of many small files (issue 20 #22) ------------------------------------------

SMALL_FILES = [
    'Date,Rep,Amount,Note\n2017-06-01,ann lee,100,"a, b"\n',
    'Date,Rep,Amount,Note\n2017-06-02,"bo ""b"" chen",  200 ,"two\nlines"\n2017-06-03,cy,,\n',
    "Date,Rep,Amount,Note\r\n2017-06-04,dee,1,x,\r\n2017-06-05,eve,2\r\n",
    'Date,Rep,Amount,Note\n2017-06-06, fay ,"1,234.50",""\n\n2017-06-07,"",3,"q"""\n',
]


@pytest.mark.parametrize("tiny_rows", [64, -1])
@pytest.mark.parametrize("batch_rows", [10_000, 0])
def test_small_files_load_the_same_batched_or_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tiny_rows: int, batch_rows: int
) -> None:
    """The csv-module lane for tiny files and finishing small files together give exactly
    what the C parser and file-by-file finishing give (the reference: -1 and 0)."""
    from salesperf.sources import csvfile
    from salesperf.sources import load as loader

    for i, text in enumerate(SMALL_FILES):
        (tmp_path / f"p{i}.csv").write_text(text, encoding="utf-8")
    columns = {"date": "Date", "rep": "Rep", "amount": "Amount", "note": "Note"}
    source = SourceSpec(path="p*.csv", columns=columns)

    def outcome() -> tuple[pd.DataFrame, list[Any], list[Any], list[str]]:
        got = load_source("o", source, tmp_path, None, ["amount"], shown_base=tmp_path)
        return got.frame, got.files, got.rejected, got.warnings

    monkeypatch.setattr(csvfile, "TINY_ROWS", -1)
    monkeypatch.setattr(loader, "BATCH_ROWS", 0)
    reference = outcome()
    monkeypatch.setattr(csvfile, "TINY_ROWS", tiny_rows)
    monkeypatch.setattr(loader, "BATCH_ROWS", batch_rows)
    got = outcome()
    pd.testing.assert_frame_equal(got[0], reference[0])
    assert got[1:] == reference[1:]
    assert got[0]["rep"].tolist()[:3] == ["ann lee", 'bo "b" chen', "cy"]
    assert got[0]["note"].tolist()[1] == "two\nlines"
    assert got[0]["_file"].tolist()[:3] == ["p0.csv", "p1.csv", "p1.csv"]
