"""A headless Chromium driven over the DevTools protocol on a pipe (no WebSocket library, no
browser download): open a page, collect console errors and network requests, evaluate
expressions and take a screenshot."""

from __future__ import annotations

import base64
import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any


def chromium() -> str | None:
    """The Chromium executable on PATH, or None."""
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


class Browser:
    """One headless Chromium; use as a context manager."""

    def __init__(self, executable: str, width: int = 1200, height: int = 900) -> None:
        self._profile = tempfile.TemporaryDirectory(ignore_cleanup_errors=True)
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()

        def _fds() -> None:  # in the child: DevTools reads fd 3 and writes fd 4
            read, write = os.dup(to_browser_r), os.dup(from_browser_w)  # clear of 3 and 4
            os.dup2(read, 3)
            os.dup2(write, 4)

        flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-extensions", "--disable-background-networking", "--disable-sync",
                 "--no-default-browser-check", "--remote-debugging-pipe"]  # fmt: skip
        flags += [f"--user-data-dir={self._profile.name}", f"--window-size={width},{height}"]
        self._proc = subprocess.Popen(
            [executable, *flags, "about:blank"],
            preexec_fn=_fds,
            close_fds=False,  # keep 3 and 4 (every other descriptor is not inheritable)
            start_new_session=True,  # its helper processes end with it (killpg)
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._id = 0
        self.events: list[dict[str, Any]] = []
        self.width, self.height = width, height

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        os.killpg(self._proc.pid, signal.SIGKILL)
        self._proc.wait()
        os.close(self._to_browser)
        os.close(self._from_browser)
        self._profile.cleanup()

    def _read(self, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._from_browser], [], [], left)[0]:
                raise TimeoutError("no answer from Chromium")
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def send(self, method: str, session: str | None = None, timeout: float = 30, **params: Any):
        """Call a DevTools method and return its result (events seen meanwhile are kept)."""
        self._id += 1
        message = {"id": self._id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        while True:
            answer = self._read(timeout)
            if answer.get("id") == self._id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer["result"]
            self.events.append(answer)

    def wait_for(self, method: str, timeout: float = 30) -> dict[str, Any]:
        """The first event ``method`` (already seen or still to come)."""
        for event in self.events:
            if event.get("method") == method:
                return event
        deadline = time.monotonic() + timeout
        while True:
            event = self._read(max(deadline - time.monotonic(), 0.01))
            self.events.append(event)
            if event.get("method") == method:
                return event

    def open(self, url: str) -> str:
        """Open ``url`` in a new tab, wait for its load event; return the session id."""
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        session = self.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Runtime", "Log", "Network", "Page"):
            self.send(f"{domain}.enable", session)
        self.send("Emulation.setDeviceMetricsOverride", session, width=self.width,
                  height=self.height, deviceScaleFactor=1, mobile=False)  # fmt: skip
        self.send("Page.navigate", session, url=url)
        self.wait_for("Page.loadEventFired")
        return session

    def evaluate(self, session: str, expression: str) -> Any:
        """The value of a JavaScript expression in the page."""
        result = self.send("Runtime.evaluate", session, expression=expression,
                           returnByValue=True)  # fmt: skip
        if "exceptionDetails" in result:
            raise RuntimeError(result["exceptionDetails"])
        return result["result"].get("value")

    def screenshot(self, session: str, path: Path) -> Path:
        """A PNG of the whole page."""
        data = self.send("Page.captureScreenshot", session, format="png",
                         captureBeyondViewport=True)["data"]  # fmt: skip
        path.write_bytes(base64.b64decode(data))
        return path

    def console_errors(self) -> list[str]:
        """Console errors, uncaught exceptions and error log entries seen so far."""
        out = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") == "error":
                out.append(json.dumps(params.get("args")))
            elif method == "Runtime.exceptionThrown":
                out.append(json.dumps(params.get("exceptionDetails")))
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                out.append(params["entry"].get("text", ""))
        return out

    def requests(self) -> list[str]:
        """URLs of every request the pages made."""
        return [event["params"]["request"]["url"] for event in self.events
                if event.get("method") == "Network.requestWillBeSent"]  # fmt: skip


def wait_until(browser: Browser, session: str, expression: str, timeout: float = 120) -> Any:
    """Evaluate ``expression`` until its value is truthy (a page being replaced meanwhile
    counts as not yet); return the value."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = browser.evaluate(session, expression)
        except RuntimeError:  # the page navigated away between two looks
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"still false after {timeout} s: {expression}")
        time.sleep(0.2)


def set_files(browser: Browser, session: str, selector: str, paths: list[Path]) -> None:
    """Choose ``paths`` in the file input ``selector``, as a user picking them would."""
    root = browser.send("DOM.getDocument", session)["root"]["nodeId"]
    node = browser.send("DOM.querySelector", session, nodeId=root, selector=selector)["nodeId"]
    if not node:
        raise LookupError(f"no element {selector}")
    files = [str(Path(p).resolve()) for p in paths]
    browser.send("DOM.setFileInputFiles", session, nodeId=node, files=files)


def allow_downloads(browser: Browser, folder: Path) -> None:
    """Save the pages' downloads into ``folder`` under their own names."""
    browser.send("Browser.setDownloadBehavior", behavior="allow", downloadPath=str(folder))


def emulate_device(browser: Browser, session: str, width: int, height: int) -> None:
    """Make the page's viewport a phone's: ``width`` × ``height`` CSS pixels, mobile, scale 3
    (``Emulation.setDeviceMetricsOverride``); the layout settles before this returns."""
    browser.send("Emulation.setDeviceMetricsOverride", session, width=width, height=height,
                 deviceScaleFactor=3, mobile=True)  # fmt: skip
    browser.evaluate(session, "document.body.getBoundingClientRect().width")  # forces layout


def print_pdf(browser: Browser, session: str, path: Path, landscape: bool = False) -> Path:
    """The page printed to PDF as a browser prints it (``Page.printToPDF``: print media, A4,
    backgrounds kept); written to ``path``."""
    data = browser.send("Page.printToPDF", session, timeout=120, landscape=landscape,
                        printBackground=True, paperWidth=8.27, paperHeight=11.69,
                        preferCSSPageSize=True)["data"]  # fmt: skip
    path.write_bytes(base64.b64decode(data))
    return path


def print_media(browser: Browser, session: str) -> None:
    """Apply the page's print style sheet on screen (``Emulation.setEmulatedMedia``), so that
    computed styles and boxes read as they print."""
    browser.send("Emulation.setEmulatedMedia", session, media="print")
