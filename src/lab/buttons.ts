/** A small JupyterLab-styled button (the sidebar's lists). */
export function smallButton(label: string, className: string, onClick: () => void): HTMLButtonElement {
  const button = document.createElement('button');
  button.className = `jp-mod-styled jp-mod-minimal ${className}`;
  button.textContent = label;
  button.addEventListener('click', onClick);
  return button;
}
