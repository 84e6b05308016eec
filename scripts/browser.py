"""Look at a report the way a reader does: headless Chromium driven over its DevTools
protocol (a websocket, spoken here with the standard library only).

    with Browser() as browser:
        page = browser.open(Path("report.html").as_uri(), width=390, mobile=True)
        facts = page.measure()           # geometry: overflow, CJK wrapping, chart points
        page.screenshot(Path("phone.png"), height=2400)
        pdf = page.pdf()                 # printed as the browser prints it (A4)

Used by the browser test (tests/test_report.py) and by scripts/report_pictures.py, which
refreshes the pictures in docs/.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
]

#: Runs in the page and returns what a reader would notice (see :meth:`Page.measure`).
MEASURE_JS = r"""
(() => {
  const vw = document.documentElement.clientWidth;
  const visible = (el) => { const s = getComputedStyle(el);
    return s.display !== 'none' && s.visibility !== 'hidden'; };
  const overflow = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (el.closest('svg') && el.tagName.toLowerCase() !== 'svg') continue;
    if (!visible(el)) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (r.right <= vw + 1 && r.left >= -1) continue;
    const scroller = el.parentElement && el.parentElement.closest('[data-scroll]');
    if (scroller) continue;
    overflow.push({tag: el.tagName.toLowerCase(), text: (el.textContent || '').trim().slice(0, 40),
      left: Math.round(r.left), right: Math.round(r.right)});
  }
  const cjk = /[\u3400-\u9fff\uf900-\ufaff]/;
  const stacked = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const text = node.textContent;
    if (!cjk.test(text) || text.trim().length < 2) continue;
    if (node.parentElement.closest('svg, style, script')) continue;
    if (!visible(node.parentElement)) continue;
    const lines = new Map();
    for (let i = 0; i < text.length; i++) {
      if (!text[i].trim()) continue;
      range.setStart(node, i); range.setEnd(node, i + 1);
      const rect = range.getBoundingClientRect();
      if (rect.width === 0) continue;
      const top = Math.round(rect.top);
      lines.set(top, (lines.get(top) || '') + text[i]);
    }
    if (lines.size < 2) continue;
    const single = [...lines.values()].filter(l => l.length === 1 && cjk.test(l));
    if (single.length) stacked.push({text: text.trim().slice(0, 40), lines: [...lines.values()]});
  }
  const charts = [];
  for (const fig of document.querySelectorAll('figure.chart')) {
    const svg = fig.querySelector('svg');
    const grid = [...svg.querySelectorAll('g[id^="ygrid-"]')].map(g => {
      const r = g.getBoundingClientRect();
      return {value: parseFloat(g.id.slice(6)), y: r.top + r.height / 2}; });
    const marks = [...svg.querySelectorAll('g#actual use')];
    const last = marks.length ? marks[marks.length - 1].getBoundingClientRect() : null;
    let value = null;
    if (last && grid.length >= 2) {
      const [a, b] = [grid[0], grid[grid.length - 1]];
      const y = last.top + last.height / 2;
      value = a.value + (y - a.y) * (b.value - a.value) / (b.y - a.y);
    }
    const texts = [...svg.querySelectorAll('text')].map(t => t.getBoundingClientRect().height)
      .filter(h => h > 0);
    const box = svg.getBoundingClientRect();
    charts.push({kpi: fig.dataset.kpi || null, last_actual: value,
      range: grid.length >= 2 ? Math.abs(grid[grid.length - 1].value - grid[0].value) : null,
      width: Math.round(box.width), smallest_text: texts.length ? Math.min(...texts) : null,
      projected: !!svg.querySelector('g#projected')});
  }
  const statuses = [...document.querySelectorAll('#headline table tbody tr')].map(tr => {
    const cell = tr.querySelector('.status');
    return cell ? Math.round(cell.getBoundingClientRect().right) : null; });
  return {viewport: vw, page_height: document.documentElement.scrollHeight, overflow,
    stacked, charts, status_right: statuses};
})()
"""


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


class _Socket:
    """A websocket client: enough of RFC 6455 for the DevTools protocol (text frames,
    masked from the client, fragmented and long frames from the browser)."""

    def __init__(self, url: str) -> None:
        found = re.match(r"ws://([^/:]+):(\d+)(/.*)", url)
        if not found:
            raise ValueError(url)
        host, port, path = found[1], int(found[2]), found[3]
        self.sock = socket.create_connection((host, port), timeout=120)
        key = base64.b64encode(os.urandom(16)).decode()
        request = (
            f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        self.sock.sendall(request.encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)
            if not chunk:
                raise ConnectionError("the browser closed the websocket handshake")
            head += chunk
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            raise ConnectionError(head.decode(errors="replace"))

    def send(self, text: str) -> None:
        data = text.encode()
        header = bytearray([0x81])
        if len(data) < 126:
            header.append(0x80 | len(data))
        elif len(data) < 65536:
            header += bytes([0x80 | 126]) + struct.pack(">H", len(data))
        else:
            header += bytes([0x80 | 127]) + struct.pack(">Q", len(data))
        mask = os.urandom(4)
        header += mask
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
        self.sock.sendall(bytes(header) + masked)

    def _exact(self, n: int) -> bytes:
        out = bytearray()
        while len(out) < n:
            chunk = self.sock.recv(min(n - len(out), 1 << 20))
            if not chunk:
                raise ConnectionError("the browser closed the websocket")
            out += chunk
        return bytes(out)

    def receive(self) -> str:
        message = bytearray()
        while True:
            first, second = self._exact(2)
            length = second & 0x7F
            if length == 126:
                length = struct.unpack(">H", self._exact(2))[0]
            elif length == 127:
                length = struct.unpack(">Q", self._exact(8))[0]
            payload = self._exact(length)
            opcode = first & 0x0F
            if opcode == 0x8:
                raise ConnectionError("the browser closed the websocket")
            if opcode in (0x9, 0xA):
                continue  # ping / pong
            message += payload
            if first & 0x80:
                return message.decode()

    def close(self) -> None:
        self.sock.close()


class Page:
    def __init__(self, browser: Browser, url: str) -> None:
        self.browser = browser
        self.ws = _Socket(url)
        self.next_id = 0
        self.events: list[dict[str, Any]] = []
        self.width = 0

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.receive())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return dict(message.get("result", {}))
            self.events.append(message)

    def wait_for(self, event: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not any(e.get("method") == event for e in self.events):
            if time.monotonic() > deadline:
                raise TimeoutError(event)
            self.events.append(json.loads(self.ws.receive()))
        self.events = [e for e in self.events if e.get("method") != event]

    def evaluate(self, expression: str) -> Any:
        result = self.call(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(result["exceptionDetails"])
        return result["result"].get("value")

    def measure(self) -> dict[str, Any]:
        """Elements wider than the viewport outside a ``[data-scroll]`` container, CJK text
        with a line holding a single character, each chart's last actual point read back
        from its position against the labelled grid lines, and where the headline's
        status badges end."""
        return dict(self.evaluate(MEASURE_JS))

    def screenshot(self, path: Path, height: int | None = None) -> None:
        metrics = self.call("Page.getLayoutMetrics")
        size = metrics.get("cssContentSize") or metrics["contentSize"]
        width = self.width
        full = int(size["height"])
        clip = {"x": 0, "y": 0, "width": width, "height": min(full, height or full), "scale": 1}
        shot = self.call(
            "Page.captureScreenshot", format="png", clip=clip, captureBeyondViewport=True
        )
        path.write_bytes(base64.b64decode(shot["data"]))

    def pdf(self) -> bytes:
        """Printed as a reader's browser prints it: A4, backgrounds on, the page's own
        @page rules, no browser header or footer."""
        result = self.call(
            "Page.printToPDF",
            printBackground=True,
            preferCSSPageSize=True,
            paperWidth=8.27,
            paperHeight=11.69,
            displayHeaderFooter=False,
        )
        return base64.b64decode(result["data"])

    def close(self) -> None:
        self.ws.close()


def pdf_pages(pdf: bytes) -> int:
    """Pages in a PDF Chromium wrote (its page objects are not compressed)."""
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))


class Browser:
    """One headless Chromium, with a throwaway profile; stopped on exit."""

    def __init__(self, executable: str | None = None) -> None:
        self.executable = executable or chromium()
        if self.executable is None:
            raise FileNotFoundError("Chromium is not installed (apt-get install chromium)")
        self.profile = tempfile.mkdtemp(prefix="salesperf-chromium-")
        self.process: subprocess.Popen[str] | None = None
        self.port = 0

    def __enter__(self) -> Browser:
        assert self.executable is not None
        self.process = subprocess.Popen(
            [self.executable, *FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.process.stderr is not None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = self.process.stderr.readline()
            found = re.search(r"DevTools listening on ws://[^:]+:(\d+)/", line)
            if found:
                self.port = int(found[1])
                return self
            if not line and self.process.poll() is not None:
                break
        self.__exit__(None, None, None)
        raise RuntimeError("Chromium did not start its DevTools endpoint")

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            if self.process.stderr is not None:
                self.process.stderr.close()
        shutil.rmtree(self.profile, ignore_errors=True)

    def open(self, url: str, *, width: int, height: int = 900, mobile: bool = False) -> Page:
        """A new tab ``width`` CSS pixels wide (a phone: ``mobile=True``), ``url`` loaded."""
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/json/new?about:blank", method="PUT"
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            target = json.loads(response.read())
        page = Page(self, target["webSocketDebuggerUrl"])
        page.width = width
        page.call("Page.enable")
        page.call(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=mobile,
        )
        page.call("Page.navigate", url=url)
        page.wait_for("Page.loadEventFired")
        page.evaluate("document.fonts.ready.then(() => true)")
        return page
