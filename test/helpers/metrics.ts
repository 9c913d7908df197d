// Reads a server's GET /metrics through a Prometheus text parser (parse-prometheus-text-format), for tests.

import assert from 'node:assert/strict';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';

export interface Scrape {
  /** The response body as text (tests search it for what must not be there). */
  text: string;
  /** A counter's or gauge's value; with labels, the series that has them all. 0 when there is none yet. */
  value(family: string, labels?: Record<string, string>): number;
  /** A histogram's observation count. */
  count(family: string): number;
  /** Every series of a family, with its labels. */
  series(family: string): Array<{ labels: Record<string, string>; value: number }>;
}

export async function scrape(url: string, token: string | undefined): Promise<Scrape> {
  const response = await fetch(`${url}/metrics`, token === undefined ? {} : { headers: { Authorization: `Bearer ${token}` } });
  assert.equal(response.status, 200, `GET /metrics: ${response.status}`);
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const text = await response.text();
  const families = new Map(parsePrometheusTextFormat(text).map((family) => [family.name, family]));
  const samples = (name: string) => families.get(name)?.metrics ?? [];
  return {
    text,
    value(name, labels = {}) {
      const sample = samples(name).find((candidate) => Object.entries(labels).every(([key, value]) => candidate.labels?.[key] === value));
      return sample?.value === undefined ? 0 : Number(sample.value);
    },
    count(name) {
      const sample = samples(name)[0];
      return sample?.count === undefined ? 0 : Number(sample.count);
    },
    series(name) {
      return samples(name).map((sample) => ({ labels: sample.labels ?? {}, value: Number(sample.value) }));
    },
  };
}
