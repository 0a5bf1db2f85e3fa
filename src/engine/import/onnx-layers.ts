import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { LayerArgs } from '@tensorflow/tfjs-layers/dist/engine/topology';

/**
 * The three layers ONNX graphs need that tfjs-layers lacks. They are registered with tfjs serialization
 * when this module loads, so a saved imported model loads again: whatever calls `loadModel` on such a
 * model must have imported this module (see `registerImportLayers`).
 */

type Padding2D = [[number, number], [number, number]];

/**
 * Pads height and width with a constant (not necessarily zero): a max pool that must ignore its padding
 * pads with the lowest float32, and ONNX `Pad` may use any value.
 */
export class ConstantPadding2D extends tfl.layers.Layer {
  static readonly className = 'BiasAuditConstantPadding2D';
  readonly padding: Padding2D;
  readonly value: number;

  constructor(args: LayerArgs & { padding: Padding2D; value: number }) {
    super(args);
    this.padding = args.padding;
    this.value = args.value;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    const [[top, bottom], [left, right]] = this.padding;
    return [shape[0], shape[1] == null ? null : shape[1] + top + bottom, shape[2] == null ? null : shape[2] + left + right, shape[3]];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.tidy(() => tf.pad(x, [[0, 0], this.padding[0], this.padding[1], [0, 0]], this.value));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), padding: this.padding, value: this.value };
  }
}

/** `clip(x, min, max)` with any bounds (`null` = unbounded); ReLU6-style clips use tfjs's ReLU instead. */
export class ClipValues extends tfl.layers.Layer {
  static readonly className = 'BiasAuditClipValues';
  readonly min: number | null;
  readonly max: number | null;

  constructor(args: LayerArgs & { min: number | null; max: number | null }) {
    super(args);
    this.min = args.min;
    this.max = args.max;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape | tfl.Shape[] {
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.tidy(() => tf.clipByValue(x, this.min ?? -Infinity, this.max ?? Infinity));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), min: this.min, max: this.max };
  }
}

/**
 * Adds or multiplies by a constant tensor broadcast over the batch: ONNX `Add`/`Mul` with an
 * initialiser (a bias after MatMul, a learned scale). The constant is a weight, trainable when it was an
 * initialiser in the ONNX file.
 */
export class ElementwiseConstant extends tfl.layers.Layer {
  static readonly className = 'BiasAuditElementwiseConstant';
  readonly operation: 'add' | 'multiply';
  readonly constantShape: number[];
  private constant?: tfl.LayerVariable;

  constructor(args: LayerArgs & { operation: 'add' | 'multiply'; constantShape: number[] }) {
    super(args);
    this.operation = args.operation;
    this.constantShape = args.constantShape;
  }

  override build(): void {
    this.constant = this.addWeight('constant', this.constantShape, 'float32', tfl.initializers.zeros(), undefined, this.trainable);
    this.built = true;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape | tfl.Shape[] {
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const constant = this.constant;
    if (!constant) throw new Error(`${this.name} called before build`);
    return tf.tidy(() => (this.operation === 'add' ? tf.add(x, constant.read()) : tf.mul(x, constant.read())));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), operation: this.operation, constantShape: this.constantShape };
  }
}

tf.serialization.registerClass(ConstantPadding2D);
tf.serialization.registerClass(ClipValues);
tf.serialization.registerClass(ElementwiseConstant);

/**
 * Makes sure the import layers are registered (importing this module does it; calling this documents the
 * dependency at the call site). Returns their class names.
 */
export function registerImportLayers(): string[] {
  return [ConstantPadding2D.className, ClipValues.className, ElementwiseConstant.className];
}
