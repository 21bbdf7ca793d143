import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Command, CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { MAX_STEPS } from '../../../src/browser/worker-personalise';
import { FLAG_BOUNDS, MAX_RESAMPLES, MAX_SEED, PIPELINE_FLAGS, addPipelineFlags, flagsOf, pipelineFlags, pipelineOptionsFrom, resamplesFlag, seedFlag } from '../../../src/cli/options';
import { DEFAULT_PIPELINE } from '../../../src/train/options';

const run = promisify(execFile);

/** A command with only the shared flags, that throws instead of exiting. */
function parse(args: string[]) {
  const cmd = addPipelineFlags(new Command())
    .exitOverride()
    .configureOutput({ writeErr: () => {}, writeOut: () => {} });
  return pipelineFlags(cmd.parse(args, { from: 'user' }).opts());
}

function errorOf(args: string[]): string {
  try {
    parse(args);
  } catch (e) {
    if (e instanceof CommanderError) return e.message;
    throw e;
  }
  throw new Error(`${args.join(' ')} was accepted`);
}

describe('the shared pipeline flags', () => {
  it('default to exactly DEFAULT_PIPELINE', () => {
    expect(parse([])).toEqual(flagsOf(DEFAULT_PIPELINE));
    expect(pipelineOptionsFrom(parse([]), DEFAULT_PIPELINE.seed)).toEqual(DEFAULT_PIPELINE);
  });

  it('turn given values into the pipeline options they name', () => {
    const flags = parse(['--meta', 'reptile', '--meta-steps', '0', '--inner-lr', '0.1', '--validation-ks', '10,3', '--validation-view', 'full', '--no-item-features', '--no-inner-debias', '--student-epochs', '2']);
    const opts = pipelineOptionsFrom(flags, 7);
    expect(opts.seed).toBe(7);
    expect(opts.meta).toEqual({ ...DEFAULT_PIPELINE.meta, algorithm: 'reptile', steps: 0 });
    expect(opts.inner).toEqual({ steps: DEFAULT_PIPELINE.inner.steps, lr: 0.1, debias: false });
    expect(opts.validationKs).toEqual([3, 10]);
    expect(opts.validationView).toBe('full');
    expect(opts.itemFeatures).toBe(false);
    expect(opts.student.epochs).toBe(2);
    expect(opts.teacher.epochs).toBe(DEFAULT_PIPELINE.teacher.epochs);
  });

  it.each([
    [['--inner-lr', 'abc'], '--inner-lr', 'expected a number'],
    [['--inner-lr', ''], '--inner-lr', 'expected a number'],
    [['--inner-lr', '0'], '--inner-lr', 'expected a positive number'],
    [['--meta-lr', '-1e-3'], '--meta-lr', 'expected a positive number'],
    [['--meta-steps', '-1'], '--meta-steps', 'expected a non-negative integer'],
    [['--meta-steps', '2.5'], '--meta-steps', 'expected an integer'],
    [['--teacher-epochs', '0'], '--teacher-epochs', 'expected a positive integer'],
    [['--query-max', 'NaN'], '--query-max', 'expected a number'],
    [['--validation-ks', '3,x'], '--validation-ks', 'expected a number'],
    [['--validation-ks', '0,5'], '--validation-ks', 'expected a positive integer'],
    [['--meta', 'foo'], '--meta', 'expected one of: fomaml, reptile'],
    [['--validation-view', 'x'], '--validation-view', 'expected one of: full, both'],
  ])('reject %j with a message naming the flag', (args, flag, why) => {
    const message = errorOf(args);
    expect(message).toContain(`'${flag} `);
    expect(message).toContain(why);
  });

  it('reject flags that do not exist', () => {
    expect(errorOf(['--meta-sgd', '0.1'])).toContain("unknown option '--meta-sgd'");
  });
});

describe('the train and eval commands', () => {
  /** The help text of one option: its line and any continuation lines. */
  const optionHelp = (help: string, flags: string): string => {
    const lines = help.split('\n');
    const i = lines.findIndex((l) => l.trimStart().startsWith(`${flags} `));
    if (i < 0) return '';
    const out = [lines[i].trim()];
    for (let j = i + 1; j < lines.length && /^\s{10,}\S/.test(lines[j]); j++) out.push(lines[j].trim());
    return out.join(' ');
  };

  it('both register every shared flag with the same help and default', async () => {
    const [train, evaluate] = await Promise.all([
      run('npx', ['tsx', 'src/cli/train.ts', '--help']),
      run('npx', ['tsx', 'src/cli/eval.ts', '--help']),
    ]);
    for (const f of PIPELINE_FLAGS) {
      const inTrain = optionHelp(train.stdout, f.flags);
      expect(inTrain, f.flags).toContain(f.help.split(' ')[0]);
      expect(optionHelp(evaluate.stdout, f.flags), f.flags).toBe(inTrain);
    }
  });

  it.each([
    ['src/cli/train.ts', ['--inner-lr', 'abc'], '--inner-lr'],
    ['src/cli/eval.ts', ['--meta', 'foo'], '--meta'],
  ])('%s %j exits non-zero naming the flag, before it looks at the data', async (cli, args, flag) => {
    const t0 = performance.now();
    const res = await run('npx', ['tsx', cli, '--data', '/nonexistent/events.csv', ...args]).then(
      () => null,
      (e: { code: number; stderr: string; stdout: string }) => e,
    );
    expect(res).not.toBeNull();
    expect(res!.code).not.toBe(0);
    expect(res!.stderr).toContain(`option '${flag} `);
    expect(res!.stderr).not.toContain('nonexistent');
    expect(performance.now() - t0).toBeLessThan(20_000);
  });
});

describe('the upper bounds of the shared flags', () => {
  it('cap --inner-steps at the SDK cap, so the trainer never writes steps the SDK refuses', () => {
    expect(FLAG_BOUNDS.innerSteps).toBe(MAX_STEPS);
    expect(parse(['--inner-steps', String(MAX_STEPS)]).innerSteps).toBe(MAX_STEPS);
    expect(errorOf(['--inner-steps', String(MAX_STEPS + 1)])).toContain(`at most ${MAX_STEPS}`);
  });

  it.each([
    ['--teacher-epochs', String(FLAG_BOUNDS.epochs + 1)],
    ['--meta-steps', String(FLAG_BOUNDS.metaSteps + 1)],
    ['--meta-lr', String(FLAG_BOUNDS.lr * 2)],
    ['--inner-lr', '1e9'],
    ['--query-max', String(FLAG_BOUNDS.queryMax + 1)],
    ['--recency-half-life', '1e300'],
    ['--validation-ks', `3,${FLAG_BOUNDS.k + 1}`],
  ])('refuse %s %s as above its bound', (flag, value) => {
    expect(errorOf([flag, value])).toContain('at most');
  });
});

describe('the commands\' own count flags', () => {
  it.each([
    ['--resamples', resamplesFlag, ['1e12', '100000', String(MAX_RESAMPLES + 1), 'Infinity', '0', '-1', '2.5', '']],
    ['--seed', seedFlag, [String(2 ** 32), '1e300', 'Infinity', '-1', '0.5', '']],
  ] as const)('%s refuses %j with a message, never a value that could hang or overflow', (_flag, parser, bad) => {
    for (const text of bad) expect(() => parser(text), text).toThrow(/expected/);
  });

  it('accept their bounds', () => {
    expect(resamplesFlag(String(MAX_RESAMPLES))).toBe(MAX_RESAMPLES);
    expect(seedFlag(String(MAX_SEED))).toBe(MAX_SEED);
    expect(seedFlag('0')).toBe(0);
  });
});
