// Proves capability tokens are unguessable base64url strings and that tokenMatches accepts only the exact token.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { hashToken, mintToken, tokenMatches } from '../../server/auth/capabilities.js';

const BASE64URL = /^[A-Za-z0-9_-]+$/;
/** The floor (docs/protocol.md, Words): 128 bits, which is at least 22 base64url characters. */
const MIN_TOKEN_BITS = 128;
const MIN_TOKEN_CHARS = Math.ceil(MIN_TOKEN_BITS / 6);
const MINTS = 1000;

describe('mintToken', () => {
  const tokens = Array.from({ length: MINTS }, () => mintToken());

  test('tokens are unpadded base64url', () => {
    for (const token of tokens) assert.match(token, BASE64URL);
  });

  test(`tokens carry at least ${MIN_TOKEN_BITS} bits (≥ ${MIN_TOKEN_CHARS} base64url characters)`, () => {
    for (const token of tokens) {
      assert.ok(token.length >= MIN_TOKEN_CHARS, `token of only ${token.length} characters`);
      assert.ok(Buffer.from(token, 'base64url').length * 8 >= MIN_TOKEN_BITS);
    }
  });

  test(`${MINTS} mints are all distinct`, () => {
    assert.equal(new Set(tokens).size, MINTS);
  });

  test('tokens are not trivially patterned (every base64url character position varies)', () => {
    // A constant prefix or counter would show up as a position that never changes across mints.
    const length = tokens[0]!.length;
    for (let position = 0; position < length - 1; position++) {
      const seen = new Set(tokens.map((token) => token[position]));
      assert.ok(seen.size > 16, `position ${position} took only ${seen.size} values`);
    }
  });
});

describe('tokenMatches', () => {
  const token = mintToken();
  const stored = hashToken(token);

  /** Swaps the last character for one that decodes to the same bytes when its low padding bits are ignored. */
  function lastCharVariant(value: string): string {
    const last = value.at(-1)!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const index = alphabet.indexOf(last);
    return value.slice(0, -1) + alphabet[index ^ 1]!;
  }

  test('the right token matches', () => {
    assert.equal(tokenMatches(token, stored), true);
  });

  test('a different minted token does not match', () => {
    assert.equal(tokenMatches(mintToken(), stored), false);
  });

  test('a prefix of the token does not match', () => {
    assert.equal(tokenMatches(token.slice(0, -1), stored), false);
    assert.equal(tokenMatches(token.slice(0, MIN_TOKEN_CHARS), stored), false);
  });

  test('the token with extra characters appended does not match', () => {
    assert.equal(tokenMatches(`${token}A`, stored), false);
  });

  test('the empty string does not match', () => {
    assert.equal(tokenMatches('', stored), false);
  });

  test('a token differing only in the last character does not match', () => {
    const variant = lastCharVariant(token);
    assert.notEqual(variant, token);
    assert.equal(variant.length, token.length);
    assert.equal(tokenMatches(variant, stored), false);
  });

  test('case matters', () => {
    const flipped = token.replace(/[a-z]/, (ch) => ch.toUpperCase());
    assert.notEqual(flipped, token, 'the minted token holds a lowercase letter');
    assert.equal(tokenMatches(flipped, stored), false);
  });

  test('the stored hash does not contain the token', () => {
    assert.equal(stored.includes(Buffer.from(token, 'utf8')), false);
    assert.equal(stored.toString('base64url').includes(token), false);
  });
});
