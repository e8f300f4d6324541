// A real OpenID Connect Provider (npm `oidc-provider`, pinned in package.json) on loopback,
// for Meydan's sign-in tests only. Started by tests/oidc_fixtures.py; never shipped.
//
// Environment
//   OIDC_PORT            port to listen on (127.0.0.1 only); issuer is http://127.0.0.1:<PORT>
//   OIDC_CLIENT_ID       the one registered client
//   OIDC_CLIENT_SECRET   its secret
//   OIDC_REDIRECT_URIS   comma-separated redirect URIs (exact match, as OIDC requires)
//   OIDC_SKIP_CONSENT    "1": grant openid/profile/email to the client without a consent page
//   OIDC_COOP            a Cross-Origin-Opener-Policy for every response (e.g. "same-origin",
//                        as Google's sign-in pages send): a popup that visits this provider
//                        loses its window.opener for good
//
// Client: confidential web client, grant_types [authorization_code], response_types [code],
// registered as token_endpoint_auth_method "client_secret_post". oidc-provider v9 treats
// client_secret_post and client_secret_basic as interchangeable for a client registered with
// either, so both work; django-allauth's openid_connect provider sends the secret in the POST
// body because discovery lists client_secret_post. PKCE (S256 only) is accepted and verified
// when sent, but not required for this confidential client.
//
// Accounts: any login id with any password signs in. For login id L:
//   sub = L, name = "Leyla Q. Reader" (the same for every login id),
//   email = "L@example.org", email_verified = true,
//   picture = "http://127.0.0.1:<PORT>/picture.png" (a 16x16 PNG served by this process).
// Use plain ids such as "leyla" so that the email address is valid.
//
// The browser pages are oidc-provider's built-in development interactions
// (features.devInteractions), at /interaction/<uid>:
//   Login page:   <h1>Sign-in</h1>, page <title>Sign-in</title>
//                 <form method="post" action="/interaction/<uid>">
//                   <input type="hidden" name="prompt" value="login">
//                   <input type="text" name="login" placeholder="Enter any login" required>
//                   <input type="password" name="password" placeholder="and password" required>
//                   <button type="submit" class="login login-submit">Sign-in</button>
//                 The password is ignored but the field is required by the browser.
//   Consent page: <h1>Authorize</h1> (page <title> is still "Sign-in"), lists the scopes/claims
//                 <form method="post" action="/interaction/<uid>">
//                   <input type="hidden" name="prompt" value="consent">
//                   <button autofocus type="submit" class="login login-submit">Continue</button>
//                 Skipped entirely when OIDC_SKIP_CONSENT=1.
//   Both pages also have a "[ Cancel ]" link (/interaction/<uid>/abort -> error=access_denied).
//   Playwright, e.g.: page.fill('input[name="login"]', 'leyla');
//     page.fill('input[name="password"]', 'x'); page.click('button:has-text("Sign-in")');
//     page.click('button:has-text("Continue")')
// The stock page layout @imports a Google Fonts stylesheet; this server strips that import so
// a headless browser never tries to reach the internet.
//
// Prints "OIDC provider ready at http://127.0.0.1:<PORT>" once listening; exits 0 on
// SIGTERM/SIGINT. oidc-provider v9 warns "Unsupported runtime" on Node 20 (it wants Node 22
// LTS), and warns about the in-memory adapter and the enabled devInteractions; all three are
// expected and harmless here. State (sessions, codes, tokens) lives in memory and dies with it.

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

const env = (name) => {
  const value = process.env[name];
  if (!value) {
    console.error(`provider.js: environment variable ${name} is required`);
    process.exit(2);
  }
  return value;
};

const port = Number.parseInt(env('OIDC_PORT'), 10);
const clientId = env('OIDC_CLIENT_ID');
const clientSecret = env('OIDC_CLIENT_SECRET');
const redirectUris = env('OIDC_REDIRECT_URIS').split(',').map((s) => s.trim()).filter(Boolean);
const skipConsent = process.env.OIDC_SKIP_CONSENT === '1';
const coop = process.env.OIDC_COOP || '';

const HOST = '127.0.0.1';
const issuer = `http://${HOST}:${port}`;
const pictureUrl = `${issuer}/picture.png`;
const ACCOUNT_NAME = 'Leyla Q. Reader';
const SCOPES = ['openid', 'profile', 'email'];

// 16x16 RGB PNG: a teal disc on a light background.
const PICTURE = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAIAAACQkWg2AAAAPElEQVR42mP48vEVSYgBjS/f1YWG8GnAVI2ph4GgajQ9DMSoRtbDQKRquJ4Rq4HkYCUn4shJGuQkPmIQAHc41AARG/heAAAAAElFTkSuQmCC',
  'base64',
);

// A fresh signing key per run instead of oidc-provider's published development keystore.
const signingKey = {
  ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }),
  use: 'sig',
  alg: 'RS256',
  kid: randomBytes(8).toString('hex'),
};

const configuration = {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: redirectUris,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post',
    },
  ],
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  responseTypes: ['code'],
  scopes: SCOPES,
  claims: {
    openid: ['sub'],
    profile: ['name', 'picture'],
    email: ['email', 'email_verified'],
  },
  features: {
    devInteractions: { enabled: true },
  },
  // pkce.required keeps its default: required for public clients only. Our client is
  // confidential, so PKCE is optional; S256 is the only method offered (v9 default).
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        return {
          sub: id,
          name: ACCOUNT_NAME,
          email: `${id}@example.org`,
          email_verified: true,
          picture: pictureUrl,
        };
      },
    };
  },
  // With OIDC_SKIP_CONSENT=1 the client counts as first party: its grant is created here and
  // the consent prompt never shows. Otherwise this is oidc-provider's default behaviour.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) {
      return ctx.oidc.provider.Grant.find(grantId);
    }
    if (skipConsent) {
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client.clientId,
        accountId: ctx.oidc.session.accountId,
      });
      grant.addOIDCScope(SCOPES.join(' '));
      await grant.save();
      return grant;
    }
    return undefined;
  },
};

const provider = new Provider(issuer, configuration);

// Strip the layout's `@import url(https://fonts.googleapis.com/...)` from the dev pages.
provider.use(async (ctx, next) => {
  await next();
  if (typeof ctx.body === 'string' && ctx.response.is('html')) {
    ctx.body = ctx.body.replace(/^\s*@import url\(https?:\/\/[^)]*\);\s*$/gm, '');
  }
});

const oidcCallback = provider.callback();

const server = createServer((req, res) => {
  if (coop) res.setHeader('Cross-Origin-Opener-Policy', coop);
  const path = (req.url || '').split('?')[0];
  if (path === '/picture.png' && (req.method === 'GET' || req.method === 'HEAD')) {
    res.writeHead(200, {
      'Content-Type': 'image/png',
      'Content-Length': PICTURE.length,
      'Cache-Control': 'public, max-age=3600',
    });
    res.end(req.method === 'HEAD' ? undefined : PICTURE);
    return;
  }
  oidcCallback(req, res);
});

server.on('error', (err) => {
  console.error(`provider.js: ${err.message}`);
  process.exit(1);
});

server.listen(port, HOST, () => {
  console.log(`OIDC provider ready at ${issuer}`);
});

let stopping = false;
function stop(signal) {
  if (stopping) return;
  stopping = true;
  console.log(`OIDC provider stopping (${signal})`);
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
