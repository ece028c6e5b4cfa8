import { ConfigError, isMeshError, MeshError, NotFoundError, UnavailableError, ValidationError } from './mesh-error';

describe('MeshError', () => {
  it('when a subclass is thrown, it keeps its stable code, HTTP status, details and cause', () => {
    const cause = new Error('ECONNREFUSED');
    const errors = [
      new ValidationError('bad', ['a', 'b']),
      new NotFoundError('gone'),
      new UnavailableError('down', cause),
      new ConfigError(['X: bad', 'Y: bad']),
    ];
    expect(errors.map((e) => [e.name, e.code, e.status])).toEqual([
      ['ValidationError', 'MESH_VALIDATION_FAILED', 400],
      ['NotFoundError', 'MESH_NOT_FOUND', 404],
      ['UnavailableError', 'MESH_UNAVAILABLE', 503],
      ['ConfigError', 'MESH_CONFIG_INVALID', 500],
    ]);
    expect(errors[0]?.details).toEqual(['a', 'b']);
    expect(errors[2]?.cause).toBe(cause);
    expect(errors[3]?.message).toBe('invalid configuration: X: bad; Y: bad');
  });

  it("when details are given, later changes to the caller's array do not reach the error", () => {
    const details = ['a'];
    const err = new MeshError('MESH_X', 'x', { details });
    details.push('b');
    expect(err.details).toEqual(['a']);
    expect(Object.isFrozen(err.details)).toBe(true);
  });

  it('when a value is checked, only Mesh errors are recognised', () => {
    expect(isMeshError(new NotFoundError('x'))).toBe(true);
    expect(isMeshError(new Error('x'))).toBe(false);
    expect(isMeshError({ code: 'MESH_NOT_FOUND' })).toBe(false);
  });
});
