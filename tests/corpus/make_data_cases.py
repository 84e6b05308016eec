"""Write the binary files of the data corpus (workbooks, OLE containers, NUL bytes, GBK...).

    python tests/corpus/make_data_cases.py          # rewrite them under tests/corpus/
    python tests/corpus/make_data_cases.py --check  # exit 1 if a committed file differs

The output is committed, so every case folder can be run by hand
(``salesperf check tests/corpus/data/<case>/kpi.yaml``) and reviewed in a diff; this
script documents how each file was made and is deterministic (fixed zip timestamps, seeded
random bytes), which ``tests/test_corpus.py`` checks. Workbooks are written as raw XML
rather than with openpyxl, because the hostile ones (a cell at XFD1048576, a shared-string
count of four billion) are exactly what a well-behaved writer refuses to produce.

Text cases (plain CSV in UTF-8) are committed by hand next to their kpi.yaml. Cases that
would be large or need the file system (a 10 MB line, symlink loops, 10,000 KPIs) are built
at test time by ``tests/test_corpus.py`` (``# build:`` in their kpi.yaml).
"""

from __future__ import annotations

import io
import random
import struct
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).parent
STAMP = (2017, 7, 1, 0, 0, 0)

# --- xlsx as raw XML ----------------------------------------------------------------------

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sales" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_REL = (
    '<Relationship Id="{id}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/{kind}" Target="{target}"/>'
)
#: Style 1 shows a number as a date (built-in format 14, m/d/yyyy): a real Excel date cell.
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<fonts count="1"><font/></fonts><fills count="1"><fill/></fills>'
    '<borders count="1"><border/></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" xfId="0"/>'
    '<xf numFmtId="14" xfId="0" applyNumberFormat="1"/></cellXfs></styleSheet>'
)


def _cell(ref: str, value: object) -> str:
    """A cell: text inline, a number, ("date", serial) styled as a date, ("f", formula, cached)."""
    if isinstance(value, tuple) and value[0] == "date":
        return f'<c r="{ref}" s="1"><v>{value[1]}</v></c>'
    if isinstance(value, tuple) and value[0] == "f":
        if value[2] is None:  # a script's formula: no result stored (openpyxl writes <v />)
            return f'<c r="{ref}"><f>{value[1]}</f><v /></c>'
        return f'<c r="{ref}"><f>{value[1]}</f><v>{value[2]}</v></c>'
    if isinstance(value, str):
        return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'
    return f'<c r="{ref}"><v>{value}</v></c>'


def _rows(rows: dict[int, list[object]]) -> str:
    out = []
    for number, values in sorted(rows.items()):
        cells = "".join(
            _cell(f"{chr(65 + i)}{number}", v) for i, v in enumerate(values) if v is not None
        )
        out.append(f'<row r="{number}">{cells}</row>')
    return "".join(out)


def xlsx(sheet_body: str, *, shared_strings: str | None = None, styles: bool = False) -> bytes:
    """A one-sheet workbook ("Sales") whose <worksheet> holds ``sheet_body``."""
    rels = [_REL.format(id="rId1", kind="worksheet", target="worksheets/sheet1.xml")]
    parts = {
        "[Content_Types].xml": _CONTENT_TYPES,
        "_rels/.rels": _ROOT_RELS,
        "xl/workbook.xml": _WORKBOOK,
        "xl/worksheets/sheet1.xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            f"{sheet_body}</worksheet>"
        ),
    }
    if styles:
        rels.append(_REL.format(id="rId2", kind="styles", target="styles.xml"))
        parts["xl/styles.xml"] = _STYLES
    if shared_strings is not None:
        rels.append(_REL.format(id="rId3", kind="sharedStrings", target="sharedStrings.xml"))
        parts["xl/sharedStrings.xml"] = shared_strings
    parts["xl/_rels/workbook.xml.rels"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        + "".join(rels)
        + "</Relationships>"
    )
    return _zip(parts)


def _zip(parts: dict[str, str | bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in parts.items():
            info = zipfile.ZipInfo(name, STAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content)
    return buffer.getvalue()


HEADER = ["Order Date", "Sales Rep", "Amount"]


def _sheet(rows: dict[int, list[object]], extra: str = "", dimension: str = "") -> str:
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return f"{dim}<sheetData>{_rows(rows)}</sheetData>{extra}"


# --- OLE compound files (legacy .xls, and what Excel writes for a password-protected .xlsx) ---

FREE, END, FAT_SECTOR, NO_STREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF


def compound_file(streams: dict[str, bytes]) -> bytes:
    """A minimal, valid CFB v3 file holding ``streams`` (each >= 4096 bytes: no mini stream).

    Excel saves a password-protected workbook, .xlsx included, as such a container with an
    ``EncryptionInfo`` and an ``EncryptedPackage`` stream; that is all salesperf looks at.
    """
    sector = 512
    names = list(streams)
    assert all(len(data) >= 4096 and len(data) % sector == 0 for data in streams.values())
    fat = [FAT_SECTOR, END]  # sector 0: this FAT; sector 1: the directory
    starts = []
    for data in streams.values():
        count = len(data) // sector
        first = len(fat)
        starts.append(first)
        fat.extend(list(range(first + 1, first + count)) + [END])
    assert len(fat) <= sector // 4
    fat += [FREE] * (sector // 4 - len(fat))

    def entry(name: str, kind: int, right: int, child: int, start: int, size: int) -> bytes:
        encoded = name.encode("utf-16-le") + b"\x00\x00"
        return (
            encoded.ljust(64, b"\x00")
            + struct.pack("<HBB", len(encoded), kind, 1)  # length, type, colour (black)
            + struct.pack("<III", NO_STREAM, right, child)  # left, right, child
            + b"\x00" * 16  # CLSID
            + struct.pack("<I", 0)  # state bits
            + b"\x00" * 16  # creation and modification times
            + struct.pack("<IQ", start, size)
        )

    directory = entry("Root Entry", 5, NO_STREAM, 1, END, 0)
    for i, name in enumerate(names):
        right = i + 2 if i + 1 < len(names) else NO_STREAM
        directory += entry(name, 2, right, NO_STREAM, starts[i], len(streams[name]))
    directory = directory.ljust(sector, b"\x00")
    # Unused directory entries must still say "no siblings, no child".
    used = 1 + len(names)
    directory = bytearray(directory)
    for i in range(used, sector // 128):
        directory[i * 128 + 68 : i * 128 + 80] = struct.pack("<III", NO_STREAM, NO_STREAM, NO_STREAM)
    header = (
        bytes.fromhex("D0CF11E0A1B11AE1")
        + b"\x00" * 16  # CLSID
        + struct.pack("<HHHHH", 0x003E, 0x0003, 0xFFFE, 9, 6)  # versions, byte order, shifts
        + b"\x00" * 6
        + struct.pack("<IIII", 0, 1, 1, 0)  # dir sectors, FAT sectors, first dir, transaction
        + struct.pack("<IIIII", 4096, END, 0, END, 0)  # cutoff, mini FAT, DIFAT
        + struct.pack("<I", 0)  # DIFAT[0]: the FAT is sector 0
        + struct.pack("<I", FREE) * 108
    )
    assert len(header) == sector
    body = b"".join(streams.values())
    return header + struct.pack(f"<{sector // 4}I", *fat) + bytes(directory) + body


# --- the cases ------------------------------------------------------------------------------


def _csv(lines: list[str], encoding: str = "utf-8", newline: str = "\n") -> bytes:
    return (newline.join(lines) + newline).encode(encoding)


ORDERS = [
    "Order Date,Sales Rep,Amount",
    "2017-06-01,R1,100",
    "2017-06-02,R2,200",
    "2017-06-03,R1,300",
]


def build() -> dict[str, bytes]:
    """Relative path under tests/corpus -> bytes, for every generated file."""
    rng = random.Random(20170701)
    files: dict[str, bytes] = {}
    data = "data/{}/{}".format

    # Binary garbage saved with a .csv name (random bytes, many of them control bytes).
    files[data("binary_garbage_csv", "orders.csv")] = bytes(rng.randrange(256) for _ in range(4096))

    good = {1: HEADER, 2: ["2017-06-01", "R1", 100], 3: ["2017-06-02", "R2", 200]}
    # A workbook cut in half by an interrupted download.
    whole = xlsx(_sheet(good))
    files[data("truncated_xlsx", "orders.xlsx")] = whole[: len(whole) // 2]
    # A valid zip whose sheet XML is broken mid-tag.
    broken = _zip({"[Content_Types].xml": _CONTENT_TYPES, "_rels/.rels": _ROOT_RELS,
                   "xl/workbook.xml": _WORKBOOK,
                   "xl/_rels/workbook.xml.rels": '<?xml version="1.0"?><Relationships '
                   'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   + _REL.format(id="rId1", kind="worksheet", target="worksheets/sheet1.xml")
                   + "</Relationships>",
                   "xl/worksheets/sheet1.xml": '<?xml version="1.0"?><worksheet xmlns="'
                   'http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
                   '<row r="1"><c r="A1" t="inlineStr"><is><t>Order Da'})
    files[data("corrupt_xlsx_xml", "orders.xlsx")] = broken
    # A bit flipped inside the sheet's deflate stream (a bad disk, a bad download): the zip
    # directory is intact, the data is not (found by tests/test_fuzz.py).
    damaged = bytearray(xlsx(_sheet(good)))
    sheet_at = damaged.find(b"xl/worksheets/sheet1.xml") + len("xl/worksheets/sheet1.xml")
    damaged[sheet_at + 20] ^= 0xFF
    files[data("deflate_damaged_xlsx", "orders.xlsx")] = bytes(damaged)
    # The used range declared as the whole sheet (what some ERPs write): harmless.
    files[data("huge_dimension_xlsx", "orders.xlsx")] = xlsx(
        _sheet(good, dimension="A1:XFD1048576")
    )
    # One cell at the last row and column: the range is 17 billion cells.
    far = "<row r=\"1048576\"><c r=\"XFD1048576\" t=\"inlineStr\"><is><t>x</t></is></c></row>"
    files[data("far_cell_xlsx", "orders.xlsx")] = xlsx(
        f"<sheetData>{_rows(good)}{far}</sheetData>"
    )
    # A shared-string table that claims four billion entries.
    sst = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst xmlns="http://schemas.'
        'openxmlformats.org/spreadsheetml/2006/main" count="3" uniqueCount="4000000000">'
        "<si><t>Order Date</t></si><si><t>Sales Rep</t></si><si><t>Amount</t></si></sst>"
    )
    header = '<row r="1">' + "".join(
        f'<c r="{col}1" t="s"><v>{i}</v></c>' for i, col in enumerate("ABC")
    ) + "</row>"
    files[data("shared_strings_bomb_xlsx", "orders.xlsx")] = xlsx(
        f"<sheetData>{header}</sheetData>", shared_strings=sst
    )
    # Password-protected: an OLE container with EncryptionInfo + EncryptedPackage.
    files[data("encrypted_xlsx", "orders.xlsx")] = compound_file(
        {
            "EncryptionInfo": bytes(rng.randrange(256) for _ in range(4096)),
            "EncryptedPackage": bytes(rng.randrange(256) for _ in range(4096)),
        }
    )
    # An OLE file that is not a workbook (a Word document) named .xls.
    files[data("ole_not_workbook_xls", "orders.xls")] = compound_file(
        {"WordDocument": bytes(rng.randrange(256) for _ in range(4096))}
    )
    # NUL bytes inside a line (a crashed writer), and NUL padding after the text.
    files[data("nul_bytes", "orders.csv")] = _csv(
        [ORDERS[0], ORDERS[1], "2017-06-02,R\x002,200", ORDERS[3]]
    )
    files[data("nul_padding", "orders.csv")] = _csv(ORDERS) + b"\x00" * 1000
    # Every row holds a NUL byte: nothing is left to load (an error, not a report of 0).
    files[data("nul_bytes_every_row", "orders.csv")] = _csv(
        [ORDERS[0], *(line.replace(",R", ",R\x00") for line in ORDERS[1:])]
    )
    # Control characters in names (a vertical tab pasted from a form, an escape): an .xlsx
    # cannot hold them, and openpyxl raised IllegalCharacterError in report and feedback-form.
    control = _csv([ORDERS[0], "2017-06-01,Bob\x0bSmith,100", "2017-06-02,Al\x1bice,200"])
    files[data("control_char_names_xlsx_report", "orders.csv")] = control
    files[data("control_char_names_feedback_form", "orders.csv")] = control
    # UTF-8 with one line appended by a GBK tool: that row is rejected, the rest load.
    names = ["张伟", "李娜", "王芳", "刘洋", "陈静", "杨磊", "赵敏", "黄勇", "周杰", "吴霞"]
    lines = ["订单日期,销售员,金额"] + [
        f"2017-06-{(i % 28) + 1:02d},{names[i % 10]}{names[(i + 3) % 10]},{100 + i}"
        for i in range(40)
    ]
    utf8 = _csv(lines)
    files[data("mixed_encodings", "orders.csv")] = utf8 + "2017-06-30,孙丽,500\n".encode("gbk")
    # Two exports concatenated: the second one's BOM and header sit in the middle.
    files[data("bom_in_middle", "orders.csv")] = (
        b"\xef\xbb\xbf" + _csv(ORDERS[:3]) + b"\xef\xbb\xbf" + _csv([ORDERS[0], ORDERS[3]])
    )
    # A BOM glued to a value in the middle of a line.
    files[data("bom_inside_value", "orders.csv")] = _csv(
        [ORDERS[0], ORDERS[1], "2017-06-02,\ufeffR2,200", ORDERS[3]]
    )
    # Chinese Excel's "Save as CSV" (GBK) and Excel's "Unicode text" (UTF-16, tabs).
    files[data("gbk_csv", "orders.csv")] = _csv(lines, "gbk", "\r\n")
    files[data("utf16_tab", "orders.txt")] = "\ufeff".encode("utf-16-le") + _csv(
        [line.replace(",", "\t") for line in ORDERS], "utf-16-le", "\r\n"
    )
    # Japanese Excel's "Save as CSV" (Shift-JIS) and a Korean export (EUC-KR): read as
    # cp1252 nonsense and as Chinese nonsense before; now read in their own encoding, with
    # a warning naming it.
    files[data("shift_jis_csv", "orders.csv")] = _csv(
        [
            "Order Date,Sales Rep,Amount,Customer",
            "2017-06-01,田中太郎,100,株式会社サンプル",
            "2017-06-02,鈴木花子,200,山田商事",
            "2017-06-03,佐藤,300,トヨタ",
        ],
        "shift_jis",
        "\r\n",
    )
    files[data("euc_kr_csv", "orders.csv")] = _csv(
        ["Order Date,Sales Rep,Amount", "2017-06-01,김민수,100", "2017-06-02,이영희,200"],
        "euc_kr",
        "\r\n",
    )
    # A Windows-1252 export (an é in a rep's name, a € sign).
    files[data("cp1252_csv", "orders.csv")] = _csv(
        ["Order Date,Sales Rep,Amount", "2017-06-01,Renée,100", "2017-06-02,José,200"],
        "cp1252",
        "\r\n",
    )
    # Merged cells: a rep's name merged over the three rows of their orders.
    merged_rows = {
        1: ["Sales by rep, June 2017"],
        3: HEADER,
        4: ["2017-06-01", "R1", 100],
        5: ["2017-06-02", None, 200],
        6: ["2017-06-03", None, 300],
        7: ["2017-06-04", "R2", 50],
    }
    files[data("merged_cells_xlsx", "orders.xlsx")] = xlsx(
        _sheet(merged_rows, '<mergeCells count="2"><mergeCell ref="A1:C2"/>'
               '<mergeCell ref="B4:B6"/></mergeCells>')
    )
    # Formulas: Excel stores the last computed value next to the formula.
    formula_rows = {
        1: HEADER,
        2: ["2017-06-01", "R1", ("f", "100*2", 200)],
        3: ["2017-06-02", "R1", ("f", "C2+50", 250)],
    }
    files[data("formulas_cached_xlsx", "orders.xlsx")] = xlsx(_sheet(formula_rows))
    # Formulas written by a script (openpyxl, pandas): no result stored, read as empty.
    files[data("formulas_uncached_xlsx", "orders.xlsx")] = xlsx(
        _sheet(
            {
                1: HEADER,
                2: ["2017-06-01", "R1", ("f", "100*2", None)],
                3: ["2017-06-02", "R2", ("f", "C2+50", None)],
                4: ["2017-06-03", "R1", ("f", "C3+1", None)],
            }
        )
    )
    # One formula of three without a result (and one with, kept): that row is rejected.
    files[data("formulas_partly_uncached_xlsx", "orders.xlsx")] = xlsx(
        _sheet(
            {
                1: HEADER,
                2: ["2017-06-01", "R1", 100],
                3: ["2017-06-02", "R2", ("f", "C2*2", None)],
                4: ["2017-06-03", "R1", ("f", "C2+50", 150)],
            }
        )
    )
    # Dates three ways in one column: a date cell, a bare serial number, ISO text.
    mixed_rows = {
        1: HEADER,
        2: [("date", 42887), "R1", 100],  # 2017-06-01 as an Excel date cell
        3: [42888, "R1", 200],  # 2017-06-02 as a plain number (General format)
        4: ["2017-06-03", "R1", 300],
    }
    files[data("dates_mixed_xlsx", "orders.xlsx")] = xlsx(_sheet(mixed_rows), styles=True)
    # A sheet chosen by a name that is almost right.
    files[data("unknown_sheet", "orders.xlsx")] = xlsx(_sheet(good))
    # A zip archive holding a CSV, saved as .xlsx.
    files[data("zip_not_workbook", "orders.xlsx")] = _zip({"orders.csv": "\n".join(ORDERS)})
    # A spec with NUL bytes, and a spec saved in GBK.
    files["spec/nul_in_spec.yaml"] = (
        b"# expect: 2 | nul_in_spec.yaml: contains NUL bytes; this is not a YAML text file\n"
        b"version: 1\x00\x00\n"
    )
    files["spec/gbk_spec.yaml"] = (
        "# expect: 2 | gbk_spec.yaml: not UTF-8 text (byte 96); save the spec as UTF-8\n"
        "version: 1\ntitle: 销售业绩\n"
    ).encode("gbk")
    return files


def main(argv: list[str]) -> int:
    stale = []
    for relative, content in build().items():
        path = ROOT / relative
        if "--check" in argv:
            if not path.exists() or path.read_bytes() != content:
                stale.append(relative)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    for relative in stale:
        print(f"out of date: tests/corpus/{relative}", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
