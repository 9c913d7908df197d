// Security headers on every response (helmet): strict CSP (no inline script), no referrer, no sniffing, no framing, HSTS under TLS.

import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet from 'helmet';

/**
 * Scripts only from our own origin. 'wasm-unsafe-eval' lets a page compile WebAssembly and nothing else
 * (no eval, no inline script): the replay player (asciinema-player, client/src/castPlayer.ts) runs its
 * terminal emulator as a WebAssembly module embedded in its own script, which 'self' alone refuses. Inline styles are allowed because xterm.js sizes its rows and
 * cursor with style attributes and a generated <style> element; styles cannot run code.
 */
export const CSP_DIRECTIVES = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'", "'wasm-unsafe-eval'"],
  styleSrc: ["'self'", "'unsafe-inline'"],
  imgSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'none'"],
  frameAncestors: ["'none'"],
  formAction: ["'self'"],
} as const;

export const SecurityHeaderSettings = {
  /**
   * HSTS lifetime in seconds: one year, helmet's default and what browsers' preload rules ask for. Sent
   * only under TLS (a plain-HTTP server cannot promise HTTPS), without includeSubDomains: the operator's
   * other hosts are not ours to pin.
   */
  HstsMaxAgeSeconds: 365 * 24 * 3600,
} as const;

export type SecurityHeaders = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

export function securityHeaders(options: { tls: boolean }): SecurityHeaders {
  return helmet({
    // useDefaults off: helmet's defaults add upgrade-insecure-requests, which breaks a plain-HTTP server on a LAN address.
    contentSecurityPolicy: { useDefaults: false, directives: CSP_DIRECTIVES },
    referrerPolicy: { policy: 'no-referrer' },
    xFrameOptions: { action: 'deny' },
    crossOriginOpenerPolicy: { policy: 'same-origin' },
    strictTransportSecurity: options.tls ? { maxAge: SecurityHeaderSettings.HstsMaxAgeSeconds, includeSubDomains: false } : false,
  });
}
