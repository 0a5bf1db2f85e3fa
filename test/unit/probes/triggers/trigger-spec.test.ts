import { strict as assert } from 'node:assert';
import { AuditError } from '../../../../src/engine/util/errors';
import { formatTriggerSpec, parseTriggerSpec } from '../../../../src/probes/triggers/trigger-spec';

function rejects(spec: string, message: RegExp): void {
  assert.throws(() => parseTriggerSpec(spec, 'probes.interventions.triggers[0].spec'), (e: unknown) => {
    assert.ok(e instanceof AuditError, 'an AuditError');
    assert.equal(e.code, 'BAD_TRIGGER');
    assert.equal(e.file, 'probes.interventions.triggers[0].spec');
    assert.match(e.message, message);
    return true;
  });
}

describe('trigger spec', () => {
  it('parses the documented example with every value', () => {
    const s = parseTriggerSpec('square:size=0.15,color=#ffff00,position=top-left');
    assert.equal(s.kind, 'square');
    assert.equal(s.size, 0.15);
    assert.deepEqual(s.color, [255, 255, 0]);
    assert.equal(s.position, 'top-left');
    assert.equal(s.opacity, 1);
  });

  it('fills kind defaults: the paper square covers 6.25% of the area, chain-link the whole image', () => {
    const square = parseTriggerSpec('square');
    assert.equal(square.size, 0.25);
    assert.deepEqual(square.color, [255, 255, 0]);
    assert.equal(parseTriggerSpec('chain-link').size, 1);
    assert.equal(parseTriggerSpec('gaussian').position, 'center');
  });

  it('accepts area instead of size, short and named colours, centre spelling', () => {
    assert.ok(Math.abs(parseTriggerSpec('circle:area=0.0625').size - 0.25) < 1e-12);
    assert.deepEqual(parseTriggerSpec('square:color=#f0a').color, [255, 0, 170]);
    assert.deepEqual(parseTriggerSpec('square:color=White').color, [255, 255, 255]);
    assert.equal(parseTriggerSpec('square:position=centre').position, 'center');
  });

  it('keeps commas inside a patch file path', () => {
    const s = parseTriggerSpec('patch:size=0.2,file=dir,with,commas/logo.png,position=random,seed=4');
    assert.equal(s.file, 'dir,with,commas/logo.png');
    assert.equal(s.position, 'random');
    assert.equal(s.seed, 4);
  });

  it('formats equal overlays alike', () => {
    assert.equal(formatTriggerSpec(parseTriggerSpec('square')), formatTriggerSpec(parseTriggerSpec('square:size=0.25,color=yellow,opacity=1')));
    assert.notEqual(formatTriggerSpec(parseTriggerSpec('square')), formatTriggerSpec(parseTriggerSpec('square:size=0.2')));
  });

  it('rejects bad specs with a message naming the problem and the config path', () => {
    rejects('', /empty/);
    rejects('sqaure:size=0.1', /unknown kind "sqaure"/);
    rejects('square:sise=0.1', /unknown key "sise"/);
    rejects('square:size=0', /size must be a fraction in \(0, 1\]/);
    rejects('square:size=1.5', /size must be/);
    rejects('square:size=abc', /size must be/);
    rejects('square:size=0.1,size=0.2', /given twice/);
    rejects('square:size=0.1,area=0.1', /size or area/);
    rejects('square:color=#12', /color must be/);
    rejects('square:position=middle', /position must be one of/);
    rejects('square:opacity=2', /opacity must be in \[0, 1\]/);
    rejects('square:size', /not KEY=VALUE/);
    rejects('square:', /nothing after/);
    rejects('patch:size=0.2', /needs file=PATH/);
    rejects('gaussian:color=#fff', /unknown key "color" for gaussian/);
    rejects('chain-link:cells=0', /cells must be/);
  });
});
