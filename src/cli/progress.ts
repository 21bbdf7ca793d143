import cliProgress from 'cli-progress';
import type { PipelineHooks } from '../train/pipeline';

const stageFormat = (label: string) => ` {stage} |{bar}| {percentage}% | {value}/{total} | ETA {eta_formatted} | loss {loss} | ${label} {val}`;

/**
 * One progress bar per long stage with ETA and the latest loss/validation numbers.
 */
export class StageBars {
  private readonly multi: cliProgress.MultiBar;
  private readonly owned: boolean;
  private readonly bars = new Map<string, cliProgress.SingleBar>();

  /** With `shared` the bars join another MultiBar (one redraw loop on a TTY), which its owner stops. */
  private readonly format: string;

  /** `label` names the validation number: 'val NDCG@10', or '× popularity' under the relative validation view. */
  constructor(shared?: cliProgress.MultiBar, label = 'val NDCG@10') {
    this.owned = !shared;
    this.format = stageFormat(label);
    this.multi =
      shared ??
      new cliProgress.MultiBar(
        {
          format: this.format,
          hideCursor: true,
          clearOnComplete: false,
          etaBuffer: 50,
          // Without a TTY (CI, pipes) print a snapshot every few seconds instead of nothing.
          noTTYOutput: true,
          notTTYSchedule: 5000,
        },
        cliProgress.Presets.shades_classic,
      );
  }

  start(stage: string, total: number): void {
    this.bars.set(stage, this.multi.create(total, 0, { stage: stage.padEnd(8), loss: '-', val: '-' }, { format: this.format, etaBuffer: 50 }));
  }

  update(stage: string, value: number, loss: number, validation?: number): void {
    const bar = this.bars.get(stage);
    if (!bar) return;
    const payload: Record<string, string> = { loss: Number.isFinite(loss) ? loss.toFixed(4) : '-' };
    if (validation !== undefined) payload.val = validation.toFixed(4);
    bar.update(Math.min(value, bar.getTotal()), payload);
  }

  /** The training pipeline's hooks, drawn as these bars. */
  pipelineHooks(): PipelineHooks {
    return {
      onStageStart: (s, total) => this.start(s, total),
      onProgress: (s, done, info) => this.update(s, done, info.loss, info.validation),
      onStageEnd: (s) => this.finish(s),
    };
  }

  finish(stage: string): void {
    const bar = this.bars.get(stage);
    if (bar) bar.update(bar.getTotal());
  }

  log(line: string): void {
    // MultiBar.log only flushes on a TTY redraw.
    if (process.stdout.isTTY) this.multi.log(`${line}\n`);
    else console.log(line);
  }

  stop(): void {
    if (this.owned) this.multi.stop();
  }
}
