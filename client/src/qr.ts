// QR codes for room links, drawn as an SVG built through the DOM (no markup strings, nothing inline to run).

import { create } from 'qrcode';

const SVG_NS = 'http://www.w3.org/2000/svg';

/** The quiet zone around the code, in modules: the QR specification asks for four. */
const QUIET_ZONE_MODULES = 4;

/**
 * An SVG of `text` as a QR code, one path of unit squares scaled by the viewBox, with a white quiet zone so
 * phone cameras read it on a dark page too. Error correction M: a projector's glare costs a few modules.
 */
export function qrSvg(text: string, label: string): SVGSVGElement {
  const { modules } = create(text, { errorCorrectionLevel: 'M' });
  const size = modules.size + 2 * QUIET_ZONE_MODULES;
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', `0 0 ${size} ${size}`);
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', label);
  svg.setAttribute('shape-rendering', 'crispEdges');
  const background = document.createElementNS(SVG_NS, 'rect');
  background.setAttribute('width', String(size));
  background.setAttribute('height', String(size));
  background.setAttribute('fill', '#ffffff');
  const path = document.createElementNS(SVG_NS, 'path');
  let d = '';
  for (let row = 0; row < modules.size; row++) {
    for (let col = 0; col < modules.size; col++) {
      if (modules.get(row, col)) d += `M${col + QUIET_ZONE_MODULES} ${row + QUIET_ZONE_MODULES}h1v1h-1z`;
    }
  }
  path.setAttribute('d', d);
  path.setAttribute('fill', '#000000');
  svg.append(background, path);
  return svg;
}
