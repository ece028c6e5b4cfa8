/**
 * Base of every error Mesh raises on purpose. `code` is stable and machine-readable: callers and the
 * HTTP error middleware branch on it, never on the message. `status` is the HTTP status an error maps
 * to when it reaches a client; `details` are safe to show (never secrets, never stacks).
 */
export class MeshError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details: readonly string[];

  constructor(
    code: string,
    message: string,
    options: { status?: number; details?: readonly string[]; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = options.status ?? 500;
    this.details = Object.freeze([...(options.details ?? [])]);
  }
}

/** A setting (env var or flag) is missing or invalid; every problem is listed in `details`. */
export class ConfigError extends MeshError {
  constructor(details: readonly string[]) {
    super('MESH_CONFIG_INVALID', `invalid configuration: ${details.join('; ')}`, { status: 500, details });
  }
}

/** A request or message failed validation; `details` lists each problem. */
export class ValidationError extends MeshError {
  constructor(message: string, details: readonly string[], code = 'MESH_VALIDATION_FAILED') {
    super(code, message, { status: 400, details });
  }
}

/** A dependency the request needs (Redis) is not reachable right now. */
export class UnavailableError extends MeshError {
  constructor(message: string, cause?: unknown) {
    super('MESH_UNAVAILABLE', message, { status: 503, cause });
  }
}

/** The resource named by the request does not exist. */
export class NotFoundError extends MeshError {
  constructor(message: string) {
    super('MESH_NOT_FOUND', message, { status: 404 });
  }
}

export function isMeshError(value: unknown): value is MeshError {
  return value instanceof MeshError;
}
