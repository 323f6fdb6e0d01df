/** Plans for `daqsim night`: a built-in name, or a YAML/JSON file checked field by field. */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { BUILTIN_PLANS, type NightPlan, builtinPlan, checkPlan } from '@daqsim/core';
import { UsageError } from './output.js';

export function loadPlan(nameOrPath: string): NightPlan {
  if (BUILTIN_PLANS[nameOrPath]) return builtinPlan(nameOrPath);
  if (!/\.(ya?ml|json)$/i.test(nameOrPath)) {
    throw new UsageError(`unknown plan ${JSON.stringify(nameOrPath)}: use one of ${Object.keys(BUILTIN_PLANS).join(', ')} or a .yaml/.json file`, 'plan');
  }
  let text: string;
  try {
    text = readFileSync(nameOrPath, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read plan file ${nameOrPath}: ${e instanceof Error ? e.message : String(e)}`, 'plan');
  }
  let data: unknown;
  try {
    data = parse(text);
  } catch (e) {
    throw new UsageError(`plan file ${nameOrPath} is not valid YAML/JSON: ${e instanceof Error ? e.message : String(e)}`, 'plan');
  }
  return checkPlan(data);
}
