// Sign-in routes: GET/POST /login, POST /logout, and the OpenID Connect round trip (/auth/oidc, its callback).

import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { sendBasicChallenge } from '../auth/basicAuth.js';
import { OIDC_CALLBACK_PATH, OIDC_STRATEGY } from '../auth/oidc.js';
import { safeReturnPath, type SignIn } from '../auth/passportSetup.js';
import { signedInUser, type SignedInUser } from '../auth/requester.js';
import { SESSION_COOKIE } from '../auth/sessions.js';
import { sendError, sendSessionsUnavailable } from '../net/errors.js';
import { log } from '../util/logger.js';

export const LoginLimits = {
  /** A login form is a name, a password and a return path. */
  MaxFormBody: '8kb',
} as const;

/** The login page's referrer policy (see GET /login). */
export const LOGIN_REFERRER_POLICY = 'same-origin';

/** Where the OIDC round trip returns to afterwards, kept in the session while the browser is at the provider. */
const RETURN_KEY = 'ttyroomReturnTo';

type SessionRecord = Record<string, unknown> & { save(callback: (error?: unknown) => void): void };

function sessionOf(req: Request): SessionRecord | undefined {
  return (req as Request & { session?: SessionRecord }).session;
}

/**
 * Whether a form POST comes from a page of this server: its Origin names the host the request was sent to.
 * Stops another site from signing a visitor in to an account of its choosing (login CSRF); SameSite does not,
 * because signing in needs no cookie.
 */
function isSameOriginPost(req: Request): boolean {
  const origin = req.headers.origin;
  if (typeof origin !== 'string') return false;
  // `null` (what a form under `no-referrer` sends; the login page uses `same-origin` for this reason) never
  // gets here: the request gate refuses an Origin outside the allowlist on every POST.
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

/** The same answer for a wrong name and a wrong password: back to the form with a flag its script shows. */
function backToForm(res: Response, next: string): void {
  res.redirect(303, `/login?error=1&next=${encodeURIComponent(next)}`);
}

export function loginRouter(signIn: SignIn): Router {
  const router = express.Router();

  /** passport's req.logIn regenerates the session first (no fixation), then stores the user in it. */
  const logIn = (req: Request, user: SignedInUser, done: (error?: unknown) => void): void => {
    req.logIn(user, (error?: unknown) => done(error));
  };

  /** Sign-in needs its session store: while it cannot be reached (--redis, Redis down) these answer 503 at once. */
  const needsSessions = (req: Request, res: Response, next: NextFunction): void => {
    if (signIn.sessionsUnavailable(req)) return sendSessionsUnavailable(res);
    next();
  };

  router.get('/login', needsSessions, (req, res, next) => {
    const returnTo = safeReturnPath(req.query.next);
    switch (signIn.mode) {
      case 'none':
        return res.redirect(303, returnTo);
      case 'basic':
        // The browser asks for the credential on this challenge and repeats the request with it.
        if (signedInUser(req)) return res.redirect(303, returnTo);
        return sendBasicChallenge(res);
      case 'oidc':
        return res.redirect(303, `/auth/oidc?next=${encodeURIComponent(returnTo)}`);
      case 'local':
        // Under `no-referrer` a browser sends `Origin: null` with the form's POST, which isSameOriginPost
        // could not tell from another site's; `same-origin` sends the real Origin here and nothing elsewhere.
        res.setHeader('Referrer-Policy', LOGIN_REFERRER_POLICY);
        // The static login page (staticClient.ts).
        return next();
    }
  });

  if (signIn.mode === 'local') {
    router.post('/login', needsSessions, express.urlencoded({ extended: false, limit: LoginLimits.MaxFormBody }), (req, res, next) => {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const returnTo = safeReturnPath(body.next);
      if (!isSameOriginPost(req)) return sendError(res, 'forbidden', 'sign-in forms are only accepted from this server\'s own pages');
      if (typeof body.username !== 'string' || typeof body.password !== 'string') return backToForm(res, returnTo);
      signIn.passport.authenticate('local', { session: false }, (error: unknown, user: SignedInUser | false) => {
        if (error) return next(error);
        if (!user) {
          signIn.audit.failed(signIn.clientAddress.of(req), 'local');
          return backToForm(res, returnTo);
        }
        logIn(req, user, (loginError) => {
          if (loginError) return next(loginError);
          signIn.audit.succeeded(user.id, signIn.clientAddress.of(req), 'local');
          res.redirect(303, returnTo);
        });
      })(req, res, next);
    });
  }

  if (signIn.usesSessions) {
    router.post('/logout', needsSessions, (req, res, next) => {
      req.logout((error?: unknown) => {
        if (error) return next(error);
        const session = sessionOf(req) as (SessionRecord & { destroy(callback: (error?: unknown) => void): void }) | undefined;
        const finish = (): void => {
          res.clearCookie(SESSION_COOKIE, { path: '/' });
          res.redirect(303, '/login');
        };
        if (session) session.destroy(() => finish());
        else finish();
      });
    });
  }

  if (signIn.mode === 'oidc') {
    const oidc = signIn.oidc!;
    /** Discovery happens on first use; a provider that cannot be reached gets a clear 502, and a retry later. */
    const prepared = (req: Request, res: Response, next: NextFunction): void => {
      oidc.prepare().then(() => next(), (error: unknown) => {
        log.error({}, `cannot reach the OpenID provider: ${error instanceof Error ? error.message : String(error)}`);
        res.status(502).type('text/plain').send('The sign-in provider cannot be reached. Try again later.\n');
      });
    };

    router.get('/auth/oidc', needsSessions, prepared, (req, res, next) => {
      const session = sessionOf(req);
      if (session) session[RETURN_KEY] = safeReturnPath(req.query.next);
      signIn.passport.authenticate(OIDC_STRATEGY, { session: false })(req, res, next);
    });

    router.get(OIDC_CALLBACK_PATH, needsSessions, prepared, (req, res, next) => {
      signIn.passport.authenticate(OIDC_STRATEGY, { session: false }, (error: unknown, user: SignedInUser | false) => {
        const returnTo = safeReturnPath(sessionOf(req)?.[RETURN_KEY]);
        if (error || !user) {
          signIn.audit.failed(signIn.clientAddress.of(req), 'oidc');
          if (error) log.warn({}, `OpenID sign-in failed: ${error instanceof Error ? error.message : String(error)}`);
          return res.status(401).type('text/plain').send('Sign-in failed. Open /login to try again.\n');
        }
        logIn(req, user, (loginError) => {
          if (loginError) return next(loginError);
          signIn.audit.succeeded(user.id, signIn.clientAddress.of(req), 'oidc');
          res.redirect(303, returnTo);
        });
      })(req, res, next);
    });
  }

  return router;
}
