import { Zip, ZipDeflate } from 'fflate';
import {
  ALWAYS_SKIPPED_DIRS,
  decodeText,
  gitignoreDir,
  IgnoreRules,
  type ImportLimits,
  isGitignore,
  type SkippedFile,
} from '../../../../schema/import-rules.ts';

/** A file picked or dropped with its path inside the chosen folder. */
export interface PickedFile {
  path: string;
  file: File;
}

/**
 * Files of a dropped folder, read through the File System Entry API. Always-skipped folders
 * (node_modules, .git) are never entered, so dropping a project does not read its dependencies.
 */
export async function filesOfDrop(items: DataTransferItemList): Promise<PickedFile[] | null> {
  const roots: FileSystemEntry[] = [];
  for (const item of [...items]) {
    const entry = item.webkitGetAsEntry?.();
    if (entry) roots.push(entry);
  }
  if (roots.length === 0 || !roots.some((e) => e.isDirectory)) return null;
  const out: PickedFile[] = [];
  const walk = async (entry: FileSystemEntry, prefix: string): Promise<void> => {
    if (entry.isFile) {
      const file = await new Promise<File>((resolve, reject) =>
        (entry as FileSystemFileEntry).file(resolve, reject),
      );
      out.push({ path: prefix + entry.name, file });
      return;
    }
    if (!entry.isDirectory || ALWAYS_SKIPPED_DIRS.includes(entry.name)) return;
    const reader = (entry as FileSystemDirectoryEntry).createReader();
    for (;;) {
      const batch = await new Promise<FileSystemEntry[]>((resolve, reject) =>
        reader.readEntries(resolve, reject),
      );
      if (batch.length === 0) break;
      for (const child of batch) await walk(child, `${prefix}${entry.name}/`);
    }
  };
  // A single dropped folder is the project: its name is not part of the paths (as with the folder picker).
  if (roots.length === 1 && roots[0]!.isDirectory) {
    const reader = (roots[0] as FileSystemDirectoryEntry).createReader();
    for (;;) {
      const batch = await new Promise<FileSystemEntry[]>((resolve, reject) =>
        reader.readEntries(resolve, reject),
      );
      if (batch.length === 0) break;
      for (const child of batch) await walk(child, '');
    }
  } else for (const root of roots) await walk(root, '');
  return out;
}

/** Files of an <input webkitdirectory>: their paths without the chosen folder's own name. */
export function filesOfPicker(list: FileList): PickedFile[] {
  return [...list].map((file) => {
    const rel = file.webkitRelativePath || file.name;
    const slash = rel.indexOf('/');
    return { path: slash >= 0 ? rel.slice(slash + 1) : rel, file };
  });
}

export interface PackedFolder {
  zip: Blob;
  files: number;
  bytes: number;
  /** what stayed out here already (the server applies the same rules again) */
  skipped: SkippedFile[];
}

/**
 * Applies the shared import rules to picked files (so ignored, binary and oversized files are not even
 * sent) and zips the rest, yielding to the page between files so a big folder never freezes it.
 */
export async function packFolder(
  picked: PickedFile[],
  limits: ImportLimits,
  onProgress: (done: number, total: number) => void,
): Promise<PackedFolder> {
  const rules = new IgnoreRules();
  for (const p of picked) {
    if (isGitignore(p.path)) {
      const text = decodeText(new Uint8Array(await p.file.arrayBuffer()));
      if (text.ok) rules.add(gitignoreDir(p.path), text.text);
    }
  }
  const skipped: SkippedFile[] = [];
  const kept: PickedFile[] = [];
  for (const p of picked) {
    if (rules.ignores(p.path)) skipped.push({ path: p.path, reason: 'ignored' });
    else if (p.file.size > limits.maxFileBytes) skipped.push({ path: p.path, reason: 'too_large' });
    else kept.push(p);
  }
  const chunks: Uint8Array[] = [];
  const zip = new Zip((err, chunk) => {
    if (err) throw err;
    chunks.push(chunk);
  });
  let files = 0;
  let bytes = 0;
  let lastYield = performance.now();
  for (const [i, p] of kept.entries()) {
    const data = new Uint8Array(await p.file.arrayBuffer());
    const text = decodeText(data);
    if (!text.ok) {
      skipped.push({ path: p.path, reason: text.reason });
      continue;
    }
    const entry = new ZipDeflate(p.path, { level: 6 });
    zip.add(entry);
    entry.push(data, true);
    files++;
    bytes += data.length;
    if (performance.now() - lastYield > 30) {
      onProgress(i + 1, kept.length);
      await new Promise((resolve) => setTimeout(resolve, 0));
      lastYield = performance.now();
    }
  }
  zip.end();
  onProgress(kept.length, kept.length);
  return { zip: new Blob(chunks as BlobPart[], { type: 'application/zip' }), files, bytes, skipped };
}
