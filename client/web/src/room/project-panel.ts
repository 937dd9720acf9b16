import {
  type ArchiveFormat,
  defaultImportLimits,
  formatOfFileName,
  type ImportLimits,
  type SkipReason,
  skipReasonText,
} from '../../../../schema/import-rules.ts';
import type { ImportResponse } from '../../../../schema/protocol.ts';
import type { SparkroomClient } from '../../../sdk/sparkroom-client.ts';
import { filesOfDrop, filesOfPicker, type PickedFile, packFolder } from '../project/folder-files.ts';
import { downloadArchive, uploadArchive } from '../project/transfer.ts';
import { describeError } from '../ui/describe-error.ts';
import { h, mount } from '../ui/dom.ts';
import { toast } from '../ui/toast.ts';

export interface ProjectPanelDeps {
  host: HTMLElement;
  /** the file tree's panel: folders and archives can be dropped on it */
  dropZone: HTMLElement;
  client: SparkroomClient;
  roomId: string;
  token: string;
  /** may bring code in now (read at each draw and drop: a freeze or the pen switches it, CLASS-29) */
  canWrite(): boolean;
}

type Upload = { body: Blob; format: ArchiveFormat; label: string };

/**
 * Code in and out of the room from the browser (WEB-25..WEB-28): drop a folder or an archive on the file
 * tree, or pick one; a progress bar while it is packed and sent; what came in, what stayed out and what
 * conflicted, with a way to replace the conflicting files; and Download as .zip or .tar.gz.
 */
export class ProjectPanel {
  private limits: ImportLimits = defaultImportLimits;
  private status: HTMLElement;
  private last: Upload | null = null;
  private busy = false;
  /** whether the upload buttons were drawn for someone who may write */
  private drawn: boolean;
  private readonly cleanups: (() => void)[] = [];

  constructor(private readonly deps: ProjectPanelDeps) {
    this.status = h('div', { class: 'io-status', 'aria-live': 'polite' });
    deps.client.importRules().then(
      (r) => {
        this.limits = r.limits;
      },
      () => undefined,
    );
    this.drawn = deps.canWrite();
    this.render();
    this.listenForDrops();
  }

  /** Draws the upload buttons again when whether this person may write changed since (CLASS-29). */
  refresh(): void {
    const canWrite = this.deps.canWrite();
    if (canWrite === this.drawn) return;
    this.drawn = canWrite;
    this.render();
  }

  private render(): void {
    const canWrite = this.drawn;
    const folderInput = h('input', { type: 'file', class: 'io-folder-input', hidden: true, multiple: true });
    folderInput.setAttribute('webkitdirectory', '');
    folderInput.addEventListener('change', () => {
      if (folderInput.files && folderInput.files.length > 0)
        void this.fromFiles(filesOfPicker(folderInput.files));
      folderInput.value = '';
    });
    const archiveInput = h('input', {
      type: 'file',
      class: 'io-archive-input',
      hidden: true,
      accept: '.zip,.tar.gz,.tgz,application/zip,application/gzip',
    });
    archiveInput.addEventListener('change', () => {
      const file = archiveInput.files?.[0];
      if (file) void this.fromArchive(file);
      archiveInput.value = '';
    });
    mount(
      this.deps.host,
      h(
        'div',
        { class: 'io-actions' },
        canWrite &&
          h(
            'button',
            {
              class: 'btn small',
              title: 'Upload a folder (its .gitignore is honoured)',
              on: { click: () => folderInput.click() },
            },
            'Upload folder',
          ),
        canWrite &&
          h(
            'button',
            {
              class: 'btn small ghost',
              title: 'Upload a .zip or .tar.gz',
              on: { click: () => archiveInput.click() },
            },
            'Archive',
          ),
        h(
          'button',
          {
            class: 'btn small io-download',
            title: 'Download the accepted code as a .zip',
            on: { click: () => void this.download('zip') },
          },
          'Download',
        ),
        h(
          'button',
          {
            class: 'btn small ghost io-download-tgz',
            title: 'Download as .tar.gz',
            on: { click: () => void this.download('tar.gz') },
          },
          '.tar.gz',
        ),
        folderInput,
        archiveInput,
      ),
      canWrite && h('p', { class: 'io-hint' }, 'Drop a folder or a .zip / .tar.gz on the files.'),
      this.status,
    );
  }

  private listenForDrops(): void {
    const zone = this.deps.dropZone;
    const over = (e: DragEvent) => {
      if (!e.dataTransfer?.types.includes('Files') || !this.deps.canWrite()) return;
      e.preventDefault();
      e.dataTransfer.dropEffect = 'copy';
      zone.classList.add('drop-target');
    };
    const leave = (e: DragEvent) => {
      if (e.relatedTarget instanceof Node && zone.contains(e.relatedTarget)) return;
      zone.classList.remove('drop-target');
    };
    const drop = (e: DragEvent) => {
      if (!e.dataTransfer?.types.includes('Files') || !this.deps.canWrite()) return;
      e.preventDefault();
      zone.classList.remove('drop-target');
      void this.fromDrop(e.dataTransfer);
    };
    zone.addEventListener('dragover', over);
    zone.addEventListener('dragleave', leave);
    zone.addEventListener('drop', drop);
    this.cleanups.push(() => {
      zone.removeEventListener('dragover', over);
      zone.removeEventListener('dragleave', leave);
      zone.removeEventListener('drop', drop);
    });
  }

  private async fromDrop(data: DataTransfer): Promise<void> {
    const files = [...data.files];
    const folder = await filesOfDrop(data.items);
    if (folder) return this.fromFiles(folder);
    const archive = files.length === 1 && formatOfFileName(files[0]!.name) ? files[0]! : null;
    if (archive) return this.fromArchive(archive);
    return this.fromFiles(files.map((file) => ({ path: file.name, file })));
  }

  private async fromFiles(picked: PickedFile[]): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      this.progress('Reading files', 0);
      const packed = await packFolder(picked, this.limits, (done, total) =>
        this.progress(`Reading files ${done} / ${total}`, total > 0 ? (done / total) * 0.3 : 0),
      );
      if (packed.files === 0) {
        this.showStatus(
          h('p', { class: 'io-result' }, 'Nothing to upload: every file was ignored, binary or too large.'),
        );
        return;
      }
      await this.send({ body: packed.zip, format: 'zip', label: `${packed.files} files` }, false, 0.3);
    } catch (err) {
      this.failed(err);
    } finally {
      this.busy = false;
    }
  }

  private async fromArchive(file: File): Promise<void> {
    const format = formatOfFileName(file.name);
    if (!format) {
      toast(`${file.name} is not a .zip or .tar.gz`, 'error');
      return;
    }
    if (this.busy) return;
    this.busy = true;
    try {
      await this.send({ body: file, format, label: file.name }, false, 0);
    } catch (err) {
      this.failed(err);
    } finally {
      this.busy = false;
    }
  }

  private async send(upload: Upload, overwrite: boolean, start: number): Promise<void> {
    this.last = upload;
    this.progress(`Uploading ${upload.label}`, start);
    const result = await uploadArchive(this.deps.roomId, this.deps.token, upload.body, upload.format, {
      overwrite,
      onProgress: (sent, total) =>
        this.progress(
          sent < total ? `Uploading ${upload.label}: ${mb(sent)} of ${mb(total)}` : 'Importing…',
          start + (1 - start) * (total > 0 ? sent / total : 1) * 0.98,
        ),
    });
    this.showResult(result);
  }

  private progress(label: string, fraction: number): void {
    const pct = Math.max(0, Math.min(100, Math.round(fraction * 100)));
    this.showStatus(
      h(
        'div',
        {
          class: 'io-progress',
          role: 'progressbar',
          'aria-valuenow': String(pct),
          'aria-valuemin': '0',
          'aria-valuemax': '100',
        },
        h('div', { class: 'io-progress-bar', style: `width:${pct}%` }),
        h('span', { class: 'io-progress-label' }, label),
      ),
    );
  }

  private showResult(r: ImportResponse): void {
    const came = r.created.length + r.updated.length;
    const parts = [`Imported ${came} file${came === 1 ? '' : 's'}`];
    if (r.unchanged.length > 0) parts.push(`${r.unchanged.length} unchanged`);
    if (r.skippedCount > 0) parts.push(`${r.skippedCount} stayed out`);
    if (r.conflicts.length > 0) parts.push(`${r.conflicts.length} already existed`);
    toast(parts.join(' · '), r.conflicts.length > 0 ? 'info' : 'success');
    const reasons = new Map<string, number>();
    for (const s of r.skipped) reasons.set(s.reason, (reasons.get(s.reason) ?? 0) + 1);
    this.showStatus(
      h(
        'div',
        { class: 'io-result' },
        h('p', null, parts.join(' · ')),
        r.conflicts.length > 0 &&
          h(
            'details',
            { class: 'io-conflicts', open: true },
            h('summary', null, `${r.conflicts.length} file(s) already in the room were left alone`),
            h('ul', null, ...r.conflicts.slice(0, 50).map((c) => h('li', { title: c.reason }, c.path))),
            h(
              'button',
              {
                class: 'btn small danger io-overwrite',
                on: {
                  click: () => {
                    const last = this.last;
                    if (!last) return;
                    this.busy = true;
                    this.send(last, true, 0)
                      .catch((err: unknown) => this.failed(err))
                      .finally(() => {
                        this.busy = false;
                      });
                  },
                },
              },
              'Replace these files',
            ),
          ),
        r.skipped.length > 0 &&
          h(
            'details',
            { class: 'io-skipped' },
            h('summary', null, `${r.skippedCount} stayed out`),
            h(
              'ul',
              null,
              ...r.skipped
                .slice(0, 100)
                .map((s) =>
                  h('li', null, `${s.path} — ${skipReasonText[s.reason as SkipReason] ?? s.reason}`),
                ),
            ),
          ),
      ),
    );
  }

  private failed(err: unknown): void {
    const message = describeError(err, 'import');
    this.showStatus(h('p', { class: 'io-result io-error', role: 'alert' }, message));
    toast(message, 'error');
  }

  private showStatus(node: HTMLElement): void {
    mount(this.status, node);
  }

  private async download(format: ArchiveFormat): Promise<void> {
    try {
      await downloadArchive(this.deps.roomId, this.deps.token, format);
    } catch (err) {
      toast(describeError(err, 'download'), 'error');
    }
  }

  destroy(): void {
    for (const c of this.cleanups) c();
  }
}

function mb(bytes: number): string {
  return bytes < 1024 * 1024 ? `${Math.round(bytes / 1024)} kB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
