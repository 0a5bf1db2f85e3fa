import { readFileSync } from 'node:fs';
import { type BackendChoice, type BackendInfo, initBackend } from '../engine/backend/select';
import type { ImportOptions } from '../engine/import/import-checkpoint';
import { openModel, type OpenedModel } from '../engine/import/open-model';
import { resolveRecipe, type Recipe } from '../engine/train/recipe';
import { UsageError } from '../engine/util/errors';
import { flag, intOption, numberOption, type ParsedArgs, stringOption } from './args';
import type { CliContext } from './command';

/** Flags every tensor command takes. */
export const BACKEND_FLAGS = { values: ['backend', 'threads'], booleans: ['json', 'quiet'] };

/** Flags that set the training recipe. */
export const RECIPE_FLAGS = {
  values: ['epochs', 'batch-size', 'lr', 'optimizer', 'momentum', 'weight-decay', 'schedule', 'peak-epoch', 'val-fraction', 'augment-pad'],
  booleans: ['augment-flip', 'no-keep-best'],
};

export const RECIPE_USAGE = `Recipe:
  --epochs N            epochs (required)
  --batch-size N        default 64
  --lr X                peak learning rate, default 0.05
  --optimizer sgd|adam  default sgd (momentum 0.9)
  --momentum X          default 0.9
  --weight-decay X      L2 weight decay, default 5e-4
  --schedule cyclic|constant|step   default cyclic (triangular, peak at --peak-epoch)
  --peak-epoch N        default 1
  --val-fraction X      held-out validation fraction when --val is not given, default 0.1
  --augment-pad N       random crop with N pixels of padding
  --augment-flip        random horizontal flips
  --no-keep-best        keep the last epoch's weights instead of the best validation epoch's`;

export const BACKEND_USAGE = `Compute:
  --backend auto|wasm|tensorflow|native|cpu   default auto
  --threads N           worker threads (default: all cores)
  --json                print one JSON object on stdout
  --quiet               no progress on stderr`;

/** Selects the compute backend; initBackend says which on stderr. */
export async function startBackend(args: ParsedArgs, ctx: CliContext, command: string): Promise<BackendInfo> {
  const backend = stringOption(args, 'backend', command, 'auto') as BackendChoice;
  if (!['auto', 'wasm', 'tensorflow', 'native', 'cpu'].includes(backend)) {
    throw new UsageError(`${command}: --backend must be auto, wasm, tensorflow, native or cpu, got "${backend}"`);
  }
  const threads = args.options.has('threads') ? intOption(args, 'threads', command, undefined, 1) : undefined;
  return initBackend({ backend, ...(threads !== undefined ? { threads } : {}), log: ctx.log });
}

export function recipeFromArgs(args: ParsedArgs, command: string): Recipe {
  const overrides: Partial<Recipe> = { epochs: intOption(args, 'epochs', command, undefined, 1) };
  if (args.options.has('batch-size')) overrides.batchSize = intOption(args, 'batch-size', command, undefined, 1);
  const lr = numberOption(args, 'lr', command);
  if (lr !== undefined) overrides.learningRate = lr;
  const momentum = numberOption(args, 'momentum', command);
  if (momentum !== undefined) overrides.momentum = momentum;
  const wd = numberOption(args, 'weight-decay', command);
  if (wd !== undefined) overrides.weightDecay = wd;
  const opt = stringOption(args, 'optimizer', command, undefined);
  if (opt !== undefined) overrides.optimizer = opt as Recipe['optimizer'];
  const schedule = stringOption(args, 'schedule', command, undefined);
  if (schedule !== undefined) overrides.schedule = schedule as Recipe['schedule'];
  const peak = numberOption(args, 'peak-epoch', command);
  if (peak !== undefined) overrides.peakEpoch = peak;
  const valFraction = numberOption(args, 'val-fraction', command);
  if (valFraction !== undefined) overrides.validationFraction = valFraction;
  const pad = args.options.has('augment-pad') ? intOption(args, 'augment-pad', command, undefined, 0) : 0;
  if (pad > 0 || flag(args, 'augment-flip')) overrides.augment = { randomCropPadding: pad, horizontalFlip: flag(args, 'augment-flip') };
  if (flag(args, 'no-keep-best')) overrides.keepBest = false;
  try {
    return resolveRecipe(overrides, 'recipe');
  } catch (e) {
    throw new UsageError(`${command}: ${(e as Error).message.replace(/^recipe\./, '--')}`);
  }
}

/** Parses `--input-size 32` or `--input-size 32x48` into [height, width]. */
export function parseInputSize(text: string, command: string): [number, number] {
  const m = /^(\d+)(?:x(\d+))?$/.exec(text);
  if (!m) throw new UsageError(`${command}: --input-size must be N or HxW, got "${text}"`);
  const h = Number(m[1]);
  const w = m[2] !== undefined ? Number(m[2]) : h;
  if (h < 8 || w < 8) throw new UsageError(`${command}: --input-size must be at least 8 pixels`);
  return [h, w];
}

/** A `--seed` value (default 1). */
export function seedFromArgs(args: ParsedArgs, command: string): number {
  return intOption(args, 'seed', command, 1, 0);
}

/** Flags describing a foreign checkpoint (.pt/.pth/.bin/.safetensors/.onnx), which records no preprocessing. */
export const IMPORT_FLAGS = { values: ['input-shape', 'normalization', 'channel-order', 'class-names'], booleans: [] as string[] };

export const IMPORT_USAGE = `Foreign checkpoints (.pt, .pth, .bin, .safetensors, .onnx; imported once, then cached):
  --input-shape HxWxC   input size (default: the ONNX graph's, else 224x224x3)
  --normalization torchvision-imagenet|unit|MEAN/STD   e.g. 0.5,0.5,0.5/0.25,0.25,0.25 (default torchvision-imagenet)
  --channel-order rgb|bgr   the checkpoint's channel order (default rgb)
  --class-names FILE    one class name per line (default: class 0, class 1, ...)`;

export function importOptionsFromArgs(args: ParsedArgs, command: string): ImportOptions {
  const options: ImportOptions = {};
  const shape = stringOption(args, 'input-shape', command, undefined);
  if (shape !== undefined) {
    const m = /^(\d+)x(\d+)x(1|3)$/.exec(shape);
    if (!m) throw new UsageError(`${command}: --input-shape must be HxWxC with C 1 or 3, got "${shape}"`);
    options.inputShape = [Number(m[1]), Number(m[2]), Number(m[3])];
  }
  const norm = stringOption(args, 'normalization', command, undefined);
  if (norm !== undefined) {
    if (norm === 'torchvision-imagenet' || norm === 'unit') options.normalization = norm;
    else {
      const parts = norm.split('/').map((p) => p.split(',').map(Number));
      if (parts.length !== 2 || parts.flat().some((v) => !Number.isFinite(v)) || parts[1].some((v) => v <= 0)) {
        throw new UsageError(`${command}: --normalization must be torchvision-imagenet, unit or MEAN,../STD,.. (on pixels scaled to [0, 1]), got "${norm}"`);
      }
      options.normalization = { scale: 1 / 255, mean: parts[0], std: parts[1] };
    }
  }
  const order = stringOption(args, 'channel-order', command, undefined);
  if (order !== undefined) {
    if (order !== 'rgb' && order !== 'bgr') throw new UsageError(`${command}: --channel-order must be rgb or bgr`);
    options.channelOrder = order;
  }
  const classFile = stringOption(args, 'class-names', command, undefined);
  if (classFile !== undefined) {
    try {
      options.classNames = readFileSync(classFile, 'utf8').split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
    } catch (e) {
      throw new UsageError(`${command}: cannot read --class-names ${classFile}: ${(e as Error).message}`);
    }
  }
  return options;
}

/** Opens MODEL (model.json, its folder, or a foreign checkpoint to import) and says so when it was imported. */
export async function openModelFromArgs(path: string, args: ParsedArgs, ctx: CliContext, command: string): Promise<OpenedModel> {
  const opened = await openModel(path, { importOptions: importOptionsFromArgs(args, command) });
  if (opened.imported) {
    const r = opened.imported.report;
    ctx.log(`${opened.imported.fromCache ? 'using the cached import of' : 'imported'} ${path}: ${r.format} ${r.architecture}, input ${r.inputShape.join('x')}, normalisation ${r.normalizationSource} (cached in ${opened.imported.dir})`);
  }
  return opened;
}
