/* The grading page's report viewer: one page of the PDF at a time on a canvas, drawn by PDF.js.
 *
 * Everything it loads comes from this site: the library and its worker from our static files
 * (vendor/pdfjs, refreshed with `bash scripts/vendor_pdfjs.sh`), the report from its authenticated view. No
 * WebAssembly (the site's Content-Security-Policy forbids compiling it; PDF.js's JavaScript image
 * decoders are used instead), no scripting, no XFA: a hostile PDF gets no more than a drawing.
 *
 * The keyboard (grading.js) drives it through window.reportViewer.
 */
const viewer = document.getElementById("report-viewer");
const canvas = document.getElementById("page-canvas");
const status = document.getElementById("viewer-status");
const pageNumber = document.getElementById("page-number");
const pageCount = document.getElementById("page-count");
const zoomLevel = document.getElementById("zoom-level");
const ZOOM_STEPS = [0.5, 0.67, 0.8, 0.9, 1, 1.1, 1.25, 1.5, 1.75, 2, 2.5, 3];

let documentProxy = null;
let current = 1;
let zoom = null; // null: fit the width of the viewer
let drawing = false; // a draw is under way: the canvas is taken
let pending = false;

function say(text) {
  status.textContent = text;
  status.hidden = !text;
}

function fitWidthScale(page) {
  const width = viewer.querySelector(".viewer-page").clientWidth - 16;
  return Math.max(0.25, width / page.getViewport({ scale: 1 }).width);
}

async function draw() {
  if (!documentProxy) { return; }
  // Claimed before the first await: a second call (a key pressed while the page loads) must wait
  // its turn, as PDF.js refuses two renders on one canvas at once.
  if (drawing) { pending = true; return; }
  drawing = true;
  let scale = null;
  try {
    const page = await documentProxy.getPage(current);
    scale = zoom === null ? fitWidthScale(page) : zoom;
    const viewport = page.getViewport({ scale: scale * (window.devicePixelRatio || 1) });
    canvas.width = Math.floor(viewport.width);
    canvas.height = Math.floor(viewport.height);
    canvas.style.width = Math.floor(viewport.width / (window.devicePixelRatio || 1)) + "px";
    await page.render({ canvas, canvasContext: canvas.getContext("2d"), viewport }).promise;
    canvas.dataset.drawnPage = String(current);
  } finally {
    drawing = false;
  }
  pageNumber.value = String(current);
  zoomLevel.textContent = Math.round(scale * 100) + "%";
  if (pending) { pending = false; draw(); }
}

function go(page) {
  if (!documentProxy) { return; }
  current = Math.min(Math.max(1, page), documentProxy.numPages);
  draw();
}

function zoomBy(direction) {
  const now = zoom === null ? parseInt(zoomLevel.textContent, 10) / 100 : zoom;
  const steps = direction > 0 ? ZOOM_STEPS.filter((step) => step > now + 0.001)
    : ZOOM_STEPS.filter((step) => step < now - 0.001).reverse();
  if (steps.length) { zoom = steps[0]; draw(); }
}

const actions = {
  "previous-page": () => go(current - 1),
  "next-page": () => go(current + 1),
  "zoom-in": () => zoomBy(1),
  "zoom-out": () => zoomBy(-1),
  "fit-width": () => { zoom = null; draw(); },
};
window.reportViewer = { ...actions };

viewer.addEventListener("click", (event) => {
  const button = event.target.closest("[data-action]");
  if (button && actions[button.dataset.action]) { actions[button.dataset.action](); }
});
pageNumber.addEventListener("change", () => go(parseInt(pageNumber.value, 10) || 1));
window.addEventListener("resize", () => { if (zoom === null) { draw(); } });

async function open() {
  say(viewer.dataset.textLoading);
  const pdfjs = await import(viewer.dataset.library);
  pdfjs.GlobalWorkerOptions.workerSrc = viewer.dataset.worker;
  const task = pdfjs.getDocument({
    url: viewer.dataset.documentUrl,
    cMapUrl: viewer.dataset.cmaps,
    cMapPacked: true,
    standardFontDataUrl: viewer.dataset.fonts,
    wasmUrl: viewer.dataset.decoders,
    useWasm: false,
    enableXfa: false,
    disableRange: true,
    disableStream: true,
  });
  task.onPassword = () => { task.destroy(); say(viewer.dataset.textPassword); viewer.dataset.state = "failed"; };
  try {
    documentProxy = await task.promise;
  } catch (error) {
    if (viewer.dataset.state !== "failed") { say(viewer.dataset.textFailed); viewer.dataset.state = "failed"; }
    return;
  }
  pageCount.textContent = String(documentProxy.numPages);
  pageNumber.max = String(documentProxy.numPages);
  say("");
  await draw();
  viewer.dataset.state = "shown";
}

open();
