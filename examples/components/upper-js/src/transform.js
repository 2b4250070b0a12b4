/** Upper-cases text (full Unicode case mapping, e.g. "straße" → "STRASSE"). */
export function upper(text) {
  return text.toUpperCase();
}
