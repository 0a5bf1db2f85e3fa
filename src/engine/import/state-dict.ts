import { AuditError } from '../util/errors';
import type { StateDict } from './checkpoint-tensor';
import { PyDict, type PyValue, pythonTypeName } from './pickle-values';
import { TorchTensor } from './torch-objects';

/**
 * Finds the state dict inside an unpickled checkpoint and decodes its tensors. Training scripts wrap it
 * (`{"epoch": 3, "state_dict": {...}, "optimizer": {...}}`), DataParallel prefixes every key with
 * `module.`, torch.compile with `_orig_mod.`: all unwrapped here.
 */

/** Keys under which training scripts commonly store the model's weights, most specific first. */
const WRAPPER_KEYS = ['state_dict', 'model_state_dict', 'model_state', 'model', 'net', 'network', 'module'];
const KEY_PREFIXES = ['module.', '_orig_mod.'];

/** The state dict (parameter name -> float32 tensor) inside `root`; throws `AuditError` naming `file` when there is none. */
export function extractStateDict(root: PyValue, file: string): { stateDict: StateDict; foundAt: string } {
  const found = findTensorDict(root, '', 0);
  if (!found) {
    const keys = root instanceof PyDict ? [...root.items.keys()].map((k) => JSON.stringify(typeof k === 'bigint' ? String(k) : k)) : [];
    throw new AuditError(
      root instanceof PyDict
        ? `holds no state dict: its top-level keys are ${keys.slice(0, 20).join(', ') || '(none)'}; expected parameter tensors or a ` +
            `${WRAPPER_KEYS.map((k) => `"${k}"`).join('/')} entry holding them`
        : `holds a ${pythonTypeName(root)}, not a state dict; save model.state_dict() with torch.save`,
      { file, code: 'BAD_CHECKPOINT' },
    );
  }
  const stateDict: StateDict = new Map();
  for (const [name, tensor] of found.dict.items) {
    if (typeof name === 'string' && tensor instanceof TorchTensor) stateDict.set(name, tensor.materialize(file, name));
  }
  return { stateDict: stripWrapperPrefixes(stateDict), foundAt: found.path };
}

/** Removes a `module.` (DataParallel) or `_orig_mod.` (torch.compile) prefix that every key carries. */
export function stripWrapperPrefixes(stateDict: StateDict): StateDict {
  let entries = [...stateDict.entries()];
  for (const prefix of KEY_PREFIXES) {
    if (entries.length > 0 && entries.every(([k]) => k.startsWith(prefix))) entries = entries.map(([k, v]) => [k.slice(prefix.length), v]);
  }
  return new Map(entries);
}

/** A dict is a state dict when every value is a tensor (and there is at least one). */
function isTensorDict(value: PyValue): value is PyDict {
  if (!(value instanceof PyDict) || value.items.size === 0) return false;
  for (const [key, item] of value.items) if (typeof key !== 'string' || !(item instanceof TorchTensor)) return false;
  return true;
}

function findTensorDict(value: PyValue, path: string, depth: number): { dict: PyDict; path: string } | undefined {
  if (isTensorDict(value)) return { dict: value, path: path || '(top level)' };
  if (!(value instanceof PyDict) || depth >= 3) return undefined;
  for (const key of WRAPPER_KEYS) {
    const inner = value.items.get(key);
    if (inner === undefined) continue;
    const found = findTensorDict(inner, path ? `${path}.${key}` : key, depth + 1);
    if (found) return found;
  }
  return undefined;
}
