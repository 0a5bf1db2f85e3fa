import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDataset } from '../../../../src/engine/data/open-dataset';
import { buildSmallResNet } from '../../../../src/engine/model/builders/small-resnet';
import { asFoundation } from '../../../../src/engine/model/foundation';
import { saveModel } from '../../../../src/engine/model/save';
import { fitModel } from '../../../../src/engine/train/fit';
import { resolveRecipe } from '../../../../src/engine/train/recipe';

/** The repository root (tests run from out/test/unit/audit/helpers). */
export const REPO = join(__dirname, '..', '..', '..', '..', '..');
const SAMPLE = join(REPO, 'samples', 'fashion-mnist');

/** A SPEC of the bundled Fashion-MNIST sample (28x28 grayscale). */
export function sampleSpec(split: 'pretrain' | 'finetune' | 'test', selection: string): string {
  return `idx:${join(SAMPLE, `${split}-images-idx3-ubyte.gz`)},${join(SAMPLE, `${split}-labels-idx1-ubyte.gz`)}?${selection}`;
}

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `bias-audit-${prefix}-`));
}

const foundations = new Map<string, Promise<string>>();

/** `makeTinyFoundation` once per test process (the same options give the same model). */
export function sharedTinyFoundation(options: { classes?: string; perClass?: number; epochs?: number } = {}): Promise<string> {
  const key = JSON.stringify(options);
  let made = foundations.get(key);
  if (!made) {
    made = tempDir('foundation').then((dir) => makeTinyFoundation(dir, options));
    foundations.set(key, made);
  }
  return made;
}

/**
 * A tiny foundation (small ResNet, width 4, 28x28x1, 3 classes: T-shirt/top, Trouser, Pullover) pretrained for two
 * epochs on 40 images per class of the sample's pretrain split, saved to `dir/foundation`. Seconds on a CPU.
 */
export async function makeTinyFoundation(dir: string, options: { classes?: string; perClass?: number; epochs?: number } = {}): Promise<string> {
  const classes = options.classes ?? '0-2';
  const data = await openDataset(sampleSpec('pretrain', `classes=${classes}&perClass=${options.perClass ?? 40}`));
  const model = buildSmallResNet({ inputShape: [28, 28, 1], numClasses: data.classNames.length, seed: 1, width: 4 });
  const loaded = asFoundation(model, { classNames: [...data.classNames], normalization: { scale: 1 / 255, mean: [0.3], std: [0.35] }, seed: 1 });
  try {
    await fitModel({ loaded, train: data, recipe: resolveRecipe({ epochs: options.epochs ?? 2, batchSize: 16, learningRate: 0.05, validationFraction: 0 }), seed: 1, cachePrefix: false });
    const out = join(dir, 'foundation');
    await saveModel(loaded, out);
    return join(out, 'model.json');
  } finally {
    model.dispose();
  }
}

/** A tiny audit config: children at K=0 and 'fixed', scratch, 2 seeds, 1 epoch, and the probes asked for. */
export function tinyConfig(foundation: string, probes: Record<string, unknown>, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    foundation,
    target: { train: sampleSpec('finetune', 'classes=0-2&perClass=24'), test: sampleSpec('test', 'classes=0-2&perClass=16') },
    children: { freezeDepths: ['full', 'fixed'], seeds: [0, 1], recipe: { epochs: 1, batchSize: 16, validationFraction: 0.2 } },
    probes,
    ...overrides,
  };
}

/** Writes `config` as `dir/NAME.biasaudit.json`; returns its path. */
export async function writeConfig(dir: string, name: string, config: Record<string, unknown>): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, `${name}.biasaudit.json`);
  await writeFile(file, `${JSON.stringify(config, null, 2)}\n`);
  return file;
}

/**
 * A CSV manifest target set with a group attribute: `n` images per class of the sample's classes 0-2 written as
 * PNGs, split `train` / `test`, with a `tone` attribute (`dark` or `light`: the image's mean brightness against the
 * median, so it correlates with the class the way real attributes do). Returns the manifest path.
 */
export async function makeAttributeManifest(dir: string, perClass = { train: 24, test: 16 }): Promise<string> {
  const sharp = (await import('sharp')).default;
  const root = join(dir, 'manifest-data');
  await mkdir(join(root, 'images'), { recursive: true });
  const rows: string[] = ['path,label,split,tone'];
  for (const split of ['train', 'test'] as const) {
    const data = await openDataset(sampleSpec(split === 'train' ? 'finetune' : 'test', `classes=0-2&perClass=${perClass[split]}`));
    const images: { file: string; label: string; mean: number }[] = [];
    for (const s of data.samples) {
      const { pixels } = await data.loadImage(s.index, { height: 28, width: 28, channels: 1 });
      const file = `images/${split}-${s.index}.png`;
      await sharp(Buffer.from(Uint8Array.from(pixels, (v) => Math.round(v))), { raw: { width: 28, height: 28, channels: 1 } }).png().toFile(join(root, file));
      images.push({ file, label: data.classNames[s.label], mean: pixels.reduce((a, b) => a + b, 0) / pixels.length });
    }
    const median = [...images].sort((a, b) => a.mean - b.mean)[Math.floor(images.length / 2)].mean;
    for (const image of images) rows.push(`${image.file},${image.label},${split},${image.mean >= median ? 'light' : 'dark'}`);
  }
  await writeFile(join(root, 'classes.txt'), 'T-shirt/top\nTrouser\nPullover\n');
  await writeFile(join(root, 'manifest.csv'), `${rows.join('\n')}\n`);
  return join(root, 'manifest.csv');
}

/** Concept folders (`concepts/<name>/*.png`) cut from the sample's test split: Sandal, Sneaker, Bag, Coat. */
export async function makeConceptFolders(dir: string, perConcept = 12): Promise<string> {
  const sharp = (await import('sharp')).default;
  const root = join(dir, 'concepts');
  const data = await openDataset(sampleSpec('test', `classes=Coat,Sandal,Sneaker,Bag&perClass=${perConcept}`));
  for (const s of data.samples) {
    const name = data.classNames[s.label];
    await mkdir(join(root, name), { recursive: true });
    const { pixels } = await data.loadImage(s.index, { height: 28, width: 28, channels: 1 });
    await sharp(Buffer.from(Uint8Array.from(pixels, (v) => Math.round(v))), { raw: { width: 28, height: 28, channels: 1 } }).png().toFile(join(root, name, `${s.index}.png`));
  }
  return root;
}
