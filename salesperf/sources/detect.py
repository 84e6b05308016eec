"""Recognise what an export really is: workbook or text, which encoding, which delimiter.

Exports lie about themselves: web apps name CSV files ``.xls``, Chinese Excel saves CSV in
GBK, old ERPs write DOS code pages, and a crashed job leaves NUL padding. Everything here
looks at the bytes, never at the extension alone, and reports what it decided so that
``salesperf check`` can show it.
"""

from __future__ import annotations

import codecs
import contextvars
import io
import re
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np

from salesperf.errors import DataError, Finding, Level, Location, did_you_mean

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
WORKBOOK_EXTENSIONS = {
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".xls": "xls",
    ".xlsb": "xlsb",
    ".ods": "ods",
}
#: Friendly names for binary files that people pick up by mistake.
OTHER_MAGIC = {
    b"%PDF": "a PDF document",
    b"\x1f\x8b": "a gzip archive (unpack it first)",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"Rar!": "a RAR archive (unpack it first)",
    b"7z\xbc\xaf": "a 7-Zip archive (unpack it first)",
}
DELIMITERS = (",", ";", "\t", "|")
#: Share of control bytes above which a file is binary, not text (random bytes have ~10%;
#: a text export with a stray NUL or two is still text and only those rows are rejected).
BINARY_CONTROL_SHARE = 0.05
BINARY_CONTROL_MIN = 8
#: Auto mode keeps UTF-8 despite undecodable bytes (rejecting their rows) only when valid
#: multi-byte characters outnumber the bad bytes this many times: the file is UTF-8 with a
#: few damaged lines, not a file in another encoding.
UTF8_DAMAGE_RATIO = 20
COMMON_ENCODINGS = (
    "utf-8",
    "utf-8-sig",
    "utf-16",
    "gb18030",
    "gbk",
    "gb2312",
    "big5",
    "cp1252",
    "latin-1",
    "cp437",
    "cp850",
    "shift_jis",
    "euc-kr",
)


def fail(
    shown: str, message: str, code: str, line: int | None = None, key: str | None = None
) -> DataError:
    """A DataError with one finding; the caller raises it (``raise fail(...)``)."""
    where = Location(shown, line, key)
    return DataError(f"{where}: {message}", [Finding(Level.ERROR, message, where, code)])


@dataclass(frozen=True)
class Sniffed:
    format: str  # "csv", "xlsx", "xls", "xlsb", "ods"
    warning: str | None = None


def sniff_format(data: bytes, path: Path, shown: str) -> Sniffed:
    """Decide from the bytes whether a file is a workbook or text; raise if it is neither.

    A text file named ``.xlsx``/``.xls`` is read as CSV with a warning rather than refused:
    web applications routinely save CSV (or tab-separated text) under an Excel name, the
    content is unambiguous, and the warning tells the user to rename it. HTML and
    SpreadsheetML pages under an Excel name are refused with how to convert them.
    """
    ext = path.suffix.lower()
    named = WORKBOOK_EXTENSIONS.get(ext)
    if data.startswith(ZIP_MAGIC) or data.startswith(b"PK\x05\x06"):
        return Sniffed(*_sniff_zip(data, ext, named, shown))
    if data.startswith(OLE_MAGIC):
        if "EncryptedPackage".encode("utf-16-le") in data:
            raise fail(
                shown,
                "the workbook is password-protected (encrypted); open it in Excel, remove the "
                "password (File > Info > Protect Workbook) and save a copy to read",
                "encrypted-workbook",
            )
        warning = None
        if named not in (None, "xls"):
            warning = f"{shown}: is a legacy .xls workbook despite its {ext} name; read it as .xls"
        elif named is None:
            warning = f"{shown}: is an Excel .xls workbook, not text; read it as a workbook"
        return Sniffed("xls", warning)
    for magic, what in OTHER_MAGIC.items():
        if data.startswith(magic):
            raise fail(shown, f"is {what}, not a CSV or Excel file", "not-text")
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"<"):
        if b"urn:schemas-microsoft-com:office:spreadsheet" in data[:65536]:
            what = "an Excel 2003 XML spreadsheet"
        elif b"<html" in head or b"<table" in head or b"<!doctype html" in head:
            what = "an HTML page (web exports often do this)"
        else:
            what = "an XML or HTML document"
        raise fail(
            shown,
            f"is {what}, not a real workbook or CSV; open it in Excel and save it as "
            ".xlsx or CSV, then point path: at the new file",
            "not-tabular",
        )
    check_text_like(data, shown)
    warning = None
    if named is not None:
        warning = (
            f"{shown}: is a text file, not an {ext} workbook; read it as CSV "
            "(rename it to .csv to silence this warning)"
        )
    return Sniffed("csv", warning)


def _sniff_zip(data: bytes, ext: str, named: str | None, shown: str) -> tuple[str, str | None]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            mimetype = archive.read("mimetype")[:100] if "mimetype" in names else b""
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, KeyError, RuntimeError, ValueError):
        kind = f"{ext} workbook" if named else "zip archive"
        raise fail(
            shown,
            f"is a damaged or truncated {kind} (the zip structure cannot be read); "
            "download or export it again, or open it in Excel and save a new copy",
            "corrupt-workbook",
        ) from None
    if "xl/workbook.xml" in names:
        actual = "xlsx"
    elif "xl/workbook.bin" in names:
        actual = "xlsb"
    elif b"spreadsheet" in mimetype or "content.xml" in names:
        actual = "ods"
    else:
        inside = ", ".join(names[:3]) + (", …" if len(names) > 3 else "")
        raise fail(
            shown,
            f"is a zip archive ({inside}), not a workbook or CSV; unzip it and point "
            "path: at the file inside",
            "not-tabular",
        )
    warning = None
    if named != actual and not (named == "xlsx" and actual == "xlsx"):
        warning = f"{shown}: is an .{actual} workbook despite its {ext or 'missing'} extension"
    return actual, warning


def check_text_like(data: bytes, shown: str) -> None:
    """Refuse binary garbage early with a clear message instead of a parser crash.

    UTF-16 text is full of NUL bytes, so it is recognised first; otherwise more than 5% of
    control bytes in the first 64 KB means the file is not text.
    """
    sample = data[:65536]
    if not sample or utf16_kind(sample):
        return
    if data.endswith(b"\x00"):  # NUL padding after the text is ignored later, with a warning
        sample = data[: len(data.rstrip(b"\x00"))][:65536]
        if not sample:
            return
    arr = np.frombuffer(sample, np.uint8)
    control = np.count_nonzero((arr < 9) | ((arr > 13) & (arr < 32) & (arr != 26) & (arr != 27)))
    if control > BINARY_CONTROL_SHARE * len(arr) and control >= BINARY_CONTROL_MIN:
        raise fail(
            shown,
            f"is not a text CSV file ({control:,} control bytes in the first "
            f"{len(arr):,}); it looks binary — check that path: points at the export itself",
            "not-text",
        )


def utf16_kind(sample: bytes) -> str | None:
    """'utf-16' (BOM), 'utf-16-le'/'utf-16-be' (NUL in every other byte), or None."""
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    even, odd = sample[0:512:2], sample[1:512:2]
    if len(odd) < 8:
        return None
    if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


@dataclass
class Decoded:
    """A text file as UTF-8 bytes, with what was decided about it.

    ``problem_lines`` maps a physical line (1-based) to a rejection reason: lines holding
    bytes that the encoding cannot decode ("encoding") or NUL bytes ("nul-byte").
    """

    body: bytes
    encoding: str
    warnings: list[str] = field(default_factory=list)
    problem_lines: dict[int, str] = field(default_factory=dict)


def check_encoding_name(name: str, shown: str) -> str:
    """The codec's canonical name, or a DataError that suggests a real one."""
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise fail(
            shown,
            f"unknown encoding '{name}'{did_you_mean(name, COMMON_ENCODINGS)}; use 'auto' or "
            f"one of {', '.join(COMMON_ENCODINGS)}",
            "unknown-encoding",
            key="encoding",
        ) from None


def decode(data: bytes, encoding: str, shown: str) -> Decoded:
    """Decode a text export to UTF-8 bytes, detecting the encoding when it is ``auto``.

    ``auto`` tries, in order: a BOM (UTF-8, UTF-16), UTF-16 without BOM, UTF-8 (also when
    a few damaged bytes are outnumbered by valid UTF-8, rejecting those rows), GB18030
    (what Chinese Excel's "Save as CSV" writes, a superset of GBK) when the text reads as
    common Chinese, then a double-byte code page (Shift-JIS, EUC-KR, Big5) whose script the
    text decodes into, and finally a single-byte Western code page with a warning: cp437 when
    its accented letters sit inside words (DOS exports), else cp1252 (Windows). An explicit
    encoding always wins; rows with bytes it cannot decode are rejected, never guessed.
    """
    if encoding.lower() != "auto":
        codec = check_encoding_name(encoding, shown)
        if codec == "utf-8" and data.startswith(codecs.BOM_UTF8):
            data = data[3:]
        return _decoded(data, codec, shown)
    if data.startswith(codecs.BOM_UTF8):
        return _decoded(data[3:], "utf-8-sig", shown)
    kind = utf16_kind(data[:4096])
    if kind:
        return _decoded(data, kind, shown)
    data, padding = _strip_nul_padding(data)
    if data.isascii():
        return _finish(data, "utf-8", shown, [], padding)
    text, bad = decode_recording(data, "utf-8")
    if not bad:
        return _finish(data, "utf-8", shown, [], padding)
    arr = np.frombuffer(data, np.uint8)
    leads = int(np.count_nonzero((arr >= 0xC2) & (arr <= 0xF4))) - len(bad)
    if leads >= UTF8_DAMAGE_RATIO * len(bad):
        result = _finish(text.encode("utf-8"), "utf-8", shown, [], padding)
        _mark_bad_bytes(result, data, bad, "utf-8", shown)
        return result
    double_byte = _double_byte(data)
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        pass
    else:
        # EUC-KR's Hangul bytes are valid GB2312 too: Korean would read as Chinese nonsense.
        if _reads_as_chinese(text) and not (double_byte and _likely_cjk(data) == "euc_kr"):
            return _finish(text.encode("utf-8"), "gb18030", shown, [], padding)
    cjk = _likely_cjk(data) if double_byte else None
    if cjk is not None:
        text = data.decode(cjk)
        warning = (
            f"{shown}: is neither UTF-8 nor GB18030; its bytes read as {CJK_CODECS[cjk]}, so "
            f"it was read as {cjk}, which gives e.g. '{_example(text)}'. If names look wrong, "
            "set encoding: for this source"
        )
        return _finish(text.encode("utf-8"), cjk, shown, [warning], padding)
    codec, example = _pick_single_byte(data)
    text = data.decode(codec, errors="replace")
    other = "cp1252" if codec == "cp437" else "cp437"
    warning = (
        f"{shown}: is neither UTF-8 nor GB18030; read it as {codec} "
        f"({'DOS' if codec == 'cp437' else 'Windows'} Western), which gives e.g. '{example}'. "
        f"If letters look wrong, set encoding: (e.g. {other}, latin-1) for this source"
    )
    return _finish(text.encode("utf-8"), codec, shown, [warning], padding)


def _decoded(data: bytes, codec: str, shown: str) -> Decoded:
    padding = 0
    if not codec.startswith("utf-16") and not codec.startswith("utf_16"):
        data, padding = _strip_nul_padding(data)
    if codec in ("utf-8", "utf-8-sig") and data.isascii():
        return _finish(data, codec, shown, [], padding)
    base = "utf-8" if codec == "utf-8-sig" else codec
    text, bad = decode_recording(data, base)
    if text.startswith("\ufeff"):
        text = text[1:]
    result = _finish(text.encode("utf-8"), codec, shown, [], padding)
    if bad:
        _mark_bad_bytes(result, data, bad, base, shown)
    return result


def _finish(body: bytes, codec: str, shown: str, warnings: list[str], padding: int) -> Decoded:
    result = Decoded(body, codec, list(warnings))
    if padding:
        result.warnings.append(
            f"{shown}: ignored {padding:,} NUL bytes padding the end of the file"
        )
    if b"\x00" in body:
        arr = np.frombuffer(body, np.uint8)
        lines = line_numbers(arr, np.flatnonzero(arr == 0))
        for line in lines.tolist():
            result.problem_lines.setdefault(int(line), "nul-byte")
        result.body = body.replace(b"\x00", b"")
        result.warnings.append(
            f"{shown}: {len(set(lines.tolist())):,} line(s) contain NUL bytes "
            f"(first on line {int(lines[0])}); their rows were rejected"
        )
    return result


def _strip_nul_padding(data: bytes) -> tuple[bytes, int]:
    if not data.endswith(b"\x00"):
        return data, 0
    stripped = data.rstrip(b"\x00")
    return stripped, len(data) - len(stripped)


def _mark_bad_bytes(result: Decoded, data: bytes, bad: list[int], codec: str, shown: str) -> None:
    if codec.startswith("utf-16") or codec.startswith("utf_16"):
        units = np.frombuffer(data[: len(data) // 2 * 2], "<u2" if "be" not in codec else ">u2")
        newlines = np.flatnonzero(units == 10) * 2
    else:
        newlines = np.flatnonzero(np.frombuffer(data, np.uint8) == 10)
    lines = np.searchsorted(newlines, np.asarray(bad, dtype=np.int64)) + 1
    for line in lines.tolist():
        result.problem_lines.setdefault(int(line), "encoding")
    first = bad[0]
    result.warnings.append(
        f"{shown}: {len(set(lines.tolist())):,} line(s) hold bytes that are not valid {codec} "
        f"(first: byte 0x{data[first]:02X} on line {int(lines[0])}); their rows were rejected. "
        "If many rows are affected, set the right encoding: for this source"
    )


def decode_recording(data: bytes, codec: str) -> tuple[str, list[int]]:
    """Decode, replacing undecodable bytes with U+FFFD and returning their byte offsets."""
    bad: list[int] = []
    token = _RECORDED.set(bad)
    try:
        text = codecs.decode(data, codec, errors="salesperf-record")
    finally:
        _RECORDED.reset(token)
    return text, bad


_RECORDED: contextvars.ContextVar[list[int]] = contextvars.ContextVar("salesperf_bad_bytes")


def _record_bad_bytes(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    _RECORDED.get().append(exc.start)
    return "\ufffd", exc.end


codecs.register_error("salesperf-record", _record_bad_bytes)


def line_numbers(arr: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """1-based physical line of each byte offset (vectorised: one pass over the newlines)."""
    newlines = np.flatnonzero(arr == 10)
    return np.searchsorted(newlines, offsets) + 1


_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _reads_as_chinese(text: str, limit: int = 20000) -> bool:
    """True when most non-ASCII characters are common simplified Chinese (in GB2312).

    GB18030 decodes almost any byte string, so success alone proves nothing: DOS text like
    'Berguvsv\\x84gen' decodes to rare ideographs. Real Chinese text is overwhelmingly made
    of the GB2312 core set.
    """
    seen = common = 0
    for match in _NON_ASCII.finditer(text):
        seen += 1
        common += _in_gb2312(match.group())
        if seen >= limit:
            break
    return seen > 0 and common >= 0.5 * seen


#: Double-byte code pages tried when a file is neither UTF-8 nor Chinese GB18030, with the
#: script their text is written in (Shift-JIS files were read as cp1252 nonsense).
CJK_CODECS = {
    "cp932": "Japanese (Shift-JIS)",
    "euc_kr": "Korean (EUC-KR)",
    "big5": "traditional Chinese (Big5)",
}
_SCRIPTS = {
    # Hiragana, full-width katakana, CJK ideographs (not the half-width katakana that
    # Korean and Big5 bytes turn into under cp932).
    "cp932": re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]"),
    "euc_kr": re.compile(r"[\uac00-\ud7a3]"),  # Hangul syllables
    "big5": re.compile(r"[\u4e00-\u9fff]"),
}
#: Share of non-ASCII characters a reading must put in its script to be suggested.
CJK_SCRIPT_SHARE = 0.9
#: Common Hangul syllables (names, everyday words). Chinese GBK bytes are valid EUC-KR too
#: (日期 reads as 휑퍅), but they decode into rare syllables: Korean text is mostly these.
_COMMON_HANGUL = frozenset(
    "가각간갈감강개거건걸검것게겠격견결경계고곡곤공과관광교구국군권규그극근글금기길김나난날"
    "남내너넘네녀년노논높누는능니다단달담당대더덕도독돌동되된될두드득들등디따때또라락란람랑"
    "래러렇레려력련렬령로록론료루류르를름리린림립마만많말맛망매머먼멀메며면명모목몰못무문물"
    "미민밀바박반받발방배백번벌범법변별병보복본봉부북분불비빌사산살삼상새생서석선설성세소속"
    "손송수숙순술숭쉬스습승시식신실심십아악안않알암압앙애야약양어억언얼엄업없었에여역연열염"
    "영예오옥온올와완왕외요용우운울웅원월위유육윤은을음응의이인일임입있자작잔장재저적전절점"
    "정제조족존종좌주죽준중즉지직진질집짓차착찬참창채처천철청체초총최추축출충취치친칠침카타"
    "태터토통투트특파판팔패편평포표품풍프피필하학한할함합항해했행향허헌현혈협형혜호혹홍화확"
    "환활황회효후훈휘흥희히"
)
#: Share of Hangul syllables that must be common ones for a file to be read as Korean.
COMMON_HANGUL_SHARE = 0.5


def _double_byte(data: bytes) -> bool:
    """True when most high bytes stand next to another high byte, as in double-byte text
    (田中 is 93 63 92 86) and unlike Western text, whose accents sit between ASCII letters."""
    arr = np.frombuffer(data, np.uint8)
    high = arr >= 0x80
    if not high.any():
        return False
    paired = high & (np.r_[high[1:], False] | np.r_[False, high[:-1]])
    return bool(paired.sum() >= 0.5 * high.sum())


def _likely_cjk(data: bytes) -> str | None:
    """The double-byte code page that decodes ``data`` without error into its own script."""
    best, best_share = None, 0.0
    for codec, script in _SCRIPTS.items():
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        wide = _NON_ASCII.findall(text[:200_000])
        share = len(script.findall("".join(wide))) / len(wide) if wide else 0.0
        if codec == "euc_kr":
            hangul = script.findall("".join(wide))
            common = sum(char in _COMMON_HANGUL for char in hangul)
            if common < COMMON_HANGUL_SHARE * len(hangul):
                continue
        if share >= CJK_SCRIPT_SHARE and share > best_share:
            best, best_share = codec, share
    return best


def _example(text: str) -> str:
    """The first word with a non-ASCII character, as decoded."""
    match = re.search(r"[^\s,;\t]*[^\x00-\x7f][^\s,;\t]*", text)
    return match.group()[:40] if match else ""


@cache
def _in_gb2312(char: str) -> bool:
    try:
        char.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


@cache
def _latin_letters(codec: str) -> np.ndarray:
    """Lookup table: does byte b (>= 0x80) decode to a Latin letter in this code page?"""
    table = np.zeros(256, dtype=bool)
    for b in range(0x80, 0x100):
        char = bytes([b]).decode(codec, errors="ignore")
        if char and unicodedata.category(char).startswith("L"):
            table[b] = unicodedata.name(char, "").startswith("LATIN")
    if codec == "cp437":
        # 0x91/0x92 are cp1252's curly apostrophe and quote (don’t); as cp437 they would be
        # æ/Æ between letters and tip the balance for ordinary English text.
        table[0x91] = table[0x92] = False
    return table


def _pick_single_byte(data: bytes) -> tuple[str, str]:
    """cp437 or cp1252, by which one turns the high bytes into letters inside words.

    Accented letters sit between ASCII letters ('Berguvsv?gen'); cp1252's punctuation
    (quotes, dashes) sits next to spaces and digits. A tie goes to cp1252, the Windows default.
    Returns the code page and an example word as it decodes.
    """
    arr = np.frombuffer(data, np.uint8)
    high = np.flatnonzero(arr >= 0x80)
    ascii_letter = np.zeros(256, dtype=bool)
    ascii_letter[ord("A") : ord("Z") + 1] = True
    ascii_letter[ord("a") : ord("z") + 1] = True
    inside = (
        ascii_letter[arr[np.maximum(high - 1, 0)]]
        & ascii_letter[arr[np.minimum(high + 1, len(arr) - 1)]]
    )
    undefined_1252 = np.isin(arr[high], [0x81, 0x8D, 0x8F, 0x90, 0x9D]).any()
    scores = {
        c: int(np.count_nonzero(inside & _latin_letters(c)[arr[high]])) for c in ("cp437", "cp1252")
    }
    codec = "cp437" if undefined_1252 or scores["cp437"] > scores["cp1252"] else "cp1252"
    where = int(high[0]) if len(high) else 0
    start = (
        max(data.rfind(b" ", 0, where), data.rfind(b",", 0, where), data.rfind(b"\n", 0, where)) + 1
    )
    ends = [
        i
        for i in (data.find(b" ", where), data.find(b",", where), data.find(b"\n", where))
        if i >= 0
    ]
    end = min(ends) if ends else len(data)
    example = data[start : min(end, start + 40)].decode(codec, errors="replace").strip()
    return codec, example


_QUOTED = re.compile(r'"(?:[^"]|"")*"')


def sniff_delimiter(lines: list[str], prefer: str | None = None) -> str:
    """The delimiter among , ; TAB | that splits the header and most data lines alike.

    Quoted text is ignored. Ranked by the share of data lines with the header's count, then
    by that count (more columns is the likelier reading); ``prefer`` (TAB for .tsv) wins
    ties. A file with no delimiter at all is a single column.
    """
    cleaned = [_QUOTED.sub("", line) for line in lines if line.strip()]
    if not cleaned:
        return prefer or ","
    header, data = cleaned[0], cleaned[1:50]
    best: tuple[float, int, int] | None = None
    choice = prefer or ","
    for rank, delim in enumerate(DELIMITERS):
        count = header.count(delim)
        if count == 0:
            continue
        agree = sum(line.count(delim) == count for line in data) / len(data) if data else 1.0
        key = (agree, count, 1 if delim == prefer else -rank)
        if best is None or key > best:
            best, choice = key, delim
    return choice
