// Escape-sequence hygiene in the browser client's pure parts: window titles (D1) and link targets (D4's links).

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MaxTitleLength, sanitizeTitle } from '../../client/src/title.js';
import { LinkLimits, shownTarget, webLinkTarget } from '../../client/src/links.js';

describe('sanitizeTitle', () => {
  const cases: ReadonlyArray<[string, string, string]> = [
    ['plain text stays', 'vim README.md', 'vim README.md'],
    ['markup stays as text (it is shown with textContent)', '<img src=x onerror=alert(1)>', '<img src=x onerror=alert(1)>'],
    ['C0 controls go', 'a\x00b\x07c\x08d\x09e\x0af\x0dg\x1bh\x1fi', 'abcdefghi'],
    ['DEL and C1 controls go', 'a\x7fb\x80c\x9bd\x9ce\x9df', 'abcdef'],
    ['an escape sequence loses its ESC and is left inert', '\x1b[31mred\x1b]0;x\x07', '[31mred]0;x'],
    ['bidi overrides and isolates go', 'abc\u202egnp.exe\u2066x\u2069\u200e', 'abcgnp.exex'],
    ['line and paragraph separators go', 'a\u2028b\u2029c', 'abc'],
    ['surrounding space is trimmed', '  title  ', 'title'],
    ['only controls: empty', '\x1b\x07\x9c', ''],
  ];
  for (const [name, input, expected] of cases) {
    test(name, () => assert.equal(sanitizeTitle(input), expected));
  }

  test(`10 KB is cut to ${MaxTitleLength} characters`, () => {
    assert.equal(sanitizeTitle('x'.repeat(10 * 1024)), 'x'.repeat(MaxTitleLength));
  });

  test('the cap counts code points: no surrogate pair is cut in half', () => {
    const title = sanitizeTitle('😀'.repeat(MaxTitleLength + 5));
    assert.equal(Array.from(title).length, MaxTitleLength);
    assert.doesNotMatch(title, /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/, 'no lone surrogate');
  });
});

describe('webLinkTarget', () => {
  const opened: ReadonlyArray<[string, string]> = [
    ['https://example.com/', 'https://example.com/'],
    ['http://example.com/a?b=c#d', 'http://example.com/a?b=c#d'],
    ['HTTPS://EXAMPLE.COM/Path', 'https://example.com/Path'],
    ['http://127.0.0.1:7681/r/abc', 'http://127.0.0.1:7681/r/abc'],
    ['https://[::1]:8080/', 'https://[::1]:8080/'],
  ];
  for (const [input, expected] of opened) {
    test(`${JSON.stringify(input)} opens ${expected}`, () => assert.equal(webLinkTarget(input), expected));
  }

  const refused: readonly string[] = [
    'javascript:alert(1)',
    'JavaScript:alert(1)',
    ' javascript:alert(1)',
    'java\tscript:alert(1)',
    'java\nscript:alert(1)',
    '\x00javascript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'file:///etc/passwd',
    'vbscript:msgbox(1)',
    'blob:https://example.com/uuid',
    'ftp://example.com/',
    'ssh://example.com/',
    'about:blank',
    '//example.com/',
    '/r/abc',
    'example.com',
    '',
    'https://',
    'https://bank.example@evil.example/',
    'https://user:pass@example.com/',
    'https://example.com/\x1b]8;;\x07',
    'https://exa mple.com/',
    'https://example.com/\u0085',
  ];
  for (const input of refused) {
    test(`${JSON.stringify(input)} is refused`, () => assert.equal(webLinkTarget(input), undefined));
  }
});

describe('shownTarget', () => {
  test('a short target is shown whole', () => assert.equal(shownTarget('https://example.com/'), 'https://example.com/'));
  test('a long target is cut, and says so', () => {
    const long = `https://example.com/${'a'.repeat(10_000)}`;
    const shown = shownTarget(long);
    assert.equal(Array.from(shown).length, LinkLimits.MaxShownLength + 1);
    assert.ok(shown.endsWith('…'));
    assert.ok(long.startsWith(shown.slice(0, -1)));
  });
});
