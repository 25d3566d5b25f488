// Placeholder, to be replaced: the frontend build writes the real anywidget module here
// (the viewer core mounted in a notebook output, driven by the traits in docs/state.md).
// Until then the notebook widget only says so; everything else of roman_lab.Viewer works
// from Python without it.
function render({ el }) {
  const note = document.createElement("div");
  note.textContent = "roman-lab viewer: the browser part is not built yet";
  el.appendChild(note);
}

export default { render };
