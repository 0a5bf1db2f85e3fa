import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import configSchema from '../../../schemas/biasaudit.schema.json';
import type { ConfigProblem } from './config-error';
import { pointerToJsonPath } from './json-path';

/** The JSON Schema of `*.biasaudit.json` (schemas/biasaudit.schema.json), as shipped. */
export const AUDIT_CONFIG_SCHEMA: object = configSchema;

let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  // strictTypes off: the schema's if/then/else unions put `minLength` under `then` without repeating the type.
  compiled ??= new Ajv({ allErrors: true, strict: true, strictTypes: false, strictRequired: false, verbose: true }).compile(configSchema);
  return compiled;
}

/** Every schema violation of `config`, each with the JSON path of the field and a plain-language message. */
export function schemaProblems(config: unknown): ConfigProblem[] {
  const validate = validator();
  if (validate(config)) return [];
  const errors = validate.errors ?? [];
  // An if/then/else union (`string | object`) reports a failing branch and then the `if` itself: keep the
  // branch's error, phrased with both alternatives.
  const unionTypes = new Map<string, string>();
  for (const e of errors) {
    if (e.keyword === 'if') {
      const ifType = (e.schema as { type?: string }).type;
      if (ifType !== undefined) unionTypes.set(e.instancePath, ifType);
    }
  }
  const problems: ConfigProblem[] = [];
  for (const e of errors) {
    if (e.keyword === 'if') continue;
    const problem = describe(e, config, unionTypes.get(e.instancePath));
    if (!problems.some((p) => p.path === problem.path && p.message === problem.message)) problems.push(problem);
  }
  return problems;
}

function describe(e: ErrorObject, root: unknown, unionType: string | undefined): ConfigProblem {
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return { path: pointerToJsonPath(e.instancePath, root, String(params.missingProperty)), message: 'is required' };
    case 'additionalProperties': {
      const known = Object.keys((e.parentSchema as { properties?: object }).properties ?? {});
      const field = String(params.additionalProperty);
      return {
        path: pointerToJsonPath(e.instancePath, root, field),
        message: known.length > 0 ? `unknown field (expected one of: ${known.join(', ')})` : 'unknown field',
      };
    }
    case 'type': {
      const expected = unionType !== undefined && e.schemaPath.includes('/else/') ? `${typeName(unionType)} or ${typeName(String(params.type))}` : typeName(String(params.type));
      return { path: pointerToJsonPath(e.instancePath, root), message: `must be ${expected}, got ${valueDescription(e.data)}` };
    }
    case 'enum':
      return {
        path: pointerToJsonPath(e.instancePath, root),
        message: `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}, got ${valueDescription(e.data)}`,
      };
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return { path: pointerToJsonPath(e.instancePath, root), message: `${e.message ?? 'out of range'}, got ${JSON.stringify(e.data)}` };
    case 'pattern':
      return { path: pointerToJsonPath(e.instancePath, root), message: `${JSON.stringify(e.data)} is not allowed here (letters, digits, '.', '_' and '-', starting with a letter or digit)` };
    case 'minLength':
      return { path: pointerToJsonPath(e.instancePath, root), message: (e.data as string) === '' ? 'must not be empty' : (e.message ?? 'too short') };
    default:
      return { path: pointerToJsonPath(e.instancePath, root), message: e.message ?? `fails "${e.keyword}"` };
  }
}

function typeName(type: string): string {
  switch (type) {
    case 'integer':
      return 'an integer';
    case 'object':
      return 'an object';
    case 'array':
      return 'an array';
    case 'null':
      return 'null';
    default:
      return `a ${type}`;
  }
}

function valueDescription(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)}`;
  if (typeof value === 'number' && !Number.isInteger(value)) return `the number ${value}`;
  return `${typeof value} ${JSON.stringify(value)}`;
}
