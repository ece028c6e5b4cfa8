import { Writable } from 'node:stream';
import express from 'express';
import request from 'supertest';
import { NotFoundError, UnavailableError, ValidationError } from '@mesh/errors';
import { createLogger } from '@mesh/logging';
import { createServiceApp, finishApp } from '../src';

function silentLogger(lines: string[] = []) {
  return createLogger({
    service: 'test',
    destination: new Writable({ write: (c, _e, done) => (lines.push(String(c)), done()) }),
  });
}

describe('service app', () => {
  it('when /healthz is asked, it answers 200 without X-Powered-By even if readiness fails', async () => {
    const app = finishApp(
      createServiceApp({ service: 'svc', readiness: { redis: async () => false } }),
      silentLogger(),
    );
    const res = await request(app).get('/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok', service: 'svc' });
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it('when every readiness check passes, /readyz is 200; when one fails or throws, 503 naming it', async () => {
    let redisUp = true;
    const app = finishApp(
      createServiceApp({ service: 'svc', readiness: { redis: async () => redisUp, other: async () => true } }),
      silentLogger(),
    );
    expect((await request(app).get('/readyz')).body).toEqual({ status: 'ready', checks: { redis: 'ok', other: 'ok' } });
    redisUp = false;
    const res = await request(app).get('/readyz');
    expect(res.status).toBe(503);
    expect(res.body).toEqual({ status: 'not-ready', checks: { redis: 'failing', other: 'ok' } });
    const throwing = finishApp(
      createServiceApp({ service: 'svc', readiness: { redis: () => Promise.reject(new Error('x')) } }),
      silentLogger(),
    );
    expect((await request(throwing).get('/readyz')).status).toBe(503);
  });

  it('when the service is draining, /readyz is 503 draining', async () => {
    const app = finishApp(createServiceApp({ service: 'svc', isDraining: () => true }), silentLogger());
    const res = await request(app).get('/readyz');
    expect([res.status, res.body.status]).toEqual([503, 'draining']);
  });

  it('when a route is unknown, the answer is a JSON 404 with a stable code', async () => {
    const res = await request(finishApp(createServiceApp({ service: 'svc' }), silentLogger())).get('/nope');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: { code: 'MESH_ROUTE_NOT_FOUND', message: 'no route for GET /nope' } });
  });

  it('when a handler throws MeshErrors, each maps to its status and code with details and no stack', async () => {
    const app = createServiceApp({ service: 'svc' });
    app.get('/invalid', () => {
      throw new ValidationError('submission is invalid', ['/tasks: must not be empty', '/tenant: missing']);
    });
    app.get('/missing', () => {
      throw new NotFoundError('no such run');
    });
    app.get('/down', () => {
      throw new UnavailableError('redis is unavailable');
    });
    finishApp(app, silentLogger());
    const invalid = await request(app).get('/invalid');
    expect([invalid.status, invalid.body]).toEqual([
      400,
      {
        error: {
          code: 'MESH_VALIDATION_FAILED',
          message: 'submission is invalid',
          details: ['/tasks: must not be empty', '/tenant: missing'],
        },
      },
    ]);
    expect((await request(app).get('/missing')).status).toBe(404);
    expect((await request(app).get('/down')).body).toEqual({
      error: { code: 'MESH_UNAVAILABLE', message: 'redis is unavailable' },
    });
  });

  it('when a handler fails unexpectedly, the client gets a bare 500 and the log gets the error', async () => {
    const lines: string[] = [];
    const app = createServiceApp({ service: 'svc' });
    app.get('/boom', () => {
      throw new Error('secret internals at /srv/app.js:10');
    });
    finishApp(app, silentLogger(lines));
    const res = await request(app).get('/boom');
    expect([res.status, res.body]).toEqual([500, { error: { code: 'MESH_INTERNAL', message: 'internal error' } }]);
    expect(res.text).not.toContain('internals');
    expect(lines.join('')).toContain('secret internals');
  });

  it('when a JSON body is malformed or too large, the answer is 400 or 413 as JSON', async () => {
    const app = createServiceApp({ service: 'svc' });
    app.post('/in', express.json({ limit: 100 }), (_req, res) => {
      res.json({ ok: true });
    });
    finishApp(app, silentLogger());
    const bad = await request(app).post('/in').set('content-type', 'application/json').send('{nope');
    expect([bad.status, bad.body.error.code]).toEqual([400, 'MESH_BODY_MALFORMED']);
    const big = await request(app)
      .post('/in')
      .send({ text: 'x'.repeat(500) });
    expect([big.status, big.body.error.code]).toEqual([413, 'MESH_BODY_TOO_LARGE']);
  });
});
