// A local OpenID provider for the SSO tests (oidc-provider), started by a pytest fixture:
//   PORT=<port> REDIRECT_URI=<the dashboard's callback> node server.mjs
// One confidential client with PKCE required, the people in accounts.json (a sign-in form
// that checks their passwords), and consent granted without asking, as a company IdP does
// for its own applications. Prints "ready <issuer>" once it listens.
import { readFileSync } from 'node:fs';

import Provider from 'oidc-provider';

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;
const accounts = JSON.parse(readFileSync(new URL('./accounts.json', import.meta.url)));

const configuration = {
  clients: [{
    client_id: process.env.CLIENT_ID || 'workspace-admin',
    client_secret: process.env.CLIENT_SECRET || 'test-client-secret',
    redirect_uris: [process.env.REDIRECT_URI],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_post',
  }],
  pkce: { required: () => true },
  claims: {
    openid: ['sub'],
    profile: ['preferred_username', 'name', 'given_name', 'family_name', 'groups'],
    email: ['email', 'email_verified'],
  },
  cookies: { keys: ['test-only-cookie-key'] },
  features: { devInteractions: { enabled: false } },
  async findAccount(ctx, id) {
    const account = accounts[id];
    if (!account) return undefined;
    const { password, ...claims } = account;
    return { accountId: id, async claims() { return { sub: id, ...claims }; } };
  },
  async loadExistingGrant(ctx) {
    // Consent is implied: grant the client what it asked for.
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope(ctx.oidc.params.scope);
    await grant.save();
    return grant;
  },
};

const provider = new Provider(issuer, configuration);

const page = (uid, error) => `<!DOCTYPE html><html lang="en"><head><title>Test IdP sign-in</title></head>
<body><h1>Test IdP</h1>${error ? `<p role="alert">${error}</p>` : ''}
<form method="post" action="/interaction/${uid}/login">
<label for="login">IdP username</label><input id="login" name="login" autocomplete="username">
<label for="password">IdP password</label><input id="password" name="password" type="password">
<button type="submit">Continue</button></form></body></html>`;

async function formBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString());
}

provider.use(async (ctx, next) => {
  const match = ctx.path.match(/^\/interaction\/([^/]+)(\/login)?$/);
  if (!match) return next();
  const [, uid, submit] = match;
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  if (details.prompt.name !== 'login') {
    // Consent was implied by loadExistingGrant; nothing else is expected here.
    ctx.status = 400;
    ctx.body = `unexpected prompt ${details.prompt.name}`;
    return undefined;
  }
  if (!submit) {
    ctx.type = 'html';
    ctx.body = page(uid);
    return undefined;
  }
  const body = await formBody(ctx.req);
  const login = body.get('login') || '';
  const account = Object.hasOwn(accounts, login) ? accounts[login] : undefined;
  if (!account || account.password !== body.get('password')) {
    ctx.type = 'html';
    ctx.body = page(uid, 'Wrong username or password.');
    return undefined;
  }
  await provider.interactionFinished(
    ctx.req, ctx.res, { login: { accountId: login } }, { mergeWithLastSubmission: false },
  );
  return undefined;
});

provider.listen(port, '127.0.0.1', () => {
  console.log(`ready ${issuer}`);
});
