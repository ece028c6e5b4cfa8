import { MESH_NAME_PATTERN } from '../names';

/** JSON Schema fragments shared by the message schemas (draft 2020-12). */
export const SCHEMA_DIALECT = 'https://json-schema.org/draft/2020-12/schema';

export const nameSchema = { type: 'string', minLength: 1, pattern: MESH_NAME_PATTERN.source } as const;
/** A run id: it becomes a Redis hash tag and a URL segment, so no braces, slashes or spaces. */
export const RUN_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;
export const runIdSchema = { type: 'string', pattern: RUN_ID_PATTERN.source } as const;
export const assignmentIdSchema = { type: 'string', minLength: 1, maxLength: 256 } as const;
export const epochMsSchema = { type: 'integer', minimum: 0 } as const;
export const attemptSchema = { type: 'integer', minimum: 1 } as const;
export const timeoutMsSchema = { type: 'integer', minimum: 1, maximum: 86_400_000 } as const;

/** A runner's hardware snapshot, as relayed in submissions and registrations; see the env runner's `/hardware`. */
export const hardwareSchema = { type: ['object', 'null'] } as const;

/** Epoch milliseconds. */
export type EpochMs = number;

/** What a runner reports of its machine (see the env runner's /hardware). Unknown facts are null; producers may add fields. */
export interface HardwareSnapshot {
  readonly runnerId?: string;
  readonly cpu?: {
    readonly vendor?: string;
    readonly model?: string;
    readonly physicalCores?: number;
    readonly logicalCores?: number;
    readonly arch?: string;
  } | null;
  readonly memory?: { readonly totalBytes?: number } | null;
  readonly gpus?: ReadonlyArray<{
    readonly index: number;
    readonly vendor?: string;
    readonly model?: string;
    readonly vramBytes?: number | null;
    readonly driver?: string | null;
    readonly busId?: string | null;
  }>;
  readonly os?: {
    readonly platform?: string;
    readonly distro?: string;
    readonly release?: string;
    readonly kernel?: string;
    readonly hostname?: string;
  } | null;
  readonly collectedAt?: EpochMs;
  readonly errors?: readonly string[];
}
