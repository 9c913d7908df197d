// OpenID Connect sign-in (--auth oidc): provider discovery on first use, and openid-client's passport strategy.

import type passport from 'passport';
import * as client from 'openid-client';
import { Strategy, type VerifyFunction } from 'openid-client/passport';
import { PayloadLimits } from '../shared/limits.js';
import type { SignedInUser } from './requester.js';
import type { OidcConfig } from './authMode.js';

/** The strategy's name in our passport instance, and the session key of its in-flight request state. */
export const OIDC_STRATEGY = 'oidc';
export const OIDC_CALLBACK_PATH = '/auth/oidc/callback';
/** The name is read from the profile claims; email is the fallback many providers fill in. */
const OIDC_SCOPE = 'openid profile email';

/** A display name from the claims: name, preferred_username, email, or the subject; control characters dropped. */
export function displayName(claims: Record<string, unknown>, sub: string): string {
  for (const key of ['name', 'preferred_username', 'email']) {
    const value = claims[key];
    if (typeof value === 'string') {
      // eslint-disable-next-line no-control-regex
      const clean = value.replace(/[\u0000-\u001f\u007f-\u009f]/g, '').trim();
      if (clean.length > 0) return clean.slice(0, PayloadLimits.MaxNameLength);
    }
  }
  return sub.slice(0, PayloadLimits.MaxNameLength);
}

/**
 * Discovers the provider the first time someone signs in (so a provider that is down does not stop the
 * server, and an embedder can create the app synchronously) and registers the strategy then. A failed
 * discovery is retried at the next sign-in.
 */
export class OidcSignIn {
  private ready: Promise<void> | undefined;

  constructor(
    private readonly config: OidcConfig,
    private readonly passport: passport.Authenticator,
    /** The redirect URL, computed when first needed (the port is known only once listening). */
    private readonly callbackUrl: () => string,
  ) {}

  prepare(): Promise<void> {
    this.ready ??= this.discover().catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    return this.ready;
  }

  private async discover(): Promise<void> {
    const issuer = new URL(this.config.issuer);
    // authMode.checkIssuerUrl allowed http only for a loopback issuer (a provider on this machine).
    const execute = issuer.protocol === 'http:' ? [client.allowInsecureRequests] : [];
    const authentication = this.config.clientSecret === undefined ? client.None() : client.ClientSecretBasic(this.config.clientSecret);
    const configuration = await client.discovery(issuer, this.config.clientId, undefined, authentication, { execute });
    const verify: VerifyFunction = (tokens, verified) => {
      void (async () => {
        const claims = tokens.claims();
        if (!claims) return verified(null, false, { message: 'the provider sent no ID token' });
        let profile: Record<string, unknown> = claims;
        try {
          profile = { ...claims, ...(await client.fetchUserInfo(configuration, tokens.access_token, claims.sub)) };
        } catch {
          // Providers that put the profile in the ID token, or have no userinfo endpoint: the claims suffice.
        }
        const user: SignedInUser = { id: `oidc:${claims.sub}`, name: displayName(profile, claims.sub) };
        verified(null, user);
      })().catch((error: unknown) => verified(error));
    };
    this.passport.use(OIDC_STRATEGY, new Strategy({ config: configuration, name: OIDC_STRATEGY, sessionKey: OIDC_STRATEGY, scope: OIDC_SCOPE, callbackURL: this.callbackUrl() }, verify));
  }
}
