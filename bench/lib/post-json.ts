/** POSTs `json` to `base + path` and reads the JSON answer; a refusal throws with its status and body. */
export async function postJson<T>(base: string, path: string, json: unknown): Promise<T> {
  const res = await fetch(base + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(json),
  });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}
