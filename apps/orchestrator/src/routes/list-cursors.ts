import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { isValidCursor } from '@mesh/run-state';

/** Who a cursor was made for: the workflow listed, and `*` (an admin) or the tenant whose runs were listed. */
export interface CursorScope {
  readonly workflow: string;
  readonly tenant: string | undefined;
}

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** The HKDF salt and info: fixed, so every orchestrator with the same tokens derives the same key. */
const SALT = 'mesh-orchestrator';
const INFO = 'list-cursor/v1 aes-256-gcm';

/**
 * The list cursors of `GET /workflows/{id}/runs`, sealed: the run index's own cursor (a run's submission
 * time and id) encrypted with AES-256-GCM under a random IV, bound to the workflow and the caller (admin,
 * or one tenant) as associated data. A caller learns nothing from a cursor (not the run it points at, which
 * may be another tenant's), and cannot make one: a changed, truncated or foreign cursor does not open.
 *
 * The key is derived with HKDF-SHA-256 from the configured tokens (their SHA-256 digests, sorted), so every
 * orchestrator with the same MESH_API_TOKEN / MESH_API_TOKENS opens the others' cursors; changing the
 * tokens invalidates the cursors handed out before (a client then starts again from the first page).
 */
export class ListCursors {
  private readonly key: Buffer;

  constructor(keyMaterial: Buffer) {
    this.key = Buffer.from(hkdfSync('sha256', keyMaterial, SALT, INFO, 32));
  }

  seal(scope: CursorScope, cursor: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(scopeOf(scope));
    const sealed = Buffer.concat([cipher.update(cursor, 'utf8'), cipher.final()]);
    return Buffer.concat([Buffer.of(VERSION), iv, cipher.getAuthTag(), sealed]).toString('base64url');
  }

  /** The run index's cursor inside `sealed`; undefined for anything this API did not seal for `scope`. */
  open(scope: CursorScope, sealed: string): string | undefined {
    if (!/^[A-Za-z0-9_-]+$/.test(sealed)) return undefined;
    const raw = Buffer.from(sealed, 'base64url');
    if (raw.length <= 1 + IV_BYTES + TAG_BYTES || raw[0] !== VERSION) return undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(1, 1 + IV_BYTES));
      decipher.setAAD(scopeOf(scope));
      decipher.setAuthTag(raw.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES));
      const cursor = Buffer.concat([
        decipher.update(raw.subarray(1 + IV_BYTES + TAG_BYTES)),
        decipher.final(),
      ]).toString('utf8');
      return isValidCursor(cursor) ? cursor : undefined;
    } catch {
      return undefined;
    }
  }
}

function scopeOf(scope: CursorScope): Buffer {
  return Buffer.from(JSON.stringify([scope.workflow, scope.tenant ?? '*']), 'utf8');
}
