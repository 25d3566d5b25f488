import { describe, expect, it } from 'vitest';

import { authHeaders, getCookie, serverSettings, serverUrl, storeAccess } from './server';

describe('serverSettings', () => {
  it('reads baseUrl and token from the page config, resolved against the page', () => {
    const config = JSON.stringify({ baseUrl: '/user/astro/', token: 'abc', other: 1 });
    expect(serverSettings(config, 'https://hub.example/user/astro/lab/tree/x.ipynb')).toEqual({
      baseUrl: 'https://hub.example/user/astro/',
      token: 'abc'
    });
  });

  it('adds the trailing slash and defaults to the root without a token', () => {
    expect(serverSettings(JSON.stringify({ baseUrl: '/base' }), 'http://127.0.0.1:8888/lab')).toEqual({
      baseUrl: 'http://127.0.0.1:8888/base/',
      token: ''
    });
    expect(serverSettings(null, 'http://127.0.0.1:8888/lab')).toEqual({ baseUrl: 'http://127.0.0.1:8888/', token: '' });
    expect(serverSettings('not json', 'http://h/x')).toEqual({ baseUrl: 'http://h/', token: '' });
  });
});

describe('URLs', () => {
  const settings = { baseUrl: 'http://h:1/base/', token: 't0k' };

  it('encodes each part', () => {
    expect(serverUrl(settings, 'roman-lab', 'api', 'stores', 'a b/c')).toBe('http://h:1/base/roman-lab/api/stores/a%20b%2Fc');
  });

  it('gives the store URL with a trailing slash and the token header', () => {
    expect(storeAccess(settings, 'r1-abc')).toEqual({
      url: 'http://h:1/base/roman-lab/stores/r1-abc/',
      init: { headers: { Authorization: 'token t0k' }, credentials: 'same-origin' }
    });
    expect(storeAccess({ ...settings, token: '' }, 'x').init?.headers).toEqual({});
  });
});

describe('auth', () => {
  it('finds a cookie among others', () => {
    expect(getCookie('a=1; _xsrf=2|abc%7C; b=3', '_xsrf')).toBe('2|abc|');
    expect(getCookie('a=1', '_xsrf')).toBeUndefined();
    expect(getCookie('', '_xsrf')).toBeUndefined();
    expect(getCookie('x_xsrf=1', '_xsrf')).toBeUndefined();
  });

  it('sends the token, the XSRF cookie as X-XSRFToken and JSON content type', () => {
    expect(authHeaders({ baseUrl: '/', token: 'tk' }, '_xsrf=xyz', true)).toEqual({
      Authorization: 'token tk',
      'X-XSRFToken': 'xyz',
      'Content-Type': 'application/json'
    });
    expect(authHeaders({ baseUrl: '/', token: '' }, '')).toEqual({});
  });
});
