import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { addSimFlags, SIM_DEFAULTS, simFlags } from '../../../src/cli/simulate-options';

const parse = (args: string[]) => {
  const cmd = addSimFlags(new Command()).exitOverride().configureOutput({ writeErr: () => undefined });
  return simFlags(cmd.parse(args, { from: 'user' }).opts());
};

describe('simulate flags', () => {
  it('default to SIM_DEFAULTS', () => {
    expect(parse([])).toEqual(SIM_DEFAULTS);
  });

  it('take values within their bounds', () => {
    const f = parse(['--rounds', '30', '--noise', '0', '--aggregator', 'median', '--dp-delta', '1e-6']);
    expect(f).toMatchObject({ rounds: 30, noise: 0, aggregator: 'median', dpDelta: 1e-6 });
  });

  it('refuse values outside their bounds before anything runs', () => {
    for (const bad of [['--rounds', '0'], ['--clients-per-round', '1.5'], ['--clip', '-1'], ['--noise', '101'], ['--aggregator', 'max'], ['--trim', '0.5'], ['--dp-delta', '1'], ['--poison-share', '0']]) {
      expect(() => parse(bad), bad.join(' ')).toThrow();
    }
  });
});
