import { AuditError } from '../../engine/util/errors';
import { parseColor, type Rgb } from './color';

/** The overlay kinds of the interventions probe (MISSION.md probe 2). */
export const TRIGGER_KINDS = ['square', 'circle', 'chain-link', 'gaussian', 'patch'] as const;
export type TriggerKind = (typeof TRIGGER_KINDS)[number];

/** Where the trigger's bounding box sits: a fixed corner, the centre, or a seeded random place per image. */
export const TRIGGER_POSITIONS = ['top-left', 'top-right', 'bottom-left', 'bottom-right', 'center', 'random'] as const;
export type TriggerPosition = (typeof TRIGGER_POSITIONS)[number];

/**
 * A parsed trigger. Every field has its value after defaults, so two specs that mean the same overlay
 * format to the same canonical string (the cache key of the predictions made with it).
 */
export interface TriggerSpec {
  kind: TriggerKind;
  /**
   * Side of the trigger's square bounding box as a fraction of the shorter image side, in (0, 1].
   * 0.25 covers 6.25% of a square image: the paper's yellow square (~6% of the area).
   */
  size: number;
  /** Fill colour (square, circle, chain-link); on grayscale images its BT.601 luma. Ignored by gaussian and patch. */
  color: Rgb;
  position: TriggerPosition;
  /** Blend weight in [0, 1]: out = (1 - opacity) * pixel + opacity * trigger (patch: times the PNG's alpha; gaussian: scales the noise). */
  opacity: number;
  /** Seeds the random position (per image, with the sample index) and the gaussian pattern. */
  seed: number;
  /** chain-link: mesh cells across the bounding box. */
  cells: number;
  /** chain-link: wire thickness as a fraction of a mesh cell (at least one pixel is drawn). */
  thickness: number;
  /** gaussian: standard deviation of the noise as a fraction of the pixel range 255. */
  sigma: number;
  /** patch: the PNG (absolute once resolved by `loadTrigger`); null for other kinds. */
  file: string | null;
}

const KIND_DEFAULTS: Record<TriggerKind, { size: number; color: string; position: TriggerPosition }> = {
  square: { size: 0.25, color: '#ffff00', position: 'top-left' },
  // "tennis ball": a yellow-green disc.
  circle: { size: 0.25, color: '#ccff00', position: 'top-left' },
  // The natural ImageNet biases (chain-link fence) are overlaid on the whole image.
  'chain-link': { size: 1, color: '#c0c0c0', position: 'center' },
  gaussian: { size: 1, color: '#808080', position: 'center' },
  patch: { size: 0.25, color: '#ffffff', position: 'top-left' },
};

const KEYS_BY_KIND: Record<TriggerKind, readonly string[]> = {
  square: ['size', 'area', 'color', 'position', 'opacity', 'seed'],
  circle: ['size', 'area', 'color', 'position', 'opacity', 'seed'],
  'chain-link': ['size', 'area', 'color', 'position', 'opacity', 'seed', 'cells', 'thickness'],
  gaussian: ['size', 'area', 'position', 'opacity', 'seed', 'sigma'],
  patch: ['size', 'area', 'position', 'opacity', 'seed', 'file'],
};

/** The grammar, for error messages and `--help`. */
export const TRIGGER_SPEC_HELP = `TRIGGER := KIND[:KEY=VALUE,...]
  KIND       square | circle | chain-link | gaussian | patch
  size=F     side of the trigger as a fraction of the shorter image side, in (0, 1]
             (default 0.25 = 6.25% of the area, the paper's square; chain-link and gaussian: 1, the whole image)
  area=F     instead of size: the fraction of the image area, in (0, 1]
  color=C    #rrggbb, #rgb or a name (yellow, red, green, blue, white, black, gray, cyan, magenta, orange);
             grayscale images get its luma. Default square yellow, circle #ccff00, chain-link #c0c0c0
  position=P top-left | top-right | bottom-left | bottom-right | center | random (seeded per image)
  opacity=F  blend in [0, 1] (default 1)
  seed=N     random position / gaussian pattern seed (default 0)
  cells=N    chain-link mesh cells across (default 5)     thickness=F  chain-link wire, fraction of a cell (default 0.15)
  sigma=F    gaussian noise std as a fraction of 255 (default 0.25)
  file=PATH  patch: a PNG (its alpha channel blends)
e.g. square:size=0.25,color=#ffff00,position=top-left   patch:file=logo.png,size=0.2,position=random,seed=3`;

/**
 * Parses a trigger spec such as `square:size=0.15,color=#ffff00,position=top-left`.
 *
 * @param where names the spec's origin in errors (a flag such as `--trigger`, or a config path).
 * @throws AuditError (code `BAD_TRIGGER`) naming `where` for an unknown kind or key, a repeated key, a
 *   malformed or out-of-range value, `size` with `area`, a patch without `file`.
 */
export function parseTriggerSpec(text: string, where = 'trigger'): TriggerSpec {
  const fail = (problem: string): never => {
    throw new AuditError(`bad trigger "${text}": ${problem}\n${TRIGGER_SPEC_HELP}`, { file: where, code: 'BAD_TRIGGER' });
  };
  const trimmed = text.trim();
  if (trimmed === '') fail('the spec is empty');
  const colon = trimmed.indexOf(':');
  const kindText = (colon >= 0 ? trimmed.slice(0, colon) : trimmed).trim().toLowerCase();
  const kind = TRIGGER_KINDS.find((k) => k === kindText) ?? fail(`unknown kind "${kindText}" (expected ${TRIGGER_KINDS.join(', ')})`);
  const values = new Map<string, string>();
  if (colon >= 0) {
    const body = trimmed.slice(colon + 1);
    if (body.trim() === '') fail(`nothing after "${kindText}:"`);
    for (const part of splitPairs(body)) {
      const eq = part.indexOf('=');
      if (eq <= 0) fail(`"${part}" is not KEY=VALUE`);
      const key = part.slice(0, eq).trim().toLowerCase();
      const value = part.slice(eq + 1).trim();
      if (!KEYS_BY_KIND[kind].includes(key)) fail(`unknown key "${key}" for ${kind} (expected ${KEYS_BY_KIND[kind].join(', ')})`);
      if (values.has(key)) fail(`"${key}" is given twice`);
      if (value === '') fail(`"${key}" has no value`);
      values.set(key, value);
    }
  }
  const number = (key: string, fallback: number, ok: (v: number) => boolean, range: string): number => {
    const raw = values.get(key);
    if (raw === undefined) return fallback;
    const v = Number(raw);
    if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(raw) || !Number.isFinite(v) || !ok(v)) fail(`${key} must be ${range}, got "${raw}"`);
    return v;
  };
  const defaults = KIND_DEFAULTS[kind];
  if (values.has('size') && values.has('area')) fail('give size or area, not both');
  const unit = (v: number): boolean => v > 0 && v <= 1;
  const size = values.has('area') ? Math.sqrt(number('area', 0, unit, 'a fraction in (0, 1]')) : number('size', defaults.size, unit, 'a fraction in (0, 1]');
  const positionText = (values.get('position') ?? defaults.position).toLowerCase();
  const position = TRIGGER_POSITIONS.find((p) => p === positionText) ?? (positionText === 'centre' ? 'center' : fail(`position must be one of ${TRIGGER_POSITIONS.join(', ')}, got "${positionText}"`));
  let color: Rgb;
  try {
    color = parseColor(values.get('color') ?? defaults.color);
  } catch (e) {
    return fail((e as Error).message);
  }
  const file = values.get('file') ?? null;
  if (kind === 'patch' && file === null) fail('a patch needs file=PATH (a PNG with an alpha channel)');
  return {
    kind,
    size,
    color,
    position,
    opacity: number('opacity', 1, (v) => v >= 0 && v <= 1, 'in [0, 1]'),
    seed: number('seed', 0, (v) => Number.isSafeInteger(v) && v >= 0, 'a non-negative integer'),
    cells: number('cells', 5, (v) => Number.isInteger(v) && v >= 1 && v <= 1000, 'an integer in 1..1000'),
    thickness: number('thickness', 0.15, (v) => v > 0 && v < 1, 'a fraction in (0, 1)'),
    sigma: number('sigma', 0.25, (v) => v > 0 && v <= 4, 'in (0, 4]'),
    file,
  };
}

/**
 * The canonical text of a spec: every parameter the kind uses, in a fixed order, with its value after
 * defaults (`square` and `square:size=0.25` format alike). Patch files are written as given here; the
 * cache key of a loaded trigger adds the PNG's content hash.
 */
export function formatTriggerSpec(spec: TriggerSpec): string {
  const parts = [`size=${round(spec.size)}`];
  if (spec.kind === 'square' || spec.kind === 'circle' || spec.kind === 'chain-link') parts.push(`color=${formatColor(spec.color)}`);
  parts.push(`position=${spec.position}`, `opacity=${round(spec.opacity)}`);
  if (spec.position === 'random' || spec.kind === 'gaussian') parts.push(`seed=${spec.seed}`);
  if (spec.kind === 'chain-link') parts.push(`cells=${spec.cells}`, `thickness=${round(spec.thickness)}`);
  if (spec.kind === 'gaussian') parts.push(`sigma=${round(spec.sigma)}`);
  if (spec.kind === 'patch' && spec.file !== null) parts.push(`file=${spec.file}`);
  return `${spec.kind}:${parts.join(',')}`;
}

function formatColor([r, g, b]: Rgb): string {
  return `#${[r, g, b].map((v) => v.toString(16).padStart(2, '0')).join('')}`;
}

function round(v: number): string {
  return String(Number(v.toPrecision(6)));
}

/** Splits on commas, except the commas inside a `file=` value that runs to the end (paths may hold commas). */
function splitPairs(body: string): string[] {
  const fileAt = /(^|,)\s*file\s*=/i.exec(body);
  if (fileAt === null) return body.split(',').map((p) => p.trim()).filter((p) => p !== '');
  const head = body.slice(0, fileAt.index);
  const file = body.slice(fileAt.index + fileAt[1].length);
  // A later key after file= is still recognised when it looks like ",key=value" with a known key name.
  const tail = /,\s*(size|area|position|opacity|seed)\s*=/i.exec(file);
  const pairs = head.split(',').map((p) => p.trim()).filter((p) => p !== '');
  if (tail === null) return [...pairs, file.trim()];
  return [...pairs, file.slice(0, tail.index).trim(), ...file.slice(tail.index + 1).split(',').map((p) => p.trim()).filter((p) => p !== '')];
}
