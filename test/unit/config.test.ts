// Proves options are read from argv, then TTYROOM_* variables, then defaults, and that bad input fails with a ConfigError naming its source.

import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { describe, test } from 'node:test';
import { inspect } from 'node:util';
import { ConfigDefaults, OPTIONS, helpText, parseConfig, parseShareArgs, splitCommandLine } from '../../server/config.js';
import { ConfigError } from '../../server/util/configError.js';
import { shutdownGraceMs } from '../../server/cli/shutdown.js';

/** A fixed environment so nothing from the machine running the tests leaks in. */
const ENV: NodeJS.ProcessEnv = { SHELL: '/bin/zsh' };
const CWD = resolve('/srv/ttyroom-test');

function configErrorFrom(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${inspect(error)}`);
    return error;
  }
  assert.fail('expected a ConfigError, but nothing was thrown');
}

describe('splitCommandLine', () => {
  const cases: ReadonlyArray<[string, string[]]> = [
    ['', []],
    ['   ', []],
    ['bash', ['bash']],
    ['bash -l', ['bash', '-l']],
    ['  bash   --norc  -i ', ['bash', '--norc', '-i']],
    ['a\tb\nc', ['a', 'b', 'c']],
    [`sh -c 'echo  "hi" $HOME \\n'`, ['sh', '-c', 'echo  "hi" $HOME \\n']],
    [`'it'\\''s'`, ["it's"]],
    [`''`, ['']],
    [`a '' b`, ['a', '', 'b']],
    [`a""b`, ['ab']],
    [`"two words"`, ['two words']],
    [`"a \\"b\\" \\\\ \\$x \\\`y\\\`"`, ['a "b" \\ $x `y`']],
    [`"keep \\n as is"`, ['keep \\n as is']],
    [`pre"mid dle"post`, ['premid dlepost']],
    ['a\\ b', ['a b']],
    ['\\"x', ['"x']],
    ["\\'x", ["'x"]],
    ['a\\\\b', ['a\\b']],
  ];
  for (const [line, expected] of cases) {
    test(`${inspect(line)} → ${inspect(expected)}`, () => {
      assert.deepEqual(splitCommandLine(line), expected);
    });
  }

  const failures: ReadonlyArray<[string, RegExp]> = [
    [`'abc`, /unclosed ' quote/],
    [`echo "abc`, /unclosed " quote/],
    [`"abc\\"`, /unclosed " quote/],
    ['abc\\', /lone backslash/],
    ['\\', /lone backslash/],
  ];
  for (const [line, message] of failures) {
    test(`${inspect(line)} throws a ConfigError (${message.source})`, () => {
      assert.match(configErrorFrom(() => splitCommandLine(line)).message, message);
    });
  }
});

describe('parseConfig', () => {
  test('defaults: loopback host, the ttyd port, the login shell as a login shell', () => {
    const { config, help, rest } = parseConfig([], ENV, CWD);
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.host, ConfigDefaults.Host);
    assert.equal(config.port, 7681);
    assert.equal(config.port, ConfigDefaults.Port);
    assert.deepEqual(config.command, ['/bin/zsh', '-l']);
    assert.equal(config.dataDir, resolve(CWD, ConfigDefaults.DataDir));
    assert.equal(config.cwd, CWD);
    assert.equal(config.scrollback, ConfigDefaults.Scrollback);
    assert.equal(config.exitedRoomTtlMs, ConfigDefaults.ExitedRoomTtlSeconds * 1000);
    assert.equal(config.killGraceMs, ConfigDefaults.KillGraceSeconds * 1000);
    assert.equal(help, false);
    assert.deepEqual(rest, []);
  });

  test('the login shell follows env.SHELL', () => {
    assert.deepEqual(parseConfig([], { SHELL: '/usr/bin/fish' }, CWD).config.command, ['/usr/bin/fish', '-l']);
  });

  test('--port 0 is accepted (pick a free port), not replaced by the default', () => {
    assert.equal(parseConfig(['--port', '0'], ENV, CWD).config.port, 0);
  });

  test('--port=8080 form', () => {
    assert.equal(parseConfig(['--port=8080'], ENV, CWD).config.port, 8080);
  });

  test('--port 65535 is the largest accepted port', () => {
    assert.equal(parseConfig(['--port', '65535'], ENV, CWD).config.port, 65535);
  });

  for (const bad of ['abc', '-1', '65536', '1.5', '', ' 80', '0x50', '1e3']) {
    test(`--port ${inspect(bad)} throws a ConfigError naming --port`, () => {
      assert.match(configErrorFrom(() => parseConfig(['--port', bad], ENV, CWD)).message, /--port\b/);
    });
  }

  test('an unknown option throws a ConfigError naming it', () => {
    assert.match(configErrorFrom(() => parseConfig(['--bogus', '1'], ENV, CWD)).message, /--bogus/);
  });

  test('a bare word outside `--` throws a ConfigError', () => {
    assert.match(configErrorFrom(() => parseConfig(['bash'], ENV, CWD)).message, /bash/);
  });

  for (const option of ['--port', '--host', '--command']) {
    test(`${option} without a value throws a ConfigError naming it`, () => {
      assert.match(configErrorFrom(() => parseConfig([option], ENV, CWD)).message, new RegExp(`${option}\\b`));
    });
  }

  test('--redis: off by default; a redis:// or rediss:// URL with --redis-expiry (or its default); TTYROOM_REDIS too', () => {
    assert.equal(parseConfig([], ENV, CWD).config.redis, undefined);
    assert.deepEqual(parseConfig(['--redis', 'redis://10.0.0.5:6379', '--redis-expiry', '2.5'], ENV, CWD).config.redis, { url: 'redis://10.0.0.5:6379', expiryMs: 2500 });
    assert.deepEqual(parseConfig([], { ...ENV, TTYROOM_REDIS: 'rediss://:secret@redis.internal:6380' }, CWD).config.redis, {
      url: 'rediss://:secret@redis.internal:6380',
      expiryMs: ConfigDefaults.RedisExpirySeconds * 1000,
    });
  });

  test('--redis that is not a Redis URL throws a ConfigError that does not repeat it (it may hold a password)', () => {
    const error = configErrorFrom(() => parseConfig(['--redis', 'http://user:hunter2@example.com'], ENV, CWD));
    assert.match(error.message, /--redis/);
    assert.doesNotMatch(error.message, /hunter2/);
    assert.match(configErrorFrom(() => parseConfig(['--redis', 'redis://x', '--redis-expiry', '0'], ENV, CWD)).message, /--redis-expiry/);
  });

  test('--node-url: where the other nodes forward room requests; an http(s) origin, and required when --host listens on every interface', () => {
    assert.equal(parseConfig(['--redis', 'redis://r:6379'], ENV, CWD).config.redis?.nodeUrl, undefined);
    assert.equal(parseConfig(['--redis', 'redis://r:6379', '--host', '10.0.0.11', '--allow-unauthenticated', '--node-url', 'http://10.0.0.11:7681/'], ENV, CWD).config.redis?.nodeUrl, 'http://10.0.0.11:7681');
    assert.equal(parseConfig(['--redis', 'redis://r:6379', '--host', '0.0.0.0', '--allow-unauthenticated', '--node-url', 'https://node-a.internal:7681'], ENV, CWD).config.redis?.nodeUrl, 'https://node-a.internal:7681');
    assert.match(configErrorFrom(() => parseConfig(['--redis', 'redis://r:6379', '--host', '0.0.0.0', '--allow-unauthenticated'], ENV, CWD)).message, /--node-url/);
    for (const bad of ['node-a:7681', 'ftp://node-a:21', 'http://node-a:7681/ttyroom', 'http://user@node-a:7681']) {
      assert.match(configErrorFrom(() => parseConfig(['--redis', 'redis://r:6379', '--node-url', bad], ENV, CWD)).message, /--node-url wants/, bad);
    }
  });

  test('--redis with --once, or with share, is refused in one line: one room that ends its server is not a cluster\'s', () => {
    assert.match(configErrorFrom(() => parseConfig(['--once', '--redis', 'redis://10.0.0.5:6379'], ENV, CWD)).message, /--once .*--redis/);
    assert.match(configErrorFrom(() => parseShareArgs(['--redis', 'redis://10.0.0.5:6379'], ENV, CWD)).message, /share .*--redis.*--server URL/);
    assert.match(configErrorFrom(() => parseShareArgs([], { ...ENV, TTYROOM_REDIS: 'redis://10.0.0.5:6379' }, CWD)).message, /TTYROOM_REDIS/);
    assert.equal(parseShareArgs([], ENV, CWD).config.redis, undefined, 'share alone is fine');
  });

  test('TTYROOM_PORT is used when no flag is given', () => {
    assert.equal(parseConfig([], { ...ENV, TTYROOM_PORT: '9000' }, CWD).config.port, 9000);
  });

  test('TTYROOM_PORT=0 is used, not replaced by the default', () => {
    assert.equal(parseConfig([], { ...ENV, TTYROOM_PORT: '0' }, CWD).config.port, 0);
  });

  test('a flag beats the environment', () => {
    const env = { ...ENV, TTYROOM_PORT: '9000', TTYROOM_HOST: '0.0.0.0' };
    const { config } = parseConfig(['--port', '0', '--host=::1'], env, CWD);
    assert.equal(config.port, 0);
    assert.equal(config.host, '::1');
  });

  test('a bad flag is reported even when the environment holds a good value', () => {
    const error = configErrorFrom(() => parseConfig(['--port', 'x'], { ...ENV, TTYROOM_PORT: '9000' }, CWD));
    assert.match(error.message, /--port\b/);
  });

  test('a bad environment value throws a ConfigError naming the variable', () => {
    const error = configErrorFrom(() => parseConfig([], { ...ENV, TTYROOM_PORT: 'seventy' }, CWD));
    assert.match(error.message, /TTYROOM_PORT/);
  });

  test('hyphenated options are read from underscored variables', () => {
    const env = {
      ...ENV,
      TTYROOM_DATA_DIR: 'state',
      TTYROOM_EXITED_ROOM_TTL: '60',
      TTYROOM_KILL_GRACE: '0.25',
      TTYROOM_SCROLLBACK: '500',
      TTYROOM_COMMAND: 'bash --norc',
    };
    const { config } = parseConfig([], env, CWD);
    assert.equal(config.dataDir, resolve(CWD, 'state'));
    assert.equal(config.exitedRoomTtlMs, 60_000);
    assert.equal(config.killGraceMs, 250);
    assert.equal(config.scrollback, 500);
    assert.deepEqual(config.command, ['bash', '--norc']);
  });

  test('a bad hyphenated environment value names its variable', () => {
    const error = configErrorFrom(() => parseConfig([], { ...ENV, TTYROOM_KILL_GRACE: 'soon' }, CWD));
    assert.match(error.message, /TTYROOM_KILL_GRACE/);
  });

  test('--command "bash --norc" is split into program and arguments', () => {
    assert.deepEqual(parseConfig(['--command', 'bash --norc'], ENV, CWD).config.command, ['bash', '--norc']);
  });

  test(`--command with quotes keeps a quoted argument whole`, () => {
    assert.deepEqual(parseConfig([`--command=sh -c 'echo "hi there"'`], ENV, CWD).config.command, ['sh', '-c', 'echo "hi there"']);
  });

  test('--command of only spaces throws: it names no program', () => {
    assert.match(configErrorFrom(() => parseConfig(['--command', '   '], ENV, CWD)).message, /--command/);
  });

  test('--command with an unclosed quote throws a ConfigError', () => {
    assert.match(configErrorFrom(() => parseConfig(['--command', `sh -c 'oops`], ENV, CWD)).message, /unclosed/);
  });

  test('--help and -h set help without failing', () => {
    assert.equal(parseConfig(['--help'], ENV, CWD).help, true);
    assert.equal(parseConfig(['-h'], ENV, CWD).help, true);
    assert.equal(parseConfig(['--port', '0', '--help'], ENV, CWD).help, true);
  });

  test('words after `--` go to rest and are not parsed as options', () => {
    const { config, rest } = parseConfig(['--port', '0', '--', 'vim', '-p', '--port', '1'], ENV, CWD);
    assert.deepEqual(rest, ['vim', '-p', '--port', '1']);
    assert.equal(config.port, 0);
  });

  test('a relative --data-dir is resolved against the given cwd, not process.cwd()', () => {
    assert.equal(parseConfig(['--data-dir', 'state/rooms'], ENV, CWD).config.dataDir, resolve(CWD, 'state/rooms'));
  });

  test('an absolute --data-dir is kept', () => {
    const absolute = resolve('/var/lib/ttyroom');
    assert.equal(parseConfig(['--data-dir', absolute], ENV, CWD).config.dataDir, absolute);
  });

  test('a relative --cwd is resolved against the given cwd', () => {
    assert.equal(parseConfig(['--cwd', 'projects'], ENV, CWD).config.cwd, resolve(CWD, 'projects'));
  });

  test('seconds options are converted to milliseconds', () => {
    const { config } = parseConfig(['--exited-room-ttl', '90', '--kill-grace=1.5'], ENV, CWD);
    assert.equal(config.exitedRoomTtlMs, 90_000);
    assert.equal(config.killGraceMs, 1_500);
  });

  test('seconds options accept 0 and the maximum, and refuse past it', () => {
    assert.equal(parseConfig(['--kill-grace', '0'], ENV, CWD).config.killGraceMs, 0);
    const max = String(ConfigDefaults.MaxSeconds);
    assert.equal(parseConfig(['--exited-room-ttl', max], ENV, CWD).config.exitedRoomTtlMs, ConfigDefaults.MaxSeconds * 1000);
    const error = configErrorFrom(() => parseConfig(['--exited-room-ttl', String(ConfigDefaults.MaxSeconds + 1)], ENV, CWD));
    assert.match(error.message, /--exited-room-ttl\b/);
  });

  for (const bad of ['-1', 'abc', '1e3', '.5', 'Infinity']) {
    test(`--kill-grace ${inspect(bad)} throws a ConfigError naming --kill-grace`, () => {
      assert.match(configErrorFrom(() => parseConfig(['--kill-grace', bad], ENV, CWD)).message, /--kill-grace\b/);
    });
  }

  test('--scrollback accepts its maximum and refuses one past it', () => {
    const max = ConfigDefaults.MaxScrollback;
    assert.equal(parseConfig(['--scrollback', String(max)], ENV, CWD).config.scrollback, max);
    assert.match(configErrorFrom(() => parseConfig(['--scrollback', String(max + 1)], ENV, CWD)).message, /--scrollback\b/);
  });

  test('an empty string option is refused', () => {
    assert.match(configErrorFrom(() => parseConfig(['--host='], ENV, CWD)).message, /--host\b/);
  });
});

describe('parseConfig: room policies', () => {
  test('defaults: 50 rooms, 10 per user, 100 members, 30 minutes idle, 12 hours lifetime', () => {
    const { config } = parseConfig([], ENV, CWD);
    assert.equal(config.maxRooms, 50);
    assert.equal(config.maxRoomsPerUser, 10);
    assert.equal(config.maxMembers, 100);
    assert.equal(config.idleTimeoutMs, 30 * 60 * 1000);
    assert.equal(config.lifetimeMs, 12 * 3600 * 1000);
    assert.equal(config.maxRooms, ConfigDefaults.MaxRooms);
    assert.equal(config.idleTimeoutMs, ConfigDefaults.IdleTimeoutSeconds * 1000);
  });

  test('flags set them, seconds become milliseconds', () => {
    const argv = ['--max-rooms', '5', '--max-rooms-per-user=2', '--max-members', '3', '--idle-timeout', '90', '--lifetime=0.5'];
    const { config } = parseConfig(argv, ENV, CWD);
    assert.deepEqual(
      [config.maxRooms, config.maxRoomsPerUser, config.maxMembers, config.idleTimeoutMs, config.lifetimeMs],
      [5, 2, 3, 90_000, 500],
    );
  });

  test('TTYROOM_* variables set them; a flag wins', () => {
    const env = {
      ...ENV,
      TTYROOM_MAX_ROOMS: '7',
      TTYROOM_MAX_ROOMS_PER_USER: '4',
      TTYROOM_MAX_MEMBERS: '8',
      TTYROOM_IDLE_TIMEOUT: '600',
      TTYROOM_LIFETIME: '3600',
    };
    const { config } = parseConfig(['--max-members', '9'], env, CWD);
    assert.deepEqual(
      [config.maxRooms, config.maxRoomsPerUser, config.maxMembers, config.idleTimeoutMs, config.lifetimeMs],
      [7, 4, 9, 600_000, 3_600_000],
    );
  });

  test('0 is accepted (no limit / never), not replaced by the default', () => {
    const argv = ['--max-rooms', '0', '--max-rooms-per-user', '0', '--max-members', '0', '--idle-timeout', '0', '--lifetime', '0'];
    const { config } = parseConfig(argv, ENV, CWD);
    assert.deepEqual([config.maxRooms, config.maxRoomsPerUser, config.maxMembers, config.idleTimeoutMs, config.lifetimeMs], [0, 0, 0, 0, 0]);
  });

  test('caps accept their maximum and refuse one past it', () => {
    assert.equal(parseConfig(['--max-rooms', String(ConfigDefaults.MaxCap)], ENV, CWD).config.maxRooms, ConfigDefaults.MaxCap);
    assert.match(configErrorFrom(() => parseConfig(['--max-members', String(ConfigDefaults.MaxCap + 1)], ENV, CWD)).message, /--max-members\b/);
  });

  for (const [option, bad] of [
    ['--max-rooms', '-1'], ['--max-rooms', '1.5'], ['--max-rooms-per-user', 'ten'], ['--max-members', '1e3'],
    ['--idle-timeout', '-5'], ['--idle-timeout', 'never'], ['--lifetime', 'Infinity'],
    ['--lifetime', String(ConfigDefaults.MaxSeconds + 1)],
  ] as const) {
    test(`${option} ${inspect(bad)} throws a ConfigError naming ${option}`, () => {
      assert.match(configErrorFrom(() => parseConfig([option, bad], ENV, CWD)).message, new RegExp(`${option}\\b`));
    });
  }

  test('a bad variable names itself', () => {
    assert.match(configErrorFrom(() => parseConfig([], { ...ENV, TTYROOM_MAX_ROOMS_PER_USER: 'x' }, CWD)).message, /TTYROOM_MAX_ROOMS_PER_USER/);
  });

  test('--help says that 0 means no limit', () => {
    for (const option of ['max-rooms', 'max-rooms-per-user', 'max-members', 'idle-timeout', 'lifetime']) {
      const line = helpText('serve').split('\n').find((candidate) => candidate.includes(`--${option} `));
      assert.match(line ?? '', /0 = (no limit|never)/, option);
    }
  });
});

describe('parseConfig: resume buffer', () => {
  test('defaults to 2 MiB of code units and reads KiB from the option or TTYROOM_RESUME_BUFFER', () => {
    assert.equal(parseConfig([], ENV, CWD).config.resumeBufferUnits, 2 * 1024 * 1024);
    assert.equal(parseConfig(['--resume-buffer', '64'], ENV, CWD).config.resumeBufferUnits, 64 * 1024);
    assert.equal(parseConfig([], { ...ENV, TTYROOM_RESUME_BUFFER: '0' }, CWD).config.resumeBufferUnits, 0);
  });

  for (const bad of ['-1', '1.5', '2M', String(ConfigDefaults.MaxResumeBufferKiB + 1)]) {
    test(`--resume-buffer ${inspect(bad)} throws a ConfigError naming the option`, () => {
      assert.match(configErrorFrom(() => parseConfig(['--resume-buffer', bad], ENV, CWD)).message, /--resume-buffer\b/);
    });
  }
});

describe('parseConfig: recording', () => {
  test('on by default, without input or chat, capped at 100 MiB, for owners only', () => {
    assert.deepEqual(parseConfig([], ENV, CWD).config.recording, {
      enabled: true, input: false, chat: false, maxBytes: 100 * 1024 * 1024, openToMembers: false,
    });
  });

  test('--no-record, --record-input, --record-chat, --max-recording-mb, --recordings-open-to-members and their variables', () => {
    const args = ['--no-record', '--record-input', '--record-chat', '--max-recording-mb', '5', '--recordings-open-to-members'];
    assert.deepEqual(parseConfig(args, ENV, CWD).config.recording, { enabled: false, input: true, chat: true, maxBytes: 5 * 1024 * 1024, openToMembers: true });
    const env = { ...ENV, TTYROOM_NO_RECORD: '1', TTYROOM_RECORD_INPUT: 'yes', TTYROOM_MAX_RECORDING_MB: '0' };
    assert.deepEqual(parseConfig([], env, CWD).config.recording, { enabled: false, input: true, chat: false, maxBytes: 0, openToMembers: false });
  });

  for (const bad of ['-1', '1.5', '10MB', String(ConfigDefaults.MaxRecordingMiB + 1)]) {
    test(`--max-recording-mb ${inspect(bad)} throws a ConfigError naming the option`, () => {
      assert.match(configErrorFrom(() => parseConfig(['--max-recording-mb', bad], ENV, CWD)).message, /--max-recording-mb\b/);
    });
  }
});

describe('shutdown, --once and --timeout options', () => {
  test('defaults: a 10 s shutdown deadline, --once off, no join timeout', () => {
    const { config } = parseConfig([], ENV, CWD);
    assert.equal(config.shutdownDeadlineMs, ConfigDefaults.ShutdownDeadlineSeconds * 1000);
    assert.equal(config.shutdownDeadlineMs, 10_000);
    assert.equal(config.once, false);
    assert.equal(config.joinTimeoutMs, 0);
  });

  test('--shutdown-deadline, --once and --timeout from flags', () => {
    const { config } = parseConfig(['--shutdown-deadline', '2.5', '--once', '--timeout=30'], ENV, CWD);
    assert.equal(config.shutdownDeadlineMs, 2_500);
    assert.equal(config.once, true);
    assert.equal(config.joinTimeoutMs, 30_000);
  });

  test('the same from TTYROOM_SHUTDOWN_DEADLINE, TTYROOM_ONCE and TTYROOM_TIMEOUT', () => {
    const env = { ...ENV, TTYROOM_SHUTDOWN_DEADLINE: '4', TTYROOM_ONCE: '1', TTYROOM_TIMEOUT: '0.5' };
    const { config } = parseConfig([], env, CWD);
    assert.equal(config.shutdownDeadlineMs, 4_000);
    assert.equal(config.once, true);
    assert.equal(config.joinTimeoutMs, 500);
  });

  test('--once takes no value, so the next word stays an option', () => {
    const { config } = parseConfig(['--once', '--port', '0'], ENV, CWD);
    assert.equal(config.once, true);
    assert.equal(config.port, 0);
    assert.match(configErrorFrom(() => parseConfig(['--once=yes'], ENV, CWD)).message, /--once takes no value/);
  });

  for (const [raw, expected] of [['1', true], ['true', true], ['YES', true], ['on', true], ['0', false], ['false', false], ['no', false], ['off', false], ['', false]] as const) {
    test(`TTYROOM_ONCE=${inspect(raw)} means ${expected}`, () => {
      assert.equal(parseConfig([], { ...ENV, TTYROOM_ONCE: raw }, CWD).config.once, expected);
    });
  }

  for (const bad of ['2', 'maybe', 'onn']) {
    test(`TTYROOM_ONCE=${inspect(bad)} throws a ConfigError naming the variable`, () => {
      assert.match(configErrorFrom(() => parseConfig([], { ...ENV, TTYROOM_ONCE: bad }, CWD)).message, /TTYROOM_ONCE/);
    });
  }

  for (const bad of ['0', '0.0001', '-1', 'soon', String(ConfigDefaults.MaxSeconds + 1)]) {
    test(`--shutdown-deadline ${inspect(bad)} throws: a deadline must be above 0`, () => {
      assert.match(configErrorFrom(() => parseConfig(['--shutdown-deadline', bad], ENV, CWD)).message, /--shutdown-deadline\b/);
    });
  }

  test('--timeout 0 means no limit; a bad one names --timeout', () => {
    assert.equal(parseConfig(['--timeout', '0'], ENV, CWD).config.joinTimeoutMs, 0);
    assert.match(configErrorFrom(() => parseConfig(['--timeout', '-5'], ENV, CWD)).message, /--timeout\b/);
  });

  test('the kill grace is shortened at shutdown to half the deadline, never lengthened', () => {
    assert.equal(shutdownGraceMs(2_000, 10_000), 2_000);
    assert.equal(shutdownGraceMs(60_000, 10_000), 5_000);
    assert.equal(shutdownGraceMs(0, 10_000), 0);
  });
});

describe('parseShareArgs', () => {
  test('the command after -- becomes the default profile, --once is implied, serve options still apply', () => {
    const { config, help, name } = parseShareArgs(['--port', '0', '--name', 'demo', '--', 'htop', '-d', '10', '--port', '1'], ENV, CWD);
    assert.deepEqual(config.command, ['htop', '-d', '10', '--port', '1']);
    assert.equal(config.once, true);
    assert.equal(config.port, 0);
    assert.equal(name, 'demo');
    assert.equal(help, false);
  });

  test('--name=… form, and TTYROOM_NAME when no flag is given', () => {
    assert.equal(parseShareArgs(['--name=a b', '--', 'vim'], ENV, CWD).name, 'a b');
    assert.equal(parseShareArgs(['--', 'vim'], { ...ENV, TTYROOM_NAME: 'from env' }, CWD).name, 'from env');
    assert.equal(parseShareArgs(['--name', 'flag', '--', 'vim'], { ...ENV, TTYROOM_NAME: 'from env' }, CWD).name, 'flag');
    assert.equal(parseShareArgs(['--', 'vim'], ENV, CWD).name, undefined);
  });

  test('a TTYROOM_COMMAND meant for serve is ignored, even a broken one', () => {
    assert.deepEqual(parseShareArgs(['--', 'top'], { ...ENV, TTYROOM_COMMAND: "sh -c 'oops" }, CWD).config.command, ['top']);
  });

  test('--help needs no command', () => {
    assert.equal(parseShareArgs(['--help'], ENV, CWD).help, true);
  });

  const failures: ReadonlyArray<[string[], NodeJS.ProcessEnv, RegExp]> = [
    [['--server', 'http://127.0.0.1:1', '--', 'vim'], {}, /takes no command after --/],
    [['--ca', 'ca.pem'], {}, /--ca goes with --server URL/],
    [['--server'], {}, /--server needs a value/],
    [['--command', 'vim', '--', 'vim'], {}, /not --command/],
    [['--command=vim', '--', 'vim'], {}, /not --command/],
    [['--name'], {}, /--name needs a value/],
    [['--name', '--port', '0', '--', 'vim'], {}, /--name needs a value/],
    [['--name', 'x'.repeat(81), '--', 'vim'], {}, /--name: name must be at most 80 characters/],
    [['--', 'vim'], { TTYROOM_NAME: 'y'.repeat(81) }, /TTYROOM_NAME: name must be at most 80/],
    [['--port', 'x', '--', 'vim'], {}, /--port\b/],
    [['vim'], {}, /unexpected argument "vim"/],
  ];
  for (const [argv, env, message] of failures) {
    test(`${inspect(argv)} ${Object.keys(env).length ? inspect(env) : ''} throws a ConfigError (${message.source})`, () => {
      assert.match(configErrorFrom(() => parseShareArgs(argv, { ...ENV, ...env }, CWD)).message, message);
    });
  }
});

describe("helpText('share')", () => {
  const text = helpText('share');
  test('shows the share usage and --name with TTYROOM_NAME, and leaves out --command', () => {
    assert.match(text.split('\n')[0]!, /^usage: ttyroom share \[options\] \[--name NAME\] \[--readonly\] \[--no-qr\] \[-- COMMAND \[ARGS\.\.\.\]\]$/);
    assert.match(text, /--name\s+TTYROOM_NAME\s/);
    assert.doesNotMatch(text, /^\s+--command\s/m, 'no option line for --command');
  });
});

describe("helpText('serve')", () => {
  const text = helpText('serve');
  const lines = text.split('\n');

  test('starts with the usage line for the command', () => {
    assert.match(lines[0]!, /^usage: ttyroom serve\b/);
  });

  test('lists --help', () => {
    assert.ok(lines.some((line) => /(^|\s)--help(\s|$)/.test(line)), text);
  });

  for (const option of OPTIONS) {
    // Spelled out here (not via envName) so a wrong mapping in the code is caught.
    const variable = `TTYROOM_${option.name.toUpperCase().replaceAll('-', '_')}`;
    test(`mentions --${option.name} and ${variable} on the same line`, () => {
      const flag = new RegExp(`(^|\\s)--${option.name}(\\s|=|$)`);
      const line = lines.find((candidate) => flag.test(candidate));
      assert.ok(line, `no help line for --${option.name}:\n${text}`);
      assert.match(line, new RegExp(`(^|\\s)${variable}(\\s|$)`));
    });
  }
});

describe('network options', () => {
  test('--allowed-origins and TTYROOM_ALLOWED_ORIGINS: normalized; a pattern or path is refused naming the source', () => {
    assert.deepEqual(parseConfig(['--allowed-origins', 'https://A.example:443,http://b.example:8080'], ENV, CWD).config.allowedOrigins, ['https://a.example', 'http://b.example:8080']);
    assert.deepEqual(parseConfig([], { ...ENV, TTYROOM_ALLOWED_ORIGINS: 'https://a.example' }, CWD).config.allowedOrigins, ['https://a.example']);
    assert.equal(parseConfig([], ENV, CWD).config.allowedOrigins, undefined);
    assert.match(configErrorFrom(() => parseConfig(['--allowed-origins', 'https://*.example'], ENV, CWD)).message, /^--allowed-origins: "https:\/\/\*\.example" is not an origin/);
    assert.match(configErrorFrom(() => parseConfig([], { ...ENV, TTYROOM_ALLOWED_ORIGINS: 'https://a.example/app' }, CWD)).message, /^TTYROOM_ALLOWED_ORIGINS: /);
  });

  test('--trust-proxy: off by default and at 0 hops; bad entries refused', () => {
    assert.equal(parseConfig([], ENV, CWD).config.trustProxy, undefined);
    assert.equal(parseConfig(['--trust-proxy', '0'], ENV, CWD).config.trustProxy, undefined);
    assert.deepEqual(parseConfig(['--trust-proxy', 'loopback,10.0.0.0/8'], ENV, CWD).config.trustProxy, { ranges: ['loopback', '10.0.0.0/8'] });
    assert.match(configErrorFrom(() => parseConfig(['--trust-proxy', 'proxy.example'], ENV, CWD)).message, /^--trust-proxy: "proxy.example" is not/);
  });

  test('TLS files: resolved from the working directory; cert and key together; a CA needs both', () => {
    assert.deepEqual(parseConfig(['--tls-cert', 'c.pem', '--tls-key', '/k.pem'], ENV, CWD).config.tls, { cert: resolve(CWD, 'c.pem'), key: '/k.pem' });
    assert.match(configErrorFrom(() => parseConfig(['--tls-cert', 'c.pem'], ENV, CWD)).message, /--tls-cert and --tls-key go together/);
    assert.match(configErrorFrom(() => parseConfig(['--tls-key', 'k.pem'], ENV, CWD)).message, /--tls-cert and --tls-key go together/);
    assert.match(configErrorFrom(() => parseConfig(['--tls-ca-crt', 'ca.pem'], ENV, CWD)).message, /--tls-ca-crt needs --tls-cert/);
  });
});

test('share may listen on every interface without sign-in (its one room is the only one); serve may not', () => {
  const shared = parseShareArgs(['--host', '0.0.0.0', '--', 'bash'], {}, '/tmp');
  assert.equal(shared.config.auth.mode, 'none');
  assert.equal(shared.config.once, true, 'share implies --once, which refuses any other room');
  assert.throws(() => parseConfig(['--host', '0.0.0.0'], {}, '/tmp'), /refusing to listen on 0\.0\.0\.0 without sign-in/);
});

test('share without a command runs the login shell; its client options are read and checked', () => {
  const shared = parseShareArgs(['--readonly', '--no-qr'], { SHELL: '/bin/zsh' }, '/tmp');
  assert.deepEqual(shared.config.command, ['/bin/zsh', '-l']);
  assert.deepEqual(shared.client, { readonly: true, qr: false });
  const remote = parseShareArgs(['--server', 'https://term.example.com', '--ca', 'ca.pem', '--user', 'alice', '--profile', 'ops'], {}, '/tmp');
  assert.deepEqual(remote.client, { readonly: false, qr: true, server: 'https://term.example.com', ca: 'ca.pem', user: 'alice', profile: 'ops' });
  assert.throws(() => parseShareArgs(['--user', 'alice', '--', 'bash'], {}, '/tmp'), /--user goes with --server URL/);
});

test('share reads its own options from TTYROOM_<OPTION> too; the server-only ones wait for a server', () => {
  assert.deepEqual(parseShareArgs(['--', 'bash'], { TTYROOM_READONLY: '1', TTYROOM_NO_QR: '0' }, '/tmp').client, { readonly: true, qr: true });
  assert.deepEqual(parseShareArgs(['--', 'bash'], { TTYROOM_CA: 'ca.pem', TTYROOM_USER: 'alice' }, '/tmp').client, { readonly: false, qr: true }, 'set for attach, they leave a local share alone');
  assert.deepEqual(parseShareArgs([], { TTYROOM_SERVER: 'https://term.example.com', TTYROOM_CA: 'ca.pem' }, '/tmp').client, { readonly: false, qr: true, server: 'https://term.example.com', ca: 'ca.pem' });
  assert.deepEqual(parseShareArgs(['--server', 'http://a.example:1'], { TTYROOM_SERVER: 'http://b.example:2' }, '/tmp').client.server, 'http://a.example:1', 'the command line wins');
  assert.throws(() => parseShareArgs(['--', 'bash'], { TTYROOM_READONLY: 'yes' }, '/tmp'), /TTYROOM_READONLY must be 1 or 0/);
  assert.throws(() => parseShareArgs(['--', 'bash'], { TTYROOM_SERVER: 'http://b.example:2' }, '/tmp'), /with TTYROOM_SERVER the room runs one of that server's profiles/);
});
