/** The room's file paths as a tree of folders and files, for the file tree's rows. */
export interface TreeNode {
  name: string;
  path: string;
  children: Map<string, TreeNode>;
  file: boolean;
}

export function buildTree(paths: readonly string[]): TreeNode {
  const root: TreeNode = { name: '', path: '', children: new Map(), file: false };
  for (const path of paths) {
    let node = root;
    const parts = path.split('/');
    parts.forEach((part, i) => {
      const childPath = parts.slice(0, i + 1).join('/');
      let child = node.children.get(part);
      if (!child) {
        child = { name: part, path: childPath, children: new Map(), file: i === parts.length - 1 };
        node.children.set(part, child);
      }
      node = child;
    });
  }
  return root;
}

/** Folders first, then files, each by name. */
export const sortNodes = (a: TreeNode, b: TreeNode) =>
  Number(a.file) - Number(b.file) || a.name.localeCompare(b.name);
