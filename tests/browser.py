"""Open a page in headless Chromium with the network blocked and report its computed styles.

``probe(page)`` writes a copy of ``page`` beside it (so its relative links resolve the same)
with a script that, once the page has loaded and its scripts ran, writes into the DOM:
the computed font family, padding and colours of a few elements Bootstrap styles, whether
jQuery ran, how many table rows the page's tables have, and which web fonts loaded.
Chromium's ``--dump-dom`` prints the DOM after that; the result is parsed back as JSON.
Every host name resolves to nothing and every proxy is a closed port, so a page that still
pointed at a CDN would load nothing from it.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
_PROBE = """
<script>
window.addEventListener("load", function () {
  setTimeout(function () {
    function style(selector) {
      var el = document.querySelector(selector);
      if (!el) { return null; }
      var s = getComputedStyle(el);
      return {fontFamily: s.fontFamily, color: s.color, background: s.backgroundColor,
              paddingLeft: s.paddingLeft, borderTopWidth: s.borderTopWidth,
              display: s.display, fontWeight: s.fontWeight};
    }
    var out = {
      body: style("body"),
      table: style("table.table, table"),
      navbar: style("nav, .navbar"),
      icon: style(".fas, .fa, .far, .fab"),
      jquery: typeof window.jQuery === "function",
      tableRows: document.querySelectorAll("table tbody tr").length,
      fontsLoaded: Array.from(document.fonts).filter(function (f) {
        return f.status === "loaded";
      }).map(function (f) { return f.family; }),
      resources: performance.getEntriesByType("resource").map(function (r) { return r.name; })
    };
    var pre = document.createElement("pre");
    pre.id = "radar-probe";
    pre.textContent = JSON.stringify(out);
    document.body.appendChild(pre);
  }, 200);
});
</script>
"""
_RESULT = re.compile(r'<pre id="radar-probe">(.*?)</pre>', re.DOTALL)


def chromium() -> str | None:
    """The path of a Chromium binary, or None."""
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def probe(page: Path, *, strip_styles: bool = False, timeout: float = 120) -> dict[str, Any]:
    """Computed styles of ``page`` in headless Chromium, offline.

    ``strip_styles`` removes the page's stylesheet links first: the unstyled control.
    """
    binary = chromium()
    if binary is None:
        raise FileNotFoundError("chromium is not installed")
    text = page.read_text(encoding="utf-8")
    if strip_styles:
        text = re.sub(r"<link\b[^>]*rel=\"stylesheet\"[^>]*>", "", text)
    copy = page.with_name(f".probe-{page.name}")
    copy.write_text(text.replace("</body>", _PROBE + "</body>"), encoding="utf-8")
    profile = tempfile.mkdtemp(prefix="radar-chromium-")
    args = [
        binary,
        "--headless",
        "--disable-gpu",
        "--no-first-run",
        "--disable-extensions",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--proxy-server=http://127.0.0.1:9",
        "--allow-file-access-from-files",
        f"--user-data-dir={profile}",
        "--virtual-time-budget=10000",
        "--dump-dom",
        copy.resolve().as_uri(),
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.insert(1, "--no-sandbox")  # Chromium's sandbox refuses to run as root
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False)
    finally:
        copy.unlink(missing_ok=True)
        shutil.rmtree(profile, ignore_errors=True)
    found = _RESULT.search(done.stdout)
    if found is None:
        raise RuntimeError(
            f"chromium printed no probe result (exit {done.returncode}): {done.stderr[-2000:]}"
        )
    result: dict[str, Any] = json.loads(html.unescape(found.group(1)))
    return result
