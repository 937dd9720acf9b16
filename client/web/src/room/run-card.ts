import { type RunMode, type RunView, SERVER_ACTOR_ID } from '../../../../schema/protocol.ts';
import { keyLabel, reviewKeys } from '../editor/keys.ts';
import { renderReplyLater } from '../nav/reply-markdown-later.ts';
import { h, mount } from '../ui/dom.ts';
import { formatDuration, formatMs } from '../ui/duration.ts';
import { RunHunkList } from './run-hunks.ts';
import type { SparkPanelActions, SparkPanelModel } from './spark-panel-model.ts';

const live = (r: RunView) => r.status === 'queued' || r.status === 'streaming';

/**
 * WEB-106: what a stopped run's card says: who stopped it, if a person did, and how long it had run, from
 * the request to the stop. The run's `interruptToQuiescenceMs` metric is how long the stop took to settle
 * (a few milliseconds at most, since it is applied at once), not how long the run lasted: the card said
 * "stopped in 0 ms" for a run stopped after a minute. A run stopped with no end time recorded (a stored
 * run from before endedAt existed) says only who stopped it.
 */
export function stoppedNote(run: RunView, nameOf: (userId: string) => string): string {
  const after =
    run.endedAt === null || run.createdAt <= 0 ? '' : ` after ${formatDuration(run.endedAt - run.createdAt)}`;
  // WEB-126: the server stopped it as it shut down; no member has that id, so it read "stopped by someone".
  if (run.interruptedBy === SERVER_ACTOR_ID) return `Stopped${after}: the server shut down.`;
  const who = run.interruptedBy ? ` by ${nameOf(run.interruptedBy)}` : '';
  return `Stopped${who}${after}.`;
}

/**
 * One run in the Spark panel: who asked what, its state and metrics, the reply as it streams (NAV-22), its
 * suggestions (RunHunkList), Stop and Redirect while it runs, Accept all / Reject all, and a follow-up box
 * once it ended (NAV-20).
 */
export class RunCard {
  readonly el: HTMLElement;
  private readonly steerInput: HTMLInputElement;
  private readonly body: HTMLElement;
  private readonly controls: HTMLElement;
  private readonly hunkList: RunHunkList;
  private readonly reply: HTMLElement;
  private readonly followForm: HTMLFormElement;
  private readonly followInput: HTMLInputElement;
  private replyText: string | null = null;
  private run: RunView | null = null;
  private controlsKey = '';
  private bodyKey = '';
  private readonly ttft = h('span', { title: 'time to first token' });
  private readonly rate = h('span', null);
  private readonly tokens = h('span', null);
  private readonly metrics = h('div', { class: 'run-metrics' }, this.ttft, this.rate, this.tokens);
  private pendingKey = '';

  constructor(private readonly actions: SparkPanelActions) {
    this.steerInput = h('input', {
      class: 'steer-input',
      placeholder: 'Redirect Spark…',
      'aria-label': 'Redirect Spark',
    });
    this.body = h('div', { class: 'run-body' });
    this.controls = h('div', { class: 'run-controls' });
    this.hunkList = new RunHunkList(actions);
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
      this.hunkList.el,
      this.controls,
      this.followForm,
    );
  }

  private drawBody(run: RunView, model: SparkPanelModel): void {
    const m = run.metrics;
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
        // WEB-127: the file's own name (the path in its title): a path cut to fit read "sparkroom/server/…".
        run.file &&
          h('span', { class: 'run-file', title: run.file }, run.file.slice(run.file.lastIndexOf('/') + 1)),
        run.threadId &&
          h(
            'button',
            {
              class: 'link small run-thread-link',
              type: 'button',
              title: 'Show the review thread this was asked from',
              on: { click: () => run.threadId && this.actions.openThread(run.threadId) },
            },
            'from a thread',
          ),
      ),
      h('p', { class: 'run-prompt' }, run.prompt),
      ...run.steers.map((s) =>
        h(
          'p',
          { class: 'run-steer' },
          `↳ ${model.nameOf(s.by)} (${s.mode === 'now' ? 'redirected' : 'queued'}): ${s.text}`,
        ),
      ),
      this.metrics,
      run.status === 'interrupted' &&
        h(
          'p',
          {
            class: 'run-note run-stopped',
            title:
              m.interruptToQuiescenceMs === null
                ? 'from the request to the stop'
                : `from the request to the stop; the stop settled in ${formatMs(m.interruptToQuiescenceMs)}`,
          },
          stoppedNote(run, model.nameOf),
        ),
      run.error && h('p', { class: 'run-error', role: 'alert' }, `Spark failed: ${run.error}`),
      // CLASS-3: what tutor mode allowed this run, and what it refused.
      run.tutor &&
        h(
          'p',
          { class: 'run-note tutor-report' },
          `Tutor mode: ${run.tutor.usedLines} of ${run.tutor.maxChangedLines} lines changed` +
            (run.tutor.refused.length > 0
              ? `; ${run.tutor.refused.length} edit${run.tutor.refused.length === 1 ? '' : 's'} refused (${run.tutor.refused.map((r) => r.file).join(', ')})`
              : ''),
        ),
      ...run.unanchored.map((u) =>
        h('p', { class: 'run-note warn' }, `An edit to ${u.file} could not be placed: ${u.reason}`),
      ),
    );
  }

  update(run: RunView, model: SparkPanelModel): void {
    this.run = run;
    this.el.dataset.runId = run.id;
    this.el.dataset.status = run.status;
    const m = run.metrics;
    const pending = model.pending.get(run.id) ?? { total: 0, acceptable: 0 };
    // PERF-44: the metrics change every streamed frame and are updated in place; the rest of the card's
    // body is drawn again only when what it shows changed (drawing it every frame laid the panel out again).
    setText(this.ttft, `TTFT ${formatMs(m.ttftMs)}`);
    setText(
      this.rate,
      m.tokensPerSecond === null ? '– tok/s' : `${Math.round(m.tokensPerSecond).toLocaleString()} tok/s`,
    );
    setText(this.tokens, `${m.tokens.toLocaleString()} tokens`);
    const bodyKey = JSON.stringify([
      run.status,
      run.requestedByName || model.nameOf(run.requestedBy),
      run.parentRunId,
      run.mode,
      run.file,
      run.threadId,
      run.prompt,
      run.steers.map((x) => [model.nameOf(x.by), x.mode, x.text]),
      run.status === 'interrupted' && [stoppedNote(run, model.nameOf), m.interruptToQuiescenceMs],
      run.error,
      run.tutor,
      run.unanchored,
    ]);
    if (bodyKey !== this.bodyKey) {
      this.bodyKey = bodyKey;
      this.drawBody(run, model);
    }
    if (run.message !== this.replyText) {
      this.replyText = run.message;
      this.reply.hidden = run.message === '';
      renderReplyLater(this.reply, run.message);
    }
    this.followForm.hidden = live(run) || !model.canPrompt || !model.configured;
    this.el.dataset.parentRunId = run.parentRunId ?? '';
    this.hunkList.render(
      model.hunks.get(run.id) ?? [],
      model.decidedFileOps.get(run.id) ?? [],
      model.canAccept,
    );
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

function setText(el: HTMLElement, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}
