import { AuditError } from '../util/errors';
import type { ModelMeta } from './meta';

/**
 * Throws an `AuditError` when images of `dataShape` ([height, width, channels], or a batch shape
 * [n, height, width, channels]) cannot be fed to the model, saying what the model expects and how
 * to fix it.
 */
export function checkInputShape(meta: Pick<ModelMeta, 'inputShape' | 'architecture'>, dataShape: readonly number[], where: { model?: string; data?: string } = {}): void {
  const shape = dataShape.length === 4 ? dataShape.slice(1) : dataShape;
  const modelName = where.model ?? `model ${meta.architecture}`;
  const dataName = where.data ?? 'the data';
  if (shape.length !== 3) {
    throw new AuditError(`${dataName} has shape ${JSON.stringify(dataShape)}; images must be [height, width, channels]`, { file: where.data, code: 'BAD_INPUT_SHAPE' });
  }
  const [h, w, c] = meta.inputShape;
  const problems: string[] = [];
  if (shape[0] !== h || shape[1] !== w) problems.push(`resize the images to ${h}x${w} (e.g. --input-size ${h === w ? h : `${h}x${w}`})`);
  if (shape[2] !== c) {
    problems.push(
      c === 3 && shape[2] === 1 ? 'convert grayscale to RGB' : c === 1 && shape[2] === 3 ? 'convert RGB to grayscale' : `give the images ${c} channels`,
    );
  }
  if (problems.length > 0) {
    throw new AuditError(`${modelName} expects ${h}x${w}x${c} images but ${dataName} gives ${shape.join('x')}: ${problems.join(' and ')}`, {
      file: where.model,
      code: 'BAD_INPUT_SHAPE',
    });
  }
}
