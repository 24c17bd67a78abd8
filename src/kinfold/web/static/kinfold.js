// The page's behaviour: GOV.UK and MOJ Frontend's components, and the charts (Vega-Lite,
// drawn by vega-embed with its expression interpreter, so the page needs no eval).
import { initAll } from "/static/vendor/govuk/govuk-frontend.min.js";
import { initAll as initMoj } from "/static/vendor/moj/moj-frontend.min.js";

document.body.classList.add("js-enabled");
if ("noModule" in HTMLScriptElement.prototype) {
  document.body.classList.add("govuk-frontend-supported");
}
initAll();
initMoj();

for (const element of document.querySelectorAll("[data-chart]")) {
  const spec = JSON.parse(document.getElementById(element.dataset.chart).textContent);
  window.vegaEmbed(element, spec, {
    actions: false, ast: true, renderer: "svg", defaultStyle: false,
    tooltip: { disableDefaultStyle: true },  // its look is in kinfold.css (no inline style)
  })
    .catch((error) => console.error("chart:", error));
}
