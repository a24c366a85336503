"""Time the stored quadrant figure to interactive in headless Chromium.

The page holds only plotly.js and the figure JSON, as the portfolio page
ships them; the clock runs from parsing the JSON to the first frame painted
after Plotly.newPlot resolves (the chart then answers hover and click).

The page loads the plotly.js the portfolio page serves, the strict bundle
under static/vendor/plotly, whose WebGL traces need no eval; here WebGL is
Chromium's SwiftShader, on the CPU. Each figure says which renderer drew
it; a figure plotly.js could not draw raises instead.
"""

import json
import shutil
from pathlib import Path

from bench.results import Figure

CHROMIUM = "/usr/bin/chromium"
PLOTLY_JS = (
    Path(__file__).resolve().parent.parent
    / "static"
    / "vendor"
    / "plotly"
    / "plotly-strict.min.js"
)
MEASURE = """
async (payload) => {
  const started = performance.now();
  const figure = JSON.parse(payload);
  const holder = document.getElementById("quadrant");
  await Plotly.newPlot(holder, figure.data, figure.layout, {displayModeBar: false});
  await new Promise((resolve) => requestAnimationFrame(() => resolve()));
  const elapsed = performance.now() - started;
  const webgl = figure.data.some((trace) => trace.type === "scattergl");
  let renderer = "SVG";
  if (webgl) {
    const context = document.createElement("canvas").getContext("webgl");
    const info = context && context.getExtension("WEBGL_debug_renderer_info");
    renderer = "WebGL (" + (info
      ? context.getParameter(info.UNMASKED_RENDERER_WEBGL)
      : "no WebGL context") + ")";
  }
  return {elapsed, renderer, failed: Boolean(holder.querySelector(".no-webgl"))};
}
"""


def chart_interactive_benchmark(
    *, figure: dict, repeats: int = 3, name: str = ""
) -> list[Figure]:
    """Return the best time to interactive of the figure, in milliseconds."""
    if shutil.which(CHROMIUM) is None:
        raise RuntimeError(f"The chart benchmark needs Chromium at {CHROMIUM}.")

    from playwright.sync_api import sync_playwright

    payload = json.dumps(figure, separators=(",", ":"))
    timings = []
    renderers = set()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-background-networking"],
        )
        try:
            for _ in range(repeats):
                page = browser.new_page(viewport={"width": 1366, "height": 900})
                page.set_content(
                    '<div id="quadrant" style="width:900px;height:640px"></div>'
                )
                page.add_script_tag(path=str(PLOTLY_JS))
                drawn = page.evaluate(MEASURE, payload)
                page.close()
                # A notice in place of the chart is no time to interactive.
                if drawn["failed"]:
                    raise RuntimeError(
                        "plotly.js showed its no-WebGL notice instead of the chart"
                    )
                timings.append(drawn["elapsed"])
                renderers.add(drawn["renderer"])
        finally:
            browser.close()

    traces = ", ".join(
        sorted({trace.get("type", "scatter") for trace in figure.get("data", [])})
    )
    return [
        Figure(
            benchmark=f"quadrant time to interactive in headless Chromium{name}",
            value=min(timings),
            unit="ms",
            target="<= 1500 ms at 100k accounts",
            note=f"best of {repeats}; renderer: {', '.join(sorted(renderers))}; "
            f"traces: {traces}; payload {len(payload) / 2**20:.2f} MB",
        )
    ]
