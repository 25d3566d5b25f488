/**
 * The JSON Schema of `.romanview.json` files (docs/state.md), the one Python's roman_lab/state.py
 * checks with: imported from the Python package, not copied, and checked with ajv before the lab
 * restores a state file.
 */
import Ajv2020, { ErrorObject, ValidateFunction } from 'ajv/dist/2020';

import schema from '../../roman_lab/schemas/romanview.schema.json';
import { IStateFile, parseStateFile } from '../viewer/viewState';

let validator: ValidateFunction | null = null;

/**
 * A state file's text, checked: its format and version first (a newer roman-lab's file says
 * so), then the shipped JSON Schema; throws an Error naming the first problem.
 */
export function checkedState(text: string): IStateFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`it is not JSON (${(error as Error).message})`);
  }
  const state = parseStateFile(json);
  const problem = stateProblem(json);
  if (problem) {
    throw new Error(`it does not follow the state schema: ${problem}`);
  }
  return state;
}

/** The first way `json` breaks the schema, said as Python's check_schema says it ("images[0].path: must be string"); null when it follows it. */
export function stateProblem(json: unknown): string | null {
  validator ??= new Ajv2020({ allErrors: false }).compile(schema);
  if (validator(json)) {
    return null;
  }
  const error = validator.errors![0];
  return `${where(error.instancePath)}: ${error.message}${detail(error)}`;
}

/** A JSON pointer as a Python-like path: `/images/0/path` -> `images[0].path`; '' -> "the state". */
function where(pointer: string): string {
  const parts = pointer
    .split('/')
    .slice(1)
    .map(part => part.replace(/~1/g, '/').replace(/~0/g, '~'));
  const path = parts.map(part => (/^\d+$/.test(part) ? `[${part}]` : `.${part}`)).join('');
  return path.replace(/^\./, '') || 'the state';
}

/** What the message alone does not name: the extra property, the allowed values. */
function detail(error: ErrorObject): string {
  const params = error.params as { additionalProperty?: string; allowedValue?: unknown; allowedValues?: unknown[] };
  if (params.additionalProperty !== undefined) {
    return ` ("${params.additionalProperty}")`;
  }
  if (params.allowedValue !== undefined) {
    return ` (${JSON.stringify(params.allowedValue)})`;
  }
  if (params.allowedValues !== undefined) {
    return ` (${params.allowedValues.map(value => JSON.stringify(value)).join(', ')})`;
  }
  return '';
}
