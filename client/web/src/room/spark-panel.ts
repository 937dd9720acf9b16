import type { RunMode } from '../../../../schema/protocol.ts';
import { keyLabel, reviewKeys } from '../editor/keys.ts';
import { h, mount } from '../ui/dom.ts';
import { RunCard } from './run-card.ts';
import { checkReportView } from './spark-check-view.ts';
import type { SparkPanelActions, SparkPanelModel } from './spark-panel-model.ts';

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
  /** the review keys this person may use (WEB-94) */
  private readonly keysHint: HTMLElement;
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
    this.keysHint = h('p', { class: 'keys-hint' }, keysHintText(false, false));
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
      this.keysHint,
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
    const hint = keysHintText(model.canAccept, model.canStop);
    if (this.keysHint.textContent !== hint) this.keysHint.textContent = hint;
    this.checkButton.hidden = !model.canCheck;
    if (!model.canCheck) this.closeCheck();
    const modelName = this.form.parentElement?.querySelector('.model-name');
    // Written only when changed: the panel renders every streamed frame, and each write replaced the text
    // node, so Chromium styled and laid out the panel again every frame (PERF-57).
    if (modelName && modelName.textContent !== (model.model ?? '')) modelName.textContent = model.model ?? '';
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
    const context = model.context ? `About ${model.context}` : 'About the whole room';
    if (this.contextLine.textContent !== context) this.contextLine.textContent = context;
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

/**
 * The review keys under the prompt box (WEB-94): only those the person may use, so a viewer is not told
 * "Alt+Y accept" by a room that refuses it, and the stop key goes when the owner narrows who may stop.
 */
export function keysHintText(canAccept: boolean, canStop: boolean): string {
  const keys = [
    ...(canAccept ? [`${keyLabel(reviewKeys.accept)} accept`, `${keyLabel(reviewKeys.reject)} reject`] : []),
    `${keyLabel(reviewKeys.next)} next`,
    ...(canStop ? [`${keyLabel(reviewKeys.stop)} stop Spark`] : []),
  ];
  return `Review: ${keys.join(' · ')}`;
}
