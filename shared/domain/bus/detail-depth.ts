/** PutEvents processes nested JSON up to 1,100 levels deep; a deeper `Detail` is refused (`MalformedDetail`). */
export const MAX_DETAIL_DEPTH = 1100;

/** How deep the arrays and objects of a JSON text nest (`{}` is 1); a scan, so no depth overflows a stack. */
export function nestingDepth(json: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const code = json.charCodeAt(i);
    if (inString) {
      // A backslash escapes the next character, a quote among them.
      if (code === 0x5c) i++;
      else if (code === 0x22) inString = false;
    } else if (code === 0x22) inString = true;
    else if (code === 0x7b || code === 0x5b) deepest = Math.max(deepest, ++depth);
    else if (code === 0x7d || code === 0x5d) depth--;
  }
  return deepest;
}
