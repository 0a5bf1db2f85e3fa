import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { initBackend } from '../../../src/engine/backend/select';
import { buildResNet50 } from '../../../src/engine/model/builders/resnet';
import { buildSmallResNet } from '../../../src/engine/model/builders/small-resnet';
import { asFoundation } from '../../../src/engine/model/foundation';
import { saveModel } from '../../../src/engine/model/save';
import { writeKerasConverted } from './fixtures';

/**
 * Generates the committed model fixtures under test/fixtures/models (a few tens of KB in all):
 * - `tiny-resnet/`: our own format (small ResNet, 12x12x3, 3 classes, meta in model.json, classes.txt);
 * - `keras-resnet50-tiny/`: the full Keras ResNet50 topology (177 layers) at width 1 for 32x32x3 and
 *   3 classes, written as tensorflowjs_converter writes a Keras 2 HDF5 model, weights in 2 shards.
 * `fixtures.test.ts` regenerates both and checks the committed files still match.
 *
 * Regenerate: `npx tsc -p . && node out/test/unit/model/make-fixtures.js`
 */
export const FIXTURE_CLASSES = ['cat', 'dog', 'fox'];

export async function writeModelFixtures(root: string): Promise<void> {
  const tiny = buildSmallResNet({ inputShape: [12, 12, 3], numClasses: 3, width: 2, seed: 1 });
  await saveModel(asFoundation(tiny, { classNames: FIXTURE_CLASSES, normalization: { scale: 1 / 255, mean: [0.5], std: [0.25] }, seed: 1 }), join(root, 'tiny-resnet'));
  tiny.dispose();

  const keras = buildResNet50({ inputShape: [32, 32, 3], numClasses: 3, width: 1, stem: 'imagenet', outputActivation: 'softmax', seed: 1 });
  const kerasDir = join(root, 'keras-resnet50-tiny');
  await mkdir(kerasDir, { recursive: true });
  await writeKerasConverted(keras, kerasDir, 'keras2', 2);
  await writeFile(join(kerasDir, 'classes.txt'), `${FIXTURE_CLASSES.join('\n')}\n`);
  keras.dispose();
}

if (require.main === module) {
  void (async () => {
    await initBackend({ backend: 'cpu' });
    await writeModelFixtures(join(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'models'));
  })();
}
