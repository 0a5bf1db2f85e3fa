import { AuditError } from '../util/errors';
import { elementSize } from './element-types';
import { RefusedGlobalError, scanGlobals, unpickle } from './pickle-machine';
import { PyTuple, type PyValue, pythonTypeName } from './pickle-values';
import { TorchStorage, TorchStorageType, torchGlobal } from './torch-objects';
import { looksLikeZip, ZipArchive } from './zip-archive';

/**
 * Reads what `torch.save` wrote, without Python: the zip layout (torch >= 1.6: `<dir>/data.pkl` plus one
 * entry per storage under `<dir>/data/`) and the legacy layout (pickles back to back: magic number,
 * protocol version, system info, the object, the storage keys, then each storage's raw bytes). Tensors
 * come back as lazy `TorchTensor` views; see `extractStateDict`.
 */

/** What torch.save wrote in the legacy layout's first pickle. */
const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;

/**
 * Unpickles a PyTorch checkpoint (`.pt`, `.pth`, `.bin`) with the restricted unpickler. Throws `AuditError`
 * naming `file` for a damaged file, a forbidden global (code `UNSAFE_PICKLE`), or a whole pickled model
 * (code `PICKLED_MODULE`).
 */
export function readTorchCheckpoint(bytes: Uint8Array, file: string): PyValue {
  if (looksLikeZip(bytes)) return readZipCheckpoint(bytes, file);
  if (isTar(bytes)) {
    throw new AuditError('is a tar-format PyTorch checkpoint (written by torch < 0.4), which is not supported; re-save it with a newer torch', {
      file,
      code: 'BAD_CHECKPOINT',
    });
  }
  if (bytes.byteLength >= 2 && bytes[0] === 0x80) return readLegacyCheckpoint(bytes, file);
  throw new AuditError('is not a PyTorch checkpoint (neither a zip archive nor a pickle)', { file, code: 'BAD_CHECKPOINT' });
}

function isTar(bytes: Uint8Array): boolean {
  return bytes.byteLength > 262 && Buffer.from(bytes.subarray(257, 262)).toString('latin1') === 'ustar';
}

function readZipCheckpoint(bytes: Uint8Array, file: string): PyValue {
  const archive = new ZipArchive(bytes, file);
  const pickles = archive.names().filter((n) => n === 'data.pkl' || n.endsWith('/data.pkl'));
  if (pickles.length !== 1) {
    throw new AuditError(
      pickles.length === 0
        ? 'is a zip archive without data.pkl, so not a torch.save checkpoint (TorchScript archives hold code and are not supported)'
        : `holds ${pickles.length} data.pkl entries; expected one`,
      { file, code: 'BAD_CHECKPOINT' },
    );
  }
  const prefix = pickles[0].slice(0, -'data.pkl'.length);
  if (archive.has(`${prefix}constants.pkl`) || archive.names().some((n) => n.startsWith(`${prefix}code/`))) {
    throw new AuditError('is a TorchScript archive (torch.jit.save), which holds code; save the model\'s state_dict with torch.save instead', {
      file,
      code: 'BAD_CHECKPOINT',
    });
  }
  if (archive.has(`${prefix}byteorder`)) {
    const order = new TextDecoder().decode(archive.read(`${prefix}byteorder`)).trim();
    if (order !== 'little') throw new AuditError(`stores tensors in ${order}-endian byte order; only little-endian is supported`, { file, code: 'BAD_CHECKPOINT' });
  }
  const storages = new Map<string, TorchStorage>();
  const persistentLoad = (pid: PyValue): PyValue => {
    const [kind, type, key, , count] = pidFields(pid, file);
    if (kind !== 'storage') throw new AuditError(`persistent id of kind ${String(kind)} is not a storage`, { file, code: 'BAD_CHECKPOINT' });
    let storage = storages.get(key);
    if (!storage) {
      const entry = `${prefix}data/${key}`;
      if (!archive.has(entry)) throw new AuditError(`storage ${key} is missing from the archive (truncated or corrupt)`, { file, code: 'BAD_CHECKPOINT' });
      storage = new TorchStorage(key, type, count, () => archive.read(entry));
      storages.set(key, storage);
    }
    return storage;
  };
  const data = archive.read(pickles[0]);
  return unpickleTorch(data, file, persistentLoad, 0).value;
}

function readLegacyCheckpoint(bytes: Uint8Array, file: string): PyValue {
  const noStorages = (): never => {
    throw new AuditError('a storage appeared in a header pickle', { file, code: 'BAD_CHECKPOINT' });
  };
  const magic = unpickleTorch(bytes, file, noStorages, 0);
  if (magic.value !== LEGACY_MAGIC) {
    // A bare pickle rather than a torch file: it unpickled harmlessly (no global), but holds no tensors.
    throw new AuditError(`is a pickle but not a PyTorch checkpoint (its first value is a ${pythonTypeName(magic.value)}, not torch's magic number)`, {
      file,
      code: 'BAD_CHECKPOINT',
    });
  }
  const protocol = unpickleTorch(bytes, file, noStorages, magic.end);
  if (protocol.value !== 1001) throw new AuditError(`legacy checkpoint protocol ${String(protocol.value)} is not supported (expected 1001)`, { file, code: 'BAD_CHECKPOINT' });
  const sysInfo = unpickleTorch(bytes, file, noStorages, protocol.end);
  const storages = new Map<string, { type: TorchStorageType; count: number }>();
  const pending = new Map<string, TorchStorage>();
  const bodies = new Map<string, Uint8Array>();
  const persistentLoad = (pid: PyValue): PyValue => {
    const [kind, type, key, , count, view] = pidFields(pid, file);
    if (kind !== 'storage') throw new AuditError(`persistent id of kind ${String(kind)} is not a storage`, { file, code: 'BAD_CHECKPOINT' });
    if (view !== null && view !== undefined) {
      throw new AuditError('uses storage views (written by torch < 0.4); re-save it with a newer torch', { file, code: 'BAD_CHECKPOINT' });
    }
    let storage = pending.get(key);
    if (!storage) {
      storage = new TorchStorage(key, type, count, () => {
        const body = bodies.get(key);
        if (!body) throw new AuditError(`storage ${key} is missing from the file (truncated)`, { file, code: 'BAD_CHECKPOINT' });
        return body;
      });
      pending.set(key, storage);
      storages.set(key, { type, count });
    }
    return storage;
  };
  const main = unpickleTorch(bytes, file, persistentLoad, sysInfo.end);
  const keys = unpickleTorch(bytes, file, noStorages, main.end);
  if (!Array.isArray(keys.value) || !keys.value.every((k) => typeof k === 'string')) {
    throw new AuditError('the list of storage keys is damaged', { file, code: 'BAD_CHECKPOINT' });
  }
  // Each storage: its element count as a little-endian int64, then its bytes.
  let dataStart = keys.end;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const key of keys.value as string[]) {
    const info = storages.get(key);
    if (!info) throw new AuditError(`storage ${key} is listed but never used`, { file, code: 'BAD_CHECKPOINT' });
    if (dataStart + 8 > bytes.byteLength) throw new AuditError(`storage ${key} is missing from the file (truncated)`, { file, code: 'BAD_CHECKPOINT' });
    const count = Number(view.getBigInt64(dataStart, true));
    const length = count * elementSize(info.type.elementType);
    if (count !== info.count || dataStart + 8 + length > bytes.byteLength) {
      throw new AuditError(`storage ${key} should hold ${info.count} elements; the file has ${count} and ends early or is corrupt`, { file, code: 'BAD_CHECKPOINT' });
    }
    bodies.set(key, bytes.subarray(dataStart + 8, dataStart + 8 + length));
    dataStart += 8 + length;
  }
  return main.value;
}

/** `('storage', storage_type, key, location, numel[, view_metadata])`. */
function pidFields(pid: PyValue, file: string): [string, TorchStorageType, string, PyValue, number, PyValue] {
  const items = pid instanceof PyTuple ? pid.items : [];
  const [kind, type, key, location, count, view] = items;
  if (
    typeof kind !== 'string' ||
    !(type instanceof TorchStorageType) ||
    typeof key !== 'string' ||
    typeof count !== 'number' ||
    !Number.isSafeInteger(count) ||
    count < 0
  ) {
    throw new AuditError(`persistent id ${pythonTypeName(pid)} is not a storage reference (storage, type, key, location, size)`, { file, code: 'BAD_CHECKPOINT' });
  }
  return [kind, type, key, location, count, view ?? null];
}

function unpickleTorch(bytes: Uint8Array, file: string, persistentLoad: (pid: PyValue) => PyValue, start: number): { value: PyValue; end: number } {
  try {
    return unpickle(bytes, { file, resolveGlobal: (module, name) => torchGlobal(module, name, file), persistentLoad }, start);
  } catch (e) {
    if (e instanceof RefusedGlobalError) throw explainRefusal(e, bytes, start, file);
    throw e;
  }
}

/** A refused global inside a pickled `nn.Module` deserves the actionable message, not just "refused". */
function explainRefusal(error: RefusedGlobalError, bytes: Uint8Array, start: number, file: string): AuditError {
  const globals = scanGlobals(bytes, start);
  const refused = `${error.module}.${error.globalName}`;
  const moduleClass = globals.find((g) => g.startsWith('torch.nn.modules.'));
  if (moduleClass === undefined) return error;
  const classes = moduleClass === refused ? refused : `${refused} and ${moduleClass}`;
  return new RefusedGlobalError(
    error.module,
    error.globalName,
    file,
    `is a whole pickled nn.Module (it references the class ${classes}), which could run code when loaded and is refused; ` +
      'nothing was executed. Save a state_dict instead: torch.save(model.state_dict(), path)',
    'PICKLED_MODULE',
  );
}
