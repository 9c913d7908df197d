// REST calls for tests: method, path, optional bearer token and JSON body; the answer's status, parsed body and text.

import type { TestServer } from './server.js';

export interface Answer {
  status: number;
  body: any;
  text: string;
  headers: Record<string, string>;
}

export async function api(server: TestServer, method: string, path: string, options: { token?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  const sent: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) sent.authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.raw !== undefined || options.body !== undefined) {
    sent['content-type'] = 'application/json';
    body = options.raw ?? JSON.stringify(options.body);
  }
  const response = await fetch(`${server.url}${path}`, { method, headers: sent, body });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text.length > 0 ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  return { status: response.status, body: parsed, text, headers };
}
