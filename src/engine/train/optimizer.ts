import * as tf from '@tensorflow/tfjs-core';

/**
 * The project's optimizers, written out rather than taken from tf.train so that the learning rate can change
 * every step, weight decay follows PyTorch's definition (L2 added to the gradient, as the source papers' code
 * uses), and the state (momentum buffers, Adam moments, step count) can be checkpointed and restored exactly.
 */
export type OptimizerConfig =
  | { kind: 'sgd'; momentum: number; nesterov?: boolean; weightDecay: number }
  | { kind: 'adam'; beta1: number; beta2: number; epsilon: number; weightDecay: number };

/** A named slot of optimizer state, for checkpoints. */
export interface OptimizerSlot {
  name: string;
  tensor: tf.Tensor;
}

/**
 * A trained variable and the stable key its optimizer state is stored under (the layer-scoped original
 * name, which, unlike `variable.name`, is the same in every process that loads the model).
 */
export interface Param {
  key: string;
  variable: tf.Variable;
}

export interface Optimizer {
  readonly config: OptimizerConfig;
  /** Applies one update with the given gradients (keyed by `variable.name`) at learning rate `lr`. */
  apply(params: Param[], grads: tf.NamedTensorMap, lr: number): void;
  /** State to checkpoint: the step count and one slot per buffer. */
  state(): { step: number; slots: OptimizerSlot[] };
  /** Restores state written by `state()`; missing slots start from zero. */
  restore(step: number, slots: Map<string, tf.Tensor>): void;
  dispose(): void;
}

export function createOptimizer(config: OptimizerConfig): Optimizer {
  return config.kind === 'sgd' ? new SgdMomentum(config) : new Adam(config);
}

abstract class SlotOptimizer implements Optimizer {
  protected step = 0;
  protected readonly slots = new Map<string, tf.Variable>();

  constructor(readonly config: OptimizerConfig) {}

  abstract apply(params: Param[], grads: tf.NamedTensorMap, lr: number): void;

  protected slot(key: string, like: tf.Tensor): tf.Variable {
    let v = this.slots.get(key);
    if (v === undefined) {
      const zeros = tf.zerosLike(like);
      v = tf.variable(zeros, false);
      zeros.dispose();
      this.slots.set(key, v);
    }
    return v;
  }

  /** Gradient with L2 weight decay added (PyTorch's `weight_decay`). */
  protected decayed(variable: tf.Variable, grad: tf.Tensor): tf.Tensor {
    return this.config.weightDecay > 0 ? tf.add(grad, tf.mul(variable, this.config.weightDecay)) : grad;
  }

  state(): { step: number; slots: OptimizerSlot[] } {
    return { step: this.step, slots: [...this.slots].map(([name, tensor]) => ({ name, tensor })) };
  }

  restore(step: number, slots: Map<string, tf.Tensor>): void {
    this.step = step;
    for (const v of this.slots.values()) v.dispose();
    this.slots.clear();
    for (const [name, tensor] of slots) this.slots.set(name, tf.variable(tensor, false));
  }

  dispose(): void {
    for (const v of this.slots.values()) v.dispose();
    this.slots.clear();
  }
}

/**
 * A backend's fused kernel for one SGD step (the native backend's NativeSgdUpdate: the same float32 steps in
 * one pass instead of four to six tfjs ops), named here rather than imported so the optimizer stays
 * independent of any backend; backends without it run the ops.
 */
const FUSED_SGD_KERNEL = 'NativeSgdUpdate';

/** SGD with (optionally Nesterov) momentum, PyTorch form: v = m*v + g; w -= lr*v. */
class SgdMomentum extends SlotOptimizer {
  apply(params: Param[], grads: tf.NamedTensorMap, lr: number): void {
    const config = this.config as Extract<OptimizerConfig, { kind: 'sgd' }>;
    this.step++;
    const fused = tf.getKernel(FUSED_SGD_KERNEL, tf.getBackend()) !== undefined;
    for (const { key, variable } of params) {
      const grad = grads[variable.name];
      if (grad === undefined) continue;
      const velocity = config.momentum > 0 ? this.slot(`${key}/momentum`, variable) : undefined;
      if (fused && variable.dtype === 'float32' && grad.dtype === 'float32') {
        const inputs: tf.NamedTensorMap = velocity === undefined ? { value: variable, grad } : { value: variable, grad, velocity };
        const attrs = { lr, momentum: config.momentum, weightDecay: config.weightDecay, nesterov: config.nesterov === true };
        const [value, v] = tf.engine().runKernel(FUSED_SGD_KERNEL, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
        if (velocity !== undefined) velocity.assign(v);
        variable.assign(value);
        tf.dispose([value, v]);
        continue;
      }
      tf.tidy(() => {
        const g = this.decayed(variable, grad);
        let update = g;
        if (velocity !== undefined) {
          const v = tf.add(tf.mul(velocity, config.momentum), g);
          velocity.assign(v);
          update = config.nesterov ? tf.add(g, tf.mul(v, config.momentum)) : v;
        }
        variable.assign(tf.sub(variable, tf.mul(update, lr)));
      });
    }
  }
}

/** Adam (Kingma & Ba) with bias correction and L2 weight decay added to the gradient (PyTorch's Adam). */
class Adam extends SlotOptimizer {
  apply(params: Param[], grads: tf.NamedTensorMap, lr: number): void {
    const config = this.config as Extract<OptimizerConfig, { kind: 'adam' }>;
    this.step++;
    const correction1 = 1 - Math.pow(config.beta1, this.step);
    const correction2 = 1 - Math.pow(config.beta2, this.step);
    for (const { key, variable } of params) {
      const grad = grads[variable.name];
      if (grad === undefined) continue;
      const m = this.slot(`${key}/m`, variable);
      const v = this.slot(`${key}/v`, variable);
      tf.tidy(() => {
        const g = this.decayed(variable, grad);
        const mNew = tf.add(tf.mul(m, config.beta1), tf.mul(g, 1 - config.beta1));
        const vNew = tf.add(tf.mul(v, config.beta2), tf.mul(tf.square(g), 1 - config.beta2));
        m.assign(mNew);
        v.assign(vNew);
        const denom = tf.add(tf.sqrt(tf.div(vNew, correction2)), config.epsilon);
        variable.assign(tf.sub(variable, tf.mul(tf.div(mNew, denom), lr / correction1)));
      });
    }
  }
}
