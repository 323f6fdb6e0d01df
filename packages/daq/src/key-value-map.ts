/**
 * takeImages' keyValueMap ("imageType: BIAS, groupId: 2025-10-16T02:59:40.000, testType: BIAS") and the
 * ":"-delimited additionalKeys / additionalValues the camera republishes it as.
 */
import { CommandError } from './errors.js';

/** Split on "," then on the first ":" (as ts_observatory_control's mock does); keys must be identifiers. */
export function parseKeyValueMap(text: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  if (text.trim() === '') return out;
  for (const item of text.split(',')) {
    if (item.trim() === '') continue;
    const colon = item.indexOf(':');
    if (colon < 0) throw new CommandError('BAD_PARAMETER', `keyValueMap entry ${JSON.stringify(item.trim())} has no ":"`);
    const key = item.slice(0, colon).trim();
    const value = item.slice(colon + 1).trim();
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new CommandError('BAD_PARAMETER', `keyValueMap key ${JSON.stringify(key)} is not an identifier`);
    if (out.some(([k]) => k === key)) throw new CommandError('BAD_PARAMETER', `keyValueMap key ${key} given twice`);
    out.push([key, value]);
  }
  return out;
}

/**
 * Join values with ":" (CAP-572 convention). A ":" or "\" inside a value (an ISO groupId has colons) is escaped
 * with a backslash so the list splits back unambiguously; `splitColonList` undoes it.
 */
export function joinColonList(values: readonly string[]): string {
  return values.map((v) => v.replace(/\\/g, '\\\\').replace(/:/g, '\\:')).join(':');
}

export function splitColonList(text: string): string[] {
  if (text === '') return [];
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && i + 1 < text.length) cur += text[++i];
    else if (c === ':') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}
