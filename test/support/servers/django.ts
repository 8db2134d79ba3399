/**
 * Django OAuth Toolkit 1.7 (Debian's `python3-django-oauth-toolkit`, Django 3.2) in a minimal Django
 * project this helper writes into a temp dir: sqlite, OIDC on with an RSA key, PKCE required,
 * rotating refresh tokens, short access tokens, a user and a public authorization-code Application
 * registered with `http://127.0.0.1/callback`, served by `manage.py runserver` on a free loopback port.
 * See /work/shared/reference/INTEROP.md and the README's server matrix for what it does differently.
 */
import { generateKeyPairSync } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../services.js';
import { runProgram } from '../system.js';
import { Browser, countMatches, locationOf, spawnServer, type ThirdPartyServer } from './server.js';

/** Debian's python3, which has the packaged Django and the toolkit (not a pyenv or venv python on PATH). */
const PYTHON = '/usr/bin/python3';
const MISSING = 'install the Debian package python3-django-oauth-toolkit (apt-get install python3-django-oauth-toolkit; CI does, from .ci/apt-packages.txt)';

export const DJANGO_USER = { username: 'alice', password: 'alice-password', email: 'alice@example.test' };
const CLIENT_ID = 'authtray';

export interface DjangoOptions {
  /** Lifetime of access tokens in seconds (`ACCESS_TOKEN_EXPIRE_SECONDS`). */
  accessTokenSeconds?: number;
  /**
   * Map the exact OIDC discovery path (`/o/.well-known/openid-configuration`, OIDC Discovery §4)
   * in urls.py. Without it, the toolkit serves discovery only with a trailing slash and Django
   * answers the exact path with a 301 to it.
   */
  exactDiscoveryPath: boolean;
}

export async function startDjango(options: DjangoOptions): Promise<ThirdPartyServer & { revocationEndpoint: string }> {
  const began = Date.now();
  if (!existsSync(PYTHON)) throw new Error(`Django OAuth Toolkit needs ${PYTHON}: ${MISSING}`);
  const probe = await runProgram(PYTHON, ['-c', 'import django, oauth2_provider; print(django.get_version(), oauth2_provider.__version__)']);
  if (probe.code !== 0) throw new Error(`Django OAuth Toolkit is not installed: ${MISSING}`);

  const dir = await mkdtemp(join(tmpdir(), 'authtray-django-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  await mkdir(join(dir, 'templates', 'registration'), { recursive: true });
  await Promise.all([
    writeFile(join(dir, 'settings.py'), settings(dir, privateKey.export({ type: 'pkcs1', format: 'pem' }) as string, options)),
    writeFile(join(dir, 'urls.py'), urls(options)),
    writeFile(join(dir, 'serve.py'), SERVE),
    writeFile(join(dir, 'templates', 'registration', 'login.html'), LOGIN_TEMPLATE),
  ]);
  const env = { ...process.env, PYTHONPATH: dir, DJANGO_SETTINGS_MODULE: 'settings', PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1' };

  // One Python process: migrate, the user and the Application, then runserver (no autoreloader).
  const server = spawnServer(PYTHON, [join(dir, 'serve.py'), `127.0.0.1:${port}`], { cwd: dir, env });
  const stop = async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await server.waitForLog(/Quit the server with CONTROL-C/);
    // runserver prints that line just before it binds: wait until it answers.
    await server.waitForAnswer(`${base}/accounts/login/`);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    name: 'Django OAuth Toolkit 1.7',
    issuer: `${base}/o`,
    clientId: CLIENT_ID,
    redirectPort: null,
    revocationEndpoint: `${base}/o/revoke_token/`,
    startupMs: Date.now() - began,
    approve: (url) => approve(url),
    // runserver logs every request: each POST to the token endpoint is a code exchange or a refresh.
    tokenRequests: async () => countMatches(await server.settledLog(), /"POST \/o\/token\/ HTTP\/1\.1"/g),
    stop,
  };
}

/**
 * The person in the browser: the authorization endpoint sends them to Django's login form; they
 * log in (the CSRF token comes from the cookie and the form), come back, and press "Authorize" on
 * the toolkit's consent form (its hidden fields, plus `allow=Authorize`).
 */
async function approve(authorizationUrl: string): Promise<string> {
  const browser = new Browser();
  let at = new URL(authorizationUrl);
  let response = await browser.fetch(at);
  for (let step = 0; step < 10; step++) {
    if (response.status >= 300 && response.status < 400) {
      const next = await locationOf(response, `Django at ${at.pathname}`);
      if (next.origin !== at.origin) return next.href; // back to the client: code or error
      at = next;
      response = await browser.fetch(at);
      continue;
    }
    const html = await response.text();
    if (response.status !== 200) throw new Error(`Django page ${at.pathname} answered HTTP ${response.status}: ${html.slice(0, 300)}`);
    const form = /<form[^>]*>([\s\S]*?)<\/form>/.exec(html)?.[1];
    if (!form) throw new Error(`no form on Django page ${at.pathname}: ${html.slice(0, 300)}`);
    const fields = new URLSearchParams(hiddenInputs(form));
    if (at.pathname.startsWith('/accounts/login/')) {
      fields.set('username', DJANGO_USER.username);
      fields.set('password', DJANGO_USER.password);
    } else {
      fields.set('allow', 'Authorize');
    }
    if (!browser.cookie('csrftoken')) throw new Error(`Django set no csrftoken cookie on ${at.pathname}`);
    response = await browser.fetch(at, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: fields.toString() });
  }
  throw new Error('Django did not redirect back to the client within 10 steps');
}

function hiddenInputs(form: string): [string, string][] {
  const decode = (s: string) => s.replace(/&quot;/g, '"').replace(/&#x27;|&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  const found: [string, string][] = [];
  for (const [input] of form.matchAll(/<input[^>]*>/g)) {
    if (!/type="hidden"/.test(input)) continue;
    const name = /name="([^"]*)"/.exec(input)?.[1];
    const value = /value="([^"]*)"/.exec(input)?.[1] ?? '';
    if (name) found.push([name, decode(value)]);
  }
  return found;
}

const py = (value: unknown) => JSON.stringify(value);

function settings(dir: string, rsaKey: string, options: DjangoOptions): string {
  return `# written by test/support/servers/django.ts
SECRET_KEY = ${py(`authtray-test-${Math.random()}`)}
DEBUG = False
ALLOWED_HOSTS = ['127.0.0.1']
ROOT_URLCONF = 'urls'
INSTALLED_APPS = ['django.contrib.auth', 'django.contrib.contenttypes', 'django.contrib.sessions', 'oauth2_provider']
MIDDLEWARE = [
    'django.contrib.sessions.middleware.SessionMiddleware',
    'django.middleware.common.CommonMiddleware',
    'django.middleware.csrf.CsrfViewMiddleware',
    'django.contrib.auth.middleware.AuthenticationMiddleware',
]
TEMPLATES = [{
    'BACKEND': 'django.template.backends.django.DjangoTemplates',
    'DIRS': [${py(join(dir, 'templates'))}],
    'APP_DIRS': True,
    'OPTIONS': {'context_processors': ['django.template.context_processors.request', 'django.contrib.auth.context_processors.auth']},
}]
DATABASES = {'default': {'ENGINE': 'django.db.backends.sqlite3', 'NAME': ${py(join(dir, 'db.sqlite3'))}}}
DEFAULT_AUTO_FIELD = 'django.db.models.AutoField'
USE_TZ = True
LOGIN_URL = '/accounts/login/'
# Test speed only: fast password hashing, tables made straight from the models (no migration history).
PASSWORD_HASHERS = ['django.contrib.auth.hashers.MD5PasswordHasher']
MIGRATION_MODULES = {app: None for app in ['auth', 'contenttypes', 'sessions', 'oauth2_provider']}
OAUTH2_PROVIDER = {
    'OIDC_ENABLED': True,
    'OIDC_RSA_PRIVATE_KEY': ${py(rsaKey)},
    'PKCE_REQUIRED': True,
    'ROTATE_REFRESH_TOKEN': True,
    'ACCESS_TOKEN_EXPIRE_SECONDS': ${options.accessTokenSeconds ?? 120},
    # No offline_access: the toolkit does not define it, yet issues refresh tokens.
    'SCOPES': {'openid': 'OpenID Connect', 'profile': 'Your name', 'email': 'Your e-mail address'},
}
`;
}

function urls(options: DjangoOptions): string {
  return `# written by test/support/servers/django.ts
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from oauth2_provider import views as oauth2_views

urlpatterns = [
    path('accounts/login/', auth_views.LoginView.as_view(), name='login'),
${options.exactDiscoveryPath ? "    # OIDC Discovery §4: the metadata at issuer + '/.well-known/openid-configuration', exactly.\n    re_path(r'^o/\\.well-known/openid-configuration$', oauth2_views.ConnectDiscoveryInfoView.as_view()),\n" : ''}    path('o/', include('oauth2_provider.urls', namespace='oauth2_provider')),
]
`;
}

const SERVE = `# written by test/support/servers/django.ts: migrate, a user, a public Application, then serve.
import sys
import django
django.setup()
from django.core.management import call_command
call_command('migrate', run_syncdb=True, verbosity=0)
from django.contrib.auth.models import User
from oauth2_provider.models import Application
user = User.objects.create_user(${py(DJANGO_USER.username)}, ${py(DJANGO_USER.email)}, ${py(DJANGO_USER.password)}, first_name='Alice', last_name='Example')
Application.objects.create(
    client_id=${py(CLIENT_ID)}, name='authtray', user=user,
    client_type=Application.CLIENT_PUBLIC, authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
    redirect_uris='http://127.0.0.1/callback', algorithm=Application.RS256_ALGORITHM, skip_authorization=False,
)
call_command('runserver', sys.argv[1], use_reloader=False)
`;

const LOGIN_TEMPLATE = `<!doctype html>
<title>Log in</title>
<form method="post" action="">
  {% csrf_token %}
  {{ form.as_p }}
  <input type="hidden" name="next" value="{{ next }}">
  <button type="submit">Log in</button>
</form>
`;
