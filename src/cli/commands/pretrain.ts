import { estimateNormalization } from '../../engine/data/normalization-stats';
import { openDataset } from '../../engine/data/open-dataset';
import { buildResNet18, buildResNet50 } from '../../engine/model/builders/resnet';
import { buildSmallResNet } from '../../engine/model/builders/small-resnet';
import { asFoundation } from '../../engine/model/foundation';
import { UsageError } from '../../engine/util/errors';
import { flag, intOption, stringOption } from '../args';
import type { Command } from '../command';
import { BACKEND_FLAGS, BACKEND_USAGE, parseInputSize, RECIPE_FLAGS, RECIPE_USAGE, recipeFromArgs, seedFromArgs, startBackend } from '../common';
import { trainAndSave } from '../training-run';
import { plantFromArgs, PLANT_FLAGS, PLANT_USAGE, plantingRecord } from './pretrain-plant';

export const ARCHITECTURES = ['small_resnet', 'resnet18', 'resnet50'] as const;

export const pretrainCommand: Command = {
  name: 'pretrain',
  summary: 'train a foundation model from scratch on a dataset',
  usage: `bias-audit pretrain --data SPEC --arch NAME --input-size N --epochs N --out DIR [options]

Trains one of the built-in architectures on SPEC and saves it (model.json, weights.bin, classes.txt,
training.json) to DIR. The per-channel normalisation is estimated from the training data and recorded.
  --data SPEC           training data (ImageFolder dir, manifest .csv/.jsonl, or idx:IMAGES,LABELS[?classes=..&perClass=..])
  --val SPEC            validation data (default: a stratified --val-fraction of --data)
  --arch NAME           ${ARCHITECTURES.join(' | ')}
  --input-size N|HxW    model input size (images are resized)
  --channels 1|3        model input channels (default: the data's)
  --width N             base width of the small ResNet / ResNet (default 8 / 64)
  --stem imagenet|small ResNet-18/50 stem: 7x7/2 conv + pool, or one 3x3 conv (default: small below 96 px)
  --seed N              initialisation, shuffles and splits (default 1)
  --out DIR             where to save the model
  --resume              continue from DIR.checkpoint/ after an interruption
${PLANT_USAGE}
${RECIPE_USAGE}
${BACKEND_USAGE}`,
  spec: {
    values: ['data', 'val', 'arch', 'input-size', 'channels', 'width', 'stem', 'seed', 'out', ...PLANT_FLAGS, ...RECIPE_FLAGS.values, ...BACKEND_FLAGS.values],
    booleans: ['resume', ...RECIPE_FLAGS.booleans, ...BACKEND_FLAGS.booleans],
    positionals: [0, 0],
  },
  async run(args, ctx) {
    const c = 'pretrain';
    const arch = stringOption(args, 'arch', c);
    if (!(ARCHITECTURES as readonly string[]).includes(arch)) throw new UsageError(`${c}: --arch must be one of ${ARCHITECTURES.join(', ')}, got "${arch}"`);
    const [height, width] = parseInputSize(stringOption(args, 'input-size', c), c);
    const out = stringOption(args, 'out', c);
    const recipe = recipeFromArgs(args, c);
    const seed = seedFromArgs(args, c);
    const backend = await startBackend(args, ctx, c);
    const train = await openDataset(stringOption(args, 'data', c));
    const valSpec = stringOption(args, 'val', c, undefined);
    const val = valSpec !== undefined ? await openDataset(valSpec) : undefined;
    const plant = await plantFromArgs(args, train, val !== undefined);
    const native = await train.nativeShape();
    const channels = args.options.has('channels') ? intOption(args, 'channels', c, undefined, 1) : native.channels;
    if (channels !== 1 && channels !== 3) throw new UsageError(`${c}: --channels must be 1 or 3`);
    const inputShape: [number, number, number] = [height, width, channels];
    const numClasses = train.classNames.length;
    const baseWidth = args.options.has('width') ? intOption(args, 'width', c, undefined, 1) : undefined;
    const model =
      arch === 'small_resnet'
        ? buildSmallResNet({ inputShape, numClasses, seed, ...(baseWidth !== undefined ? { width: baseWidth } : {}) })
        : (arch === 'resnet18' ? buildResNet18 : buildResNet50)({ inputShape, numClasses, seed, ...(args.options.has('stem') ? { stem: stemOf(stringOption(args, 'stem', c)) } : {}), ...(baseWidth !== undefined ? { width: baseWidth } : {}) });
    ctx.log(`estimating the input normalisation from ${Math.min(train.samples.length, 2000)} training images`);
    const normalization = await estimateNormalization(train, { shape: { height, width, channels }, seed });
    const loaded = asFoundation(model, { classNames: [...train.classNames], normalization, seed });
    try {
      const report = await trainAndSave(ctx, {
        command: c, loaded, train, val, recipe, seed, out, resume: flag(args, 'resume'), cachePrefix: false, backend,
        transform: plant?.planting.transform, ...(plant ? { extraFiles: { 'planting.json': plantingRecord(plant) } } : {}), runKey: { arch, inputShape, baseWidth, ...(plant ? { plant: plant.planting.transformId } : {}) },
      });
      const last = report.history[report.history.length - 1];
      ctx.out(ctx.json ? JSON.stringify(report) : `saved ${arch} to ${report.out}: validation accuracy ${fmt(report.bestValAccuracy)} (epoch ${report.bestEpoch + 1}), last train accuracy ${fmt(last?.trainAccuracy ?? null)}`);
    } finally {
      model.dispose();
    }
  },
};

function stemOf(text: string): 'imagenet' | 'small' {
  if (text !== 'imagenet' && text !== 'small') throw new UsageError(`pretrain: --stem must be imagenet or small, got "${text}"`);
  return text;
}

function fmt(v: number | null): string {
  return v === null ? 'n/a' : `${(v * 100).toFixed(1)}%`;
}
