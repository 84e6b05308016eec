"""Refresh the report pictures in docs/pictures/: the English and the Chinese example on a
desktop (1280 px) and a phone (390 px), and their printed pages (A4).

    python scripts/report_pictures.py            # from the repository root

Needs Chromium and, for the print pages, pdftoppm (Debian: poppler-utils). Prints what it
measured (pages printed, anything wider than the phone, CJK stacked one character a line).
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from browser import Browser, pdf_pages  # noqa: E402

#: The examples as the docs show them: the English one mid-month (an open period, so the
#: projection is visible), the Chinese one at its data's end.
EXAMPLES = {
    "en": ("examples/kpi.yaml", dt.date(2017, 6, 21)),
    "zh": ("examples/zh/kpi.yaml", None),
}
#: Screenshots are cut at this height (CSS pixels): the first screens are what they show.
DESKTOP_HEIGHT = 2200
PHONE_HEIGHT = 3000
#: Printed pages kept as pictures (the first ones) and their resolution.
PRINT_PAGES = 3
PRINT_DPI = 60


def render(name: str, folder: Path) -> Path:
    from salesperf.report import write_report
    from salesperf.review import Review

    spec, as_of = EXAMPLES[name]
    os.chdir(ROOT)
    bundle = Review(spec, as_of=as_of).report()
    page = folder / f"report-{name}.html"
    write_report(bundle, "html", page)
    return page


def main() -> int:
    out = ROOT / "docs" / "pictures"
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, Browser() as browser:
        folder = Path(tmp)
        for name in EXAMPLES:
            url = render(name, folder).as_uri()
            devices = (("desktop", 1280, DESKTOP_HEIGHT), ("phone", 390, PHONE_HEIGHT))
            for device, width, height in devices:
                page = browser.open(url, width=width, mobile=device == "phone")
                facts = page.measure()
                page.screenshot(out / f"report-{name}-{device}.png", height=height)
                if device == "phone":
                    print(
                        f"{name} phone: {len(facts['overflow'])} too wide, "
                        f"{len(facts['stacked'])} CJK stacked, charts "
                        f"{[c['width'] for c in facts['charts']]} px wide"
                    )
                    pdf = page.pdf()
                    pages = pdf_pages(pdf)
                    (folder / f"{name}.pdf").write_bytes(pdf)
                    for old in out.glob(f"report-{name}-print-*.png"):
                        old.unlink()
                    subprocess.run(
                        [
                            "pdftoppm",
                            "-png",
                            "-r",
                            str(PRINT_DPI),
                            "-l",
                            str(PRINT_PAGES),
                            str(folder / f"{name}.pdf"),
                            str(out / f"report-{name}-print"),
                        ],
                        check=True,
                    )
                    print(f"{name} print: {pages} pages")
                page.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
