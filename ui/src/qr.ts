/// <reference lib="dom" />
/** A QR code of a text (an invite token, for a phone's camera), drawn as SVG elements. */
import { html } from 'htm/preact'
import { encode } from 'uqr'

export function Qr({ text, label }: { text: string; label: string }) {
  const { data } = encode(text, { ecc: 'L', border: 2 })
  const size = data.length
  // One path of unit squares: small, and nothing from `text` becomes markup.
  const d = data.flatMap((row, y) => row.map((dark, x) => (dark ? `M${x} ${y}h1v1h-1z` : ''))).join('')
  return html`
    <svg class="qr" role="img" aria-label=${label} viewBox=${`0 0 ${size} ${size}`} shape-rendering="crispEdges">
      <rect width=${size} height=${size} fill="#fff"></rect>
      <path d=${d} fill="#000"></path>
    </svg>
  `
}
