"""The reports as a reader sees them: every HTML page in headless Chromium (issue 18, point 6).

Each page is opened from disk (``file://``, as a reader double-clicking it does) inside an iframe of 1280 and of
390 CSS pixels (a laptop and a phone) and checked for: images that did not load (``naturalWidth`` 0), content
wider than the window (``scrollWidth > clientWidth`` of the document: a wide table must scroll inside its own
box), and, on Chinese pages, the shipped font "Emstudy Sans SC" loaded from ``reports/fonts/`` (the pages must
not depend on a system CJK font; CI's machine has none). The pages are copied unchanged but for a probe script
before ``</body>`` into a temporary folder beside links to ``reports/figures`` and ``reports/fonts``; one
Chromium renders them all from a harness page that collects the probes' messages, and ``--dump-dom`` hands the
results back.

Without Chromium the tests are skipped, unless ``EMSTUDY_REQUIRE_BROWSER=1`` (CI), when they fail.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from emstudy.reporting import fonts
from emstudy.reporting.document import FigureRef, Report, Section, Table
from emstudy.reporting.figures import save_figure
from emstudy.reporting.index import IndexEntry, write_index
from emstudy.reporting.render import render_html

REPORTS = Path(__file__).resolve().parents[1] / "reports"
WIDTHS = (1280, 390)

_PROBE = """<script>
addEventListener("load", async () => {
  const d = document, de = d.documentElement, family = "@FAMILY@";
  void d.body.offsetHeight;
  await d.fonts.ready;
  const width = de.clientWidth;
  const wide = de.scrollWidth <= width ? [] : [...d.body.querySelectorAll("*")]
    .filter(e => e.getBoundingClientRect().right > width + 0.5)
    .slice(0, 3).map(e => e.tagName.toLowerCase() + ": " + (e.textContent || e.getAttribute("src") || "").slice(0, 50));
  parent.postMessage({
    page: decodeURIComponent(location.pathname.split("/").pop()), width: innerWidth, clientWidth: width,
    scrollWidth: de.scrollWidth, lang: de.lang, wide: wide,
    broken: [...d.images].filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.getAttribute("src")),
    faces: [...d.fonts].filter(f => f.family.replace(/["']/g, "") === family).map(f => f.status),
    fontCheck: d.fonts.check('16px "' + family + '"', "文"),
  }, "*");
});
</script>""".replace("@FAMILY@", fonts.FONT_FAMILY)

_HARNESS = """<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>
<pre id="emstudy-results">[]</pre><pre id="emstudy-done"></pre>
<script>
const pages = @PAGES@, widths = @WIDTHS@, out = [];
function load(page, width) {
  return new Promise(resolve => {
    const frame = document.createElement("iframe");
    frame.style.cssText = "border:0;height:900px;width:" + width + "px";
    const heard = e => {
      if (e.source !== frame.contentWindow) return;
      removeEventListener("message", heard);
      out.push(e.data);
      document.getElementById("emstudy-results").textContent = JSON.stringify(out);
      frame.remove();
      resolve();
    };
    addEventListener("message", heard);
    frame.src = encodeURIComponent(page);
    document.body.append(frame);
  });
}
(async () => {
  for (const page of pages) await Promise.all(widths.map(w => load(page, w)));
  document.getElementById("emstudy-done").textContent = "done";
})();
</script></body></html>"""


def _chromium() -> str:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        if os.environ.get("EMSTUDY_REQUIRE_BROWSER") == "1":
            pytest.fail("EMSTUDY_REQUIRE_BROWSER=1 but no chromium on PATH (apt-get install chromium)")
        pytest.skip("chromium not installed (Debian package 'chromium'); CI installs it and requires this test")
    return browser


def _flags(browser: str, profile: Path) -> list[str]:
    return [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
    ]


def render_in_chromium(browser: str, reports_dir: Path, pages: list[Path], work: Path) -> list[dict]:
    """Open each page at every width of :data:`WIDTHS` in one headless Chromium; the probes' results."""
    stage = work / "stage"
    stage.mkdir(parents=True)
    for folder in ("figures", "fonts"):
        if (reports_dir / folder).is_dir():
            (stage / folder).symlink_to((reports_dir / folder).resolve(), target_is_directory=True)
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert text.count("</body>") == 1, f"{page.name}: expected one </body>"
        (stage / page.name).write_text(text.replace("</body>", _PROBE + "\n</body>"), encoding="utf-8")
    harness = stage / "_harness.html"
    names = json.dumps([p.name for p in pages], ensure_ascii=False)
    harness.write_text(_HARNESS.replace("@PAGES@", names).replace("@WIDTHS@", json.dumps(WIDTHS)), encoding="utf-8")
    cmd = [*_flags(browser, work / "profile"), "--virtual-time-budget=60000", "--dump-dom", harness.as_uri()]
    dom = subprocess.run(cmd, capture_output=True, text=True, timeout=180).stdout
    found = re.search(r'<pre id="emstudy-results">(.*?)</pre>', dom, re.S)
    assert found is not None, f"the harness page did not render: {dom[:300]!r}"
    results = json.loads(html.unescape(found.group(1)))
    missing = sorted({(p.name, w) for p in pages for w in WIDTHS} - {(r["page"], r["width"]) for r in results})
    assert not missing, f"no result from (page, width) {missing}: the page did not finish loading"
    return results


def problems(results: list[dict]) -> list[str]:
    """What a reader would see wrong: broken images, horizontal overflow, Chinese without the shipped font."""
    out = []
    for r in results:
        where = f"{r['page']} at {r['width']} px"
        if r["broken"]:
            out.append(f"{where}: images did not load: {r['broken']}")
        if r["scrollWidth"] > r["clientWidth"]:
            out.append(f"{where}: {r['scrollWidth']} px wide content in a {r['clientWidth']} px window: {r['wide']}")
        if r["lang"] == "zh-CN" and not (r["faces"] and all(s == "loaded" for s in r["faces"]) and r["fontCheck"]):
            out.append(f"{where}: the shipped font {fonts.FONT_FAMILY!r} did not load ({r['faces']})")
    return out


def test_committed_pages_render_in_chromium(tmp_path):
    browser = _chromium()
    pages = sorted(REPORTS.glob("*.html"))
    assert pages, f"no HTML page in {REPORTS}"
    results = render_in_chromium(browser, REPORTS, pages, tmp_path)
    found = problems(results)
    assert not found, "\n".join(found)


def _report(lang: str) -> Report:
    long_word = "Organisation-and-command-with-accountability-and-legal-system-reform" * 2
    table = Table(
        "Construct means" if lang == "en" else "各维度均值",
        pd.DataFrame({f"column {k} {long_word[:20]}": [3.456, 2.9] for k in range(12)}),
    )
    return Report(
        title="Wencheng County" if lang == "en" else "文成县应急管理：研究发现与对策建议",
        lang=lang,
        banner=["SYNTHETIC DATA: not the thesis's responses." if lang == "en" else "合成数据：并非原论文的问卷数据。"],
        sections=[
            Section(
                "Priorities" if lang == "en" else "优先事项",
                paragraphs=[long_word if lang == "en" else "信息发布与舆情引导最弱。" * 20],
                tables=[table],
                figures=[FigureRef("Profile", "figures/x.png")],
            )
        ],
    )


def _bad_page() -> str:
    """A Chinese page with every fault the probes look for: the checks can fail."""
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><style>@font-face{font-family:"'
        + fonts.FONT_FAMILY
        + '";src:url("fonts/none.ttf")}body{font-family:"'
        + fonts.FONT_FAMILY
        + '"}</style></head><body><p>文成县</p><img src="figures/none.png" alt="x">'
        '<div style="width:1500px">wide</div></body></html>\n'
    )


def test_fresh_pages_pass_and_a_faulty_page_fails(tmp_path):
    browser = _chromium()
    reports = tmp_path / "reports"
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 4))
    fig.add_subplot().bar(["a", "b"], [1.0, 2.0])
    save_figure(fig, reports / "figures" / "x.png")
    for lang in ("en", "zh"):
        stem = "wencheng" if lang == "en" else "wencheng.zh"
        (reports / f"{stem}.html").write_text(render_html(_report(lang), name="wencheng"), encoding="utf-8")
    write_index(reports, [IndexEntry("wencheng", "Wencheng County", "文成县", "4R", "4R理论")], synthetic=True)
    (reports / "bad.zh.html").write_text(_bad_page(), encoding="utf-8")
    pages = sorted(reports.glob("*.html"))
    found = problems(render_in_chromium(browser, reports, pages, tmp_path / "work"))
    assert [f for f in found if not f.startswith("bad.zh.html")] == []
    assert len(found) == 6, found  # bad.zh.html at two widths: the image, the width, the font
    for width in WIDTHS:
        assert f"bad.zh.html at {width} px: images did not load: ['figures/none.png']" in found
        assert any(f.startswith(f"bad.zh.html at {width} px: 1") and "div: wide" in f for f in found)
        assert f"bad.zh.html at {width} px: the shipped font 'Emstudy Sans SC' did not load (['error'])" in found

    # the figure is painted: a screenshot of the page holds its bars' colour (matplotlib's default, #1f77b4)
    import numpy as np
    from PIL import Image

    shot = tmp_path / "shot.png"
    page = reports / "wencheng.html"
    cmd = [*_flags(browser, tmp_path / "profile2"), f"--screenshot={shot}", "--window-size=1000,2400", page.as_uri()]
    subprocess.run(cmd, capture_output=True, timeout=90)
    pixels = np.asarray(Image.open(shot).convert("RGB"), dtype=int)
    blue = int((np.abs(pixels - [31, 119, 180]).max(axis=2) < 12).sum())
    assert blue > 500, f"only {blue} pixels of the figure's colour: the image did not render"
