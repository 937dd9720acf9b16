import type { RunMode, RunView, SparkCheckReport } from '../../../../schema/protocol.ts';
import { keyLabel, reviewKeys } from '../editor/keys.ts';
import { renderReply } from '../nav/reply-markdown.ts';
import { h, mount } from '../ui/dom.ts';
import type { HunkEntry } from './hunk-index.ts';

export interface SparkPanelModel {
  configured: boolean;
  model: string | null;
  canPrompt: boolean;
  /** may redirect (steer) runs */
  canSteer: boolean;
  /** may stop runs (by default everyone in the room, viewers too) */
  canStop: boolean;
  canAccept: boolean;
  /** may test the model connection (owners, OPS-12) */
  canCheck: boolean;
  /** "src/a.ts, lines 3-7": what a prompt will be about */
  context: string | null;
  runs: RunView[];
  /** pending suggestions per run: all, and how many can be accepted now */
  pending: Map<string, { total: number; acceptable: number }>;
  /** each run's open hunks, placed (file:line), for the links in its card */
  hunks: Map<string, HunkEntry[]>;
  nameOf(userId: string): string;
}

export interface SparkPanelActions {
  /** a new run; `followUp` continues a finished run's conversation, `mode: 'ask'` wants no edit (NAV-20, NAV-21) */
  ask(prompt: string, opts?: { mode?: RunMode; followUp?: string }): Promise<void>;
  stop(runId: string): void;
  steer(runId: string, text: string, mode: 'now' | 'queue'): Promise<void>;
  acceptRun(runId: string): void;
  rejectRun(runId: string): void;
  /** decides one suggestion (the rename and delete cards, AGENT-17) */
  accept(suggestionId: string): void;
  reject(suggestionId: string): void;
  /** opens the hunk's file, puts the cursor on it and scrolls it into view */
  jump(suggestionId: string): void;
  /** runs the server's connection check (OPS-10); rejects with a sentence when the request failed */
  checkSpark(): Promise<SparkCheckReport>;
}

const live = (r: RunView) => r.status === 'queued' || r.status === 'streaming';

function fmtMs(ms: number | null): string {
  if (ms === null) return '–';
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/** The Spark panel: the prompt box, and every run with its state, metrics and controls. */
export class SparkPanel {
  private readonly form: HTMLFormElement;
  private readonly textarea: HTMLTextAreaElement;
  private readonly contextLine: HTMLElement;
  private readonly notice: HTMLElement;
  private readonly list: HTMLElement;
  private readonly askButton: HTMLButtonElement;
  private readonly questionButton: HTMLButtonElement;
  private readonly checkButton: HTMLButtonElement;
  private readonly checkResult: HTMLElement;
  private readonly cards = new Map<string, RunCard>();
  private model: SparkPanelModel | null = null;
  private sending = false;

  constructor(
    host: HTMLElement,
    private readonly actions: SparkPanelActions,
  ) {
    this.textarea = h('textarea', {
      class: 'prompt-input',
      rows: 3,
      placeholder: 'Ask Spark to change the code…',
      'aria-label': 'Prompt for Spark',
    });
    this.askButton = h('button', { class: 'btn primary', type: 'submit' }, 'Ask Spark');
    // NAV-21: a question that needs no edit ("explain this selection"): answered in prose only.
    this.questionButton = h(
      'button',
      {
        class: 'btn ghost ask-question-btn',
        type: 'button',
        title: 'Ask a question that needs no edit: Spark answers in the panel and changes nothing',
        on: { click: () => this.submit(null, 'ask') },
      },
      'Just ask',
    );
    this.contextLine = h('div', { class: 'prompt-context' });
    this.notice = h('div', { class: 'notice', hidden: true, role: 'alert' });
    this.form = h(
      'form',
      { class: 'prompt-form', on: { submit: (e) => this.submit(e) } },
      this.textarea,
      h('div', { class: 'prompt-row' }, this.contextLine, this.questionButton, this.askButton),
    );
    this.textarea.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && (e.metaKey || e.ctrlKey)) this.form.requestSubmit();
    });
    this.list = h('div', { class: 'runs' });
    this.checkButton = h(
      'button',
      {
        class: 'btn small spark-check-button',
        type: 'button',
        hidden: true,
        title: 'Call the model with a tiny request and say what works',
        on: { click: () => void this.runCheck() },
      },
      'Test Spark',
    );
    this.checkResult = h('div', { class: 'spark-check', hidden: true, role: 'status' });
    mount(
      host,
      h(
        'div',
        { class: 'panel-head' },
        h('span', { class: 'panel-title spark-title' }, '✦ Spark'),
        h(
          'span',
          { class: 'panel-head-end' },
          h('span', { class: 'muted small model-name' }),
          this.checkButton,
        ),
      ),
      this.checkResult,
      this.notice,
      this.form,
      h(
        'p',
        { class: 'keys-hint' },
        `Review: ${keyLabel(reviewKeys.accept)} accept · ${keyLabel(reviewKeys.reject)} reject · ${keyLabel(reviewKeys.next)} next · ${keyLabel(reviewKeys.stop)} stop Spark`,
      ),
      this.list,
    );
  }

  /** Shows a problem with asking (not configured, failed request) above the prompt box. */
  showNotice(message: string | null, kind: 'error' | 'info' = 'error'): void {
    this.notice.hidden = message === null;
    this.notice.className = kind === 'info' ? 'notice info' : 'notice';
    this.notice.textContent = message ?? '';
  }

  /** OPS-12: the owner's connection test, its answer drawn as a list of steps in plain words. */
  private async runCheck(): Promise<void> {
    this.checkButton.disabled = true;
    this.checkButton.textContent = 'Testing…';
    this.checkResult.hidden = false;
    mount(this.checkResult, h('p', { class: 'muted small' }, 'Calling the model with a tiny request…'));
    try {
      const report = await this.actions.checkSpark();
      mount(this.checkResult, ...checkReportView(report, () => this.closeCheck()));
    } catch (err) {
      mount(
        this.checkResult,
        h('p', { class: 'spark-check-advice' }, (err as Error).message),
        h('button', { class: 'btn small', type: 'button', on: { click: () => this.closeCheck() } }, 'Close'),
      );
    } finally {
      this.checkButton.disabled = false;
      this.checkButton.textContent = 'Test Spark';
    }
  }

  private closeCheck(): void {
    this.checkResult.hidden = true;
    mount(this.checkResult);
  }

  render(model: SparkPanelModel): void {
    this.model = model;
    this.checkButton.hidden = !model.canCheck;
    if (!model.canCheck) this.closeCheck();
    const modelName = this.form.parentElement?.querySelector('.model-name');
    if (modelName) modelName.textContent = model.model ?? '';
    const disabled = !model.configured || !model.canPrompt;
    this.textarea.disabled = disabled;
    this.askButton.disabled = disabled || this.sending;
    this.questionButton.disabled = disabled || this.sending;
    if (!model.configured) {
      this.showNotice(
        'Spark is not configured on this server: set SPARK_BASE_URL / SPARK_API_KEY and restart it. Editing together works without it.',
        'info',
      );
    } else if (!model.canPrompt) {
      this.textarea.placeholder = 'Viewers can watch Spark but not ask it.';
    }
    this.contextLine.textContent = model.context ? `About ${model.context}` : 'About the whole room';
    const ids = new Set(model.runs.map((r) => r.id));
    for (const [id, card] of this.cards) {
      if (!ids.has(id)) {
        card.el.remove();
        this.cards.delete(id);
      }
    }
    let previous: Element | null = null;
    for (const run of model.runs) {
      let card = this.cards.get(run.id);
      if (!card) {
        card = new RunCard(this.actions);
        this.cards.set(run.id, card);
      }
      card.update(run, model);
      // Keep newest first without re-creating cards (a half-typed redirect must survive updates).
      const want: Element | null = previous ? previous.nextElementSibling : this.list.firstElementChild;
      if (want !== card.el) this.list.insertBefore(card.el, want);
      previous = card.el;
    }
    if (model.runs.length === 0 && !this.list.querySelector('.runs-empty')) {
      this.list.append(
        h(
          'p',
          { class: 'runs-empty muted' },
          'No runs yet. Select some code and ask Spark for a change; everyone here watches it being written.',
        ),
      );
    } else if (model.runs.length > 0) this.list.querySelector('.runs-empty')?.remove();
  }

  private submit(e: Event | null, mode: RunMode = 'edit'): void {
    e?.preventDefault();
    const prompt = this.textarea.value.trim();
    if (!prompt || this.sending) return;
    this.sending = true;
    this.askButton.disabled = true;
    this.showNotice(null);
    this.actions.ask(prompt, { mode }).then(
      () => {
        this.sending = false;
        this.textarea.value = '';
        if (this.model) this.render(this.model);
      },
      (err: unknown) => {
        this.sending = false;
        this.showNotice(err instanceof Error ? err.message : String(err));
        if (this.model) this.render(this.model);
      },
    );
  }
}

class RunCard {
  readonly el: HTMLElement;
  private readonly steerInput: HTMLInputElement;
  private readonly body: HTMLElement;
  private readonly controls: HTMLElement;
  private readonly hunkList: HTMLElement;
  private readonly reply: HTMLElement;
  private readonly followForm: HTMLFormElement;
  private readonly followInput: HTMLInputElement;
  private replyText: string | null = null;
  private run: RunView | null = null;
  private controlsKey = '';
  private pendingKey = '';
  private hunksKey = '';

  constructor(private readonly actions: SparkPanelActions) {
    this.steerInput = h('input', {
      class: 'steer-input',
      placeholder: 'Redirect Spark…',
      'aria-label': 'Redirect Spark',
    });
    this.body = h('div', { class: 'run-body' });
    this.controls = h('div', { class: 'run-controls' });
    this.hunkList = h('ul', { class: 'run-hunks', 'aria-label': 'Hunks of this run' });
    // NAV-22: the reply in full, as Markdown, while it streams.
    this.reply = h('div', { class: 'run-reply markdown', 'aria-label': 'Spark’s reply', hidden: true });
    // NAV-20: a follow-up keeps this run's conversation.
    this.followInput = h('input', {
      class: 'follow-up-input',
      placeholder: 'Follow up…',
      'aria-label': 'Follow-up question or request for Spark',
    });
    const sendFollowUp = (mode: RunMode) => {
      const text = this.followInput.value.trim();
      const run = this.run;
      if (!text || !run) return;
      this.actions.ask(text, { followUp: run.id, mode }).then(
        () => {
          this.followInput.value = '';
        },
        () => undefined, // the panel shows the error; the text stays to send again
      );
    };
    this.followForm = h(
      'form',
      {
        class: 'follow-up-form',
        hidden: true,
        on: {
          submit: (e) => {
            e.preventDefault();
            sendFollowUp('ask');
          },
        },
      },
      this.followInput,
      h('button', { class: 'btn small', type: 'submit', title: 'Ask; Spark answers without editing' }, 'Ask'),
      h(
        'button',
        {
          class: 'btn small ghost',
          type: 'button',
          title: 'Ask Spark for an edit, keeping this conversation',
          on: { click: () => sendFollowUp('edit') },
        },
        'Edit',
      ),
    );
    this.el = h(
      'article',
      { class: 'run' },
      this.body,
      this.reply,
      this.hunkList,
      this.controls,
      this.followForm,
    );
  }

  update(run: RunView, model: SparkPanelModel): void {
    this.run = run;
    this.el.dataset.runId = run.id;
    this.el.dataset.status = run.status;
    const m = run.metrics;
    const pending = model.pending.get(run.id) ?? { total: 0, acceptable: 0 };
    mount(
      this.body,
      h(
        'div',
        { class: 'run-head' },
        h('span', { class: `status status-${run.status}` }, run.status),
        h('span', { class: 'run-who' }, `${run.requestedByName || model.nameOf(run.requestedBy)} asked`),
        run.parentRunId &&
          h('span', { class: 'run-tag', title: 'continues an earlier conversation' }, 'follow-up'),
        run.mode === 'ask' && h('span', { class: 'run-tag', title: 'a question: no edits' }, 'question'),
        run.file && h('span', { class: 'run-file', title: run.file }, run.file),
      ),
      h('p', { class: 'run-prompt' }, run.prompt),
      ...run.steers.map((s) =>
        h(
          'p',
          { class: 'run-steer' },
          `↳ ${model.nameOf(s.by)} (${s.mode === 'now' ? 'redirected' : 'queued'}): ${s.text}`,
        ),
      ),
      h(
        'div',
        { class: 'run-metrics' },
        h('span', { title: 'time to first token' }, `TTFT ${fmtMs(m.ttftMs)}`),
        h(
          'span',
          null,
          m.tokensPerSecond === null ? '– tok/s' : `${Math.round(m.tokensPerSecond).toLocaleString()} tok/s`,
        ),
        h('span', null, `${m.tokens.toLocaleString()} tokens`),
        m.interruptToQuiescenceMs !== null &&
          h(
            'span',
            { title: 'from Stop to the last change' },
            `stopped in ${fmtMs(m.interruptToQuiescenceMs)}`,
          ),
      ),
      run.interruptedBy && h('p', { class: 'run-note' }, `Stopped by ${model.nameOf(run.interruptedBy)}.`),
      run.error && h('p', { class: 'run-error', role: 'alert' }, `Spark failed: ${run.error}`),
      ...run.unanchored.map((u) =>
        h('p', { class: 'run-note warn' }, `An edit to ${u.file} could not be placed: ${u.reason}`),
      ),
    );
    if (run.message !== this.replyText) {
      this.replyText = run.message;
      this.reply.hidden = run.message === '';
      renderReply(this.reply, run.message);
    }
    this.followForm.hidden = live(run) || !model.canPrompt || !model.configured;
    this.el.dataset.parentRunId = run.parentRunId ?? '';
    this.renderHunks(model.hunks.get(run.id) ?? [], model.canAccept);
    // Controls are rebuilt only when what they offer changes: rebuilding them on every streamed frame
    // would pull a button out from under a click, and the focus out of a half-typed redirect.
    const key = `${run.id}|${run.status}|${model.canStop}|${model.canSteer}`;
    if (key === this.controlsKey) {
      this.refreshPendingButtons(pending, model);
      return;
    }
    this.controlsKey = key;
    const controls: (HTMLElement | false)[] = [];
    if (live(run) && model.canStop) {
      controls.push(
        h(
          'button',
          {
            class: 'btn danger small stop-btn',
            title: `Stop Spark (${keyLabel(reviewKeys.stop)})`,
            on: { click: () => this.actions.stop(run.id) },
          },
          'Stop',
        ),
      );
    }
    if (live(run) && model.canSteer) {
      controls.push(
        h(
          'form',
          {
            class: 'steer-form',
            on: {
              submit: (e) => {
                e.preventDefault();
                this.sendSteer('now');
              },
            },
          },
          this.steerInput,
          h(
            'button',
            { class: 'btn small', type: 'submit', title: 'Stop and continue with this instruction' },
            'Steer now',
          ),
          h(
            'button',
            {
              class: 'btn small ghost',
              type: 'button',
              title: 'Run this after the current turn',
              on: { click: () => this.sendSteer('queue') },
            },
            'Queue',
          ),
        ),
      );
    }
    controls.push(h('div', { class: 'run-decide' }));
    mount(this.controls, ...controls);
    this.refreshPendingButtons(pending, model);
  }

  /**
   * WEB-13: the run's open hunks as links (file:line and state): a hunk far down a long file is one click
   * (or Enter) away, and a stale one says so here, not only in the editor. Rebuilt only when it changes.
   */
  private renderHunks(hunks: readonly HunkEntry[], canAccept: boolean): void {
    const key = `${canAccept}|${hunks.map((x) => `${x.id}:${x.line}:${x.state}`).join('|')}`;
    if (key === this.hunksKey) return;
    this.hunksKey = key;
    const stale = hunks.filter((x) => x.state === 'stale').length;
    mount(
      this.hunkList,
      ...hunks.map((x) =>
        x.fileOp
          ? this.fileOpCard(x, x.fileOp, canAccept)
          : h(
              'li',
              null,
              h(
                'button',
                {
                  class: 'hunk-link',
                  title: `Go to this hunk (${x.state})`,
                  dataset: { suggestionId: x.id },
                  on: { click: () => this.actions.jump(x.id) },
                },
                h(
                  'span',
                  { class: 'hunk-where' },
                  x.line === null ? `${x.file} (new file)` : `${x.file}:${x.line}`,
                ),
                h(
                  'span',
                  { class: `hunk-state hunk-state-${x.state}` },
                  x.state === 'interrupted' ? 'partial' : x.state,
                ),
              ),
            ),
      ),
      stale > 0 &&
        h(
          'li',
          { class: 'run-note warn' },
          `${stale === 1 ? 'One hunk is' : `${stale} hunks are`} stale: the code under ${stale === 1 ? 'it' : 'them'} changed since Spark wrote ${stale === 1 ? 'it' : 'them'}. Reject ${stale === 1 ? 'it' : 'them'} or ask again.`,
        ),
    );
  }

  /** AGENT-17: a rename or delete is a card of its own, "Rename a.ts → b.ts" / "Delete a.ts". */
  private fileOpCard(x: HunkEntry, op: NonNullable<HunkEntry['fileOp']>, canAccept: boolean): HTMLElement {
    const what = op.kind === 'rename' ? `Rename ${x.file} → ${op.to}` : `Delete ${x.file}`;
    const decidable = x.state === 'proposed';
    return h(
      'li',
      { class: `file-op file-op-${op.kind}`, dataset: { suggestionId: x.id } },
      h('span', { class: 'file-op-what' }, what),
      x.state !== 'proposed' &&
        h(
          'span',
          { class: `hunk-state hunk-state-${x.state}` },
          x.state === 'interrupted' ? 'partial' : x.state,
        ),
      canAccept &&
        decidable &&
        h('button', { class: 'btn small accept', on: { click: () => this.actions.accept(x.id) } }, 'Accept'),
      canAccept &&
        h('button', { class: 'btn small ghost', on: { click: () => this.actions.reject(x.id) } }, 'Reject'),
    );
  }

  private refreshPendingButtons(
    pending: { total: number; acceptable: number },
    model: SparkPanelModel,
  ): void {
    const run = this.run;
    const slot = this.controls.querySelector('.run-decide');
    if (!run || !slot) return;
    const key = `${run.id}|${model.canAccept}|${pending.total}|${pending.acceptable}`;
    if (key === this.pendingKey && slot.childElementCount > 0) return;
    this.pendingKey = key;
    if (!model.canAccept || pending.total === 0) {
      slot.replaceChildren();
      return;
    }
    mount(
      slot,
      h('span', { class: 'muted small' }, `${pending.total} pending`),
      // While Spark still streams nothing can be accepted yet: only rejecting is offered.
      pending.acceptable > 0 &&
        h(
          'button',
          { class: 'btn small accept', on: { click: () => this.actions.acceptRun(run.id) } },
          `Accept all (${pending.acceptable})`,
        ),
      h(
        'button',
        { class: 'btn small ghost', on: { click: () => this.actions.rejectRun(run.id) } },
        'Reject all',
      ),
    );
  }

  private sendSteer(mode: 'now' | 'queue'): void {
    const text = this.steerInput.value.trim();
    const run = this.run;
    if (!text || !run) return;
    this.actions.steer(run.id, text, mode).then(
      () => {
        this.steerInput.value = '';
      },
      () => {
        // The room page shows the error; the text stays so it can be sent again.
      },
    );
  }
}

const stepNames: Record<SparkCheckReport['steps'][number]['step'], string> = {
  configured: 'Configured',
  reachable: 'Reachable',
  key: 'API key',
  api: 'API mode',
  model: 'Model',
  streaming: 'Streaming',
};
const stepMarks: Record<SparkCheckReport['steps'][number]['status'], string> = {
  ok: '✓',
  failed: '✗',
  unknown: '?',
  skipped: '–',
};

/** The check's answer: a headline, one row per step, the speed and the advice. */
function checkReportView(report: SparkCheckReport, close: () => void): HTMLElement[] {
  const headline = report.ok
    ? 'Spark is connected.'
    : `Spark cannot work yet: ${stepNames[report.steps.find((s) => s.status === 'failed')?.step ?? 'configured']} failed.`;
  const parts: (HTMLElement | null)[] = [
    h('p', { class: `spark-check-headline ${report.ok ? 'ok' : 'failed'}` }, headline),
    h(
      'ul',
      { class: 'spark-check-steps' },
      ...report.steps.map((s) =>
        h(
          'li',
          { class: `spark-check-step ${s.status}`, dataset: { step: s.step, status: s.status } },
          h('span', { class: 'spark-check-mark', 'aria-hidden': 'true' }, stepMarks[s.status]),
          h('strong', null, stepNames[s.step]),
          h('span', { class: 'spark-check-detail' }, s.detail),
        ),
      ),
    ),
    report.ttftMs !== null
      ? h(
          'p',
          { class: 'spark-check-speed' },
          `First token after ${fmtMs(report.ttftMs)}${report.tokensPerSecond === null ? '' : ` · ${report.tokensPerSecond} tokens/s`}`,
        )
      : null,
    report.advice ? h('p', { class: 'spark-check-advice' }, `To fix: ${report.advice}`) : null,
    h('button', { class: 'btn small', type: 'button', on: { click: close } }, 'Close'),
  ];
  return parts.filter((e): e is HTMLElement => e !== null);
}
