import { MeshError } from '@mesh/errors';

/** Missing or unknown bearer token (401). */
export class UnauthorizedError extends MeshError {
  constructor() {
    super('MESH_UNAUTHORIZED', 'a valid bearer token is required', { status: 401 });
  }
}

/** A known token asked for something its tenant may not do (403). */
export class ForbiddenError extends MeshError {
  constructor(message: string) {
    super('MESH_FORBIDDEN', message, { status: 403 });
  }
}
