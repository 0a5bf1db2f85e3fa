import { strict as assert } from 'node:assert';
import { AuditError } from '../../../../src/engine/util/errors';
import { DEFAULT_STRONG_STIMULI_PARAMS, type StrongStimuliParams, resolveClassMapping, validateStrongStimuliParams } from '../../../../src/probes/stimuli/params';

const FOUNDATION = ['cat', 'dog', 'fox', 'owl'];
const CONTEXT = { foundationClassNames: FOUNDATION, foundationInputShape: [28, 28, 1] as [number, number, number] };

function rejects(given: Partial<StrongStimuliParams>, field: string, message: RegExp, context: Partial<Parameters<typeof validateStrongStimuliParams>[1]> = {}): void {
  assert.throws(
    () => validateStrongStimuliParams(given, { ...CONTEXT, ...context }),
    (e: unknown) => e instanceof AuditError && e.file === field && message.test(e.message),
    `expected an error on ${field} matching ${message}`,
  );
}

describe('probes/stimuli parameters and class mapping', () => {
  it('fills in the documented defaults and resolves every class', () => {
    const { params, mapping } = validateStrongStimuliParams(undefined, CONTEXT);
    const { classes: _classes, ...defaults } = DEFAULT_STRONG_STIMULI_PARAMS;
    assert.deepEqual({ ...params, classes: undefined }, { ...defaults, classes: undefined });
    assert.deepEqual(params.classes, [0, 1, 2, 3]);
    assert.equal(mapping.kind, 'none');
  });

  it('treats fields given as undefined as absent', () => {
    const { params, mapping } = validateStrongStimuliParams({ classMap: undefined, steps: undefined }, { ...CONTEXT, targetClassNames: ['a', 'b', 'c', 'd'] });
    assert.equal(params.steps, DEFAULT_STRONG_STIMULI_PARAMS.steps);
    assert.equal(mapping.kind, 'index');
  });

  it('accepts classes by name or index', () => {
    const { params } = validateStrongStimuliParams({ classes: ['owl', 1, '0'] }, CONTEXT);
    assert.deepEqual(params.classes, [3, 1, 0]);
  });

  it('names the field of every bad value', () => {
    rejects({ steps: 0 }, 'probes.strongStimuli.steps', /integer >= 1/);
    rejects({ steps: 2.5 }, 'probes.strongStimuli.steps', /integer/);
    rejects({ learningRate: 0 }, 'probes.strongStimuli.learningRate', /> 0/);
    rejects({ l2Penalty: -1 }, 'probes.strongStimuli.l2Penalty', />= 0/);
    rejects({ score: 'probability' as never }, 'probes.strongStimuli.score', /'logit' or 'logsoftmax'/);
    rejects({ parameterization: 'wavelet' as never }, 'probes.strongStimuli.parameterization', /one of pixel, fourier/);
    rejects({ scaleRange: [1.2, 0.8] }, 'probes.strongStimuli.scaleRange', /min <= max/);
    rejects({ jitterPixels: 14 }, 'probes.strongStimuli.jitterPixels', /out of view/);
    rejects({ classes: ['wolf'] }, 'probes.strongStimuli.classes', /no foundation class named 'wolf'/);
    rejects({ classes: [4] }, 'probes.strongStimuli.classes', /not a foundation class/);
    rejects({ classes: [1, 'dog'] }, 'probes.strongStimuli.classes', /listed twice/);
    rejects({ classes: [] }, 'probes.strongStimuli.classes', /non-empty/);
    rejects({ steps: -3 }, 'audit.stimuli.steps', /integer/, { fieldPath: 'audit.stimuli' });
  });

  it('maps by index when the class counts match, else by an explicit map, else not at all', () => {
    assert.deepEqual(resolveClassMapping(FOUNDATION, ['a', 'b', 'c', 'd'], null), { kind: 'index', targetOf: [0, 1, 2, 3], note: null });
    const explicit = resolveClassMapping(FOUNDATION, ['kitten', 'puppy'], { cat: 'kitten', '1': 1 });
    assert.deepEqual(explicit, { kind: 'explicit', targetOf: [0, 1, null, null], note: null });
    const none = resolveClassMapping(FOUNDATION, ['kitten', 'puppy'], null);
    assert.equal(none.kind, 'none');
    assert.deepEqual(none.targetOf, [null, null, null, null]);
    assert.match(none.note ?? '', /no class map was given/);
  });

  it('generates stimuli only for mapped classes with an explicit map, and refuses unmapped ones', () => {
    const target = { targetClassNames: ['kitten', 'puppy'] };
    const { params, mapping } = validateStrongStimuliParams({ classMap: { dog: 'puppy' } }, { ...CONTEXT, ...target });
    assert.deepEqual(params.classes, [1]);
    assert.equal(mapping.targetOf[1], 1);
    rejects({ classMap: { dog: 'puppy' }, classes: ['cat'] }, 'probes.strongStimuli.classes', /no entry in the class map/, target);
    rejects({ classMap: { dog: 'wolf' } }, 'probes.strongStimuli.classMap.dog', /no target class named 'wolf'/, target);
    rejects({ classMap: { wolf: 'puppy' } }, 'probes.strongStimuli.classMap', /no foundation class named 'wolf'/, target);
    rejects({ classMap: { cat: 'puppy', dog: 'puppy' } }, 'probes.strongStimuli.classMap', /mapped from both 'cat' and 'dog'/, target);
    rejects({ classMap: {} }, 'probes.strongStimuli.classMap', /empty/, target);
    rejects({ classMap: { dog: 'puppy' } }, 'probes.strongStimuli.classMap', /needs target models/);
  });

  it('refuses a mapped target class without training images, naming the data', () => {
    assert.throws(
      () => validateStrongStimuliParams({}, { ...CONTEXT, targetClassNames: ['a', 'b', 'c', 'd'], targetTrainCounts: [5, 0, 5, 5], targetTrainSpec: 'data/train' }),
      (e: unknown) => e instanceof AuditError && e.file === 'data/train' && /target class 1 \('b'\) has no training image/.test(e.message),
    );
    // Not generating that class is fine.
    const { params } = validateStrongStimuliParams({ classes: [0, 2, 3] }, { ...CONTEXT, targetClassNames: ['a', 'b', 'c', 'd'], targetTrainCounts: [5, 0, 5, 5] });
    assert.deepEqual(params.classes, [0, 2, 3]);
  });
});
