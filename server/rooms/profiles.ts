// Operator-defined profiles: the profiles file's format and its validation (README.md, Profiles), the argv
// of a room built from a profile and a create request's params, and what a client is told about each profile.

import { parseJsonAt, JsonSyntaxError } from '../util/jsonLocation.js';
import { splitCommandLine } from '../util/commandLine.js';
import { ConfigError } from '../util/configError.js';

/** A local program a room runs: the profile it came from, and the exact argv (never through a shell). */
export interface LocalLaunch {
  name: string;
  file: string;
  args: string[];
}

/** The profile `--command` (or the login shell) defines; a profiles file may not redefine it. */
export const DEFAULT_PROFILE = 'default';

/** Bounds on the profiles file, so a mistake reads as a mistake rather than as a huge configuration. */
export const ProfileFileLimits = {
  /** Profiles in one file: a menu a person picks from, not a database. */
  MaxProfiles: 200,
  /** Characters in a profile or param name; the same bound as PayloadLimits.MaxProfileLength. */
  MaxNameLength: 64,
  /** Params of one exec profile: a form a person fills in. */
  MaxParams: 16,
  /** Values of one param's allowlist. */
  MaxValues: 1000,
  /** Characters of a description, shown next to the picker or the input. */
  MaxDescriptionLength: 200,
  /** Characters of an SSH host: a DNS name is at most 253. */
  MaxHostLength: 253,
} as const;

/** Refused in any param value whatever the pattern says (NUL ends an argv element early; the rest has no place in a name). */
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;
const NAME_PATTERN = /^[A-Za-z0-9_-]+$/;
const PARAM_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface ParamRule {
  name: string;
  description?: string;
  /** Matched against the whole value (the operator's source wrapped in ^(?:…)$). */
  pattern?: RegExp;
  /** An allowlist: the value must be one of these. */
  values?: readonly string[];
}

/** One piece of an exec argv element: literal text, or the value of a param. */
type ArgvPiece = { text: string } | { param: string };

/** Where an SSH profile's password comes from at start (it is then kept sealed in the data directory: remote/credentials.ts). */
export type PasswordSource = { env: string } | { file: string };

export interface SshProfile {
  type: 'ssh';
  name: string;
  description?: string;
  host: string;
  port: number;
  user: string;
  identityFile?: string;
  password?: PasswordSource;
  hostKeyPolicy: 'ask' | 'known-only';
}

export type ProfileDefinition =
  | { type: 'command'; name: string; description?: string; file: string; args: readonly string[] }
  | { type: 'exec'; name: string; description?: string; argv: readonly (readonly ArgvPiece[])[]; params: readonly ParamRule[] }
  | SshProfile;

/** A profile that runs a local program through the pty. */
export type LocalProfile = Exclude<ProfileDefinition, SshProfile>;

/** The SSH port when a profile names none. */
export const DEFAULT_SSH_PORT = 22;
/** A host name or an IP address (v4, or v6 without brackets): letters, digits, `.`, `-`, `:`, `_`. */
const HOST_PATTERN = /^[A-Za-z0-9._:-]+$/;
/** A user name as sshd takes it: no space, no control character, not an option. */
const USER_PATTERN = /^[A-Za-z0-9._][A-Za-z0-9._@-]*$/;
const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MAX_PORT = 65535;

/** What GET /api/profiles tells a client: enough for a form, never the command, the argv, a pattern, a host or a credential. */
export interface ProfileSummary {
  name: string;
  type: 'command' | 'exec' | 'ssh';
  description?: string;
  params: { name: string; description?: string; values?: string[] }[];
}

export function profileSummary(profile: ProfileDefinition): ProfileSummary {
  return {
    name: profile.name,
    type: profile.type,
    ...(profile.description !== undefined ? { description: profile.description } : {}),
    params: profile.type === 'exec'
      ? profile.params.map((param) => ({
        name: param.name,
        ...(param.description !== undefined ? { description: param.description } : {}),
        ...(param.values !== undefined ? { values: [...param.values] } : {}),
      }))
      : [],
  };
}

/** Why a param value is refused, or undefined when it may go into the argv. */
function refuseValue(rule: ParamRule, value: string): string | undefined {
  const name = `param "${rule.name}"`;
  if (value.length === 0) return `${name} must not be empty`;
  if (CONTROL_CHARACTERS.test(value)) return `${name} must not hold control characters`;
  // Whatever the pattern allows: a value is never an option to the program (`--privileged`, `-v /:/host`).
  if (value.startsWith('-')) return `${name} must not start with "-"`;
  if (rule.values !== undefined && !rule.values.includes(value)) return `${name} must be one of the profile's values`;
  if (rule.pattern !== undefined && !rule.pattern.test(value)) return `${name} does not match the profile's pattern`;
  return undefined;
}

/**
 * The program and arguments a room of this profile runs, or why the request is refused (a message naming the
 * param). `params` come from the create request; `extraArgs` from --permit-arguments, command profiles only.
 */
export function launchOf(profile: ProfileDefinition, params: Readonly<Record<string, string>> | undefined, extraArgs: readonly string[] | undefined): LocalLaunch | string {
  const given = params ?? {};
  if (profile.type === 'ssh') return `profile "${profile.name}" opens a shell on its host, not a local program`;
  if (profile.type === 'command') {
    const first = Object.keys(given)[0];
    if (first !== undefined) return `profile "${profile.name}" takes no params (got "${first}")`;
    return { name: profile.name, file: profile.file, args: [...profile.args, ...(extraArgs ?? [])] };
  }
  if (extraArgs !== undefined && extraArgs.length > 0) return `profile "${profile.name}" runs exactly its argv; args are not accepted`;
  const rules = new Map(profile.params.map((rule) => [rule.name, rule]));
  const unknown = Object.keys(given).find((name) => !rules.has(name));
  if (unknown !== undefined) return `unknown param "${unknown}" for profile "${profile.name}"`;
  for (const rule of profile.params) {
    if (!Object.hasOwn(given, rule.name)) return `param "${rule.name}" is missing`;
    const refusal = refuseValue(rule, given[rule.name]!);
    if (refusal !== undefined) return refusal;
  }
  // Each element is joined from its pieces: a value lands inside one argv element and is never split or parsed.
  const argv = profile.argv.map((pieces) => pieces.map((piece) => ('text' in piece ? piece.text : given[piece.param]!)).join(''));
  return { name: profile.name, file: argv[0]!, args: argv.slice(1) };
}

/** A mistake in the profiles file at `field`, e.g. `profiles[2].params.pod.pattern`. */
class FieldError extends Error {
  constructor(readonly field: string, reason: string) {
    super(`${field}: ${reason}`);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function refuseUnknownFields(value: Record<string, unknown>, field: string, known: readonly string[]): void {
  const unknown = Object.keys(value).find((key) => !known.includes(key));
  if (unknown !== undefined) throw new FieldError(field ? `${field}.${unknown}` : unknown, `unknown field (expected ${known.join(', ')})`);
}

function text(value: unknown, field: string, maxLength: number): string {
  if (typeof value !== 'string' || value.length === 0) throw new FieldError(field, 'must be a non-empty string');
  if (value.length > maxLength) throw new FieldError(field, `must be at most ${maxLength} characters`);
  if (CONTROL_CHARACTERS.test(value)) throw new FieldError(field, 'must not hold control characters');
  return value;
}

function optionalDescription(value: unknown, field: string): { description?: string } {
  return value === undefined ? {} : { description: text(value, field, ProfileFileLimits.MaxDescriptionLength) };
}

function stringArray(value: unknown, field: string): string[] {
  if (!Array.isArray(value) || value.length === 0) throw new FieldError(field, 'must be a non-empty array of strings');
  value.forEach((item, index) => {
    if (typeof item !== 'string') throw new FieldError(`${field}[${index}]`, 'must be a string');
    if (item.includes('\u0000')) throw new FieldError(`${field}[${index}]`, 'must not hold a NUL character');
  });
  return value as string[];
}

/** `{name}` placeholders in one argv element; `{{` and `}}` are literal braces, any other brace is a mistake. */
function argvPieces(element: string, field: string): ArgvPiece[] {
  const pieces: ArgvPiece[] = [];
  let literal = '';
  for (let at = 0; at < element.length; at++) {
    const ch = element[at]!;
    if ((ch === '{' || ch === '}') && element[at + 1] === ch) {
      literal += ch;
      at++;
    } else if (ch === '{') {
      const close = element.indexOf('}', at);
      const name = close === -1 ? '' : element.slice(at + 1, close);
      if (!PARAM_NAME_PATTERN.test(name)) throw new FieldError(field, 'a "{" starts no {param} placeholder (write {{ for a literal brace)');
      if (literal) pieces.push({ text: literal });
      literal = '';
      pieces.push({ param: name });
      at = close;
    } else if (ch === '}') {
      throw new FieldError(field, 'a "}" closes no {param} placeholder (write }} for a literal brace)');
    } else {
      literal += ch;
    }
  }
  if (literal || pieces.length === 0) pieces.push({ text: literal });
  return pieces;
}

function paramRule(name: string, value: unknown, field: string): ParamRule {
  if (!PARAM_NAME_PATTERN.test(name) || name.length > ProfileFileLimits.MaxNameLength) {
    throw new FieldError(field, `a param name is letters, digits and _ (not starting with a digit), at most ${ProfileFileLimits.MaxNameLength} characters`);
  }
  if (!isRecord(value)) throw new FieldError(field, 'must be an object { pattern?, values?, description? }');
  refuseUnknownFields(value, field, ['pattern', 'values', 'description']);
  if (value.pattern === undefined && value.values === undefined) throw new FieldError(field, 'needs a pattern or values (or both): a param is never free text');
  const rule: ParamRule = { name, ...optionalDescription(value.description, `${field}.description`) };
  if (value.pattern !== undefined) {
    if (typeof value.pattern !== 'string' || value.pattern.length === 0) throw new FieldError(`${field}.pattern`, 'must be a non-empty string');
    try {
      rule.pattern = new RegExp(`^(?:${value.pattern})$`, 'u');
    } catch {
      throw new FieldError(`${field}.pattern`, 'not a valid regular expression');
    }
  }
  if (value.values !== undefined) {
    const values = stringArray(value.values, `${field}.values`);
    if (values.length > ProfileFileLimits.MaxValues) throw new FieldError(`${field}.values`, `must list at most ${ProfileFileLimits.MaxValues} values`);
    values.forEach((item, index) => {
      // An allowlist entry must itself be a value the request could send, or the operator has written a dead entry.
      const refusal = refuseValue({ name }, item);
      if (refusal !== undefined) throw new FieldError(`${field}.values[${index}]`, refusal.replace(`param "${name}" `, ''));
    });
    rule.values = values;
  }
  return rule;
}

function profileDefinition(value: unknown, field: string): ProfileDefinition {
  if (!isRecord(value)) throw new FieldError(field, 'must be an object { name, type, ... }');
  const name = text(value.name, `${field}.name`, ProfileFileLimits.MaxNameLength);
  if (!NAME_PATTERN.test(name)) throw new FieldError(`${field}.name`, 'is letters, digits, _ and - only');
  if (name === DEFAULT_PROFILE) throw new FieldError(`${field}.name`, `"${DEFAULT_PROFILE}" is the profile --command sets; choose another name`);
  const description = optionalDescription(value.description, `${field}.description`);
  if (value.type === 'command') {
    refuseUnknownFields(value, field, ['name', 'type', 'description', 'command', 'argv']);
    if ((value.command === undefined) === (value.argv === undefined)) throw new FieldError(field, 'a command profile has either command (a line) or argv (an array), not both');
    let argv: string[];
    if (value.command !== undefined) {
      const line = text(value.command, `${field}.command`, Number.MAX_SAFE_INTEGER);
      try {
        argv = splitCommandLine(line, `${field}.command`);
      } catch (error) {
        if (error instanceof ConfigError) throw new FieldError(`${field}.command`, error.message.replace(`${field}.command `, ''));
        throw error;
      }
      if (argv.length === 0) throw new FieldError(`${field}.command`, 'must name a program');
    } else {
      argv = stringArray(value.argv, `${field}.argv`);
    }
    return { type: 'command', name, ...description, file: argv[0]!, args: argv.slice(1) };
  }
  if (value.type === 'exec') {
    refuseUnknownFields(value, field, ['name', 'type', 'description', 'argv', 'params']);
    const argv = stringArray(value.argv, `${field}.argv`).map((element, index) => argvPieces(element, `${field}.argv[${index}]`));
    if (argv[0]!.some((piece) => 'param' in piece)) throw new FieldError(`${field}.argv[0]`, 'the program is the operator\'s to name, never a {param}');
    if (value.params !== undefined && !isRecord(value.params)) throw new FieldError(`${field}.params`, 'must be an object of param name → { pattern?, values?, description? }');
    const entries = Object.entries((value.params ?? {}) as Record<string, unknown>);
    if (entries.length > ProfileFileLimits.MaxParams) throw new FieldError(`${field}.params`, `at most ${ProfileFileLimits.MaxParams} params`);
    const params = entries.map(([paramName, rule]) => paramRule(paramName, rule, `${field}.params.${paramName}`));
    const used = new Set(argv.flatMap((pieces) => pieces.flatMap((piece) => ('param' in piece ? [piece.param] : []))));
    argv.forEach((pieces, index) => {
      const missing = pieces.find((piece) => 'param' in piece && !params.some((param) => param.name === piece.param));
      if (missing && 'param' in missing) throw new FieldError(`${field}.argv[${index}]`, `{${missing.param}} has no entry in params`);
    });
    const unused = params.find((param) => !used.has(param.name));
    if (unused !== undefined) throw new FieldError(`${field}.params.${unused.name}`, 'no {placeholder} in argv uses it');
    return { type: 'exec', name, ...description, argv, params };
  }
  if (value.type === 'ssh') {
    refuseUnknownFields(value, field, ['name', 'type', 'description', 'host', 'port', 'user', 'identityFile', 'password', 'hostKeyPolicy']);
    return { type: 'ssh', name, ...description, ...sshFields(value, field) };
  }
  throw new FieldError(`${field}.type`, 'must be "command", "exec" or "ssh"');
}

function absolutePath(value: unknown, field: string): string {
  const path = text(value, field, Number.MAX_SAFE_INTEGER);
  if (!path.startsWith('/')) throw new FieldError(field, 'must be an absolute path');
  return path;
}

function sshFields(value: Record<string, unknown>, field: string): Omit<SshProfile, 'type' | 'name' | 'description'> {
  const host = text(value.host, `${field}.host`, ProfileFileLimits.MaxHostLength);
  if (!HOST_PATTERN.test(host) || host.startsWith('-')) throw new FieldError(`${field}.host`, 'must be a host name or an IP address');
  let port: number = DEFAULT_SSH_PORT;
  if (value.port !== undefined) {
    if (typeof value.port !== 'number' || !Number.isInteger(value.port) || value.port < 1 || value.port > MAX_PORT) {
      throw new FieldError(`${field}.port`, `must be a whole number from 1 to ${MAX_PORT}`);
    }
    port = value.port;
  }
  const user = text(value.user, `${field}.user`, ProfileFileLimits.MaxNameLength);
  if (!USER_PATTERN.test(user)) throw new FieldError(`${field}.user`, 'must be a user name (letters, digits, ., _, -, @; not starting with -)');
  const profile: Omit<SshProfile, 'type' | 'name' | 'description'> = { host, port, user, hostKeyPolicy: 'ask' };
  if (value.identityFile !== undefined) profile.identityFile = absolutePath(value.identityFile, `${field}.identityFile`);
  if (value.password !== undefined) profile.password = passwordSource(value.password, `${field}.password`);
  if (profile.identityFile === undefined && profile.password === undefined) {
    throw new FieldError(field, 'an ssh profile needs identityFile, password, or both');
  }
  if (value.hostKeyPolicy !== undefined) {
    if (value.hostKeyPolicy !== 'ask' && value.hostKeyPolicy !== 'known-only') throw new FieldError(`${field}.hostKeyPolicy`, 'must be "ask" or "known-only"');
    profile.hostKeyPolicy = value.hostKeyPolicy;
  }
  return profile;
}

function passwordSource(value: unknown, field: string): PasswordSource {
  // Said first: a password written into the file itself would be a secret in plain text, readable by whoever reads the file.
  if (typeof value === 'string') throw new FieldError(field, 'is never written in the profiles file: give { "env": "VARIABLE" } or { "file": "/path/to/secret" }');
  if (!isRecord(value) || Object.keys(value).length !== 1 || (value.env === undefined) === (value.file === undefined)) {
    throw new FieldError(field, 'must be { "env": "VARIABLE" } or { "file": "/path/to/secret" }');
  }
  if (value.env !== undefined) {
    const name = text(value.env, `${field}.env`, ProfileFileLimits.MaxNameLength);
    if (!ENV_NAME_PATTERN.test(name)) throw new FieldError(`${field}.env`, 'must be an environment variable name');
    return { env: name };
  }
  return { file: absolutePath(value.file, `${field}.file`) };
}

/** The profiles of a profiles file's text; a mistake throws a ConfigError of one line naming the file and the field. */
export function parseProfilesFile(source: string, fileName: string): ProfileDefinition[] {
  try {
    const value = parseJsonAt(source);
    if (!isRecord(value)) throw new FieldError('(top level)', 'must be an object { "profiles": [ ... ] }');
    refuseUnknownFields(value, '', ['profiles']);
    if (!Array.isArray(value.profiles)) throw new FieldError('profiles', 'must be an array of profiles');
    if (value.profiles.length > ProfileFileLimits.MaxProfiles) throw new FieldError('profiles', `at most ${ProfileFileLimits.MaxProfiles} profiles`);
    const profiles: ProfileDefinition[] = [];
    value.profiles.forEach((item, index) => {
      const profile = profileDefinition(item, `profiles[${index}]`);
      const first = profiles.findIndex((other) => other.name === profile.name);
      if (first !== -1) throw new FieldError(`profiles[${index}].name`, `"${profile.name}" is already the name of profiles[${first}]`);
      profiles.push(profile);
    });
    return profiles;
  } catch (error) {
    if (error instanceof FieldError || error instanceof JsonSyntaxError) throw new ConfigError(`--profiles ${fileName}: ${error.message}`);
    throw error;
  }
}
