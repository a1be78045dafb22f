import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkInput, type Verdict } from '../fuzz/check.js';
import { fnv1a, generateInput, inputPrng } from '../fuzz/mutate.js';
import { seedCorpus } from '../fuzz/seeds.js';
import { CODEC_TARGETS, SELF_TEST_TARGETS, targetByName, type FuzzTarget } from '../fuzz/targets.js';

/**
 * Every input the fuzzer saved under fixtures/fuzz/ (`<target>-<hash>.bin`) goes through its
 * target again: a value or a DecodeError, in time, without a runaway allocation. The same check
 * runs over each target's seed corpus and a few hundred mutated inputs, so the test means
 * something while the folder is empty.
 */

const FUZZ_DIR = fileURLToPath(new URL('../../fixtures/fuzz/', import.meta.url));
const MUTATED_PER_TARGET = 200;

function describeVerdict(v: Verdict, input: Uint8Array): string {
  const hex = Buffer.from(input).toString('hex');
  const shown = hex.length > 200 ? `${hex.slice(0, 200)}… (${input.length} B)` : hex;
  switch (v.kind) {
    case 'ok':
      return 'ok';
    case 'crash': {
      const e = v.error instanceof Error ? v.error : new Error(String(v.error));
      return `threw ${e.name} (not DecodeError) on ${shown}\n${e.stack ?? ''}`;
    }
    case 'slow':
      return `took ${v.ms.toFixed(0)} ms on ${shown}`;
    case 'alloc':
      return `allocated ${v.bytes} bytes (limit ${v.limit}) on ${shown}`;
  }
}

function assertTotal(t: FuzzTarget, input: Uint8Array): void {
  const v = checkInput(t, input);
  assert.equal(v.kind, 'ok', `${t.name}: ${describeVerdict(v, input)}`);
}

/** `<target>-<12 hex>.bin` → target name. */
function targetOfFile(file: string): string | undefined {
  return /^(.+)-[0-9a-f]{12}\.bin$/.exec(file)?.[1];
}

describe('fuzz regressions', function () {
  this.timeout(60000);

  describe('saved inputs (fixtures/fuzz/*.bin)', () => {
    const files = existsSync(FUZZ_DIR) ? readdirSync(FUZZ_DIR).filter((f) => f.endsWith('.bin')).sort() : [];
    it('every saved input names a known target', () => {
      for (const f of files) {
        const name = targetOfFile(f);
        assert.ok(name !== undefined && targetByName(name) !== undefined, `${f}: not <target>-<hash>.bin with a known target`);
      }
    });
    for (const f of files) {
      const name = targetOfFile(f);
      const t = name === undefined ? undefined : targetByName(name);
      if (!t || SELF_TEST_TARGETS.includes(t)) continue;
      it(`${f}: value or DecodeError`, () => {
        assertTotal(t, new Uint8Array(readFileSync(join(FUZZ_DIR, f))));
      });
    }
  });

  describe('seed corpus and mutated seeds, every target', () => {
    for (const t of CODEC_TARGETS) {
      it(`${t.name}: ${t.what}`, () => {
        const seeds = t.seeds(seedCorpus());
        for (const s of seeds) assertTotal(t, s);
        const runSeed = fnv1a(t.name, 2024);
        for (let i = 0; i < MUTATED_PER_TARGET; i++) assertTotal(t, generateInput(inputPrng(runSeed, i), seeds, { maxLength: t.maxLength }));
      });
    }
  });

  describe('harness', () => {
    const self = (name: string): FuzzTarget => SELF_TEST_TARGETS.find((t) => t.name === name)!;

    it('reports a throw that is not a DecodeError', () => {
      assert.equal(checkInput(self('self-test-crash'), new Uint8Array(8)).kind, 'crash');
      assert.equal(checkInput(self('self-test-crash'), new Uint8Array(2)).kind, 'ok');
    });

    it('reports an allocation far beyond the input', () => {
      assert.equal(checkInput(self('self-test-alloc'), new Uint8Array(8)).kind, 'alloc');
      assert.equal(checkInput(self('self-test-alloc'), new Uint8Array(2)).kind, 'ok');
    });

    it('reports a slow input', () => {
      const slow: FuzzTarget = {
        name: 'slow',
        what: 'busy for 30 ms',
        seeds: () => [],
        run: () => {
          const end = performance.now() + 30;
          while (performance.now() < end);
        },
        maxLength: 1,
      };
      assert.equal(checkInput(slow, new Uint8Array(1), 10).kind, 'slow');
    });

    it('generates the same inputs for the same seed', () => {
      const seeds = [Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8)];
      for (let i = 0; i < 50; i++) {
        assert.deepEqual(generateInput(inputPrng(7, i), seeds, { maxLength: 64 }), generateInput(inputPrng(7, i), seeds, { maxLength: 64 }));
      }
    });

    it('has a target for every decoder family the issue names', () => {
      const names = new Set(CODEC_TARGETS.map((t) => t.name));
      for (const n of ['nbns', 'netbios-name', 'nbss', 'nbss-direct', 'nbss-framer', 'smb1-andx', 'smb2-messages', 'spnego-blob', 'der', 'ntlmssp', 'pcap', 'capture-reader', 'frame-null', 'passive']) {
        assert.ok(names.has(n), n);
      }
    });
  });
});
