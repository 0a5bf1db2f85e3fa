// tfjs fused-activation names mapped to the addon's codes (native/src/dnnl_context.h, enum Activation).

const ACTIVATION_CODES: Record<string, number> = {
  linear: 0,
  relu: 1,
  relu6: 2,
  elu: 3,
  leakyrelu: 4,
  sigmoid: 5,
};

/** The addon's code for a fused activation, or undefined when the addon does not fuse it (prelu). */
export function activationCode(activation: string | undefined): number | undefined {
  if (activation === undefined || activation === null) return 0;
  return ACTIVATION_CODES[activation];
}
