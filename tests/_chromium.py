"""Headless Chromium driven over its DevTools protocol on a pipe (``--remote-debugging-pipe``),
with the standard library only: open a page, run script in it, click, take a screenshot of what
a person would see.

Why not ``chromium --screenshot``: in headless mode it captures a blank page whenever the page is
scrolled when it is taken — by an address with a fragment (``report.html#code=IDS00211``, even a
plain ``#findings`` anchor on a page without script) or by the page's own script. The report was
right (its DOM held the filtered rows); the picture was not. ``Page.captureScreenshot`` on the
page's own session captures the scrolled viewport as it is.

    with Browser() as b:
        b.open(page.as_uri() + "#code=IDS00211")
        b.screenshot(Path("shot.png"))
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
import zlib
from pathlib import Path
from typing import Any

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--hide-scrollbars"]


class BrowserError(RuntimeError):
    pass


class Browser:
    """One headless Chromium with one page, sized *width* × *height* (the window)."""

    def __init__(self, width: int = 1400, height: int = 1000, *, timeout: float = 120) -> None:
        if CHROMIUM is None:
            raise BrowserError("no Chromium found (Debian: apt-get install chromium)")
        self.timeout = timeout
        self._profile = tempfile.mkdtemp(prefix="iapt-ds-chromium-")
        to_chrome, from_us = os.pipe()
        to_us, from_chrome = os.pipe()

        def pipes() -> None:       # in the child: the protocol's fds 3 (read) and 4 (write)
            a, b = os.dup(to_chrome), os.dup(from_chrome)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self._proc = subprocess.Popen(
            [CHROMIUM, *FLAGS, f"--user-data-dir={self._profile}", "--remote-debugging-pipe",
             f"--window-size={width},{height}", "about:blank"],
            preexec_fn=pipes, close_fds=False, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        os.close(to_chrome)
        os.close(from_chrome)
        self._out = os.fdopen(from_us, "wb", buffering=0)
        self._in = os.fdopen(to_us, "rb", buffering=0)
        self._buf = b""
        self._id = 0
        self._session: str | None = None
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self._session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        self.send("Page.enable")
        self.send("Performance.enable")

    # ------------------------------------------------------------------ protocol

    def send(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Send one command (to the page once it is attached) and return its result."""
        self._id += 1
        msg: dict[str, Any] = {"id": self._id, "method": method, "params": params or {}}
        if self._session is not None and not method.startswith("Target."):
            msg["sessionId"] = self._session
        self._out.write(json.dumps(msg).encode("utf-8") + b"\0")
        while True:
            while b"\0" not in self._buf:
                chunk = self._in.read(1 << 20)
                if not chunk:
                    raise BrowserError(f"Chromium closed the pipe during {method}")
                self._buf += chunk
            raw, self._buf = self._buf.split(b"\0", 1)
            reply = json.loads(raw)
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    def js(self, expression: str, *, wait: bool = False) -> Any:
        """The value of *expression* in the page (*wait*: await the promise it gives)."""
        res = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                             "awaitPromise": wait})
        if "exceptionDetails" in res:
            raise BrowserError(f"{expression[:60]}…: {res['exceptionDetails'].get('exception', {}).get('description')}")
        return res["result"].get("value")

    # ------------------------------------------------------------------ what a test does

    def open(self, url: str, *, ready: str = "document.documentElement.dataset.readyMs") -> float:
        """Go to *url* and wait until the page is loaded and *ready* (an expression) is truthy;
        the seconds it took, as this process saw them."""
        start = time.perf_counter()
        self.send("Page.navigate", {"url": url})
        while time.perf_counter() - start < self.timeout:
            state = self.js(f"location.href !== 'about:blank' && document.readyState === 'complete' && !!({ready})")
            if state:
                return time.perf_counter() - start
            time.sleep(0.05)
        raise BrowserError(f"{url} was not ready in {self.timeout} s")

    def timed(self, action: str) -> float:
        """Milliseconds from running *action* (script) to the next frame painted after it."""
        return float(self.js(
            "new Promise(function (done) { var t = performance.now(); (function () {" + action + "})();"
            " requestAnimationFrame(function () { setTimeout(function () { done(performance.now() - t); }, 0); }); })",
            wait=True))

    def busy(self) -> float:
        """Seconds the page's main thread has spent running tasks (script, style, layout, paint)
        since it opened: its work, whatever else the machine is doing (``Performance.getMetrics``
        TaskDuration)."""
        metrics = {m["name"]: m["value"] for m in self.send("Performance.getMetrics")["metrics"]}
        return float(metrics.get("TaskDuration", 0.0))

    def timed_busy(self, action: str) -> tuple[float, float]:
        """(milliseconds to the next painted frame, milliseconds of main-thread work) for *action*."""
        before = self.busy()
        wall = self.timed(action)
        return wall, (self.busy() - before) * 1000

    def screenshot(self, path: Path) -> Path:
        """A PNG of the viewport as it is now (scrolled or not)."""
        data = self.send("Page.captureScreenshot", {"format": "png"})["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    def close(self) -> None:
        try:
            self.send("Browser.close")
        except (BrowserError, OSError):
            pass
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        for f in (self._out, self._in):
            try:
                f.close()
            except OSError:
                pass
        shutil.rmtree(self._profile, ignore_errors=True)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def png_colours(png: bytes) -> int:
    """How many different byte values the PNG's pixel data holds: a blank picture (one colour)
    has a handful, a page with text, badges and tables well over a hundred."""
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    at, data = 8, b""
    while at < len(png):
        n = int.from_bytes(png[at:at + 4], "big")
        kind = png[at + 4:at + 8]
        if kind == b"IDAT":
            data += png[at + 8:at + 8 + n]
        at += 12 + n
    return len(set(zlib.decompress(data)))
