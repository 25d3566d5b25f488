import { describe, expect, it } from 'vitest';

import { errorMessage } from './server';

describe('errorMessage', () => {
  it("prefers the server's message", () => {
    expect(errorMessage(422, 'Unprocessable', { message: 'broken.asdf is truncated', status: 422 })).toBe(
      'broken.asdf is truncated'
    );
  });

  it('explains a 404 without a message and other statuses', () => {
    expect(errorMessage(404, 'Not Found', null)).toMatch(/server extension is not enabled/);
    expect(errorMessage(403, 'Forbidden', null)).toMatch(/403/);
    expect(errorMessage(500, 'Internal Server Error', 'x')).toBe('The server answered 500 Internal Server Error.');
    expect(errorMessage(502, '', null)).toBe('The server answered 502.');
  });
});
