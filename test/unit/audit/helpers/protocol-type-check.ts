import { join } from 'node:path';
import ts from 'typescript';
import { REPO } from './tiny-audit';

/**
 * Checks a JSON value against a TypeScript type of src/protocol, read from the source with the TypeScript compiler
 * (so the check can never drift from the types): every required property present with the right type, optional
 * ones typed when present, no property the type does not declare, literal unions and tuples respected.
 * Returns the problems, each with its JSON path.
 */
export function checkAgainstProtocolType(value: unknown, file: string, typeName: string): string[] {
  const program = programFor(join(REPO, file));
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(join(REPO, file));
  if (!source) throw new Error(`cannot read ${file}`);
  const moduleSymbol = checker.getSymbolAtLocation(source);
  const symbol = moduleSymbol ? checker.getExportsOfModule(moduleSymbol).find((s) => s.name === typeName) : undefined;
  if (!symbol) throw new Error(`${file} declares no type ${typeName}`);
  const type = checker.getDeclaredTypeOfSymbol(symbol);
  const problems: string[] = [];
  check(checker, value, type, typeName, problems, 0);
  return problems;
}

const programs = new Map<string, ts.Program>();
function programFor(file: string): ts.Program {
  let program = programs.get(file);
  if (!program) {
    program = ts.createProgram([file], { strict: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.Node16, moduleResolution: ts.ModuleResolutionKind.Node16, skipLibCheck: true, noEmit: true, types: [] });
    programs.set(file, program);
  }
  return program;
}

function matches(checker: ts.TypeChecker, value: unknown, type: ts.Type, depth: number): boolean {
  const problems: string[] = [];
  check(checker, value, type, '', problems, depth);
  return problems.length === 0;
}

function check(checker: ts.TypeChecker, value: unknown, type: ts.Type, path: string, problems: string[], depth: number): void {
  if (depth > 40) return;
  const f = type.flags;
  if (f & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return;
  if (type.isUnion()) {
    // Literal unions and nullables: the value must match one member.
    if (!type.types.some((t) => matches(checker, value, t, depth + 1))) {
      const candidates = type.types.filter((t) => t.flags & ts.TypeFlags.Object);
      if (candidates.length === 1 && value !== null && typeof value === 'object') check(checker, value, candidates[0], path, problems, depth + 1);
      else problems.push(`${path}: ${JSON.stringify(value)?.slice(0, 60)} is not ${checker.typeToString(type)}`);
    }
    return;
  }
  if (f & ts.TypeFlags.Null) return void (value !== null && problems.push(`${path}: expected null`));
  if (f & ts.TypeFlags.Undefined) return void (value !== undefined && problems.push(`${path}: expected undefined`));
  if (f & ts.TypeFlags.StringLiteral) return void (value !== (type as ts.StringLiteralType).value && problems.push(`${path}: expected "${(type as ts.StringLiteralType).value}", got ${JSON.stringify(value)}`));
  if (f & ts.TypeFlags.NumberLiteral) return void (value !== (type as ts.NumberLiteralType).value && problems.push(`${path}: expected ${(type as ts.NumberLiteralType).value}, got ${JSON.stringify(value)}`));
  if (f & ts.TypeFlags.BooleanLiteral) return void (value !== (checker.typeToString(type) === 'true') && problems.push(`${path}: expected ${checker.typeToString(type)}`));
  if (f & ts.TypeFlags.String) return void (typeof value !== 'string' && problems.push(`${path}: expected a string, got ${JSON.stringify(value)?.slice(0, 40)}`));
  if (f & ts.TypeFlags.Number) return void ((typeof value !== 'number' || !Number.isFinite(value)) && problems.push(`${path}: expected a finite number, got ${JSON.stringify(value)}`));
  if (f & ts.TypeFlags.Boolean) return void (typeof value !== 'boolean' && problems.push(`${path}: expected a boolean`));
  if (checker.isTupleType(type)) {
    const elements = checker.getTypeArguments(type as ts.TypeReference);
    if (!Array.isArray(value) || value.length !== elements.length) return void problems.push(`${path}: expected a tuple of ${elements.length}`);
    elements.forEach((t, i) => check(checker, value[i], t, `${path}[${i}]`, problems, depth + 1));
    return;
  }
  if (checker.isArrayType(type)) {
    if (!Array.isArray(value)) return void problems.push(`${path}: expected an array`);
    const element = checker.getTypeArguments(type as ts.TypeReference)[0];
    value.forEach((v, i) => check(checker, v, element, `${path}[${i}]`, problems, depth + 1));
    return;
  }
  if (f & ts.TypeFlags.Object) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return void problems.push(`${path}: expected an object`);
    const record = value as Record<string, unknown>;
    const index = checker.getIndexInfosOfType(type)[0];
    const properties = checker.getPropertiesOfType(type);
    for (const p of properties) {
      const optional = (p.flags & ts.SymbolFlags.Optional) !== 0;
      const declaration = p.valueDeclaration ?? p.declarations?.[0];
      const propertyType = declaration ? checker.getTypeOfSymbolAtLocation(p, declaration) : checker.getDeclaredTypeOfSymbol(p);
      if (!(p.name in record)) {
        if (!optional) problems.push(`${path}.${p.name}: missing`);
        continue;
      }
      check(checker, record[p.name], propertyType, `${path}.${p.name}`, problems, depth + 1);
    }
    const known = new Set(properties.map((p) => p.name));
    for (const key of Object.keys(record)) {
      if (known.has(key)) continue;
      if (index) check(checker, record[key], index.type, `${path}.${key}`, problems, depth + 1);
      else problems.push(`${path}.${key}: not declared by ${checker.typeToString(type)}`);
    }
    return;
  }
  problems.push(`${path}: unsupported type ${checker.typeToString(type)}`);
}
