import { listenAddressFor } from './loopback';

describe('listen address without tokens', () => {
  it('when no token is configured, any non-loopback host becomes 127.0.0.1 on the same port', () => {
    expect(listenAddressFor({ host: undefined, port: 9097 }, false)).toEqual({ host: '127.0.0.1', port: 9097 });
    expect(listenAddressFor({ host: '0.0.0.0', port: 1 }, false)).toEqual({ host: '127.0.0.1', port: 1 });
    expect(listenAddressFor({ host: '10.1.2.3', port: 1 }, false)).toEqual({ host: '127.0.0.1', port: 1 });
  });

  it('when no token is configured but the host is loopback, it is kept', () => {
    for (const host of ['127.0.0.1', '127.0.0.2', '::1', 'localhost'])
      expect(listenAddressFor({ host, port: 0 }, false)).toEqual({ host, port: 0 });
  });

  it('when tokens are configured, the configured address is used as it is', () => {
    expect(listenAddressFor({ host: undefined, port: 9097 }, true)).toEqual({ host: undefined, port: 9097 });
  });
});
