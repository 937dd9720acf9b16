import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A key and a self-signed certificate in PEM, valid for 127.0.0.1 and localhost. */
export interface SelfSignedCert {
  key: string;
  cert: string;
}

let made: SelfSignedCert | null = null;

/**
 * A self-signed certificate for a local TLS server (a fake model API over https), made once per process with
 * the `openssl` command: Node can make the key pair but not sign an X.509 certificate. A client trusts it by
 * `ca: cert`, or a server process by NODE_EXTRA_CA_CERTS naming a file that holds it.
 */
export function selfSignedCert(): SelfSignedCert {
  if (made) return made;
  const dir = mkdtempSync(join(tmpdir(), 'sparkroom-cert-'));
  try {
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '2',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
        '-keyout',
        key,
        '-out',
        cert,
      ],
      { stdio: 'ignore' },
    );
    made = { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') };
    return made;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
