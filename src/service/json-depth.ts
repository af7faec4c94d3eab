/**
 * The nesting depth of a JSON text, measured on the text before it is parsed: deeply nested JSON
 * would overflow the stack of recursive code after the parse (validators, the polluting-key scan,
 * handlers, logging). One rule for WebSocket messages and HTTP bodies (`maxDepth`).
 *
 * @module
 */

/** Default `maxDepth`: levels of arrays and objects. */
export const DEFAULT_MAX_DEPTH = 64

/** Does `text` nest arrays and objects deeper than `maxDepth`? One linear scan, stopped past the limit. */
export function nestedTooDeep(text: string, maxDepth: number): boolean {
  // Each level of JSON takes an opening and a closing bracket: a short text cannot nest too deep.
  return text.length > 2 * maxDepth + 1 && nestingDepth(text, maxDepth) > maxDepth
}

/** The deepest nesting of arrays and objects in `text`, counting stops past `limit`. */
export function nestingDepth(text: string, limit: number): number {
  let depth = 0
  let deepest = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i)
    if (inString) {
      if (char === 92 /* \ */) i++
      else if (char === 34 /* " */) inString = false
    } else if (char === 34) inString = true
    else if (char === 91 /* [ */ || char === 123 /* { */) {
      depth++
      if (depth > deepest && (deepest = depth) > limit) return deepest
    } else if (char === 93 /* ] */ || char === 125 /* } */) depth--
  }
  return deepest
}
